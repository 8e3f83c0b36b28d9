//! The webview tuned for a console that runs all shift on an ordinary
//! desktop: one page, no navigation, no 3D. WebKitGTK's defaults suit a web
//! browser; each setting below trades nothing this console uses for memory.

/// Apply the console's settings to the window's webview (Linux, WebKitGTK).
#[cfg(target_os = "linux")]
pub fn make_lean(window: &tauri::WebviewWindow) -> tauri::Result<()> {
    window.with_webview(|platform| {
        use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};
        let view = platform.inner();
        if let Some(context) = view.context() {
            // The browser model keeps decoded pages and resources for going
            // back and forth between sites; one local page needs none of it.
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            // GPU compositing keeps GL surfaces and tiles per layer: most of
            // the web process's memory on a machine without a GPU driver
            // (software GL), and no visible gain for lists and a flat map.
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            // No navigation, so nothing to restore from a back/forward cache.
            settings.set_enable_page_cache(false);
            // wry turns these on; the console draws no 3D and plays its alert
            // through an <audio> element.
            settings.set_enable_webgl(false);
            settings.set_enable_webaudio(false);
        }
    })
}

#[cfg(not(target_os = "linux"))]
pub fn make_lean(_window: &tauri::WebviewWindow) -> tauri::Result<()> {
    Ok(())
}

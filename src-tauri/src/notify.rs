//! Desktop notifications through the platform's service (notify-rust: D-Bus
//! on Linux/BSD, the notification centre on macOS, toasts on Windows).
//! Sending never blocks the caller and never takes the app down: with no
//! session bus or no notification daemon the failure is logged and that is all.
//!
//! `BEACON_NOTIFY_LOG=<file>` also appends each notification sent (title and
//! body, which carry no victim details) to a file, for tests and audits.

use tauri::{AppHandle, Emitter, Manager};

#[derive(Clone, Debug, serde::Serialize)]
pub struct OpenCase {
    pub id: String,
}

pub fn send(app: &AppHandle, title: &str, body: &str, case_id: Option<String>) {
    let (app, title, body) = (app.clone(), title.to_string(), body.to_string());
    let spawned = std::thread::Builder::new().name("beacon-notify".into()).spawn(move || {
        let mut n = notify_rust::Notification::new();
        n.appname("Beacon").summary(&title).body(&body);
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            n.action("default", "Open case").urgency(notify_rust::Urgency::Critical);
        }
        match n.show() {
            Ok(handle) => {
                eprintln!("beacon-desktop: notification sent: {title}");
                record(&title, &body);
                #[cfg(all(unix, not(target_os = "macos")))]
                handle.wait_for_action(|action| {
                    if action == "default"
                        && let Some(id) = case_id
                    {
                        if let Some(w) = app.get_webview_window("main") {
                            let _ = w.unminimize();
                            let _ = w.set_focus();
                        }
                        let _ = app.emit("open-case", OpenCase { id });
                    }
                });
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                let _ = (handle, &app, &case_id);
            }
            Err(e) => eprintln!("beacon-desktop: notification not shown ({title}): {e}"),
        }
    });
    if let Err(e) = spawned {
        eprintln!("beacon-desktop: notification not shown: {e}");
    }
}

fn record(title: &str, body: &str) {
    let Some(path) = std::env::var_os("BEACON_NOTIFY_LOG") else { return };
    use std::io::Write;
    let line = format!("{}\t{title}\t{body}\n", chrono::Utc::now().to_rfc3339());
    if let Err(e) =
        std::fs::OpenOptions::new().create(true).append(true).open(&path).and_then(|mut f| f.write_all(line.as_bytes()))
    {
        eprintln!("beacon-desktop: could not record the notification: {e}");
    }
}

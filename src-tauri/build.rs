fn main() {
    // `cargo build --workspace` on a fresh clone has no ui/dist yet: give the
    // app a page that says what to do rather than failing the whole build.
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        let _ = std::fs::create_dir_all(dist);
        let _ = std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Beacon</title>\
             <p>The user interface was not built. Run <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, \
             then rebuild (scripts/desktop-run.sh does both).</p>",
        );
    }
    println!("cargo:rerun-if-changed=../ui/dist");
    // The config lives at the repository top level (see docs/desktop.md).
    let attributes = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}

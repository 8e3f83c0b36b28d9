//! The console's webview is locked down: a strict Content-Security-Policy,
//! no remote content, and capabilities that grant the page nothing beyond
//! Beacon's own commands and the events the app emits. Read from the very
//! files the build embeds, so loosening either fails here.

use serde_json::Value;
use std::collections::BTreeMap;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The CSP as directive → sources.
fn csp() -> BTreeMap<String, Vec<String>> {
    let conf = json("tauri.conf.json");
    let csp = conf["app"]["security"]["csp"].as_str().expect("a CSP is set");
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut words = d.split_whitespace().map(str::to_string);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

#[test]
fn the_csp_allows_only_the_app_itself() {
    let csp = csp();
    for directive in ["default-src", "script-src", "style-src"] {
        assert_eq!(csp[directive], ["'self'"], "{directive}");
    }
    for directive in ["object-src", "base-uri", "form-action", "frame-ancestors", "frame-src", "worker-src"] {
        assert_eq!(csp[directive], ["'none'"], "{directive}");
    }
    for (directive, sources) in &csp {
        for source in sources {
            assert!(!source.contains("unsafe"), "{directive} allows {source}");
            assert!(source != "*" && !source.starts_with("https:") && source != "http:", "{directive}: {source}");
            if source.starts_with("http://") {
                assert_eq!((directive.as_str(), source.as_str()), ("connect-src", "http://ipc.localhost"));
            }
        }
    }
    let conf = json("tauri.conf.json");
    assert_eq!(conf["app"]["security"]["freezePrototype"], true);
    assert!(conf["app"]["windows"][0]["url"].is_null(), "the window loads the bundled page, nothing remote");
}

#[test]
fn the_page_may_listen_to_events_and_nothing_else() {
    let conf = json("tauri.conf.json");
    assert_eq!(conf["app"]["security"]["capabilities"], serde_json::json!(["default"]));
    let cap = json("src-tauri/capabilities/default.json");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    assert_eq!(cap["permissions"], serde_json::json!(["core:event:allow-listen", "core:event:allow-unlisten"]));
    assert!(cap["remote"].is_null(), "no remote origin gets the capability");
    let entries = std::fs::read_dir(format!("{ROOT}/src-tauri/capabilities")).unwrap().count();
    assert_eq!(entries, 1, "no other capability file");
}

#[test]
fn no_plugin_reaches_the_shell_the_files_or_the_network() {
    let manifest = std::fs::read_to_string(format!("{ROOT}/src-tauri/Cargo.toml")).unwrap();
    for plugin in
        ["tauri-plugin-shell", "tauri-plugin-fs", "tauri-plugin-http", "tauri-plugin-opener", "tauri-plugin-dialog"]
    {
        assert!(!manifest.contains(plugin), "{plugin}");
    }
}

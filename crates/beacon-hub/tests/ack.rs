//! The acknowledgement link, end to end on loopback: a handoff delivered to
//! a real webhook receiver carries a link to the real hub; opening it
//! changes nothing; its buttons acknowledge and report on scene, once,
//! as events every desktop pulls. On SQLite and PostgreSQL, over HTTP, and
//! once in each real browser engine the machine has (Chromium and WebKit,
//! by WebDriver).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, DeviceId, HandoffId};
use beacon_hub::ack::link;
use beacon_hub::delivery::{DeliveryConfig, run};
use beacon_hub::{Hub, HubConfig, router};
use beacon_hub_db::testing::{databases, referral_and_handoff, until};
use beacon_hub_db::{HubDb, ResponderChannels, SqliteHubDb, TokenScope, now_ms};
use beacon_sync::Cursor;
use serde_json::Value;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The hub on a loopback port, its delivery loop running, its public
/// address set to itself; a webhook receiver for `responder`. Returns the
/// hub's address and what the receiver got.
async fn hub_and_receiver(db: &Arc<dyn HubDb>, responder: &str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(Hub::new(Arc::clone(db), HubConfig::default()).unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let got = Arc::new(Mutex::new(Vec::new()));
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    let app = Router::new()
        .route(
            "/hook",
            post(async |State(got): State<Arc<Mutex<Vec<String>>>>, body: String| got.lock().unwrap().push(body)),
        )
        .with_state(Arc::clone(&got));
    tokio::spawn(async move { axum::serve(receiver, app).await.unwrap() });

    let value = beacon_hub_db::settings::check("public-url", &base).unwrap();
    db.set_setting("public-url", &value).await.unwrap();
    let channels = ResponderChannels {
        responder_id: responder.into(),
        webhook_url: Some(hook),
        webhook_secrets: vec![SECRET.into()],
        updated_at: now_ms(),
        ..Default::default()
    };
    db.set_channels(channels).await.unwrap();
    let config = DeliveryConfig { retry_base_ms: 300, lease_ms: 30_000, poll_ms: 100 };
    tokio::spawn(run(Arc::clone(db), config, format!("test-{}", DeviceId::new_random())));
    (base, got)
}

/// Hand a new case to `responder` and wait for the webhook: the link it carries.
async fn handed_off(db: &Arc<dyn HubDb>, got: &Mutex<Vec<String>>, id: &str, responder: &str) -> (CaseId, String) {
    let (case, events) = referral_and_handoff(DeviceId::new_random(), id, responder);
    db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();
    let mut url = None;
    until(10, async || {
        url = got.lock().unwrap().iter().find_map(|body| {
            let v: Value = serde_json::from_str(body).unwrap();
            (v["data"]["case_id"] == serde_json::json!(case))
                .then(|| v["data"]["ack_url"].as_str().unwrap().to_string())
        });
        url.is_some()
    })
    .await;
    (case, url.unwrap())
}

/// The case's events in the hub's stream: (kind, actor).
async fn events_of(db: &Arc<dyn HubDb>, case: CaseId) -> Vec<(String, String)> {
    let page = db.pull(Cursor::default(), 1000, DeviceId::new_random(), TokenScope::All).await.unwrap();
    page.events
        .iter()
        .filter(|e| e.case_id == Some(case))
        .map(|e| (e.decode_body().unwrap().kind().to_string(), e.actor.clone()))
        .filter(|(kind, _)| kind != "delivery_attempted")
        .collect()
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn get(url: &str) -> (u16, String, ureq::http::HeaderMap) {
    let mut r = http().get(url).call().unwrap();
    let headers = r.headers().clone();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap(), headers)
}

fn press(url: &str, answer: &str) -> (u16, String) {
    let mut r = http().post(url).send_form([("answer", answer)]).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_opens_a_page_that_changes_nothing_until_a_button_is_pressed() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let responder = format!("T-L-{}", db.backend());
        let (base, got) = hub_and_receiver(&db, &responder).await;
        let (case, url) = handed_off(&db, &got, &format!("ACK-1-{}", db.backend()), &responder).await;
        assert!(url.starts_with(&format!("{base}/ack/")), "{url}");

        // Opened (a mail scanner, a preview, the responder): nothing changes.
        let before = events_of(&db, case).await;
        for _ in 0..3 {
            let (status, page, headers) = tokio::task::spawn_blocking({
                let url = url.clone();
                move || get(&url)
            })
            .await
            .unwrap();
            assert_eq!(status, 200);
            assert!(page.contains("Waiting for you to acknowledge") && page.contains(&case.short()), "{page}");
            assert!(page.contains("workers locked in at night"), "what the sharing plan shared is shown");
            assert!(
                !page.contains("scar on the left hand") && !page.contains("Dana Witness"),
                "withheld stays withheld"
            );
            assert!(page.contains("potential victims description"), "what was withheld is named");
            assert!(!page.contains("<script"), "no script");
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(
                csp.starts_with("default-src 'none'; style-src 'sha256-") && csp.contains("form-action 'self'"),
                "{csp}"
            );
            assert_eq!(headers["cache-control"], "no-store");
            assert_eq!(headers["referrer-policy"], "no-referrer");
        }
        assert_eq!(events_of(&db, case).await, before, "a GET writes nothing");

        // Acknowledge, twice (two phones): one event, as the responder, by link.
        for _ in 0..2 {
            let (status, page) = tokio::task::spawn_blocking({
                let url = url.clone();
                move || press(&url, "acknowledge")
            })
            .await
            .unwrap();
            assert_eq!(status, 200);
            assert!(page.contains("Acknowledged at") && !page.contains("data-answer=\"acknowledge\""), "{page}");
        }
        let actor = format!("{responder} (by link)");
        let after = events_of(&db, case).await;
        assert_eq!(after[before.len()..], [("acknowledged".to_string(), actor.clone())]);
        let state = db.handoff_state(handoff_of(&db, case).await).await.unwrap().unwrap();
        assert!(state.acknowledged_at.is_some() && state.on_scene_at.is_none());

        // On scene.
        let (status, page) = tokio::task::spawn_blocking({
            let url = url.clone();
            move || press(&url, "on_scene")
        })
        .await
        .unwrap();
        assert_eq!(status, 200);
        assert!(page.contains("On scene since"), "{page}");
        let last = events_of(&db, case).await.last().cloned().unwrap();
        assert_eq!(last, ("status_changed".to_string(), actor));

        // A forged or altered link, another answer, an expired link.
        let bad = format!("{}x", &url[..url.len() - 1]);
        let forged = tokio::task::spawn_blocking(move || (get(&bad).0, press(&bad, "acknowledge").0)).await.unwrap();
        assert_eq!(forged, (404, 404));
        let odd = tokio::task::spawn_blocking({
            let url = url.clone();
            move || press(&url, "close")
        })
        .await
        .unwrap();
        assert_eq!(odd.0, 400);
        let key = db.hub_secret(link::KEY_NAME).await.unwrap();
        let expired = format!("{base}/ack/{}", link::token(&key, handoff_of(&db, case).await, now_ms() - 1_000));
        let status = tokio::task::spawn_blocking(move || get(&expired).0).await.unwrap();
        assert_eq!(status, 410);
    }
}

/// The handoff the hub holds for the case.
async fn handoff_of(db: &Arc<dyn HubDb>, case: CaseId) -> HandoffId {
    let page = db.pull(Cursor::default(), 1000, DeviceId::new_random(), TokenScope::All).await.unwrap();
    page.events
        .iter()
        .filter(|e| e.case_id == Some(case))
        .find_map(|e| match e.decode_body().unwrap() {
            EventBody::HandedOff { handoff_id, .. } => Some(handoff_id),
            _ => None,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_a_handoff_passed_to_someone_else_answers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let responder = format!("T-R-{}", db.backend());
        let (_, got) = hub_and_receiver(&db, &responder).await;
        let device = DeviceId::new_random();
        let (case, events) = referral_and_handoff(device, &format!("ACK-2-{}", db.backend()), &responder);
        let first = match events[1].decode_body().unwrap() {
            EventBody::HandedOff { handoff_id, .. } => handoff_id,
            _ => unreachable!(),
        };
        db.push(device, TokenScope::All, events.clone(), now_ms()).await.unwrap();
        until(10, async || !got.lock().unwrap().is_empty()).await;
        // The same device hands the case to another trooper.
        let (_, next) = beacon_hub_db::testing::handoff_after(&events[1], case, "T-OTHER", Some(first));
        db.push(device, TokenScope::All, vec![next], now_ms()).await.unwrap();
        let refused = db.answer(first, beacon_hub_db::Answer::Acknowledge, now_ms()).await.unwrap();
        assert_eq!(refused, Err(beacon_hub_db::AnswerRefused::Replaced));
        assert!(!events_of(&db, case).await.iter().any(|(kind, _)| kind == "acknowledged"));
    }
}

/// A browser engine a trooper's phone may open the page in, driven by WebDriver.
#[derive(Clone, Copy, Debug)]
enum Engine {
    /// Chromium (Chrome's engine), by `chromedriver`, headless: Debian's
    /// `chromium` and `chromium-driver` packages (Ubuntu ships it as a snap only).
    Chromium,
    /// WebKit (Safari's engine), by `WebKitWebDriver` and WebKitGTK's
    /// MiniBrowser under Xvfb: the packages the desktop's own tests use.
    WebKit,
}

/// WebKitGTK's MiniBrowser, where Debian and Ubuntu install it.
fn minibrowser() -> Option<std::path::PathBuf> {
    ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/libexec"]
        .iter()
        .map(|dir| std::path::Path::new(dir).join("webkit2gtk-4.1/MiniBrowser"))
        .find(|p| p.exists())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

impl Engine {
    /// The engines this machine can drive.
    fn available() -> Vec<Engine> {
        let mut engines = Vec::new();
        if on_path("chromedriver") {
            engines.push(Engine::Chromium);
        }
        if on_path("WebKitWebDriver") && on_path("xvfb-run") && minibrowser().is_some() {
            engines.push(Engine::WebKit);
        }
        engines
    }

    /// The session to ask the driver for: a phone-sized window.
    fn capabilities(self) -> serde_json::Map<String, Value> {
        let capabilities = match self {
            // Root in a container needs --no-sandbox.
            Engine::Chromium => serde_json::json!({
                "goog:chromeOptions": {
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--window-size=412,915", "--hide-scrollbars", "--force-device-scale-factor=1"],
                }
            }),
            Engine::WebKit => serde_json::json!({
                "webkitgtk:browserOptions": {
                    "binary": minibrowser().expect("MiniBrowser").to_string_lossy(),
                    "args": ["--automation"],
                }
            }),
        };
        capabilities.as_object().unwrap().clone()
    }
}

/// A WebDriver server on a loopback port, for as long as the test holds it.
struct Driver(std::process::Child, u16);

impl Driver {
    async fn start(engine: Engine) -> Driver {
        use std::os::unix::process::CommandExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = match engine {
            Engine::Chromium => std::process::Command::new("chromedriver"),
            Engine::WebKit => {
                // MiniBrowser needs a display: a virtual one of its own.
                let mut c = std::process::Command::new("xvfb-run");
                c.args(["-a", "WebKitWebDriver"]);
                c
            }
        };
        let child = command
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            // Its own process group, so the driver, the browser and the
            // display all go when the test ends.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("the WebDriver server for {engine:?}: {e}"));
        until(20, async || tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()).await;
        Driver(child, port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: xvfb-run leaves Xvfb and the driver behind if only it is killed.
        let _ = std::process::Command::new("kill").args(["-TERM", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where screenshots go: `BEACON_SCREENSHOTS` (the docs' folder when they
/// are retaken), else the test's own directory.
fn screenshot(dir: &std::path::Path, name: &str, png: &[u8]) {
    let dir = std::env::var_os("BEACON_SCREENSHOTS").map_or_else(|| dir.to_path_buf(), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_responder_acknowledges_from_the_page_in_a_real_browser() {
    let engines = Engine::available();
    assert!(
        !engines.is_empty(),
        "no browser to test the page in: apt-get install chromium chromium-driver (Debian), or webkit2gtk-driver xvfb; scripts/test.sh installs them"
    );
    for engine in engines {
        acknowledge_in(engine).await;
    }
}

/// Open the acknowledgement link in `engine`, check the page as the
/// browser applies its policy, and acknowledge from it: once, as one event.
async fn acknowledge_in(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let db: Arc<dyn HubDb> = Arc::new(SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap());
    db.migrate().await.unwrap();
    let (_, got) = hub_and_receiver(&db, "T-B").await;
    let (case, url) = handed_off(&db, &got, "ACK-BROWSER", "T-B").await;

    let driver = Driver::start(engine).await;
    let client = fantoccini::ClientBuilder::native()
        .capabilities(engine.capabilities())
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .unwrap_or_else(|e| panic!("a WebDriver session in {engine:?}: {e}"));
    if let Engine::WebKit = engine {
        client.set_window_size(412, 915).await.unwrap();
    }
    client.goto(&url).await.unwrap();
    let state = client.find(fantoccini::Locator::Css("[data-state]")).await.unwrap().text().await.unwrap();
    assert!(state.contains("Waiting for you to acknowledge"), "{engine:?}: {state}");
    // The browser ran the page under its policy: the style applied (the
    // button is filled), and nothing was blocked that the page needs.
    let filled = client
        .execute("return getComputedStyle(document.querySelector('button')).backgroundColor", vec![])
        .await
        .unwrap();
    assert_ne!(filled, serde_json::json!("rgba(0, 0, 0, 0)"), "{engine:?}: the inline style is allowed by its hash");
    let suffix = match engine {
        Engine::Chromium => "",
        Engine::WebKit => "-webkit",
    };
    screenshot(dir.path(), &format!("ack-page{suffix}.png"), &client.screenshot().await.unwrap());

    client.find(fantoccini::Locator::Css("button[data-answer=acknowledge]")).await.unwrap().click().await.unwrap();
    let mut text = String::new();
    until(10, async || {
        if let Ok(el) = client.find(fantoccini::Locator::Css("[data-state]")).await {
            text = el.text().await.unwrap_or_default();
        }
        text.contains("Acknowledged at")
    })
    .await;
    assert!(text.contains("the dispatcher sees your acknowledgement"), "{engine:?}: {text}");
    screenshot(dir.path(), &format!("ack-page-acknowledged{suffix}.png"), &client.screenshot().await.unwrap());
    client.close().await.unwrap();

    let kinds: Vec<String> = events_of(&db, case).await.into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "acknowledged").count(), 1, "{engine:?}: {kinds:?}");
}

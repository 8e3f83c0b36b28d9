//! End to end: the real `beacon-desktop` binary driven through WebDriver
//! (tauri-driver → WebKitWebDriver). Run by `scripts/desktop-e2e.sh`, which
//! builds everything, prepares a demo store and starts Xvfb, a session bus,
//! dunst and tauri-driver. Ignored in a plain `cargo test`.
//!
//! Environment (set by the script):
//! - `BEACON_E2E_APP`: the app binary; `BEACON_E2E_CLI`: the `beacon` binary;
//!   `BEACON_E2E_HUB`: the `beacon-hub` binary
//! - `BEACON_STORE`: the demo store both use
//! - `BEACON_E2E_SHOTS`: where screenshots go
//! - `BEACON_NOTIFY_LOG`: the file the app records sent notifications in
//! - `WEBDRIVER_URL` (default `http://127.0.0.1:4444`)

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

type R<T> = Result<T, Box<dyn std::error::Error>>;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set (run scripts/desktop-e2e.sh)"))
}

async fn js(c: &Client, script: &str) -> R<Value> {
    Ok(c.execute(script, vec![]).await?)
}

/// Poll `script` (which returns a value) until `ok` accepts it.
async fn wait_for(c: &Client, what: &str, timeout: Duration, script: &str, ok: impl Fn(&Value) -> bool) -> R<Value> {
    let start = Instant::now();
    loop {
        let v = js(c, script).await.unwrap_or(Value::Null);
        if ok(&v) {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            return Err(format!("timed out after {timeout:?} waiting for {what}; last value: {v}").into());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Click the element `css` names, finding it again if a re-render replaced it.
async fn click(c: &Client, css: &str) -> R<()> {
    let mut last = None;
    for _ in 0..20 {
        match c.find(Locator::Css(css)).await {
            Ok(el) => match el.click().await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e.to_string()),
            },
            Err(e) => last = Some(e.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("could not click {css}: {}", last.unwrap_or_default()).into())
}

/// Text of the element `css` names (read in one script, so never stale).
/// Wait until the case view shows case `id`.
async fn wait_case_open(c: &Client, what: &str, id: &str) -> R<()> {
    let script = "return document.querySelector('[data-testid=case-detail]')?.dataset.caseId ?? null";
    wait_for(c, what, Duration::from_secs(20), script, |v| v.as_str() == Some(id)).await?;
    Ok(())
}

async fn text(c: &Client, css: &str) -> R<String> {
    let v = js(c, &format!("return document.querySelector({css:?})?.innerText ?? null")).await?;
    v.as_str().map(str::to_string).ok_or_else(|| format!("no element {css}").into())
}

async fn shot(c: &Client, name: &str) {
    let dir = PathBuf::from(std::env::var("BEACON_E2E_SHOTS").unwrap_or_else(|_| "target/e2e-shots".into()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}.png"));
    // Let the last render settle, then photograph the X screen: what a
    // person sees, notifications included. (WebKit's own snapshot, which the
    // WebDriver screenshot uses, can stall with GPU compositing off, as the
    // console runs; it is only the fallback.)
    tokio::time::sleep(Duration::from_millis(250)).await;
    let on_screen = std::process::Command::new("import").args(["-window", "root"]).arg(&path).status();
    if !on_screen.is_ok_and(|s| s.success())
        && let Ok(png) = c.screenshot().await
    {
        let _ = std::fs::write(&path, png);
    }
    eprintln!("screenshot: {}", path.display());
}

const ROWS: &str = "return [...document.querySelectorAll('[data-testid=queue-row]')].map(r => ({id: r.dataset.caseId, p: r.dataset.priority, s: r.dataset.status, j: r.dataset.jurisdictionId, g: r.dataset.group}))";
/// Every row of the (virtualised) queue, in order: id, group, priority.
const ORDER: &str = "return window.beaconTest.order()";
const GROUPS: [&str; 3] = ["needs_dispatcher", "awaiting_responder", "responder_working"];

/// Rows are in the queue's order: group first, then priority within a group.
fn assert_queue_order(rows: &Value) {
    let keys: Vec<(usize, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let g = GROUPS.iter().position(|g| r["g"].as_str() == Some(*g)).expect("every open row has a group");
            (g, r["p"].as_str().unwrap_or("").to_string())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "rows are ordered by group, then priority");
}

/// Counts, in `window.beaconCaseDrawings`, each drawing of the case screen from now on.
const COUNT_CASE_DRAWINGS: &str = "window.beaconCaseDrawings = 0; \
    new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) \
      if (n.nodeType === 1 && n.matches('[data-testid=case-detail]')) window.beaconCaseDrawings++; }) \
    .observe(document.getElementById('main'), { childList: true }); return true";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a display, tauri-driver and the built app: run scripts/desktop-e2e.sh"]
async fn dispatcher_flow() -> R<()> {
    let app = env("BEACON_E2E_APP");
    let cli = env("BEACON_E2E_CLI");
    let store = env("BEACON_STORE");
    let url = std::env::var("WEBDRIVER_URL").unwrap_or_else(|_| "http://127.0.0.1:4444".into());
    let mut caps = serde_json::Map::new();
    caps.insert("tauri:options".into(), json!({ "application": app }));
    let c = ClientBuilder::native().capabilities(caps).connect(&url).await?;
    let result = flow(&c, &cli, &store).await;
    if result.is_err() {
        shot(&c, "99-failure").await;
    }
    c.close().await.ok();
    result
}

/// The demo's people's password (`scripts/desktop-e2e.sh` gives it to `beacon demo`).
fn password() -> String {
    std::env::var("BEACON_DEMO_PASSWORD").expect("BEACON_DEMO_PASSWORD: run scripts/desktop-e2e.sh")
}

/// Sign out, and wait for the fresh page it starts (typing into the old
/// page's form as it unloads fails the script).
async fn sign_out(c: &Client) -> R<()> {
    js(c, "window.__beforeSignOut = true; return null").await?;
    click(c, "[data-testid=sign-out]").await?;
    let fresh = "return window.__beforeSignOut === undefined && document.readyState === 'complete'";
    wait_for(c, "the page after signing out", Duration::from_secs(20), fresh, |v| v == &json!(true)).await?;
    Ok(())
}

/// Sign in on the form the console shows first (and after a sign-out).
async fn sign_in(c: &Client, user: &str, password: &str, wrong_first: bool) -> R<()> {
    let long = Duration::from_secs(20);
    wait_for(c, "the sign-in form", long, "return !!document.querySelector('[data-testid=signin-user]')", |v| {
        v == &json!(true)
    })
    .await?;
    c.find(Locator::Css("[data-testid=signin-user]")).await?.send_keys(user).await?;
    if wrong_first {
        c.find(Locator::Css("[data-testid=signin-password]")).await?.send_keys("not the password").await?;
        click(c, "[data-testid=signin-submit]").await?;
        let said = wait_for(
            c,
            "the refusal",
            long,
            "return document.querySelector('.signin .error')?.innerText ?? null",
            |v| v.is_string(),
        )
        .await?;
        assert!(said.as_str().unwrap_or("").contains("wrong user name or password"), "{said}");
        shot(c, "00-sign-in-refused").await;
    }
    c.find(Locator::Css("[data-testid=signin-password]")).await?.send_keys(password).await?;
    click(c, "[data-testid=signin-submit]").await?;
    let who = wait_for(
        c,
        "the signed-in user in the header",
        long,
        "return document.querySelector('[data-testid=signed-in-user]')?.innerText ?? null",
        |v| v.is_string(),
    )
    .await?;
    assert!(who.as_str().unwrap_or("").contains(user), "the header names who signed in: {who}");
    Ok(())
}

async fn flow(c: &Client, cli: &str, store: &str) -> R<()> {
    let long = Duration::from_secs(20);
    // 0. Sign in: a wrong password is refused, the right one opens the queue.
    sign_in(c, "dispatcher", &password(), true).await?;
    // 1. The queue: what needs a dispatcher first, P1 first within it.
    let t0 = Instant::now();
    let rows = wait_for(c, "queue rows", long, ROWS, |v| v.as_array().is_some_and(|a| !a.is_empty())).await?;
    eprintln!("queue visible {} ms after the session started", t0.elapsed().as_millis());
    assert_eq!(rows[0]["g"], "needs_dispatcher", "the first row needs a dispatcher: {rows}");
    assert_queue_order(&js(c, ORDER).await?);
    // The help names the order.
    c.execute("document.dispatchEvent(new KeyboardEvent('keydown', {key: '?'}))", vec![]).await?;
    let help = wait_for(
        c,
        "the order in the help",
        long,
        "return [...document.querySelectorAll('[data-testid=queue-order-help] li')].map(l => l.innerText)",
        |v| v.as_array().is_some_and(|a| a.len() == 3),
    )
    .await?;
    assert!(help[0].as_str().unwrap_or("").starts_with("Needs a dispatcher"), "{help}");
    c.execute("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))", vec![]).await?;
    let sync = text(c, "[data-testid=sync-status]").await?;
    assert!(sync.contains("Local only"), "sync status says Local only: {sync}");
    shot(c, "01-queue").await;

    // 2. Open the first case nobody has yet (scrolled into view if needed).
    let order = js(c, ORDER).await?;
    let (index, target) = order
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, r)| r["r"] == "not_handed_off")
        .ok_or("no case waiting for a handoff")?;
    let id = target["id"].as_str().unwrap().to_string();
    js(c, &format!("document.querySelector('.viewport').scrollTop = {}; return true", index.saturating_sub(2) * 48))
        .await?;
    wait_for(
        c,
        "the row in view",
        long,
        &format!("return !!document.querySelector(\"[data-testid=queue-row][data-case-id='{id}']\")"),
        |v| v == &json!(true),
    )
    .await?;
    // Count the drawings of the case screen: opening a case draws it once.
    js(c, COUNT_CASE_DRAWINGS).await?;
    click(c, &format!("[data-testid=queue-row][data-case-id='{id}']")).await?;
    wait_case_open(c, "case detail", &id).await?;
    wait_for(c, "handoff button", long, "return !!document.querySelector('[data-testid=handoff-trooper]')", |v| {
        v == &json!(true)
    })
    .await?;
    // Nothing changed after it opened, so nothing may draw it again (a
    // second drawing would swallow a click on the first).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(js(c, "return window.beaconCaseDrawings").await?, json!(1), "the case screen was drawn more than once");
    // Before the click, the case says what a handoff would share and withhold.
    let preview = text(c, "[data-testid=share-preview-trooper]").await?;
    assert!(preview.starts_with("Shares "), "the sharing preview: {preview}");
    // The jurisdiction reads as the layer names it, once.
    let juris = text(c, "[data-testid=case-jurisdiction]").await?;
    assert!(!juris.contains("County County") && !juris.is_empty(), "jurisdiction label: {juris}");
    // The referral is listed in Rust's words: labels and values, never a
    // raw enum value or a piece of JSON.
    let sheet = js(
        c,
        "return [...document.querySelectorAll('[data-testid=sheet-lines] dt, [data-testid=sheet-lines] dd')].map(e => e.innerText)",
    )
    .await?;
    let sheet: Vec<&str> = sheet.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(sheet.contains(&"Source") && sheet.contains(&"Troop"), "the referral's lines: {sheet:?}");
    assert!(sheet.iter().all(|t| !t.contains('_') && !t.contains('{')), "raw values on the case screen: {sheet:?}");
    shot(c, "02-case").await;

    // 3. One click hands it to the suggested trooper; the status changes.
    let who = js(c, "return document.querySelector('[data-testid=handoff-trooper]').dataset.responderId").await?;
    click(c, "[data-testid=handoff-trooper]").await?;
    wait_for(
        c,
        "status handed_off",
        long,
        "return document.querySelector('[data-testid=status-badge]')?.dataset.status",
        |v| v.as_str() == Some("handed_off"),
    )
    .await?;
    let result = text(c, "[data-testid=handoff-result]").await?;
    assert!(
        result.contains("Shared") && result.contains("Withheld"),
        "the result says what was shared and withheld: {result}"
    );
    // Named as people read them (Rust's words), not as paths; so is the
    // offer to share what was withheld.
    assert!(result.contains("location address") && !result.contains("location."), "field names: {result}");
    let offers =
        js(c, "return [...document.querySelectorAll('details.override summary')].map(s => s.innerText)").await?;
    let offers: Vec<&str> = offers.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(
        !offers.is_empty() && offers.iter().all(|o| o.starts_with("Share the withheld") && !o.contains("victims.")),
        "offers to share: {offers:?}"
    );
    eprintln!("handed case {id} to {who}");
    shot(c, "03-handoff").await;

    // 4. The map; clicking a county filters the queue to it.
    click(c, "[data-testid=nav-map]").await?;
    let county = wait_for(
        c,
        "map with open counties",
        long,
        "const m = document.querySelector('[data-testid=map]'); if (!m) return null; \
         const busy = [...m.querySelectorAll('[data-testid^=county-]')].filter(e => Number(e.dataset.open) > 0); \
         busy.sort((a, b) => Number(a.dataset.open) - Number(b.dataset.open)); \
         return busy.length ? busy[Math.floor(busy.length / 2)].dataset.testid.slice(7) : null",
        |v| v.is_string(),
    )
    .await?;
    let county = county.as_str().unwrap().to_string();
    shot(c, "04-map").await;
    click(c, &format!("[data-testid=county-{county}]")).await?;
    let filtered = wait_for(c, "queue filtered to the county", long, ROWS, |v| {
        v.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|r| r["j"].as_str() == Some(county.as_str())))
    })
    .await?;
    let n = filtered.as_array().unwrap().len();
    eprintln!("county {county}: {n} open cases listed");
    wait_for(
        c,
        "the header to count the filtered cases",
        long,
        "return document.querySelector('.queue-head')?.innerText ?? ''",
        |v| v.as_str().is_some_and(|t| t.contains(&format!("{n} shown"))),
    )
    .await?;
    let again = js(c, ROWS).await?;
    assert!(
        again.as_array().is_some_and(|a| a.iter().all(|r| r["j"].as_str() == Some(county.as_str()))),
        "the queue stays filtered: {again}"
    );
    shot(c, "05-queue-filtered").await;

    // 5. A referral added by the CLI while the app runs appears, with a notification.
    click(c, ".filters .btn.ghost").await?; // Clear filters
    wait_for(c, "unfiltered queue", long, ROWS, |v| {
        v.as_array().is_some_and(|a| a.len() > filtered.as_array().unwrap().len())
    })
    .await?;
    let ext = format!("E2E-{}", std::process::id());
    let referral = json!({
        "external_id": ext, "source": "hotline_call", "received_at": chrono_now(),
        "urgency": "in_progress", "trafficking_type": "sex",
        "location": {"address": "1200 E Sunshine St", "city": "Springfield", "state": "MO", "zip": "65804", "lat": 37.1816, "lon": -93.2713, "place_type": "hotel"},
        "potential_victims": {"count": 1, "minors": "yes"},
        "narrative": "Caller reports a minor being moved between rooms right now (end-to-end test)."
    });
    let file = std::env::temp_dir().join(format!("{ext}.json"));
    std::fs::write(&file, referral.to_string())?;
    let before = Instant::now();
    let out =
        std::process::Command::new(cli).args(["--store", store, "--json", "referral", "add"]).arg(&file).output()?;
    let committed = Instant::now();
    assert!(out.status.success(), "beacon referral add failed: {}", String::from_utf8_lossy(&out.stderr));
    let added: Value = serde_json::from_slice(&out.stdout)?;
    let new_id = added["id"].as_str().ok_or("no id from the CLI")?.to_string();
    wait_for(
        c,
        "the new referral in the queue",
        long,
        &format!("return window.beaconTest.rowIds().includes('{new_id}')"),
        |v| v == &json!(true),
    )
    .await?;
    eprintln!(
        "referral {new_id} in the queue {} ms after the CLI committed it ({} ms after the CLI started)",
        committed.elapsed().as_millis(),
        before.elapsed().as_millis()
    );
    // A new P1 is above every case someone is already working.
    let order = js(c, ORDER).await?;
    assert_queue_order(&order);
    let order = order.as_array().unwrap();
    let at = order.iter().position(|r| r["id"] == new_id.as_str()).unwrap();
    let first_worked = order.iter().position(|r| r["g"] != "needs_dispatcher").unwrap_or(order.len());
    assert!(at < first_worked, "the new P1 (row {at}) is above the first case being worked (row {first_worked})");
    assert_eq!(order[at]["g"], "needs_dispatcher");
    let banner = wait_for(
        c,
        "the alert banner",
        long,
        "return document.querySelector('[data-testid=alert-toast]')?.innerText ?? null",
        |v| v.as_str().is_some_and(|t| t.contains("New P1 referral")),
    )
    .await?;
    eprintln!("banner on screen: {}", banner.as_str().unwrap_or("").replace('\n', " "));
    shot(c, "06-live-update").await;
    click(c, "[data-testid=alert-toast] .toast-action").await?;
    wait_case_open(c, "the new case opened from the banner", &new_id).await?;
    shot(c, "07-new-case").await;
    let notified = wait_notification(Duration::from_secs(10)).await;
    assert!(notified.is_ok(), "a desktop notification was sent: {notified:?}");
    eprintln!("notification: {}", notified.unwrap_or_default());
    let sounds = wait_for(c, "the alert sound to be tried", long, "return window.beaconTest.sounds()", |v| {
        v["requested"].as_u64().unwrap_or(0) >= 1
            && v["played"].as_u64().unwrap_or(0) + v["failed"].as_u64().unwrap_or(0)
                >= v["requested"].as_u64().unwrap_or(1)
    })
    .await?;
    eprintln!("alert sound: {sounds} (a webview without an audio output reports it as failed, once, on screen)");

    // 6. Clicking the desktop notification (its default action, as dunst performs it) opens the case.
    click(c, "[data-testid=nav-queue]").await?;
    wait_for(c, "the queue", long, "return document.querySelector('[data-testid=case-detail]') === null", |v| {
        v == &json!(true)
    })
    .await?;
    let action = std::process::Command::new("dunstctl").args(["action", "0"]).output()?;
    assert!(action.status.success(), "dunstctl action: {}", String::from_utf8_lossy(&action.stderr));
    wait_case_open(c, "the case opened from the desktop notification", &new_id).await?;

    // A note half written when another desk changes the case: the screen
    // shows the change and keeps the text, the focus and the caret.
    let draft = "Caller rang back, the room is";
    click(c, "#note-text").await?;
    c.active_element().await?.send_keys(draft).await?;
    let scrolled = js(c, "return document.getElementById('main').scrollTop").await?;
    eprintln!("the case screen is scrolled {scrolled} px down to the note box");
    run(cli, &["--store", store, "note", &new_id, "Trooper", "on", "the", "way"])?;
    wait_for(
        c,
        "the other desk's note on screen",
        long,
        "return [...document.querySelectorAll('.notes li')].map(l => l.innerText).join(' | ')",
        |v| v.as_str().is_some_and(|t| t.contains("Trooper on the way")),
    )
    .await?;
    let kept = js(
        c,
        "const t = document.getElementById('note-text'); return [t.value, document.activeElement === t, t.selectionStart]",
    )
    .await?;
    assert_eq!(kept, json!([draft, true, draft.len()]), "the half-written note survives the redraw");
    assert_eq!(
        js(c, "return document.getElementById('main').scrollTop").await?,
        scrolled,
        "the screen stays where it was scrolled"
    );
    // Sent, it leaves the box empty.
    click(c, "[data-testid=add-note]").await?;
    wait_for(
        c,
        "the note sent",
        long,
        "return [document.querySelectorAll('.notes li').length, document.getElementById('note-text')?.value]",
        |v| v == &json!([2, ""]),
    )
    .await?;

    // 7. The other screens open (screenshots for review), each showing its own content.
    for (nav, name, testid) in [
        ("new", "08-new-referral", "new-referral"),
        ("stats", "09-response-times", "response-times"),
        ("map", "11-map-after", "map"),
    ] {
        click(c, &format!("[data-testid=nav-{nav}]")).await?;
        wait_for(
            c,
            testid,
            long,
            &format!("return !!document.querySelector('[data-testid={testid}]')?.getClientRects().length"),
            |v| v == &json!(true),
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        shot(c, name).await;
        if nav == "new" {
            // The form offers Rust's values, worded by Rust (the generated vocabulary).
            let sources = js(
                c,
                "const s = document.getElementById('f-source'); \
                 return [s.value, [...s.options].map(o => o.value + '=' + o.text)]",
            )
            .await?;
            let want: Vec<String> = beacon_api::vocabulary::vocabulary()
                .into_iter()
                .find(|e| e.kind == "source")
                .map(|e| e.terms.iter().map(|t| format!("{}={}", t.value, t.label)).collect())
                .unwrap_or_default();
            assert_eq!(sources, json!(["local_call", want]), "the source select");
            // Untouched, the form claims nothing: type, minors and reporter start unknown.
            let starts = js(
                c,
                "return ['f-trafficking_type', 'f-potential_victims-minors', 'f-reporter-kind', 'f-urgency'] \
                 .map(id => document.getElementById(id).value)",
            )
            .await?;
            assert_eq!(starts, json!(["unknown", "unknown", "anonymous", ""]), "the form's starting values");
        }
    }

    // 8. The light theme: switched from the header, it changes the page's colours (and back).
    assert_eq!(js(c, "return document.documentElement.dataset.theme").await?, json!("dark"), "dark by default");
    let dark_bg = js(c, "return getComputedStyle(document.body).backgroundColor").await?;
    click(c, "#theme-toggle").await?;
    assert_eq!(js(c, "return document.documentElement.dataset.theme").await?, json!("light"));
    let light_bg = js(c, "return getComputedStyle(document.body).backgroundColor").await?;
    assert_ne!(dark_bg, light_bg, "the background changes with the theme");
    assert_eq!(
        js(c, "return document.getElementById('theme-toggle').getAttribute('aria-label')").await?,
        json!("Switch to the dark theme")
    );
    click(c, "[data-testid=nav-queue]").await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    shot(c, "12-queue-light").await;
    click(c, "#theme-toggle").await?;
    assert_eq!(js(c, "return document.documentElement.dataset.theme").await?, json!("dark"));

    sync_flow(c, cli, store).await
}

/// Run `program args`; its standard output, trimmed. Fails on a non-zero exit.
fn run(program: &str, args: &[&str]) -> R<String> {
    let out = std::process::Command::new(program).args(args).output()?;
    if !out.status.success() {
        return Err(format!("{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// Stops the hub when the test ends, whichever way.
struct Served(std::process::Child);
impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const PILL: &str = "return document.querySelector('[data-testid=sync-status]')?.innerText ?? ''";

/// Step 9, sync: the console connects to a hub from its Sync screen; a
/// referral posted to the hub appears with an alert; a handoff another
/// dispatcher made offline is rejected by the hub, and the console shows
/// the conflict.
async fn sync_flow(c: &Client, cli: &str, store: &str) -> R<()> {
    let long = Duration::from_secs(20);
    let hub_bin = env("BEACON_E2E_HUB");
    let dir = tempfile_dir("beacon-e2e-hub")?;
    let db = format!("sqlite:{}", dir.join("hub.sqlite3").display());
    let token =
        |role: &str, name: &str| run(&hub_bin, &["token", "create", "--db", &db, "--role", role, "--name", name]);
    let (other, hotline) = (token("device", "other-desk")?, token("intake", "hotline")?);
    // The console enrols as its dispatcher, with a hub account of theirs.
    let hub_password = "dispatcher's hub password";
    let added = std::process::Command::new(&hub_bin)
        .args(["user", "add", "--db", &db, "dispatcher", "--role", "dispatcher"])
        .env("BEACON_NEW_PASSWORD", hub_password)
        .output()?;
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("http://127.0.0.1:{port}");
    let _hub = Served(
        std::process::Command::new(&hub_bin)
            .args(["serve", "--db", &db, "--listen", &format!("127.0.0.1:{port}")])
            .stderr(std::fs::File::create(dir.join("hub.log"))?)
            .spawn()?,
    );
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(up.elapsed() < long, "the hub listens");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Connect from the Sync screen, reached from the status pill.
    click(c, "[data-testid=sync-status]").await?;
    wait_for(c, "the sync screen", long, "return !!document.querySelector('[data-testid=sync-screen]')", |v| {
        v == &json!(true)
    })
    .await?;
    c.find(Locator::Css("[data-testid=hub-url]")).await?.send_keys(&url).await?;
    let user = js(c, "return document.querySelector('[data-testid=hub-user]').value").await?;
    assert_eq!(user, json!("dispatcher"), "the hub account defaults to the person signed in");
    c.find(Locator::Css("[data-testid=hub-password]")).await?.send_keys("not the hub password").await?;
    click(c, "[data-testid=hub-enrol]").await?;
    wait_for(c, "the refusal", long, "return document.querySelector('.sync-screen')?.innerText ?? ''", |v| {
        v.as_str().is_some_and(|t| t.contains("wrong user name or password"))
    })
    .await?;
    c.find(Locator::Css("[data-testid=hub-password]")).await?.send_keys(hub_password).await?;
    click(c, "[data-testid=hub-enrol]").await?;
    let t0 = Instant::now();
    // The console sends its whole log first (the demo's thousands of events).
    let pill = wait_for(c, "the pill to say synced", Duration::from_secs(120), PILL, |v| {
        v.as_str().is_some_and(|t| t.starts_with("Synced") && !t.contains("waiting"))
    })
    .await?;
    eprintln!("synced with the hub {} ms after enrolling: {pill}", t0.elapsed().as_millis());
    let page = js(c, "return document.body.innerText").await?;
    assert!(!page.as_str().unwrap_or("").contains("bkn_"), "the token is never shown");
    let listed = run(&hub_bin, &["token", "list", "--db", &db])?;
    assert!(listed.contains("dispatcher@desktop"), "the hub lists the enrolled console: {listed}");
    // Connected, the screen leads with the status; enrolling again is folded away.
    wait_for(
        c,
        "the enrolment form folded away",
        long,
        "const d = document.querySelector('[data-testid=hub-change]'); return d ? !d.open : null",
        |v| v == &json!(true),
    )
    .await?;
    shot(c, "13-sync-connected").await;

    // The hotline posts a referral to the hub: on screen, with an alert.
    let ext = format!("E2E-HUB-{}", std::process::id());
    let referral = json!({
        "external_id": ext, "source": "hotline_call", "received_at": chrono_now(),
        "urgency": "imminent", "trafficking_type": "sex",
        "location": {"address": "3315 E Battlefield Rd", "city": "Springfield", "state": "MO", "zip": "65804", "place_type": "hotel"},
        "potential_victims": {"count": 1, "minors": "yes"},
        "narrative": "Caller sees a minor taken into a room by two men (end-to-end test, through the hub)."
    });
    let file = dir.join("referral.json");
    std::fs::write(&file, referral.to_string())?;
    let posted = Instant::now();
    let answer = run(
        "curl",
        &[
            "-sf",
            "-H",
            &format!("Authorization: Bearer {hotline}"),
            "-H",
            "Content-Type: application/json",
            "--data",
            &format!("@{}", file.display()),
            &format!("{url}/v1/referrals"),
        ],
    )?;
    let answer: Value = serde_json::from_str(&answer)?;
    let id = answer["accepted"][0]["case_id"].as_str().ok_or(format!("no case id in {answer}"))?.to_string();
    click(c, "[data-testid=nav-queue]").await?;
    wait_for(
        c,
        "the hub's referral in the queue",
        long,
        &format!("return window.beaconTest.rowIds().includes('{id}')"),
        |v| v == &json!(true),
    )
    .await?;
    eprintln!("referral posted to the hub on screen {} ms later", posted.elapsed().as_millis());
    wait_for(
        c,
        "the alert for the hub's referral",
        long,
        "return [...document.querySelectorAll('[data-testid=alert-toast]')].map(t => t.innerText).join(' | ')",
        |v| v.as_str().is_some_and(|t| t.contains("New P1 referral")),
    )
    .await?;
    shot(c, "14-hub-referral").await;

    // Another desk syncs, then (offline) hands the case to a trooper.
    let b = dir.join("b.sqlite3");
    let b = b.to_str().ok_or("path")?;
    run(cli, &["--store", b, "sync", "--hub", &url, "--token", &other])?;
    js(c, "document.querySelector('.viewport').scrollTop = 0; return true").await?;
    click(c, &format!("[data-testid=queue-row][data-case-id='{id}']")).await?;
    wait_case_open(c, "the hub's referral", &id).await?;
    wait_for(c, "handoff button", long, "return !!document.querySelector('[data-testid=handoff-trooper]')", |v| {
        v == &json!(true)
    })
    .await?;
    let ours = js(c, "return document.querySelector('[data-testid=handoff-trooper]').dataset.responderId").await?;
    let roster: Value = serde_json::from_str(&run(cli, &["--store", b, "--json", "responder", "list"])?)?;
    let theirs = roster
        .as_array()
        .and_then(|r| r.iter().find(|p| p["role"] == "trooper" && p["id"] != ours))
        .and_then(|p| p["id"].as_str())
        .ok_or("a second trooper")?
        .to_string();
    run(cli, &["--store", b, "handoff", &id, "--to", &theirs])?;
    // The console's trooper is reached by webhook: the documented sample
    // receiver, verifying every signature.
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let hook_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/webhook-receiver.py");
    let _receiver = Served(
        std::process::Command::new("python3")
            .arg(sample)
            .arg(format!("127.0.0.1:{hook_port}"))
            .env("WEBHOOK_SECRET", secret)
            .stdout(std::fs::File::create(dir.join("received.jsonl"))?)
            .stderr(std::process::Stdio::null())
            .spawn()?,
    );
    let ours = ours.as_str().ok_or("the suggested trooper's id")?;
    let hook = format!("http://127.0.0.1:{hook_port}/beacon");
    run(&hub_bin, &["channel", "set", "--db", &db, ours, "--webhook", &hook, "--webhook-secret", secret])?;
    // The console hands it off too, and its handoff reaches the hub first.
    click(c, "[data-testid=handoff-trooper]").await?;
    wait_for(
        c,
        "the handoff on screen",
        long,
        "return document.querySelector('[data-testid=handoff-result]')?.innerText ?? null",
        |v| v.is_string(),
    )
    .await?;
    let sent = Instant::now();
    while !run(cli, &["--store", store, "sync", "status"])?.contains("Waiting to go:  0 event(s)") {
        assert!(sent.elapsed() < long, "the console's handoff reaches the hub");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("the console's handoff reached the hub within {} ms", sent.elapsed().as_millis());
    // The delivery comes back to the case screen as it happens.
    let delivered = wait_for(
        c,
        "the delivery status on the case",
        long,
        "return document.querySelector('[data-testid=delivery-channels]')?.innerText ?? null",
        |v| v.as_str().is_some_and(|t| t.contains("webhook delivered")),
    )
    .await?;
    eprintln!("delivery shown {} ms after the handoff reached the hub: {delivered}", sent.elapsed().as_millis());
    let received = std::fs::read_to_string(dir.join("received.jsonl"))?;
    assert!(received.contains(&id), "the receiver verified and accepted the handoff: {received}");
    shot(c, "19-delivery-status").await;
    run(cli, &["--store", b, "sync"])?;
    let conflict = wait_for(
        c,
        "the conflict on the case",
        long,
        "return document.querySelector('[data-testid=case-conflict]')?.innerText ?? null",
        |v| v.is_string(),
    )
    .await?;
    eprintln!("conflict shown: {}", conflict.as_str().unwrap_or("").replace('\n', " "));
    wait_for(c, "the pill to count the conflict", long, PILL, |v| v.as_str().is_some_and(|t| t.contains("1 conflict")))
        .await?;
    let theirs_listed = run(cli, &["--store", b, "--json", "conflicts"])?;
    assert!(theirs_listed.contains(&id), "the other desk lists it too: {theirs_listed}");
    shot(c, "15-handoff-conflict").await;
    click(c, "[data-testid=sync-status]").await?;
    wait_for(
        c,
        "the conflicts list",
        long,
        "return document.querySelectorAll('[data-testid=conflict-row]').length",
        |v| v == &json!(1),
    )
    .await?;
    shot(c, "16-sync-conflicts").await;
    click(c, &format!("[data-testid=conflict-row][data-case-id='{id}'] button")).await?;
    wait_case_open(c, "the case from the conflicts list", &id).await?;
    // A dispatcher sees the conflict; a supervisor marks it as looked at.
    let note = text(c, "[data-testid=conflict-for-supervisor]").await?;
    assert!(note.contains("supervisor"), "{note}");
    sign_out(c).await?;
    sign_in(c, "supervisor", &password(), false).await?;
    click(c, "[data-testid=sync-status]").await?;
    click(c, &format!("[data-testid=conflict-row][data-case-id='{id}'] button")).await?;
    wait_case_open(c, "the case, as the supervisor", &id).await?;
    // A change pulled from the hub in that instant redraws the case screen,
    // and a click on the button it replaced is lost: click again until the
    // conflict is gone (marking it twice is harmless).
    let looked_at = Instant::now();
    loop {
        // A click that finds no button: the conflict may just have gone.
        let _ = click(c, "[data-testid=resolve-conflicts]").await;
        let gone = wait_for(
            c,
            "the conflict looked at",
            Duration::from_secs(4),
            "return !!document.querySelector('[data-testid=case-conflict]')",
            |v| v == &json!(false),
        )
        .await;
        if gone.is_ok() {
            break;
        }
        assert!(looked_at.elapsed() < long, "the conflict looked at: {gone:?}");
    }
    wait_for(c, "the pill without the conflict", long, PILL, |v| v.as_str().is_some_and(|t| !t.contains("conflict")))
        .await?;

    // The roster: how the hub reaches each responder (as of the last sync), its targets, and duty.
    click(c, "[data-testid=nav-roster]").await?;
    let row = |id: &str, inner: &str| format!("[data-testid=roster-row][data-responder-id='{id}'] {inner}");
    let reached = wait_for(
        c,
        "the trooper's channels on the roster",
        long,
        &format!("return document.querySelector(\"{}\")?.innerText ?? null", row(ours, "[data-testid=roster-reached]")),
        |v| v.as_str().is_some_and(|t| t.contains("webhook")),
    )
    .await?;
    eprintln!("roster: {}", reached.as_str().unwrap_or("").replace('\n', " "));
    let targets = text(c, "[data-testid=escalation-targets]").await?;
    assert!(targets.contains("P1: acknowledge within 15m, on scene within 1h"), "{targets}");
    let pressed = format!(
        "return document.querySelector(\"{}\")?.getAttribute('aria-pressed')",
        row(&theirs, "[data-testid=duty-toggle]")
    );
    let was = js(c, &pressed).await?;
    click(c, &row(&theirs, "[data-testid=duty-toggle]")).await?;
    wait_for(c, "the duty change on the roster", long, &pressed, |v| v.is_string() && v != &was).await?;
    shot(c, "20-roster").await;
    click(c, &row(&theirs, "[data-testid=duty-toggle]")).await?;
    wait_for(c, "the duty change undone", long, &pressed, |v| v == &was).await?;

    // 10. The task-force trooper starts on the cases handed to them, and has no queue.
    sign_out(c).await?;
    sign_in(c, "taskforce", &password(), false).await?;
    let cards = wait_for(
        c,
        "the task-force member's cases",
        long,
        "return document.querySelector('[data-testid=my-cases]') ? document.querySelectorAll('[data-testid=my-cases] [data-case-id]').length : null",
        |v| v.as_u64().is_some_and(|n| n > 0),
    )
    .await?;
    eprintln!("the task-force member sees {cards} case(s) handed to them");
    let tabs =
        js(c, "return [...document.querySelectorAll('nav [data-testid^=nav-]')].map(b => b.dataset.testid)").await?;
    assert!(
        !tabs.to_string().contains("nav-queue") && !tabs.to_string().contains("nav-map"),
        "no queue or map: {tabs}"
    );
    shot(c, "10-my-cases").await;
    Ok(())
}

/// A fresh directory under the system's temporary one.
fn tempfile_dir(prefix: &str) -> R<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn chrono_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // RFC 3339 in UTC without a date library.
    let days = secs / 86_400;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    let (y, mo, d) = civil_from_days(days as i64);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The notification reached the daemon: dunst's record (a script rule the
/// e2e script installs) or `dunstctl history` shows it.
async fn wait_notification(timeout: Duration) -> Result<String, String> {
    let start = Instant::now();
    let log = std::env::var("BEACON_NOTIFY_LOG").ok();
    let received = std::env::var("BEACON_E2E_DUNST_RECORD").ok();
    loop {
        if let Some(line) = received
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| t.lines().find(|l| l.contains("New P1 referral")).map(str::to_string))
        {
            return Ok(format!("dunst received: {line}"));
        }
        if let Ok(out) = std::process::Command::new("dunstctl").arg("history").output()
            && out.status.success()
        {
            let text = String::from_utf8_lossy(&out.stdout);
            if let Some(line) = text.lines().find(|l| l.contains("New P1 referral")) {
                return Ok(format!("dunst history: {}", line.trim()));
            }
        }
        if start.elapsed() > timeout {
            let recorded = log.as_deref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
            return Err(format!("dunst did not record 'New P1 referral'; app's record: {recorded:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

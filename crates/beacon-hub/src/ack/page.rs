//! The acknowledgement page's HTML: small, readable on a phone at night,
//! with no script and one inline style (allowed by its hash).

use base64::Engine;
use beacon_domain::event::EventBody;
use beacon_domain::sharing::words;
use beacon_hub_db::{Answer, HandoffState};
use sha2::{Digest, Sha256};

use crate::delivery::notice::Notice;

const STYLE: &str = "\
:root{color-scheme:light dark;--bg:#f4f5f7;--fg:#15181d;--card:#fff;--muted:#5b6270;--line:#d5d9e0;--go:#0b5cd5;--ok:#1d7a3a;--warn:#9a3412}\
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--fg:#eef0f3;--card:#1a1d23;--muted:#a3aab6;--line:#2c313a;--go:#4c8dff;--ok:#4cc27a;--warn:#f59e63}}\
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:17px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\
main{max-width:34rem;margin:0 auto;padding:1rem}h1{font-size:1.35rem;margin:.2rem 0 .8rem}\
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1rem;margin:0 0 1rem}\
.pri{display:inline-block;font-weight:700;padding:.1rem .55rem;border-radius:6px;background:var(--warn);color:#fff;margin-right:.4rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem .9rem;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}\
dl.stack{display:block}dl.stack dt{font-size:.85rem;margin-top:.55rem}dl.stack dt:first-child{margin-top:0}\
.state{font-weight:600}.state.done{color:var(--ok)}.muted{color:var(--muted);font-size:.92rem}\
form{margin:0 0 .7rem}button{width:100%;font:inherit;font-weight:700;font-size:1.15rem;padding:1rem;border-radius:10px;border:0;background:var(--go);color:#fff}\
button.second{background:transparent;color:var(--go);border:2px solid var(--go)}h2{font-size:1rem;margin:0 0 .6rem}";

/// `sha256-…` of the inline style, for the Content-Security-Policy.
pub fn style_hash() -> String {
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes())))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{} · Beacon</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>",
        escape(title)
    )
}

/// A page that only says something (a link expired, nothing changed).
pub fn message(title: &str, text: &str) -> String {
    document(title, &format!("<h1>{}</h1><div class=\"card\"><p>{}</p></div>", escape(title), escape(text)))
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| t.format("%H:%M UTC, %-d %b").to_string())
}

/// The handoff's page: what happened so far, the buttons that still apply,
/// the notice and what the sharing plan shared. `answered` is the answer
/// just given, if the page is the reply to one.
pub fn handoff(state: &HandoffState, token: &str, answered: Option<Answer>) -> String {
    let notice = Notice::read(state.case_id, &state.handoff_body, state.referral_body.as_deref()).ok();
    let mut body = String::new();
    let priority = notice.as_ref().and_then(|n| n.priority);
    body.push_str(&format!(
        "<h1>{}Case {}</h1>",
        priority.map_or(String::new(), |p| format!("<span class=\"pri\">{p}</span>")),
        escape(&state.case_id.short())
    ));

    let (status, done) = match (state.case_closed_at, state.stands, state.on_scene_at, state.acknowledged_at) {
        (Some(_), _, _, _) => ("This case is closed.".to_string(), false),
        (None, false, _, _) => ("This case was handed to someone else. Nothing more is needed from you.".into(), false),
        (None, true, Some(t), _) => (format!("On scene since {}.", when(t)), true),
        (None, true, None, Some(t)) => (format!("Acknowledged at {}. Report on scene when you arrive.", when(t)), true),
        (None, true, None, None) => ("Waiting for you to acknowledge.".into(), false),
    };
    let thanks = match answered {
        Some(Answer::Acknowledge) => "<p class=\"state done\">Thank you: the dispatcher sees your acknowledgement.</p>",
        Some(Answer::OnScene) => "<p class=\"state done\">Thank you: the dispatcher sees you are on scene.</p>",
        None => "",
    };
    body.push_str(&format!(
        "<div class=\"card\" data-state>{thanks}<p class=\"state{}\">{}</p>",
        if done { " done" } else { "" },
        escape(&status)
    ));
    let open = state.stands && state.case_closed_at.is_none();
    let action = format!("/ack/{}", escape(token));
    if open && state.acknowledged_at.is_none() {
        body.push_str(&button(&action, "acknowledge", "Acknowledge", false));
    }
    if open && state.on_scene_at.is_none() {
        body.push_str(&button(&action, "on_scene", "On scene", state.acknowledged_at.is_none()));
    }
    body.push_str("</div>");

    if let Some(n) = &notice {
        body.push_str("<div class=\"card\"><dl>");
        for (label, value) in n.lines() {
            body.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(label), escape(&value)));
        }
        body.push_str("</dl></div>");
    }
    body.push_str(&shared(state));
    body.push_str(
        "<p class=\"muted\">This page is for you alone and for this case only. Do not forward it. \
         Opening it changes nothing; only the buttons do.</p>",
    );
    document(&format!("Case {}", state.case_id.short()), &body)
}

fn button(action: &str, answer: &str, label: &str, second: bool) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"answer\" value=\"{answer}\">\
         <button type=\"submit\"{} data-answer=\"{answer}\">{label}</button></form>",
        if second { " class=\"second\"" } else { "" }
    )
}

/// What the sharing plan let this handoff share, field by field, and the
/// names of what it withheld.
fn shared(state: &HandoffState) -> String {
    let Ok(EventBody::HandedOff { shared_fields, withheld_fields, .. }) = serde_json::from_str(&state.handoff_body)
    else {
        return String::new();
    };
    let referral = match state.referral_body.as_deref().map(serde_json::from_str::<EventBody>) {
        Some(Ok(EventBody::ReferralReceived { referral, .. })) => serde_json::to_value(&referral).unwrap_or_default(),
        _ => return String::new(),
    };
    let package = beacon_domain::sharing::package(&referral, &shared_fields);
    let mut rows = String::new();
    for field in &shared_fields {
        let value = field.split('.').try_fold(&package, |v, part| v.get(part));
        let text = match value {
            // A time reads as the page's other times do.
            Some(serde_json::Value::String(s)) => {
                chrono::DateTime::parse_from_rfc3339(s).map_or_else(|_| s.clone(), |t| when(t.timestamp_millis()))
            }
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
            Some(serde_json::Value::Null) | None => continue,
            Some(other) => other.to_string(),
        };
        rows.push_str(&format!("<dt>{}</dt><dd>{}</dd>", escape(&words(field)), escape(&text)));
    }
    let mut out = format!("<div class=\"card\"><h2>Shared with you</h2><dl class=\"stack\">{rows}</dl>");
    if !withheld_fields.is_empty() {
        let names: Vec<String> = withheld_fields.iter().map(|f| escape(&words(f))).collect();
        out.push_str(&format!(
            "<p class=\"muted\">Held back under the sharing policy: {}. Ask the dispatcher if you need them.</p>",
            names.join(", ")
        ));
    }
    out.push_str("</div>");
    out
}

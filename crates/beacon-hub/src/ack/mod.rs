//! Answers from the field: the page a responder opens from the link in a
//! handoff's mail or webhook, with its Acknowledge and On scene buttons.
//!
//! - Opening the page (GET) never changes anything: mail scanners and link
//!   previews open links. Only a button (a POST of the page's own form)
//!   answers, and the hub writes the answer into its stream as the
//!   responder, "by link" ([`beacon_hub_db::answers`]).
//! - The page needs no sign-in and runs no script: it is plain HTML with
//!   one inline style, which the Content-Security-Policy allows by its hash
//!   and nothing else. It is never cached, never framed, and sends no
//!   referrer (the address is the credential).
//! - It shows what a notice shows and what the handoff's sharing plan
//!   shared with this responder; what was withheld is named, not shown.

pub mod link;
mod page;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beacon_hub_db::{Answer, now_ms};
use serde::Deserialize;

use crate::Hub;

/// GET `/ack/{token}`: the handoff, its answers so far, and the buttons.
pub async fn get_page(State(hub): State<Hub>, Path(token): Path<String>) -> Response {
    match load(&hub, &token).await {
        Ok((state, _)) => respond(StatusCode::OK, page::handoff(&state, &token, None)),
        Err(response) => response,
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    answer: String,
}

/// POST `/ack/{token}` with `answer=acknowledge` or `answer=on_scene`.
pub async fn post_answer(State(hub): State<Hub>, Path(token): Path<String>, Form(form): Form<AnswerForm>) -> Response {
    let Ok(answer) = form.answer.parse::<Answer>() else {
        return respond(StatusCode::BAD_REQUEST, page::message("Not an answer", "Use the page's buttons."));
    };
    let handoff_id = match load(&hub, &token).await {
        Ok((_, handoff_id)) => handoff_id,
        Err(response) => return response,
    };
    match hub.db.answer(handoff_id, answer, now_ms()).await {
        Ok(Ok(state)) => respond(StatusCode::OK, page::handoff(&state, &token, Some(answer))),
        Ok(Err(refused)) => respond(
            StatusCode::CONFLICT,
            page::message(
                "Nothing was changed",
                &format!("{}. Call the dispatcher.", capitalise(&refused.to_string())),
            ),
        ),
        Err(_) => unavailable(),
    }
}

/// The handoff a token opens, or the page that says why it does not.
async fn load(hub: &Hub, token: &str) -> Result<(beacon_hub_db::HandoffState, beacon_domain::HandoffId), Response> {
    let key = hub.db.hub_secret(link::KEY_NAME).await.map_err(|_| unavailable())?;
    let handoff_id = match link::check(&key, token, now_ms()) {
        Ok(h) => h,
        Err(link::Refused::Expired) => {
            return Err(respond(
                StatusCode::GONE,
                page::message("This link has expired", "Acknowledge in Beacon, or call the dispatcher."),
            ));
        }
        Err(link::Refused::Invalid) => return Err(not_found()),
    };
    match hub.db.handoff_state(handoff_id).await {
        Ok(Some(state)) => Ok((state, handoff_id)),
        Ok(None) => Err(not_found()),
        Err(_) => Err(unavailable()),
    }
}

fn not_found() -> Response {
    respond(StatusCode::NOT_FOUND, page::message("This link is not valid", "Check that the whole address was opened."))
}

fn unavailable() -> Response {
    respond(
        StatusCode::SERVICE_UNAVAILABLE,
        page::message("Beacon is busy", "Try again in a moment, or call the dispatcher."),
    )
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// An HTML answer with the page's protections.
fn respond(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'none'; style-src '{}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        page::style_hash()
    );
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::CACHE_CONTROL, "no-store".into()),
        (header::REFERRER_POLICY, "no-referrer".into()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::X_FRAME_OPTIONS, "DENY".into()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

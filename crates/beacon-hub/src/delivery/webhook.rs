//! The webhook channel: a JSON POST signed as Standard Webhooks 1.0 says
//! (`webhook-id` fixed across retries, `webhook-timestamp` per attempt,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one
//! signature per secret during a rotation). `docs/webhooks.md` shows a
//! receiver verifying it.

use std::time::Duration;

use base64::Engine;
use beacon_domain::delivery::webhook_key;
use beacon_domain::event::EventBody;
use beacon_hub_db::DueDelivery;
use beacon_hub_db::delivery::Purpose;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long one attempt may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What the receiver's answer means for the delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 2xx.
    Delivered(u16),
    /// 410 Gone: the endpoint is retired.
    Gone,
    /// Anything else: try again, not before `retry_after_ms` when the
    /// receiver said (429 or 503 with `Retry-After`).
    Failed { detail: String, retry_after_ms: Option<i64> },
}

/// The `webhook-signature` header: `v1,<signature>` for each secret,
/// separated by spaces. A secret that is not a valid key signs nothing.
pub fn signature(id: &str, timestamp: i64, body: &str, secrets: &[String]) -> String {
    let content = format!("{id}.{timestamp}.{body}");
    secrets
        .iter()
        .filter_map(|s| webhook_key(s).ok())
        .map(|key| {
            // HMAC takes a key of any length.
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC accepts any key length");
            mac.update(content.as_bytes());
            format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The JSON a delivery carries: the handoff and, of the referral, only
/// what the sharing policy let this handoff share
/// ([`beacon_domain::sharing::package`]).
pub fn payload(d: &DueDelivery, timestamp: i64, ack_url: Option<&str>) -> Result<String, String> {
    if d.purpose == Purpose::Escalation {
        return escalation_payload(d, timestamp);
    }
    let handoff: EventBody = serde_json::from_str(&d.handoff_body).map_err(|_| "the handoff does not read")?;
    let EventBody::HandedOff { role, responder_name, shared_fields, withheld_fields, .. } = handoff else {
        return Err("the handoff is not a handoff".into());
    };
    let (referral, priority, jurisdiction) = match d.referral_body.as_deref().map(serde_json::from_str::<EventBody>) {
        Some(Ok(EventBody::ReferralReceived { referral, triage, jurisdiction })) => {
            let value = serde_json::to_value(&referral).map_err(|_| "the referral does not encode")?;
            (
                beacon_domain::sharing::package(&value, &shared_fields),
                Some(triage.priority.to_string()),
                Some(jurisdiction),
            )
        }
        _ => (serde_json::json!({}), None, None),
    };
    let at = chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default();
    let body = serde_json::json!({
        "type": "handoff.created",
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": {
            "delivery_id": d.delivery_id,
            "attempt": d.attempt,
            "handoff_id": d.handoff_id,
            "case_id": d.case_id,
            "short_id": d.case_id.short(),
            "responder_id": d.responder_id,
            "responder_name": responder_name,
            "role": role,
            "priority": priority,
            "jurisdiction": jurisdiction.as_ref().map(|j| j.label()),
            "troop": jurisdiction.and_then(|j| j.troop),
            "referral": referral,
            "withheld_fields": withheld_fields,
            "ack_url": ack_url,
        }
    });
    serde_json::to_string(&body).map_err(|_| "the payload does not encode".into())
}

/// The JSON an escalation's notice to a supervisor carries: what was
/// missed and what the hub did, and of the case what a notice may say (the
/// supervisor opens the case in Beacon for the rest).
fn escalation_payload(d: &DueDelivery, timestamp: i64) -> Result<String, String> {
    let escalated: EventBody = serde_json::from_str(&d.handoff_body).map_err(|_| "the escalation does not read")?;
    let EventBody::Escalated { step, responder_id, responder_name, role, due_at, next_responder_name, .. } = &escalated
    else {
        return Err("the escalation is not an escalation".into());
    };
    let notice = super::notice::Notice::of(d)?;
    let at = chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default();
    let body = serde_json::json!({
        "type": "handoff.escalated",
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": {
            "delivery_id": d.delivery_id,
            "attempt": d.attempt,
            "handoff_id": d.handoff_id,
            "case_id": d.case_id,
            "short_id": d.case_id.short(),
            "supervisor_id": d.responder_id,
            "step": step,
            "missed_by": {"responder_id": responder_id, "responder_name": responder_name, "role": role},
            "due_at": chrono::DateTime::from_timestamp_millis(*due_at).map(|t| t.to_rfc3339()),
            "handed_to": next_responder_name,
            "priority": notice.priority,
            "jurisdiction": notice.jurisdiction,
            "summary": escalated.summary(),
        }
    });
    serde_json::to_string(&body).map_err(|_| "the payload does not encode".into())
}

/// POST `body` to `url`, signed; blocking (run it off the async runtime).
pub fn post(url: &str, id: &str, timestamp: i64, body: &str, secrets: &[String]) -> Answer {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(TIMEOUT)).build().into();
    let sent = agent
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", &timestamp.to_string())
        .header("webhook-signature", &signature(id, timestamp, body, secrets))
        .send(body);
    let response = match sent {
        Ok(r) => r,
        // The kind of failure only: never the address or what was sent.
        Err(ureq::Error::Timeout(_)) => return failed("timed out"),
        Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return failed("connection refused");
        }
        Err(ureq::Error::HostNotFound) => return failed("host not found"),
        Err(ureq::Error::Io(_)) => return failed("network error"),
        Err(_) => return failed("could not be sent"),
    };
    let status = response.status().as_u16();
    let retry_after_ms = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|secs| secs.saturating_mul(1000));
    match status {
        200..=299 => Answer::Delivered(status),
        410 => Answer::Gone,
        _ => Answer::Failed { detail: format!("HTTP {status}"), retry_after_ms },
    }
}

fn failed(detail: &str) -> Answer {
    Answer::Failed { detail: detail.to_string(), retry_after_ms: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_string();
        let body = r#"{"test": 2432232314}"#;
        let signed = signature("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, std::slice::from_ref(&secret));
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let two = signature("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, &[secret.clone(), secret]);
        assert_eq!(two.split(' ').count(), 2, "one signature per secret during a rotation");
    }
}

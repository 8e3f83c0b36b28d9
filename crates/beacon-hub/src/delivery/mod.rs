//! Delivering each handoff to its responder, and escalating what misses
//! its target: a loop every hub process runs beside its HTTP server. It claims due deliveries in the database (so
//! several processes never attempt one at once, and a restart resumes what
//! was owed), makes each attempt, and records what it came to as an event
//! of the hub's stream, which every desktop pulls.
//!
//! At least once: a process that dies between sending and recording lets
//! its claim lapse, and the delivery is sent again with the same
//! `webhook-id`, by which a receiver knows a retry from a new handoff.

pub mod email;
pub mod notice;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use beacon_domain::delivery::{Channel, MAX_ATTEMPTS, Outcome, retry_delay_ms};
use beacon_hub_db::{Attempt, DueDelivery, HubDb, HubSettings, now_ms};

/// How the loop paces itself.
#[derive(Clone, Copy, Debug)]
pub struct DeliveryConfig {
    /// The first retry's delay; each later one doubles it (with jitter).
    pub retry_base_ms: i64,
    /// How long a claim holds before another process may take the delivery.
    pub lease_ms: i64,
    /// The longest the loop sleeps without looking (a delivery due, or one
    /// filed by another process, is found at the latest then).
    pub poll_ms: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig { retry_base_ms: 2_000, lease_ms: 60_000, poll_ms: 1_000 }
    }
}

/// Most deliveries one round claims.
const CLAIM: u32 = 32;

/// Run the loop until the process ends. `worker` names this process in
/// its claims.
pub async fn run(db: Arc<dyn HubDb>, config: DeliveryConfig, worker: String) {
    let mut appended = db.appended();
    loop {
        // Escalations first: what they hand off is delivered in this round.
        if let Err(e) = db.fire_escalations(&worker, now_ms(), CLAIM).await {
            eprintln!("beacon-hub: escalation: {e}");
        }
        if let Err(e) = deliver_due(&db, &config, &worker).await {
            eprintln!("beacon-hub: delivery: {e}");
        }
        let now = now_ms();
        let next_delivery = db.next_delivery_due().await.ok().flatten();
        let next_escalation = db.next_escalation_due().await.ok().flatten();
        let due = next_delivery.into_iter().chain(next_escalation).min();
        let wait = due.map_or(config.poll_ms, |t| (t - now).clamp(0, config.poll_ms as i64) as u64);
        tokio::select! {
            // A push (perhaps a handoff) or an attempt recorded.
            _ = appended.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
        }
    }
}

/// One round: claim what is due, attempt each at once, record each.
/// Returns how many attempts were made.
pub async fn deliver_due(db: &Arc<dyn HubDb>, config: &DeliveryConfig, worker: &str) -> Result<usize, String> {
    let due = db.claim_deliveries(worker, now_ms(), config.lease_ms, CLAIM).await.map_err(|e| e.to_string())?;
    let count = due.len();
    if count == 0 {
        return Ok(0);
    }
    // Read once a round: a `config set` reaches the next round.
    let settings = Arc::new(HubSettings::from_pairs(&db.settings().await.map_err(|e| e.to_string())?));
    let link_key = db.hub_secret(crate::ack::link::KEY_NAME).await.map_err(|e| e.to_string())?;
    let attempts = due.into_iter().map(|d| {
        let db = Arc::clone(db);
        let config = *config;
        let settings = Arc::clone(&settings);
        tokio::spawn(async move {
            let link =
                settings.public_url.as_deref().map(|u| crate::ack::link::url(u, &link_key, d.handoff_id, now_ms()));
            let attempt = attempt(d, &config, &settings, link).await;
            db.record_attempt(attempt, now_ms()).await
        })
    });
    for done in futures_util::future::join_all(attempts).await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("beacon-hub: delivery: recording an attempt: {e}"),
            Err(e) => eprintln!("beacon-hub: delivery: an attempt stopped: {e}"),
        }
    }
    Ok(count)
}

/// Make one attempt and say what it came to.
async fn attempt(d: DueDelivery, config: &DeliveryConfig, settings: &HubSettings, link: Option<String>) -> Attempt {
    let (outcome, detail, retry_after_ms) = match d.channel {
        Channel::Webhook => webhook_attempt(&d, link).await,
        Channel::Email => email_attempt(&d, settings, link).await,
        // Never filed as owed: the hub records it when the responder's device pulls.
        Channel::Device => (Outcome::GaveUp, Some("nothing is sent to a device".into()), None),
    };
    let (outcome, next_attempt_at) = match outcome {
        Outcome::Failed if d.attempt >= MAX_ATTEMPTS => (Outcome::GaveUp, None),
        Outcome::Failed => {
            let delay = retry_delay_ms(d.attempt, config.retry_base_ms, rand::random::<f64>(), retry_after_ms);
            (Outcome::Failed, Some(now_ms() + delay))
        }
        other => (other, None),
    };
    Attempt {
        delivery_id: d.delivery_id,
        handoff_id: d.handoff_id,
        case_id: d.case_id,
        responder_id: d.responder_id,
        channel: d.channel,
        attempt: d.attempt,
        outcome,
        detail,
        next_attempt_at,
    }
}

async fn email_attempt(
    d: &DueDelivery,
    settings: &HubSettings,
    link: Option<String>,
) -> (Outcome, Option<String>, Option<i64>) {
    let Some(to) = d.channels.email.clone() else {
        return (Outcome::GaveUp, Some("the responder has no email address any more".into()), None);
    };
    let (Some(server), Some(from)) = (settings.smtp.clone(), settings.smtp_from.clone()) else {
        // Retried: an operator who sets the mail server now still reaches this handoff.
        return (Outcome::Failed, Some("no mail server is set (smtp.url and smtp.from)".into()), None);
    };
    let notice = match notice::Notice::of(d) {
        Ok(n) => n,
        Err(why) => return (Outcome::GaveUp, Some(why), None),
    };
    let ca_pem = match &settings.smtp_ca_file {
        None => None,
        // Read at each attempt: a renewed authority applies at once. Retried:
        // a file being replaced is back soon.
        Some(path) => match std::fs::read(path) {
            Ok(pem) => Some(pem),
            Err(_) => return (Outcome::Failed, Some("smtp.ca-file cannot be read".into()), None),
        },
    };
    let (subject, body) = email::compose(&notice, link.as_deref());
    let answer =
        tokio::task::spawn_blocking(move || email::send(&server, ca_pem.as_deref(), &from, &to, &subject, &body)).await;
    match answer {
        Ok(email::Answer::Accepted(code)) => (Outcome::Accepted, Some(format!("SMTP {code}")), None),
        Ok(email::Answer::Failed(detail)) => (Outcome::Failed, Some(detail), None),
        Ok(email::Answer::Refused(detail)) => (Outcome::GaveUp, Some(detail), None),
        Err(_) => (Outcome::Failed, Some("the attempt stopped".into()), None),
    }
}

async fn webhook_attempt(d: &DueDelivery, link: Option<String>) -> (Outcome, Option<String>, Option<i64>) {
    let Some(url) = d.channels.webhook_url.clone() else {
        return (Outcome::GaveUp, Some("the responder has no webhook any more".into()), None);
    };
    let timestamp = now_ms() / 1000;
    let body = match webhook::payload(d, timestamp, link.as_deref()) {
        Ok(body) => body,
        Err(why) => return (Outcome::GaveUp, Some(why), None),
    };
    let (id, secrets) = (d.delivery_id.clone(), d.channels.webhook_secrets.clone());
    let answer = tokio::task::spawn_blocking(move || webhook::post(&url, &id, timestamp, &body, &secrets)).await;
    match answer {
        Ok(webhook::Answer::Delivered(status)) => (Outcome::Delivered, Some(format!("HTTP {status}")), None),
        Ok(webhook::Answer::Gone) => (Outcome::Gone, Some("HTTP 410".into()), None),
        Ok(webhook::Answer::Failed { detail, retry_after_ms }) => (Outcome::Failed, Some(detail), retry_after_ms),
        Err(_) => (Outcome::Failed, Some("the attempt stopped".into()), None),
    }
}

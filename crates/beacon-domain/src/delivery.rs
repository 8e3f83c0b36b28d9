//! Delivery of a handoff to its responder: the channels it goes out on,
//! when a failed attempt is tried again, and what each attempt came to.
//! The hub decides and records; every desktop shows the record
//! ([`crate::EventBody::DeliveryAttempted`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A way a handoff reaches a responder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A signed JSON POST (Standard Webhooks 1.0) to an agency's CAD or an
    /// SMS or paging gateway.
    Webhook,
    /// A message through the hub's mail server.
    Email,
    /// The responder's own Beacon: the hub records it once, when a device
    /// signed in as that responder first pulls the handoff ("seen on
    /// device"). Nothing is sent on it, so nothing is retried.
    Device,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Email => "email",
            Channel::Device => "device",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "webhook" => Ok(Channel::Webhook),
            "email" => Ok(Channel::Email),
            "device" => Ok(Channel::Device),
            other => Err(format!("unknown channel `{other}`: webhook, email or device")),
        }
    }
}

/// The step of a handoff whose target the hub watches: its responder
/// acknowledging, then reporting on scene.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Acknowledge,
    OnScene,
}

impl Step {
    pub const ALL: [Step; 2] = [Step::Acknowledge, Step::OnScene];

    /// As the hub's database and settings name it (`ack-target.P1`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Acknowledge => "ack",
            Step::OnScene => "onscene",
        }
    }

    /// What missing it means, in words: "not acknowledged".
    pub fn missed(self) -> &'static str {
        match self {
            Step::Acknowledge => "not acknowledged",
            Step::OnScene => "not on scene",
        }
    }
}

impl std::str::FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Step::ALL.into_iter().find(|step| step.as_str() == s).ok_or_else(|| format!("unknown step `{s}`"))
    }
}

/// What one attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The receiver answered 2xx: delivered.
    Delivered,
    /// The mail server accepted the message.
    Accepted,
    /// It failed and will be tried again.
    Failed,
    /// The receiver answered 410 Gone: the endpoint is disabled, and
    /// dispatchers are told.
    Gone,
    /// It failed [`MAX_ATTEMPTS`] times, or in a way no retry mends.
    GaveUp,
}

impl Outcome {
    pub const ALL: [Outcome; 5] =
        [Outcome::Delivered, Outcome::Accepted, Outcome::Failed, Outcome::Gone, Outcome::GaveUp];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Accepted => "accepted",
            Outcome::Failed => "failed",
            Outcome::Gone => "gone",
            Outcome::GaveUp => "gave_up",
        }
    }

    /// Whether nothing more will be tried on this channel.
    pub fn is_final(self) -> bool {
        !matches!(self, Outcome::Failed)
    }
}

/// How every screen names one channel's latest attempt: "webhook
/// delivered", "email accepted", "seen on device", "webhook attempt 3 failed (connection
/// refused)", "email not delivered (refused (SMTP 550)): gave up after
/// attempt 1". Times are the screen's to add, in its own time zone.
pub fn label(channel: Channel, outcome: Outcome, attempt: u32, detail: Option<&str>) -> String {
    if channel == Channel::Device && reached(outcome) {
        return "seen on device".into();
    }
    let channel = channel.as_str();
    let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
    match outcome {
        Outcome::Delivered | Outcome::Accepted => format!("{channel} {}", outcome.as_str()),
        Outcome::Failed => format!("{channel} attempt {attempt} failed{detail}"),
        Outcome::Gone => format!("{channel} endpoint gone{detail}: disabled until its address is set again"),
        Outcome::GaveUp => format!("{channel} not delivered{detail}: gave up after attempt {attempt}"),
    }
}

/// Whether an attempt's outcome means the responder was reached.
pub fn reached(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Delivered | Outcome::Accepted)
}

/// Whether a handoff still waiting for its acknowledgement has failed to
/// reach its responder, from the latest outcome on each channel: some
/// channel failed and none reached them. Nobody may know of the handoff,
/// so the case needs a dispatcher (the queue, the case screen's reach line
/// and the desktop's alert all ask this).
pub fn undelivered(latest: impl IntoIterator<Item = Outcome>) -> bool {
    let (mut failed, mut arrived) = (false, false);
    for outcome in latest {
        if reached(outcome) {
            arrived = true;
        } else {
            failed = true;
        }
    }
    failed && !arrived
}

/// The outcomes that reached the responder, as stored, for SQL written
/// against the log or the deliveries table: `'delivered', 'accepted'`.
pub fn reached_sql_list() -> String {
    Outcome::ALL.iter().filter(|o| reached(**o)).map(|o| format!("'{}'", o.as_str())).collect::<Vec<_>>().join(", ")
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| format!("unknown outcome `{s}`"))
    }
}

/// Most attempts on one channel. With [`retry_delay_ms`] from a 2-second
/// base, the last comes one and a half to two hours after the first: long
/// enough to outlast a receiver's restart or a short outage, short enough
/// that a dispatcher is not misled for a shift.
pub const MAX_ATTEMPTS: u32 = 16;

/// Longest wait between two attempts, and longest `Retry-After` honoured.
pub const MAX_DELAY_MS: i64 = 15 * 60 * 1000;

/// How long to wait after failed attempt number `attempt` (1, 2, …):
/// `base_ms` doubled each time, capped at [`MAX_DELAY_MS`], times a jitter
/// between 0.5 and 1.0 (`jitter` in 0..1) so that receivers coming back up
/// are not hit by every hub at once; never sooner than the receiver's
/// `Retry-After`.
pub fn retry_delay_ms(attempt: u32, base_ms: i64, jitter: f64, retry_after_ms: Option<i64>) -> i64 {
    let doubled = base_ms.saturating_mul(1_i64 << attempt.saturating_sub(1).min(30));
    let backoff = (doubled.min(MAX_DELAY_MS) as f64 * (0.5 + jitter.clamp(0.0, 1.0) / 2.0)) as i64;
    backoff.max(retry_after_ms.unwrap_or(0).min(MAX_DELAY_MS))
}

/// Why a webhook address or secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("webhook: an https:// address (http:// only to a loopback address)")]
    WebhookUrl,
    #[error("webhook secret: `whsec_` and the base64 of 24 to 64 random bytes")]
    WebhookSecret,
    #[error("email: one address, name@domain")]
    Email,
}

/// Check a webhook address: HTTPS, or plain HTTP to this machine.
pub fn check_webhook_url(url: &str) -> Result<(), ChannelError> {
    let loopback = ["http://127.", "http://localhost:", "http://localhost/", "http://[::1]"];
    if url.len() > 2048 || url.chars().any(char::is_whitespace) {
        return Err(ChannelError::WebhookUrl);
    }
    if url.starts_with("https://") && url.len() > "https://".len() || loopback.iter().any(|p| url.starts_with(p)) {
        Ok(())
    } else {
        Err(ChannelError::WebhookUrl)
    }
}

/// Check a Standard Webhooks secret (`whsec_` + base64 of 24–64 bytes);
/// returns the key bytes.
pub fn webhook_key(secret: &str) -> Result<Vec<u8>, ChannelError> {
    use base64::Engine;
    let encoded = secret.strip_prefix("whsec_").ok_or(ChannelError::WebhookSecret)?;
    let key = base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|_| ChannelError::WebhookSecret)?;
    if (24..=64).contains(&key.len()) { Ok(key) } else { Err(ChannelError::WebhookSecret) }
}

/// Check an email address enough to refuse a slip (the mail server is the
/// judge of the rest).
pub fn check_email(address: &str) -> Result<(), ChannelError> {
    let ok = address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '>')
        && address.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'));
    if ok { Ok(()) } else { Err(ChannelError::Email) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handoff_is_undelivered_while_some_channel_failed_and_none_reached() {
        use Outcome::*;
        let cases: [(&[Outcome], bool); 7] = [
            (&[], false),
            (&[Failed], true),
            (&[GaveUp, Gone], true),
            (&[Failed, Delivered], false),
            (&[Accepted, GaveUp], false),
            (&[Delivered], false),
            (&[Gone], true),
        ];
        for (latest, expected) in cases {
            assert_eq!(undelivered(latest.iter().copied()), expected, "{latest:?}");
        }
        assert_eq!(reached_sql_list(), "'delivered', 'accepted'");
    }

    #[test]
    fn retries_back_off_with_jitter_up_to_a_cap_and_honour_retry_after() {
        assert_eq!(retry_delay_ms(1, 2000, 1.0, None), 2000);
        assert_eq!(retry_delay_ms(1, 2000, 0.0, None), 1000, "jitter takes off up to half");
        assert_eq!(retry_delay_ms(3, 2000, 1.0, None), 8000);
        assert_eq!(retry_delay_ms(40, 2000, 1.0, None), MAX_DELAY_MS, "capped, and no overflow");
        assert_eq!(retry_delay_ms(1, 2000, 1.0, Some(60_000)), 60_000, "never before Retry-After");
        assert_eq!(retry_delay_ms(1, 2000, 1.0, Some(i64::MAX)), MAX_DELAY_MS, "a huge Retry-After is capped");
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| retry_delay_ms(a, 2000, 1.0, None)).sum();
        assert!((90 * 60_000..150 * 60_000).contains(&total), "{total}");
    }

    #[test]
    fn each_channel_and_outcome_is_labelled_and_read_back() {
        assert_eq!(label(Channel::Webhook, Outcome::Delivered, 1, Some("HTTP 200")), "webhook delivered");
        assert_eq!(label(Channel::Email, Outcome::Accepted, 1, Some("SMTP 250")), "email accepted");
        assert_eq!(label(Channel::Device, Outcome::Delivered, 1, None), "seen on device");
        assert_eq!(
            label(Channel::Webhook, Outcome::Failed, 3, Some("connection refused")),
            "webhook attempt 3 failed (connection refused)"
        );
        for channel in [Channel::Webhook, Channel::Email, Channel::Device] {
            assert_eq!(channel.as_str().parse::<Channel>(), Ok(channel));
        }
        assert!("pager".parse::<Channel>().is_err());
    }

    #[test]
    fn addresses_and_secrets_are_checked() {
        assert!(check_webhook_url("https://cad.example.gov/beacon").is_ok());
        assert!(check_webhook_url("http://127.0.0.1:9000/hook").is_ok());
        assert_eq!(check_webhook_url("http://cad.example.gov/hook"), Err(ChannelError::WebhookUrl));
        assert_eq!(check_webhook_url("https://"), Err(ChannelError::WebhookUrl));
        assert_eq!(check_webhook_url("ftp://x"), Err(ChannelError::WebhookUrl));
        assert_eq!(webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").map(|k| k.len()), Ok(24));
        assert_eq!(webhook_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Err(ChannelError::WebhookSecret));
        assert_eq!(webhook_key("whsec_c2hvcnQ="), Err(ChannelError::WebhookSecret));
        assert!(check_email("trooper.one@mshp.dps.mo.gov").is_ok());
        assert!(check_email("a@b").is_err() && check_email("a b@c.d").is_err() && check_email("@c.d").is_err());
    }
}

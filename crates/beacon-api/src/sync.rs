//! Syncing with a hub: push this device's events, then pull everyone's,
//! each pulled page applied in one transaction.
//!
//! The hub and token are remembered in the store's configuration after the
//! first use. Pushing resumes where the hub last confirmed; a hub that says
//! it expects an earlier sequence (it was restored from a backup and lost
//! some) is sent them again. Pulling resumes at the last page applied.

use beacon_domain::Action;
use std::time::Duration;

use beacon_sync::{
    Cursor, EnrolRequest, EnrolResponse, PullRequest, PullResponse, PushRequest, PushResponse, SyncError, WireEvent,
};
use serde::Serialize;

use crate::{ApiError, Beacon};

const HUB_KEY: &str = "sync.hub";
const TOKEN_KEY: &str = "sync.token";
const CA_KEY: &str = "sync.hub_ca";
const PUSHED_KEY: &str = "sync.pushed";
const CURSOR_KEY: &str = "sync.cursor";
const LAST_SUCCESS_KEY: &str = "sync.last_success";
/// What the hub last said of reaching responders ([`beacon_sync::HubDirectory`], JSON).
const DIRECTORY_KEY: &str = "sync.directory";

/// Most events in one push, and most bytes of event bodies in one (the
/// hub's default body limit is 1 MiB).
const PUSH_EVENTS: usize = 500;
const PUSH_BYTES: usize = 512 * 1024;
/// Events asked for in one pull.
const PULL_PAGE: u32 = 2000;
/// Silence on the live stream longer than this (the hub sends a comment
/// every 15 s) means the connection is gone.
const STREAM_SILENCE: Duration = Duration::from_secs(45);

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub hub: String,
    /// This device's events the hub stored.
    pub pushed: u64,
    /// Other devices' events this store applied.
    pub pulled: u64,
    /// Whether pulled events reached into the past and the log was folded again.
    pub refolded: bool,
}

/// Where sync stands, for `beacon sync status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub hub: Option<String>,
    /// Unix ms of the last sync that finished.
    pub last_success: Option<i64>,
    /// This device's events the hub has not confirmed.
    pub waiting: u64,
    /// Handoffs the hub rejected that nobody has looked at yet.
    pub conflicts: u64,
}

impl Beacon {
    /// Push, then pull, once. `hub`, `token` and `hub_ca` are remembered;
    /// `None` uses the remembered ones. `hub_ca` is PEM: the certificates an
    /// `https://` hub's must chain to, in place of the public authorities
    /// (an office hub with its own certificate).
    pub fn sync_once(
        &mut self,
        hub: Option<&str>,
        token: Option<&str>,
        hub_ca: Option<&str>,
    ) -> Result<SyncReport, ApiError> {
        self.require(Action::Sync)?;
        let hub = match hub {
            Some(h) => h.trim_end_matches('/').to_string(),
            None => self.store().config(HUB_KEY)?.ok_or_else(|| {
                ApiError::invalid("sync", "hub", "no hub is configured: give --hub URL (or BEACON_HUB)")
            })?,
        };
        if !(hub.starts_with("http://") || hub.starts_with("https://")) {
            return Err(ApiError::invalid("sync", "hub", "must start with http:// or https://"));
        }
        let token = match token {
            Some(t) => t.to_string(),
            None => self.store().config(TOKEN_KEY)?.ok_or_else(|| {
                ApiError::invalid("sync", "token", "no token is configured: give --token (or BEACON_HUB_TOKEN)")
            })?,
        };
        let ca = match hub_ca {
            Some(pem) => Some(pem.to_string()),
            None => self.store().config(CA_KEY)?,
        };
        let client = Client::new(&hub, &token, ca.as_deref())?;
        self.switch_hub(&hub, &token)?;
        if let Some(ca) = &ca {
            self.remember(&[(CA_KEY, ca)])?;
        }
        let mut report = SyncReport { hub: hub.clone(), ..SyncReport::default() };
        // Twice at most: a pull can reveal that the hub lost events of ours.
        for _ in 0..2 {
            report.pushed += self.push_all(&client)?;
            let (pulled, refolded, hub_holds) = self.pull_all(&client)?;
            report.pulled += pulled;
            report.refolded |= refolded;
            if hub_holds >= self.pushed()? {
                break;
            }
            // The hub holds less of ours than it once confirmed: send it again.
            self.remember(&[(PUSHED_KEY, &hub_holds.to_string())])?;
        }
        let now = self.store().now().timestamp_millis();
        self.remember(&[(LAST_SUCCESS_KEY, &now.to_string())])?;
        // How responders are reached, for the console to show; a hub that
        // does not say (an older one) leaves what was known.
        if let Ok(directory) = client.get::<beacon_sync::HubDirectory>("/v1/sync/directory")
            && let Ok(json) = serde_json::to_string(&directory)
        {
            self.remember(&[(DIRECTORY_KEY, &json)])?;
        }
        Ok(report)
    }

    /// Whether this console is set to sync with a hub.
    pub fn has_hub(&self) -> Result<bool, ApiError> {
        Ok(self.store().config(HUB_KEY)?.is_some())
    }

    /// What the hub last said of reaching responders and of its escalation
    /// targets; `None` before the first sync with a hub that says.
    pub fn hub_directory(&self) -> Result<Option<beacon_sync::HubDirectory>, ApiError> {
        Ok(self.store().config(DIRECTORY_KEY)?.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// The configured hub, the last success, what waits to be pushed and
    /// the conflicts nobody has looked at.
    pub fn sync_status(&self) -> Result<SyncStatus, ApiError> {
        self.require(Action::Sync)?;
        let pushed = self.pushed()?;
        let waiting = self.store().own_events_count_after(pushed)?;
        Ok(SyncStatus {
            hub: self.store().config(HUB_KEY)?,
            last_success: self.store().config(LAST_SUCCESS_KEY)?.and_then(|v| v.parse().ok()),
            waiting,
            conflicts: self.store().open_conflict_count()?,
        })
    }

    /// Enrol this desktop with a hub: the person signs in to the hub once
    /// (their hub account's name and password), and the device token the
    /// hub gives, bound to them, is remembered for every sync after. What
    /// the desktop then receives and may push follows their role there.
    pub fn enrol(&mut self, hub: &str, user: &str, password: &str, device_name: &str) -> Result<Enrolled, ApiError> {
        self.require(Action::Sync)?;
        let hub = check_hub(hub)?;
        let client = Client::new(hub, "", self.store().config(CA_KEY)?.as_deref())?;
        let request = EnrolRequest { user: user.into(), password: password.into(), device_name: device_name.into() };
        let answer: EnrolResponse = client.post("/v1/enrol", &request)?;
        self.switch_hub(hub, &answer.token)?;
        Ok(Enrolled { hub: hub.into(), token_name: answer.token_name, role: answer.role, scope: answer.scope })
    }

    /// Connect this store to a hub, or change its hub or token: checked for
    /// form and remembered; the next sync uses them. (The token is never
    /// shown back.)
    pub fn set_hub(&mut self, hub: &str, token: &str) -> Result<(), ApiError> {
        self.require(Action::Sync)?;
        let hub = check_hub(hub)?;
        let token = token.trim();
        if token.is_empty() || token.len() > 256 || token.contains(char::is_whitespace) {
            return Err(ApiError::invalid("sync", "token", "must be the device token the hub gave"));
        }
        self.switch_hub(hub, token)
    }

    /// Remember `hub` and `token`; a hub other than the remembered one
    /// starts from nothing (everything is pushed and pulled again; what it
    /// already holds is a no-op).
    fn switch_hub(&mut self, hub: &str, token: &str) -> Result<(), ApiError> {
        if self.store().config(HUB_KEY)?.is_some_and(|known| known != hub) {
            self.remember(&[(PUSHED_KEY, "0"), (CURSOR_KEY, "0")])?;
        }
        self.remember(&[(HUB_KEY, hub), (TOKEN_KEY, token)])
    }

    /// A client for the hub, token and certificate this store remembers.
    pub(crate) fn remembered_client(&self) -> Result<Client, ApiError> {
        let missing = |field: &str| ApiError::invalid("sync", field, "is not configured: sync once with it first");
        let hub = self.store().config(HUB_KEY)?.ok_or_else(|| missing("hub"))?;
        let token = self.store().config(TOKEN_KEY)?.ok_or_else(|| missing("token"))?;
        Client::new(&hub, &token, self.store().config(CA_KEY)?.as_deref())
    }

    /// This console's handoffs the hub does not hold yet; `None` when the
    /// console syncs with no hub at all.
    pub(crate) fn handoffs_not_on_hub(&self) -> Result<Option<Vec<beacon_domain::HandoffId>>, ApiError> {
        if self.store().config(HUB_KEY)?.is_none() {
            return Ok(None);
        }
        Ok(Some(self.store().own_handoffs_after(self.pushed()?)?))
    }

    fn pushed(&self) -> Result<u64, ApiError> {
        Ok(self.store().config(PUSHED_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    fn remember(&mut self, pairs: &[(&str, &str)]) -> Result<(), ApiError> {
        self.store_mut().write::<_, ApiError>(|w| {
            for (key, value) in pairs {
                w.set_config(key, value)?;
            }
            Ok(())
        })
    }

    fn push_all(&mut self, client: &Client) -> Result<u64, ApiError> {
        let mut stored = 0;
        loop {
            let pushed = self.pushed()?;
            let mut events = self.store().own_events_after(pushed, PUSH_EVENTS)?;
            let mut bytes = 0;
            let keep = events
                .iter()
                .take_while(|e| {
                    bytes += e.body.get().len();
                    bytes <= PUSH_BYTES
                })
                .count()
                .max(1);
            events.truncate(keep);
            let Some(last) = events.last().map(|e| e.seq) else { return Ok(stored) };
            let request = PushRequest { device: self.store().device_id(), events };
            match client.post::<_, PushResponse>("/v1/sync/push", &request) {
                Ok(answer) => {
                    stored += answer.stored;
                    // The hub now holds everything up to `last` (`hub_seq` says so).
                    debug_assert!(answer.hub_seq >= last);
                    self.remember(&[(PUSHED_KEY, &last.to_string())])?;
                }
                // The hub lost some of ours (restored from a backup): resend from where it is.
                Err(HubAnswer::Refused(SyncRefusal::Sync(SyncError::Gap { expected, .. }))) if expected <= pushed => {
                    self.remember(&[(PUSHED_KEY, &expected.saturating_sub(1).to_string())])?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Pull every page; returns events applied, whether any fold ran, and
    /// the highest sequence of this device the hub holds.
    fn pull_all(&mut self, client: &Client) -> Result<(u64, bool, u64), ApiError> {
        let (mut pulled, mut refolded) = (0, false);
        let device = self.store().device_id();
        let start = Cursor(self.store().config(CURSOR_KEY)?.and_then(|v| v.parse().ok()).unwrap_or(0));
        std::thread::scope(|scope| {
            // The next page is fetched while this one is applied.
            let (pages, arriving) = std::sync::mpsc::sync_channel::<Result<PullResponse, HubAnswer>>(1);
            scope.spawn(move || {
                let mut after = start;
                loop {
                    let page: Result<PullResponse, HubAnswer> =
                        client.post("/v1/sync/pull", &PullRequest { after, limit: Some(PULL_PAGE), device });
                    let next = page.as_ref().ok().filter(|p| p.more).map(|p| p.next);
                    // The receiver gone (the applying side failed): stop.
                    if pages.send(page).is_err() {
                        return;
                    }
                    match next {
                        Some(next) => after = next,
                        None => return,
                    }
                }
            });
            for page in arriving {
                let page = page?;
                let theirs: Vec<WireEvent> = page.events.into_iter().filter(|e| e.device != device).collect();
                let cursor = page.next.0.to_string();
                let applied = self.store_mut().apply_pulled_remembering(&theirs, &[(CURSOR_KEY, &cursor)])?;
                pulled += applied.stored;
                refolded |= applied.refolded;
                if !page.more {
                    // Pages from the past fold the log once, here, not once a page.
                    self.store_mut().finish_pulled()?;
                    return Ok((pulled, refolded, page.hub_seq_of_device));
                }
            }
            Err(ApiError::HubUnreachable("the pull ended before its last page".into()))
        })
    }
}

/// A hub's address, checked for form, without a trailing slash.
fn check_hub(hub: &str) -> Result<&str, ApiError> {
    let hub = hub.trim().trim_end_matches('/');
    if !(hub.starts_with("http://") || hub.starts_with("https://")) || hub.len() > 2048 {
        return Err(ApiError::invalid("sync", "hub", "must be an address starting with http:// or https://"));
    }
    Ok(hub)
}

/// What enrolling with a hub gave this desktop (the token itself is kept, never shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enrolled {
    pub hub: String,
    pub token_name: String,
    pub role: String,
    pub scope: String,
}

/// How a hub refused.
#[derive(Debug)]
enum SyncRefusal {
    /// One of the protocol's refusals, which says what to do.
    Sync(SyncError),
    /// Anything else: its status and code.
    Other { status: u16, code: String, message: String },
}

#[derive(Debug)]
enum HubAnswer {
    Unreachable(String),
    Refused(SyncRefusal),
}

impl From<HubAnswer> for ApiError {
    fn from(e: HubAnswer) -> Self {
        match e {
            HubAnswer::Unreachable(cause) => ApiError::HubUnreachable(cause),
            HubAnswer::Refused(SyncRefusal::Sync(e)) => {
                ApiError::HubRefused { code: e.code().to_string(), message: e.to_string(), retryable: e.retryable() }
            }
            HubAnswer::Refused(SyncRefusal::Other { status, code, message }) => ApiError::HubRefused {
                code,
                message: format!("{message} (HTTP {status})"),
                retryable: status == 429 || status >= 500,
            },
        }
    }
}

pub(crate) struct Client {
    agent: ureq::Agent,
    /// For the live stream: no overall deadline, but a read that waits past
    /// the hub's keep-alive means the connection is gone.
    stream_agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Client {
    fn new(base: &str, token: &str, ca_pem: Option<&str>) -> Result<Client, ApiError> {
        let mut config =
            ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(30)));
        let mut stream_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(30)))
            .timeout_recv_body(Some(STREAM_SILENCE));
        if let Some(pem) = ca_pem {
            let certs: Vec<_> = ureq::tls::parse_pem(pem.as_bytes())
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(ApiError::invalid("sync", "hub-ca", "holds no PEM certificate"));
            }
            // Only these: a hub with its own certificate is pinned to it.
            let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::new_with_certs(&certs)).build();
            config = config.tls_config(tls.clone());
            stream_config = stream_config.tls_config(tls);
        }
        Ok(Client {
            agent: config.build().into(),
            stream_agent: stream_config.build().into(),
            base: base.to_string(),
            auth: format!("Bearer {token}"),
        })
    }

    /// Open the hub's live stream (`GET /v1/sync/stream`), as lines.
    pub(crate) fn stream(&self) -> Result<impl std::io::BufRead + use<>, ApiError> {
        let response = self
            .stream_agent
            .get(&format!("{}/v1/sync/stream", self.base))
            .header("authorization", &self.auth)
            .header("accept", "text/event-stream")
            .call()
            .map_err(|e| ApiError::HubUnreachable(e.to_string()))?;
        if response.status().as_u16() != 200 {
            return Err(ApiError::HubUnreachable(format!("the live stream answered HTTP {}", response.status())));
        }
        Ok(std::io::BufReader::new(response.into_body().into_reader()))
    }

    fn get<A: serde::de::DeserializeOwned>(&self, path: &str) -> Result<A, HubAnswer> {
        let mut response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("authorization", &self.auth)
            .call()
            .map_err(|e| HubAnswer::Unreachable(e.to_string()))?;
        let text = response.body_mut().read_to_string().map_err(|e| HubAnswer::Unreachable(e.to_string()))?;
        match response.status().as_u16() {
            200 => serde_json::from_str(&text)
                .map_err(|_| HubAnswer::Unreachable(format!("the hub's answer to {path} could not be read"))),
            status => Err(HubAnswer::Refused(SyncRefusal::Other {
                status,
                code: "unknown".into(),
                message: format!("the hub answered {status}"),
            })),
        }
    }

    fn post<Q: Serialize, A: serde::de::DeserializeOwned>(&self, path: &str, body: &Q) -> Result<A, HubAnswer> {
        let json = serde_json::to_string(body).map_err(|e| HubAnswer::Unreachable(e.to_string()))?;
        let mut request = self.agent.post(&format!("{}{path}", self.base)).header("content-type", "application/json");
        // Enrolling has no token yet: the person's password is in the body.
        if self.auth != "Bearer " {
            request = request.header("authorization", &self.auth);
        }
        let mut response = request.send(&json).map_err(|e| HubAnswer::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| HubAnswer::Unreachable(e.to_string()))?;
        if status == 200 {
            return serde_json::from_str(&text)
                .map_err(|_| HubAnswer::Unreachable(format!("the hub's answer to {path} could not be read")));
        }
        if let Ok(e) = serde_json::from_str::<SyncError>(&text) {
            return Err(HubAnswer::Refused(SyncRefusal::Sync(e)));
        }
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        Err(HubAnswer::Refused(SyncRefusal::Other {
            status,
            code: v["code"].as_str().unwrap_or("unknown").to_string(),
            message: v["message"].as_str().unwrap_or("the hub refused").to_string(),
        }))
    }
}

//! What an operator sets on the hub (`beacon-hub config set KEY VALUE`):
//! the keys there are, what each accepts, and the values in force. Checked
//! here once, for the command line and for every reader (the delivery loop,
//! escalations filed with a handoff).
//!
//! - `smtp.url`: the mail server. `smtps://HOST:PORT` is TLS from the first
//!   byte; `smtp://HOST:PORT` requires STARTTLS, except to a loopback
//!   address, where it is plain unless `?tls=required` follows the port.
//!   `USER:PASSWORD@` before the host signs in.
//! - `smtp.from`: the address handoff mail comes from.
//! - `smtp.ca-file`: a PEM file with the certificate authority of a mail
//!   server whose certificate no public authority signed (an agency's own),
//!   trusted besides the public ones. Read at each attempt.
//! - `public-url`: the hub's address as a responder's phone reaches it; the
//!   links in mail and webhooks start with it.
//! - `ack-target.P1` … `ack-target.P4`: how long after a handoff its
//!   responder has to acknowledge before the hub escalates (`15m`, `2h`,
//!   `90s`, `1d`).
//! - `onscene-target.P1` … `onscene-target.P4`: how long after a handoff its
//!   responder has to report on scene, or `off`.
//!
//! The targets' defaults are the console's
//! ([`beacon_domain::triage::Targets::default`]); the hub counts them from
//! the handoff, since a responder cannot answer before it reaches them.

use beacon_domain::Priority;
use beacon_domain::delivery::check_email;

/// Why `config set` refused a value. Never quotes the value: it may be a
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting `{0}`: one of {KNOWN}")]
    Unknown(String),
    #[error("{key}: {why}")]
    Invalid { key: String, why: &'static str },
}

const KNOWN: &str = "smtp.url, smtp.from, smtp.ca-file, public-url, ack-target.P1…P4, onscene-target.P1…P4";

/// The keys `config list` shows, in order.
pub fn keys() -> Vec<String> {
    let mut keys = vec!["smtp.url".to_string(), "smtp.from".into(), "smtp.ca-file".into(), "public-url".into()];
    for p in Priority::ALL {
        keys.push(format!("ack-target.{p}"));
    }
    for p in Priority::ALL {
        keys.push(format!("onscene-target.{p}"));
    }
    keys
}

/// Check `value` for `key`; returns the value to store (trimmed, durations
/// written the one way).
pub fn check(key: &str, value: &str) -> Result<String, SettingError> {
    let value = value.trim();
    let invalid = |why| SettingError::Invalid { key: key.to_string(), why };
    match key {
        "smtp.url" => SmtpServer::parse(value).map(|_| value.to_string()).map_err(invalid),
        "smtp.from" => {
            check_email(value).map_err(|_| invalid("one address, name@domain"))?;
            Ok(value.to_string())
        }
        "smtp.ca-file" => {
            let pem = std::fs::read_to_string(value).map_err(|_| invalid(CA_FILE))?;
            if pem.contains("-----BEGIN CERTIFICATE-----") { Ok(value.to_string()) } else { Err(invalid(CA_FILE)) }
        }
        "public-url" => {
            let loopback = ["http://127.", "http://localhost", "http://[::1]"];
            let ok = value.len() <= 512
                && !value.chars().any(char::is_whitespace)
                && (value.starts_with("https://") && value.len() > 8 || loopback.iter().any(|p| value.starts_with(p)));
            if ok { Ok(value.trim_end_matches('/').to_string()) } else { Err(invalid(PUBLIC_URL)) }
        }
        _ => {
            let (kind, priority) = key.split_once('.').ok_or_else(|| SettingError::Unknown(key.to_string()))?;
            priority.parse::<Priority>().map_err(|_| SettingError::Unknown(key.to_string()))?;
            match kind {
                "ack-target" => parse_duration_ms(value).map(format_duration).ok_or_else(|| invalid(DURATION)),
                "onscene-target" if value == "off" => Ok("off".into()),
                "onscene-target" => {
                    parse_duration_ms(value).map(format_duration).ok_or_else(|| invalid(ONSCENE_DURATION))
                }
                _ => Err(SettingError::Unknown(key.to_string())),
            }
        }
    }
}

const CA_FILE: &str = "the path of a readable PEM file holding a certificate (-----BEGIN CERTIFICATE-----)";
const PUBLIC_URL: &str = "an https:// address (http:// only to a loopback address)";
const DURATION: &str = "a duration from 1s to 30d: 90s, 15m, 2h or 1d";
const ONSCENE_DURATION: &str = "a duration from 1s to 30d (90s, 15m, 2h, 1d), or off";

/// `90s`, `15m`, `2h`, `1d` → milliseconds (1 s to 30 days).
pub fn parse_duration_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.len().checked_sub(1)?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    let ms = number.checked_mul(unit_ms)?;
    (1_000..=30 * 86_400_000).contains(&ms).then_some(ms)
}

pub use beacon_domain::triage::format_duration;

/// How long a responder has, from the handoff, for one priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscalationTarget {
    pub ack_ms: i64,
    /// None: no on-scene target for this priority.
    pub onscene_ms: Option<i64>,
}

/// The mail server, from `smtp.url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub security: SmtpSecurity,
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpServer({:?} {}:{}", self.security, self.host, self.port)?;
        if let Some((user, _)) = &self.credentials {
            write!(f, " as {user}")?;
        }
        f.write_str(")")
    }
}

/// How the connection to the mail server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://` to another machine: STARTTLS, required.
    StartTls,
    /// `smtp://` to a loopback address: plain (a relay on the same machine),
    /// unless `?tls=required` asks for STARTTLS there too.
    PlainLoopback,
}

impl SmtpServer {
    pub fn parse(url: &str) -> Result<SmtpServer, &'static str> {
        const WHAT: &str = "smtps://HOST:PORT, or smtp://HOST:PORT (STARTTLS; plain only to a loopback address \
                            unless ?tls=required follows), optionally with USER:PASSWORD@ before the host";
        let (tls, rest) = match url.split_once("://") {
            Some(("smtps", rest)) => (true, rest),
            Some(("smtp", rest)) => (false, rest),
            _ => return Err(WHAT),
        };
        let (rest, starttls_required) = match rest.split_once('?') {
            None => (rest, false),
            Some((rest, "tls=required")) if !tls => (rest, true),
            Some(_) => return Err(WHAT),
        };
        let rest = rest.trim_end_matches('/');
        let (credentials, address) = match rest.rsplit_once('@') {
            Some((userinfo, address)) => {
                let (user, password) = userinfo.split_once(':').ok_or(WHAT)?;
                (Some((percent_decode(user).ok_or(WHAT)?, percent_decode(password).ok_or(WHAT)?)), address)
            }
            None => (None, rest),
        };
        let (host, port) = address.rsplit_once(':').ok_or(WHAT)?;
        let port: u16 = port.parse().map_err(|_| WHAT)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 || host.contains(['/', '?', '#', '@']) || host.chars().any(char::is_whitespace)
        {
            return Err(WHAT);
        }
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let security = match (tls, loopback && !starttls_required) {
            (true, _) => SmtpSecurity::Tls,
            (false, true) => SmtpSecurity::PlainLoopback,
            (false, false) => SmtpSecurity::StartTls,
        };
        Ok(SmtpServer { security, host: host.to_string(), port, credentials })
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The settings in force: what is set, else the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubSettings {
    pub smtp: Option<SmtpServer>,
    pub smtp_from: Option<String>,
    /// A PEM file of an authority trusted for the mail server.
    pub smtp_ca_file: Option<String>,
    pub public_url: Option<String>,
    targets: [EscalationTarget; 4],
}

impl Default for HubSettings {
    fn default() -> Self {
        let defaults = beacon_domain::triage::Targets::default();
        let minutes = |m: u32| i64::from(m) * 60_000;
        let targets = Priority::ALL.map(|p| {
            let t = defaults.for_priority(p);
            EscalationTarget { ack_ms: minutes(t.ack_minutes), onscene_ms: t.arrival_minutes.map(minutes) }
        });
        HubSettings { smtp: None, smtp_from: None, smtp_ca_file: None, public_url: None, targets }
    }
}

impl HubSettings {
    /// The settings stored (as [`check`] wrote them); a value that no longer
    /// reads is left at its default.
    pub fn from_pairs(pairs: &[(String, String)]) -> HubSettings {
        let mut s = HubSettings::default();
        for (key, value) in pairs {
            match key.as_str() {
                "smtp.url" => s.smtp = SmtpServer::parse(value).ok(),
                "smtp.from" => s.smtp_from = Some(value.clone()),
                "smtp.ca-file" => s.smtp_ca_file = Some(value.clone()),
                "public-url" => s.public_url = Some(value.clone()),
                _ => {
                    let Some((kind, priority)) = key.split_once('.') else { continue };
                    let Ok(p) = priority.parse::<Priority>() else { continue };
                    let target = &mut s.targets[p as usize];
                    match (kind, value.as_str()) {
                        ("onscene-target", "off") => target.onscene_ms = None,
                        ("onscene-target", v) => target.onscene_ms = parse_duration_ms(v).or(target.onscene_ms),
                        ("ack-target", v) => target.ack_ms = parse_duration_ms(v).unwrap_or(target.ack_ms),
                        _ => {}
                    }
                }
            }
        }
        s
    }

    pub fn target(&self, priority: Priority) -> EscalationTarget {
        self.targets[priority as usize]
    }

    /// What `config list` shows for `key`: the value, the password in
    /// `smtp.url` hidden; and whether it is the default.
    pub fn shown(pairs: &[(String, String)], key: &str) -> (String, bool) {
        if let Some((_, value)) = pairs.iter().find(|(k, _)| k == key) {
            let shown = match (key, value.split_once("://")) {
                ("smtp.url", Some((scheme, rest))) => match rest.rsplit_once('@') {
                    Some((userinfo, host)) => {
                        let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                        format!("{scheme}://{user}:••••@{host}")
                    }
                    None => value.clone(),
                },
                _ => value.clone(),
            };
            return (shown, false);
        }
        let defaults = HubSettings::default();
        let default = match key.split_once('.').and_then(|(k, p)| Some((k, p.parse::<Priority>().ok()?))) {
            Some(("ack-target", p)) => format_duration(defaults.target(p).ack_ms),
            Some(("onscene-target", p)) => defaults.target(p).onscene_ms.map_or("off".into(), format_duration),
            _ => "-".into(),
        };
        (default, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_write_one_way() {
        assert_eq!(parse_duration_ms("15m"), Some(900_000));
        assert_eq!(parse_duration_ms("90s"), Some(90_000));
        assert_eq!(parse_duration_ms("0s"), None, "at least a second");
        assert_eq!(parse_duration_ms("31d"), None, "at most 30 days");
        assert_eq!(parse_duration_ms("15"), None, "a unit is needed");
        assert_eq!(parse_duration_ms("m"), None);
        assert_eq!(check("ack-target.P1", "120s"), Ok("2m".into()));
        assert_eq!(check("onscene-target.p2", "off"), Ok("off".into()));
        assert!(matches!(check("ack-target.P1", "off"), Err(SettingError::Invalid { .. })));
        assert!(matches!(check("ack-target.P9", "1m"), Err(SettingError::Unknown(_))));
        assert!(matches!(check("smtp.port", "25"), Err(SettingError::Unknown(_))));
        let dir = tempfile::tempdir().unwrap();
        let (pem, other) = (dir.path().join("ca.pem"), dir.path().join("notes.txt"));
        std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        std::fs::write(&other, "not a certificate").unwrap();
        assert_eq!(check("smtp.ca-file", pem.to_str().unwrap()), Ok(pem.to_str().unwrap().into()));
        for bad in [other.to_str().unwrap(), "/nowhere/ca.pem"] {
            let err = check("smtp.ca-file", bad).unwrap_err().to_string();
            assert!(err.starts_with("smtp.ca-file: ") && !err.contains(bad), "{err}");
        }
    }

    #[test]
    fn plain_smtp_only_to_this_machine_and_never_a_password_shown() {
        let local = SmtpServer::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(local.security, SmtpSecurity::PlainLoopback);
        let required = SmtpServer::parse("smtp://127.0.0.1:2525?tls=required").unwrap();
        assert_eq!((required.security, required.port), (SmtpSecurity::StartTls, 2525));
        assert!(SmtpServer::parse("smtps://127.0.0.1:465?tls=required").is_err(), "TLS already");
        assert!(SmtpServer::parse("smtp://127.0.0.1:25?tls=off").is_err());
        let remote = SmtpServer::parse("smtp://mail.example.org:587").unwrap();
        assert_eq!(remote.security, SmtpSecurity::StartTls, "to another machine STARTTLS is required");
        let tls = SmtpServer::parse("smtps://beacon:p%40ss:word@mail.example.org:465").unwrap();
        assert_eq!(tls.security, SmtpSecurity::Tls);
        assert_eq!(tls.credentials, Some(("beacon".into(), "p@ss:word".into())));
        assert!(!format!("{tls:?}").contains("p@ss"));
        for bad in ["http://mail:25", "smtp://mail", "smtp://:25", "smtp://mail:0", "smtps://u@mail:465"] {
            assert!(SmtpServer::parse(bad).is_err(), "{bad}");
        }
        let pairs = vec![("smtp.url".to_string(), "smtps://beacon:secret@mail.example.org:465".to_string())];
        let (shown, default) = HubSettings::shown(&pairs, "smtp.url");
        assert!(!shown.contains("secret") && shown.contains("beacon") && !default, "{shown}");
        let err = check("smtp.url", "smtp://user:hunter2@mail").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn targets_default_to_the_consoles_and_follow_what_is_set() {
        let s = HubSettings::from_pairs(&[]);
        assert_eq!(s.target(Priority::P1), EscalationTarget { ack_ms: 15 * 60_000, onscene_ms: Some(60 * 60_000) });
        assert_eq!(s.target(Priority::P2).onscene_ms, None);
        let set = |k: &str, v: &str| (k.to_string(), check(k, v).unwrap());
        let s = HubSettings::from_pairs(&[set("ack-target.P1", "2s"), set("onscene-target.P1", "off")]);
        assert_eq!(s.target(Priority::P1), EscalationTarget { ack_ms: 2_000, onscene_ms: None });
        assert_eq!(HubSettings::shown(&[], "ack-target.P3"), ("1d".into(), true));
    }
}

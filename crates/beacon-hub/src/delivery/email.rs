//! The email channel: a short message through the hub's mail server
//! (`smtp.url`, `smtp.from`), over TLS or STARTTLS (plain only to a relay
//! on this machine). Subject and body say what a notice may
//! ([`super::notice`]) and carry the acknowledgement link; never a
//! victim's details, since mail passes through hands and lock screens.

use std::time::Duration;

use beacon_hub_db::settings::{SmtpSecurity, SmtpServer};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::notice::Notice;

/// How long one attempt may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The message: subject and plain-text body.
pub fn compose(notice: &Notice, link: Option<&str>) -> (String, String) {
    let opening = match notice.escalation {
        Some(_) => "A handoff in your troop missed its target, and Beacon escalated it to you.",
        None => "A case has been handed to you in Beacon.",
    };
    let mut body = format!(
        "{opening} This message carries no victim details.\n\n{}\n",
        notice.lines().iter().map(|(label, value)| format!("{label}: {value}")).collect::<Vec<_>>().join("\n")
    );
    match link {
        Some(link) => body.push_str(&format!(
            "\nAcknowledge it, and later report on scene, here (this link is for this case only, and expires in 24 hours):\n{link}\n"
        )),
        None if notice.escalation.is_some() => body.push_str("\nOpen the case in Beacon, or call the dispatcher.\n"),
        None => body.push_str("\nAcknowledge it in Beacon, or call the dispatcher.\n"),
    }
    (format!("Beacon: {}", notice.subject()), body)
}

/// What the mail server made of the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// It accepted the message (the reply code).
    Accepted(u16),
    /// Try again (a 4xx reply, or the server could not be reached).
    Failed(String),
    /// A 5xx reply, or an address it cannot take: no retry mends it.
    Refused(String),
}

/// How the connection is protected: the public authorities, and the
/// operator's own (`smtp.ca-file`, its PEM text) when set.
fn tls(server: &SmtpServer, ca_pem: Option<&[u8]>) -> Result<TlsParameters, Answer> {
    let mut builder = TlsParameters::builder(server.host.clone());
    if let Some(pem) = ca_pem {
        let ca = Certificate::from_pem(pem).map_err(|_| Answer::Refused("smtp.ca-file holds no certificate".into()))?;
        builder = builder.add_root_certificate(ca);
    }
    builder.build_rustls().map_err(|_| Answer::Refused("the mail server's name does not suit TLS".into()))
}

/// Send the message; blocking (run it off the async runtime). `ca_pem`:
/// the contents of `smtp.ca-file`, if set.
pub fn send(server: &SmtpServer, ca_pem: Option<&[u8]>, from: &str, to: &str, subject: &str, body: &str) -> Answer {
    let (Ok(from), Ok(to)) = (from.parse::<Mailbox>(), to.parse::<Mailbox>()) else {
        return Answer::Refused("an address does not read".into());
    };
    let message = match Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string())
    {
        Ok(m) => m,
        Err(_) => return Answer::Refused("the message could not be built".into()),
    };
    let protection = match server.security {
        SmtpSecurity::Tls => tls(server, ca_pem).map(Tls::Wrapper),
        SmtpSecurity::StartTls => tls(server, ca_pem).map(Tls::Required),
        SmtpSecurity::PlainLoopback => Ok(Tls::None),
    };
    let protection = match protection {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    // "Dangerous" only names a builder without TLS preset: `protection` sets it.
    let mut builder =
        SmtpTransport::builder_dangerous(&server.host).port(server.port).tls(protection).timeout(Some(TIMEOUT));
    if let Some((user, password)) = &server.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    match builder.build().send(&message) {
        Ok(response) => Answer::Accepted(u16::from(response.code())),
        // Only the kind of failure and the server's code: never the message.
        Err(e) if e.is_permanent() => Answer::Refused(format!("refused{}", code(&e))),
        Err(e) if e.is_transient() => Answer::Failed(format!("deferred{}", code(&e))),
        Err(e) if e.is_timeout() => Answer::Failed("timed out".into()),
        Err(e) if e.is_tls() => Answer::Failed("TLS failed".into()),
        Err(e) => Answer::Failed(tls_failure(&e).unwrap_or("the mail server could not be reached").into()),
    }
}

/// A TLS failure that lettre reports as a connection error (rustls's error
/// inside an I/O error), named: a certificate nobody trusts is the
/// operator's to mend (`smtp.ca-file`), not the network's.
fn tls_failure(e: &lettre::transport::smtp::Error) -> Option<&'static str> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let rustls = s.downcast_ref::<rustls::Error>().or_else(|| {
            s.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|i| i.downcast_ref::<rustls::Error>())
        });
        if let Some(r) = rustls {
            return Some(match r {
                rustls::Error::InvalidCertificate(_) => {
                    "TLS failed: the mail server's certificate is not trusted (smtp.ca-file names its authority)"
                }
                _ => "TLS failed",
            });
        }
        source = s.source();
    }
    None
}

fn code(e: &lettre::transport::smtp::Error) -> String {
    e.status().map(|c| format!(" (SMTP {})", u16::from(c))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_domain::{Priority, Role};

    #[test]
    fn the_message_names_the_case_not_the_victim() {
        let notice = Notice {
            short_id: "0193ab12".into(),
            role: Role::Trooper,
            responder_name: "Tpr. Ada Reyes".into(),
            priority: Some(Priority::P1),
            jurisdiction: Some("Greene · Troop D".into()),
            place_type: Some("truck stop".into()),
            escalation: None,
        };
        let (subject, body) = compose(&notice, Some("https://hub.example.org/ack/abc"));
        assert_eq!(subject, "Beacon: P1 handoff · Greene · Troop D · truck stop · case 0193ab12");
        assert!(body.contains("https://hub.example.org/ack/abc") && body.contains("Where: Greene · Troop D"), "{body}");
        let (_, without) = compose(&notice, None);
        assert!(without.contains("Acknowledge it in Beacon"));
    }
}

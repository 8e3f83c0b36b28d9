//! Delivering handoffs to responders' webhooks, end to end on loopback: a
//! real hub database (a SQLite file, and PostgreSQL), the hub's delivery
//! loop, and a real HTTP receiver that checks each signature with the
//! `standardwebhooks` crate (not the hub's own code).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use beacon_domain::delivery::Outcome;
use beacon_domain::event::EventBody;
use beacon_domain::{CaseId, DeviceId};
use beacon_hub::delivery::{DeliveryConfig, run};
use beacon_hub_db::testing::{databases, referral_and_handoff, until};
use beacon_hub_db::{HubDb, PostgresHubDb, ResponderChannels, TokenScope, now_ms};
use beacon_sync::Cursor;
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// A second secret, as during a rotation.
const NEW_SECRET: &str = "whsec_dGhlIG5ldyBzZWNyZXQgb2YgdGhlIHJlY2VpdmVy";

/// What the receiver got, and how it answers.
#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<(HeaderMap, String)>>,
    /// Status to answer, and a Retry-After in seconds.
    answer: Mutex<(u16, Option<u32>)>,
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: String) -> (StatusCode, HeaderMap) {
    r.got.lock().unwrap().push((headers, body));
    let (status, retry_after) = *r.answer.lock().unwrap();
    let mut out = HeaderMap::new();
    if let Some(secs) = retry_after {
        out.insert("retry-after", secs.to_string().parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), out)
}

/// Serve the receiver on `listener`.
fn serve_receiver(listener: tokio::net::TcpListener, receiver: Arc<Receiver>) {
    let app = Router::new().route("/hook", post(receive)).with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

/// The delivery loop, quick to retry.
fn start_delivery(db: &Arc<dyn HubDb>) -> tokio::task::JoinHandle<()> {
    let config = DeliveryConfig { retry_base_ms: 300, lease_ms: 30_000, poll_ms: 100 };
    tokio::spawn(run(Arc::clone(db), config, format!("test-{}", uuid_like())))
}

fn uuid_like() -> String {
    DeviceId::new_random().to_string()
}

fn channels(responder: &str, url: &str, secrets: &[&str]) -> ResponderChannels {
    ResponderChannels {
        responder_id: responder.into(),
        webhook_url: Some(url.into()),
        webhook_secrets: secrets.iter().map(|s| s.to_string()).collect(),
        updated_at: now_ms(),
        ..Default::default()
    }
}

/// Every `delivery_attempted` event of the case in the hub's stream.
async fn attempts(db: &Arc<dyn HubDb>, case: CaseId) -> Vec<(u32, Outcome, Option<String>, Option<i64>)> {
    let mut out = Vec::new();
    let mut cursor = Cursor::default();
    loop {
        let page = db.pull(cursor, 500, DeviceId::new_random(), TokenScope::All).await.unwrap();
        for e in &page.events {
            if e.case_id != Some(case) {
                continue;
            }
            assert!(e.is_intact(), "the hub's events are chained");
            if let Ok(EventBody::DeliveryAttempted { attempt, outcome, detail, next_attempt_at, .. }) = e.decode_body()
            {
                out.push((attempt, outcome, detail, next_attempt_at));
            }
        }
        if !page.more {
            return out;
        }
        cursor = page.next;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handoff_reaches_the_webhook_signed_with_only_what_may_be_shared() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let receiver = Arc::new(Receiver { answer: Mutex::new((200, None)), ..Default::default() });
        serve_receiver(listener, Arc::clone(&receiver));
        db.set_channels(channels("T-1", &url, &[SECRET, NEW_SECRET])).await.unwrap();
        let delivery = start_delivery(&db);

        let (case, events) = referral_and_handoff(DeviceId::new_random(), &format!("DLV-1-{}", db.backend()), "T-1");
        let device = events[0].device;
        db.push(device, TokenScope::All, events, now_ms()).await.unwrap();
        until(10, async || !receiver.got.lock().unwrap().is_empty()).await;
        until(10, async || !attempts(&db, case).await.is_empty()).await;
        delivery.abort();

        let (headers, body) = receiver.got.lock().unwrap()[0].clone();
        // Checked by the Standard Webhooks library, with either secret.
        for secret in [SECRET, NEW_SECRET] {
            standardwebhooks::Webhook::new(secret).unwrap().verify(body.as_bytes(), &headers).expect("signature");
        }
        assert!(
            standardwebhooks::Webhook::new("whsec_c29tZSBvdGhlciBzZWNyZXQgb2YgMjQgYnl0ZXM=")
                .unwrap()
                .verify(body.as_bytes(), &headers)
                .is_err(),
            "another secret does not verify"
        );
        let payload: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(payload["type"], json!("handoff.created"));
        let data = &payload["data"];
        assert_eq!(data["case_id"], json!(case));
        assert_eq!(data["responder_id"], json!("T-1"));
        assert_eq!(data["priority"], json!("P2"));
        assert_eq!(data["referral"]["narrative"], json!("workers locked in at night"));
        assert_eq!(data["referral"]["location"]["city"], json!("Sedalia"));
        // Withheld without consent, and the reporter never without contact_ok.
        assert!(
            !body.contains("scar on the left hand") && !body.contains("Dana Witness") && !body.contains("6605550100")
        );
        assert!(data["withheld_fields"].as_array().unwrap().contains(&json!("potential_victims.description")));
        assert_eq!(headers["webhook-id"].to_str().unwrap(), data["delivery_id"].as_str().unwrap());

        let recorded = attempts(&db, case).await;
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        assert_eq!((recorded[0].0, recorded[0].1, recorded[0].2.as_deref()), (1, Outcome::Delivered, Some("HTTP 200")));
        assert_eq!(db.next_delivery_due().await.unwrap(), None, "nothing left owed");
        assert_eq!(receiver.got.lock().unwrap().len(), 1, "delivered once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_a_while_gets_the_handoff_once_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        // A port with nothing listening, until the receiver starts on it.
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let url = format!("http://{addr}/hook");
        db.set_channels(channels("T-2", &url, &[SECRET])).await.unwrap();
        let delivery = start_delivery(&db);
        let (case, events) = referral_and_handoff(DeviceId::new_random(), &format!("DLV-2-{}", db.backend()), "T-2");
        db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();

        until(10, async || attempts(&db, case).await.len() >= 2).await;
        let failed = attempts(&db, case).await;
        for (i, (attempt, outcome, detail, next)) in failed.iter().enumerate() {
            assert_eq!((*attempt, *outcome), (i as u32 + 1, Outcome::Failed), "{failed:?}");
            assert_eq!(detail.as_deref(), Some("connection refused"));
            assert!(next.is_some_and(|t| t > now_ms() - 10_000), "the next try is said");
        }

        // Back up, answering 503 with Retry-After once, then 200.
        let receiver = Arc::new(Receiver { answer: Mutex::new((503, Some(1))), ..Default::default() });
        serve_receiver(tokio::net::TcpListener::bind(addr).await.unwrap(), Arc::clone(&receiver));
        until(15, async || !receiver.got.lock().unwrap().is_empty()).await;
        let refused_at = std::time::Instant::now();
        *receiver.answer.lock().unwrap() = (200, None);
        until(15, async || attempts(&db, case).await.last().is_some_and(|a| a.1 == Outcome::Delivered)).await;
        delivery.abort();
        assert!(refused_at.elapsed() >= Duration::from_millis(900), "Retry-After was honoured");

        let got = receiver.got.lock().unwrap().clone();
        assert_eq!(got.len(), 2, "one refused with 503, one delivered");
        let ids: Vec<&str> = got.iter().map(|(h, _)| h["webhook-id"].to_str().unwrap()).collect();
        assert_eq!(ids[0], ids[1], "a retry carries the same webhook-id");
        let recorded = attempts(&db, case).await;
        let last = recorded.last().unwrap();
        assert_eq!(last.0 as usize, recorded.len(), "every attempt is recorded, in order");
        assert!(recorded.iter().any(|a| a.2.as_deref() == Some("HTTP 503")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_answers_gone_is_disabled_and_the_case_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let receiver = Arc::new(Receiver { answer: Mutex::new((410, None)), ..Default::default() });
        serve_receiver(listener, Arc::clone(&receiver));
        db.set_channels(channels("T-3", &url, &[SECRET])).await.unwrap();
        let delivery = start_delivery(&db);
        let device = DeviceId::new_random();
        let (case, events) = referral_and_handoff(device, &format!("DLV-3-{}", db.backend()), "T-3");
        db.push(device, TokenScope::All, events, now_ms()).await.unwrap();
        until(10, async || !attempts(&db, case).await.is_empty()).await;
        let recorded = attempts(&db, case).await;
        assert_eq!(recorded[0].1, Outcome::Gone);
        assert!(db.channels("T-3").await.unwrap().unwrap().webhook_disabled_at.is_some());

        // The next handoff to them goes to no disabled endpoint.
        let (other, events) = referral_and_handoff(DeviceId::new_random(), &format!("DLV-4-{}", db.backend()), "T-3");
        db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        delivery.abort();
        assert!(attempts(&db, other).await.is_empty());
        assert_eq!(receiver.got.lock().unwrap().len(), 1);
        assert_eq!(db.next_delivery_due().await.unwrap(), None);
    }
}

/// The sample receiver in docs/ verifies what the hub sends, and refuses
/// what it did not sign: the documentation's code is run, not just read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_sample_receiver_accepts_the_hubs_deliveries_and_refuses_forgeries() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let db = databases(dir.path()).await.remove(0);
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/webhook-receiver.py");
    let mut child = tokio::process::Command::new("python3")
        .arg(sample)
        .arg(addr.to_string())
        .env("WEBHOOK_SECRET", SECRET)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs the sample receiver");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    until(10, async || tokio::net::TcpStream::connect(addr).await.is_ok()).await;

    // A forgery: signed with another secret.
    let forged = tokio::task::spawn_blocking(move || {
        let other = ["whsec_c29tZSBvdGhlciBzZWNyZXQgb2YgMjQgYnl0ZXM=".to_string()];
        beacon_hub::delivery::webhook::post(&format!("http://{addr}/"), "msg_forged", now_ms() / 1000, "{}", &other)
    })
    .await
    .unwrap();
    assert_eq!(
        forged,
        beacon_hub::delivery::webhook::Answer::Failed { detail: "HTTP 401".into(), retry_after_ms: None }
    );

    db.set_channels(channels("T-5", &format!("http://{addr}/hook"), &[SECRET])).await.unwrap();
    let delivery = start_delivery(&db);
    let (case, events) = referral_and_handoff(DeviceId::new_random(), "DLV-SAMPLE-1", "T-5");
    db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await.unwrap().unwrap().unwrap();
    let accepted: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(accepted["handoff"]["data"]["case_id"], json!(case));
    until(10, async || attempts(&db, case).await.iter().any(|a| a.1 == Outcome::Delivered)).await;
    delivery.abort();
    assert_eq!(attempts(&db, case).await[0].2.as_deref(), Some("HTTP 204"));
}

/// Two hub processes on one PostgreSQL database (two connection pools,
/// two delivery loops): each handoff is delivered once, whichever process
/// filed it, because a delivery is claimed in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hub_processes_on_one_postgres_database_deliver_each_handoff_once() {
    let Some(url) = beacon_hub_db::testing::fresh_postgres_database().await else { return };
    let a: Arc<dyn HubDb> = Arc::new(PostgresHubDb::connect(&url, 4).unwrap());
    let b: Arc<dyn HubDb> = Arc::new(PostgresHubDb::connect(&url, 4).unwrap());
    a.migrate().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let receiver = Arc::new(Receiver { answer: Mutex::new((200, None)), ..Default::default() });
    serve_receiver(listener, Arc::clone(&receiver));
    a.set_channels(channels("T-6", &hook, &[SECRET])).await.unwrap();
    let loops = [start_delivery(&a), start_delivery(&b)];
    let mut cases = Vec::new();
    for i in 0..20 {
        let db = if i % 2 == 0 { &a } else { &b };
        let (case, events) = referral_and_handoff(DeviceId::new_random(), &format!("DLV-RACE-{i}"), "T-6");
        db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();
        cases.push(case);
    }
    until(20, async || receiver.got.lock().unwrap().len() >= 20).await;
    until(20, async || a.next_delivery_due().await.unwrap().is_none()).await;
    // Time for a double delivery to show, were there one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for l in loops {
        l.abort();
    }
    let ids: Vec<String> =
        receiver.got.lock().unwrap().iter().map(|(h, _)| h["webhook-id"].to_str().unwrap().to_string()).collect();
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (20, 20), "each handoff once");
    for case in cases {
        let recorded = attempts(&a, case).await;
        assert_eq!(recorded.len(), 1, "one attempt recorded: {recorded:?}");
        assert_eq!(recorded[0].1, Outcome::Delivered);
    }
}

/// A real SMTP server on loopback (aiosmtpd, Debian's python3-aiosmtpd),
/// keeping each message it accepts in a maildir.
struct MailServer {
    child: std::process::Child,
    maildir: std::path::PathBuf,
}

impl MailServer {
    async fn start(addr: std::net::SocketAddr, maildir: std::path::PathBuf) -> MailServer {
        MailServer::start_with(addr, maildir, &[]).await
    }

    /// With `tls`: aiosmtpd's `--tlscert C --tlskey K` (STARTTLS, which it
    /// then requires) or `--smtpscert C --smtpskey K` (TLS from the start).
    async fn start_with(
        addr: std::net::SocketAddr,
        maildir: std::path::PathBuf,
        tls: &[&std::ffi::OsStr],
    ) -> MailServer {
        let child = std::process::Command::new("aiosmtpd")
            .args(["-n", "-l", &addr.to_string()])
            .args(tls)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .expect("aiosmtpd (apt-get install python3-aiosmtpd; scripts/test.sh installs it)");
        until(20, async || tokio::net::TcpStream::connect(addr).await.is_ok()).await;
        MailServer { child, maildir }
    }

    /// Every message accepted, as text.
    fn messages(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else { return Vec::new() };
        dir.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn set(db: &Arc<dyn HubDb>, key: &str, value: &str) {
    let value = beacon_hub_db::settings::check(key, value).unwrap();
    db.set_setting(key, &value).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handoff_reaches_the_responders_mail_once_the_server_is_up_naming_the_case_not_the_victim() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let responder = format!("T-M-{}", db.backend());
        let channels = ResponderChannels {
            responder_id: responder.clone(),
            email: Some("trooper.one@example.org".into()),
            updated_at: now_ms(),
            ..Default::default()
        };
        db.set_channels(channels).await.unwrap();
        let delivery = start_delivery(&db);
        let (case, events) =
            referral_and_handoff(DeviceId::new_random(), &format!("MAIL-{}", db.backend()), &responder);
        db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();

        // No mail server yet: the attempt fails, says why, and is retried.
        until(10, async || !attempts(&db, case).await.is_empty()).await;
        let first = attempts(&db, case).await[0].clone();
        assert_eq!(
            (first.1, first.2.as_deref()),
            (Outcome::Failed, Some("no mail server is set (smtp.url and smtp.from)"))
        );

        // A server that is set but down: refused connections, retried.
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        set(&db, "smtp.url", &format!("smtp://{addr}")).await;
        set(&db, "smtp.from", "beacon@hub.example.org").await;
        set(&db, "public-url", "https://hub.example.org/").await;
        until(10, async || attempts(&db, case).await.iter().any(|a| a.2.as_deref() != first.2.as_deref())).await;

        let server = MailServer::start(addr, dir.path().join(format!("mail-{}", db.backend()))).await;
        until(20, async || attempts(&db, case).await.last().is_some_and(|a| a.1 == Outcome::Accepted)).await;
        delivery.abort();
        let recorded = attempts(&db, case).await;
        assert_eq!(recorded.last().unwrap().2.as_deref(), Some("SMTP 250"));
        assert_eq!(recorded.iter().filter(|a| a.1 == Outcome::Accepted).count(), 1, "{recorded:?}");
        assert!(recorded.iter().all(|a| a.1 == Outcome::Failed || a.1 == Outcome::Accepted), "{recorded:?}");

        let messages = server.messages();
        assert_eq!(messages.len(), 1, "accepted once");
        let message = &messages[0];
        let short = case.short();
        assert!(message.contains("Subject: Beacon: P2 handoff"), "{message}");
        assert!(message.contains(&format!("case {short}")), "{message}");
        assert!(message.contains("X-RcptTo: trooper.one@example.org"), "{message}");
        assert!(message.contains("https://hub.example.org/ack/"), "the link to acknowledge: {message}");
        for secret in ["Dana Witness", "6605550100", "scar on the left hand", "locked in", "Sedalia"] {
            assert!(!message.contains(secret), "no victim or reporter detail in mail: {secret}");
        }
    }
}

/// Mail to a server with a certificate of the operator's own authority:
/// refused until `smtp.ca-file` names it, then over STARTTLS (which the
/// server requires before it takes a message) and over TLS from the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_starttls_or_tls_once_the_servers_authority_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("mail.crt"), dir.path().join("mail.key"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    for db in databases(dir.path()).await {
        let responder = format!("T-TLS-{}", db.backend());
        let channels = ResponderChannels {
            responder_id: responder.clone(),
            email: Some("trooper.tls@example.org".into()),
            updated_at: now_ms(),
            ..Default::default()
        };
        db.set_channels(channels).await.unwrap();
        set(&db, "smtp.from", "beacon@hub.example.org").await;
        let delivery = start_delivery(&db);
        let handoff = async |n: u32| {
            let id = format!("MAIL-TLS-{n}-{}", db.backend());
            let (case, events) = referral_and_handoff(DeviceId::new_random(), &id, &responder);
            db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();
            case
        };

        // STARTTLS, required even to this machine; the certificate unknown: not sent.
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let starttls = [std::ffi::OsStr::new("--tlscert"), cert.as_os_str(), "--tlskey".as_ref(), key.as_os_str()];
        let server =
            MailServer::start_with(addr, dir.path().join(format!("starttls-{}", db.backend())), &starttls).await;
        set(&db, "smtp.url", &format!("smtp://{addr}?tls=required")).await;
        let case = handoff(1).await;
        until(10, async || !attempts(&db, case).await.is_empty()).await;
        let first = attempts(&db, case).await[0].clone();
        assert_eq!(first.1, Outcome::Failed);
        assert!(first.2.as_deref().is_some_and(|d| d.contains("certificate is not trusted")), "{first:?}");
        assert!(server.messages().is_empty());
        // The operator names the authority: the retry goes through.
        set(&db, "smtp.ca-file", cert.to_str().unwrap()).await;
        until(20, async || attempts(&db, case).await.last().is_some_and(|a| a.1 == Outcome::Accepted)).await;
        assert_eq!(server.messages().len(), 1);
        assert!(server.messages()[0].contains("X-RcptTo: trooper.tls@example.org"));

        // TLS from the first byte.
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let smtps = [std::ffi::OsStr::new("--smtpscert"), cert.as_os_str(), "--smtpskey".as_ref(), key.as_os_str()];
        let server = MailServer::start_with(addr, dir.path().join(format!("smtps-{}", db.backend())), &smtps).await;
        set(&db, "smtp.url", &format!("smtps://{addr}")).await;
        let case = handoff(2).await;
        until(20, async || attempts(&db, case).await.last().is_some_and(|a| a.1 == Outcome::Accepted)).await;
        assert_eq!(server.messages().len(), 1);
        delivery.abort();
    }
}

/// Real time, short targets: the hub's own loop escalates a handoff nobody
/// acknowledged about a second after its deadline at most, tells the
/// supervisor's webhook, and delivers its new handoff to the next trooper.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unacknowledged_handoff_escalates_on_time_to_the_supervisor_and_the_next_trooper() {
    use beacon_hub_db::testing::{event_after, on_duty};
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()).await {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let receiver = Arc::new(Receiver { answer: Mutex::new((200, None)), ..Default::default() });
        serve_receiver(listener, Arc::clone(&receiver));
        let b = db.backend();
        let (first, next, supervisor) = (format!("E-T1-{b}"), format!("E-T2-{b}"), format!("E-S-{b}"));
        for id in [&first, &next, &supervisor] {
            db.set_channels(channels(id, &url, &[SECRET])).await.unwrap();
        }
        set(&db, "ack-target.P2", "2s").await;
        let delivery = start_delivery(&db);

        let device = DeviceId::new_random();
        let (case, mut events) = referral_and_handoff(device, &format!("ESC-RT-{b}"), &first);
        for (id, role) in [(&first, beacon_domain::Role::Trooper), (&next, beacon_domain::Role::Trooper)] {
            let body = EventBody::ResponderUpserted { responder: on_duty(id, role) };
            events.push(event_after(events.last().unwrap(), None, &body));
        }
        let body = EventBody::ResponderUpserted { responder: on_duty(&supervisor, beacon_domain::Role::Supervisor) };
        events.push(event_after(events.last().unwrap(), None, &body));
        let pushed_at = now_ms();
        db.push(device, TokenScope::All, events, pushed_at).await.unwrap();

        let for_whom = |kind: &str, who: &str| {
            receiver.got.lock().unwrap().iter().any(|(_, body)| {
                let v: Value = serde_json::from_str(body).unwrap();
                v["type"] == json!(kind)
                    && (v["data"]["responder_id"] == json!(who) || v["data"]["supervisor_id"] == json!(who))
            })
        };
        until(15, async || for_whom("handoff.escalated", &supervisor) && for_whom("handoff.created", &next)).await;
        delivery.abort();

        let page = db.pull(Cursor::default(), 1000, DeviceId::new_random(), TokenScope::All).await.unwrap();
        let escalated: Vec<(i64, i64)> = page
            .events
            .iter()
            .filter(|e| e.case_id == Some(case))
            .filter_map(|e| match e.decode_body().unwrap() {
                EventBody::Escalated { due_at, .. } => Some((due_at, beacon_domain::Hlc::unpack(e.hlc).wall_ms)),
                _ => None,
            })
            .collect();
        assert_eq!(escalated.len(), 1, "once: {escalated:?}");
        let (due_at, fired_at) = escalated[0];
        assert!(due_at >= pushed_at + 2_000, "counted from the handoff's arrival");
        // How soon is measured by `beacon-bench --escalation`; here only that it is
        // not early and not lost in a poll (a loaded machine may take a moment).
        assert!(fired_at >= due_at && fired_at - due_at < 5_000, "fired {} ms after its deadline", fired_at - due_at);
        let escalation = receiver
            .got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| serde_json::from_str::<Value>(body).unwrap())
            .find(|v| v["type"] == json!("handoff.escalated"))
            .unwrap();
        assert_eq!(escalation["data"]["missed_by"]["responder_id"], json!(first));
        assert_eq!(escalation["data"]["handed_to"], json!(format!("{next} name")));
        let text = escalation.to_string();
        assert!(!text.contains("workers locked in") && !text.contains("Dana Witness"), "a notice, not the case");
    }
}

/// Two hub processes' loops on one PostgreSQL database, racing for the same
/// deadlines in real time: each missed handoff is escalated exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hub_processes_on_one_postgres_database_escalate_each_missed_handoff_once() {
    let Some(url) = beacon_hub_db::testing::fresh_postgres_database().await else { return };
    let a: Arc<dyn HubDb> = Arc::new(PostgresHubDb::connect(&url, 4).unwrap());
    let b: Arc<dyn HubDb> = Arc::new(PostgresHubDb::connect(&url, 4).unwrap());
    a.migrate().await.unwrap();
    set(&a, "ack-target.P2", "1s").await;
    let loops = [start_delivery(&a), start_delivery(&b)];
    let mut cases = Vec::new();
    for i in 0..10 {
        let db = if i % 2 == 0 { &a } else { &b };
        let (case, events) = referral_and_handoff(DeviceId::new_random(), &format!("ESC-RACE-{i}"), "T-7");
        db.push(events[0].device, TokenScope::All, events, now_ms()).await.unwrap();
        cases.push(case);
    }
    let escalations = async |case: CaseId| {
        let page = a.pull(Cursor::default(), 1000, DeviceId::new_random(), TokenScope::All).await.unwrap();
        page.events.iter().filter(|e| e.case_id == Some(case) && e.kind().as_deref() == Some("escalated")).count()
    };
    until(20, async || a.next_escalation_due().await.unwrap().is_none()).await;
    // Time for a second firing to show, were there one.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for l in loops {
        l.abort();
    }
    for case in cases {
        assert_eq!(escalations(case).await, 1, "escalated once");
    }
}

//! `beacon-bench --delivery`: through the hub's delivery loop, on loopback,
//! each beside its floor measured in the same run:
//!
//! - a handoff pushed to the hub over HTTP → the responder's webhook
//!   receiving it (floor: a payload-sized POST straight to the receiver);
//! - a handoff pushed → the mail server (aiosmtpd, a real SMTP server)
//!   having accepted and stored it (floor: the same message sent straight
//!   to it with the hub's own mail code);
//! - a deadline passing → the hub's `escalated` event (how late it fires).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use beacon_api::domain::DeviceId;
use beacon_api::domain::Hlc;
use beacon_api::domain::event::EventBody;
use beacon_hub::delivery::email;
use beacon_hub_db::settings::SmtpServer;
use beacon_hub_db::testing::referral_and_handoff;
use beacon_hub_db::{HubDb, PostgresHubDb, ResponderChannels, SqliteHubDb, TokenScope, now_ms};
use beacon_sync::PushRequest;
use tokio::sync::mpsc;

use crate::hub::{Served, fresh_postgres, serve};
use crate::live::percentile;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A receiver on loopback that reports each request's arrival.
fn receiver(runtime: &tokio::runtime::Runtime) -> Result<(String, mpsc::UnboundedReceiver<Instant>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let app = Router::new()
            .route(
                "/hook",
                post(|State(tx): State<mpsc::UnboundedSender<Instant>>, _body: String| async move {
                    let _ = tx.send(Instant::now());
                    "ok"
                }),
            )
            .with_state(tx);
        tokio::spawn(async move { axum::serve(listener, app).await });
        anyhow::Ok(url)
    })?;
    Ok((url, rx))
}

/// Latencies (ms) of `n` handoffs, each pushed over HTTP and waited for at the receiver.
fn handoffs(
    runtime: &tokio::runtime::Runtime,
    served: &Served,
    arrivals: &mut mpsc::UnboundedReceiver<Instant>,
    n: usize,
) -> Result<Vec<f64>> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let device = DeviceId::new_random();
        let (_, events) = referral_and_handoff(device, &format!("BENCH-DLV-{i}-{}", now_ms()), "T-BENCH");
        let body = serde_json::to_string(&PushRequest { device, events })?;
        let t = Instant::now();
        crate::hub::push(&agent, &served.url, &served.device, &body)?;
        let arrived = runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), arrivals.recv()).await })
            .context("no webhook within 10 s")?
            .context("the receiver stopped")?;
        out.push(arrived.duration_since(t).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// The floor: the same receiver, POSTed to directly with a payload-sized body.
fn direct(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    arrivals: &mut mpsc::UnboundedReceiver<Instant>,
    n: usize,
) -> Result<Vec<f64>> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let body = "x".repeat(1500);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        agent.post(url).send(&body)?;
        let arrived = runtime.block_on(arrivals.recv()).context("the receiver stopped")?;
        out.push(arrived.duration_since(t).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// A real SMTP server on loopback (aiosmtpd, Debian's python3-aiosmtpd),
/// storing each message it accepts in a maildir.
struct MailServer {
    child: std::process::Child,
    url: String,
    maildir: std::path::PathBuf,
}

impl MailServer {
    fn start(maildir: std::path::PathBuf) -> Result<MailServer> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let child = std::process::Command::new("aiosmtpd")
            .args(["-n", "-l", &addr.to_string(), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .context("aiosmtpd (apt-get install python3-aiosmtpd)")?;
        let start = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            anyhow::ensure!(start.elapsed() < Duration::from_secs(20), "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(MailServer { child, url: format!("smtp://{addr}"), maildir })
    }

    fn stored(&self) -> usize {
        std::fs::read_dir(self.maildir.join("new")).map_or(0, |d| d.count())
    }

    /// Wait (polling every 0.2 ms) until more than `count` messages are stored.
    fn wait_past(&self, count: usize) -> Result<Instant> {
        let start = Instant::now();
        while self.stored() <= count {
            anyhow::ensure!(start.elapsed() < Duration::from_secs(10), "no mail within 10 s");
            std::thread::sleep(Duration::from_micros(200));
        }
        Ok(Instant::now())
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Latencies (ms) of `n` handoffs to a responder reached by mail.
fn mails(served: &Served, mail: &MailServer, n: usize) -> Result<Vec<f64>> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let device = DeviceId::new_random();
        let (_, events) = referral_and_handoff(device, &format!("BENCH-MAIL-{i}-{}", now_ms()), "T-MAIL");
        let body = serde_json::to_string(&PushRequest { device, events })?;
        let before = mail.stored();
        let t = Instant::now();
        crate::hub::push(&agent, &served.url, &served.device, &body)?;
        out.push(mail.wait_past(before)?.duration_since(t).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// The floor: the hub's mail code sending straight to the server.
fn direct_mails(mail: &MailServer, n: usize) -> Result<Vec<f64>> {
    let server = SmtpServer::parse(&mail.url).map_err(anyhow::Error::msg)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let before = mail.stored();
        let t = Instant::now();
        let answer = email::send(&server, None, "beacon@example.org", "trooper@example.org", "Beacon: P2 handoff", "x");
        anyhow::ensure!(matches!(answer, email::Answer::Accepted(_)), "the mail server refused: {answer:?}");
        out.push(mail.wait_past(before)?.duration_since(t).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// How late (ms) each of `n` one-second deadlines fires: handoffs pushed
/// 50 ms apart, the hub's `escalated` events read back.
fn escalations(runtime: &tokio::runtime::Runtime, db: &Arc<dyn HubDb>, served: &Served, n: usize) -> Result<Vec<f64>> {
    runtime.block_on(db.set_setting("ack-target.P2", "1s"))?;
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut cases = std::collections::HashSet::new();
    for i in 0..n {
        let device = DeviceId::new_random();
        let (case, events) = referral_and_handoff(device, &format!("BENCH-ESC-{i}-{}", now_ms()), "T-ESC");
        cases.insert(case);
        crate::hub::push(
            &agent,
            &served.url,
            &served.device,
            &serde_json::to_string(&PushRequest { device, events })?,
        )?;
        std::thread::sleep(Duration::from_millis(50));
    }
    let start = Instant::now();
    loop {
        let mut late = Vec::new();
        let mut cursor = beacon_sync::Cursor::default();
        loop {
            let page = runtime.block_on(db.pull(cursor, 1000, DeviceId::new_random(), TokenScope::All))?;
            for e in page.events.iter().filter(|e| e.case_id.is_some_and(|c| cases.contains(&c))) {
                if let Ok(EventBody::Escalated { due_at, .. }) = e.decode_body() {
                    late.push((Hlc::unpack(e.hlc).wall_ms - due_at) as f64);
                }
            }
            cursor = page.next;
            if !page.more {
                break;
            }
        }
        if late.len() >= n {
            runtime.block_on(db.set_setting("ack-target.P2", "60m"))?;
            return Ok(late);
        }
        anyhow::ensure!(start.elapsed() < Duration::from_secs(30), "only {} of {n} escalations fired", late.len());
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn row(samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    format!(
        "{:.1} / {:.1} / {:.1}",
        percentile(samples, 50.0),
        percentile(samples, 99.0),
        samples.last().copied().unwrap_or_default()
    )
}

pub fn measure(n: usize, postgres: Option<&str>, dir: &std::path::Path) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    println!("# Beacon delivery benchmark: {n} handoffs per channel, each pushed and waited for\n");
    let mut rows = Vec::new();
    let mut dbs: Vec<Arc<dyn HubDb>> = vec![Arc::new(SqliteHubDb::open(&dir.join("delivery-hub.sqlite3"))?)];
    if let Some(admin) = postgres {
        let (url, _client) = runtime.block_on(fresh_postgres(admin))?;
        dbs.push(Arc::new(PostgresHubDb::connect(&url, 8)?));
    }
    for db in dbs {
        let served = serve(&runtime, Arc::clone(&db))?;
        let (url, mut arrivals) = receiver(&runtime)?;
        runtime.block_on(db.set_channels(ResponderChannels {
            responder_id: "T-BENCH".into(),
            webhook_url: Some(url.clone()),
            webhook_secrets: vec![SECRET.into()],
            updated_at: now_ms(),
            ..Default::default()
        }))?;
        let mail = MailServer::start(dir.join(format!("maildir-{}", db.backend())))?;
        runtime.block_on(async {
            db.set_channels(ResponderChannels {
                responder_id: "T-MAIL".into(),
                email: Some("trooper@example.org".into()),
                updated_at: now_ms(),
                ..Default::default()
            })
            .await?;
            db.set_setting("smtp.url", &mail.url).await?;
            db.set_setting("smtp.from", "beacon@example.org").await
        })?;
        let worker = runtime.spawn(beacon_hub::delivery::run(Arc::clone(&db), Default::default(), "bench".into()));
        // Warm up every path.
        handoffs(&runtime, &served, &mut arrivals, 5)?;
        direct(&runtime, &url, &mut arrivals, 5)?;
        mails(&served, &mail, 3)?;
        direct_mails(&mail, 3)?;
        let mut via_hub = handoffs(&runtime, &served, &mut arrivals, n)?;
        let mut floor = direct(&runtime, &url, &mut arrivals, n)?;
        let mut mailed = mails(&served, &mail, n)?;
        let mut mail_floor = direct_mails(&mail, n)?;
        let mut late = escalations(&runtime, &db, &served, n)?;
        worker.abort();
        rows.push([
            db.backend().to_string(),
            row(&mut via_hub),
            row(&mut floor),
            row(&mut mailed),
            row(&mut mail_floor),
            row(&mut late),
        ]);
    }
    println!("| backend | handoff pushed → webhook received | direct POST to the receiver (floor) |");
    println!("|---|---|---|");
    for r in &rows {
        println!("| {} | {} | {} |", r[0], r[1], r[2]);
    }
    println!(
        "\n| backend | handoff pushed → mail accepted and stored | the same message sent straight to the server (floor) |"
    );
    println!("|---|---|---|");
    for r in &rows {
        println!("| {} | {} | {} |", r[0], r[3], r[4]);
    }
    println!("\n| backend | escalation fired after its deadline |");
    println!("|---|---|");
    for r in &rows {
        println!("| {} | {} |", r[0], r[5]);
    }
    println!("\nEach cell: p50 / p99 / max, in milliseconds.");
    Ok(())
}

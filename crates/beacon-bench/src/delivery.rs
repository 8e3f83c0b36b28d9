//! `beacon-bench --delivery`: from a handoff pushed to the hub over HTTP
//! to the responder's webhook receiving it, through the hub's delivery
//! loop, beside a plain signed-size POST straight to the same receiver
//! (the floor: one loopback HTTP round trip), measured in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use beacon_api::domain::DeviceId;
use beacon_hub_db::testing::referral_and_handoff;
use beacon_hub_db::{HubDb, PostgresHubDb, ResponderChannels, SqliteHubDb, now_ms};
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

pub fn measure(n: usize, postgres: Option<&str>, dir: &std::path::Path) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    println!("# Beacon delivery benchmark: {n} handoffs, each pushed and waited for\n");
    println!(
        "| backend | handoff pushed → webhook received, p50 / p99 / max (ms) | direct POST to the receiver, p50 / p99 (ms) |"
    );
    println!("|---|---|---|");
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
        let worker = runtime.spawn(beacon_hub::delivery::run(Arc::clone(&db), Default::default(), "bench".into()));
        // Warm up both paths.
        handoffs(&runtime, &served, &mut arrivals, 5)?;
        direct(&runtime, &url, &mut arrivals, 5)?;
        let mut via_hub = handoffs(&runtime, &served, &mut arrivals, n)?;
        let mut floor = direct(&runtime, &url, &mut arrivals, n)?;
        worker.abort();
        via_hub.sort_by(f64::total_cmp);
        floor.sort_by(f64::total_cmp);
        println!(
            "| {} | {:.1} / {:.1} / {:.1} | {:.2} / {:.2} |",
            db.backend(),
            percentile(&via_hub, 50.0),
            percentile(&via_hub, 99.0),
            via_hub.last().copied().unwrap_or_default(),
            percentile(&floor, 50.0),
            percentile(&floor, 99.0),
        );
    }
    Ok(())
}

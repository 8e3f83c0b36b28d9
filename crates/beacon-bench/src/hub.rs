//! `beacon-bench --hub`: the hub's intake over HTTP beside a plain insert
//! into the same database, and a desktop catching up on events it missed
//! while offline (pull and apply through a real hub on loopback).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use beacon_api::Beacon;
use beacon_api::domain::event::Actor;
use beacon_api::domain::referral::Referral;
use beacon_api::domain::{CaseId, SystemClock};
use beacon_hub::{Hub, HubConfig, router, tokens};
use beacon_hub_db::{HubDb, PostgresHubDb, SqliteHubDb, TokenRole, TokenScope};

/// Referrals per request (and per transaction in the baselines).
const BATCH: usize = 100;

pub(crate) struct Served {
    pub(crate) url: String,
    pub(crate) intake: String,
    pub(crate) device: String,
}

/// A hub over `db` on 127.0.0.1, with an intake and a device token.
pub(crate) fn serve(runtime: &tokio::runtime::Runtime, db: Arc<dyn HubDb>) -> Result<Served> {
    let (intake, device) = (tokens::generate(), tokens::generate());
    runtime.block_on(async {
        db.migrate().await?;
        db.create_token("bench-feed", tokens::hash(&intake), TokenRole::Intake, TokenScope::All).await?;
        db.create_token("bench-desk", tokens::hash(&device), TokenRole::Device, TokenScope::All).await?;
        // No rate limit worth the name: this measures throughput.
        let config =
            HubConfig { rate: beacon_hub::limits::Rate { per_second: 1e9, burst: 1e9 }, ..HubConfig::default() };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = router(Hub::new(db, config)?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Served { url, intake, device })
    })
}

/// POST a push (`PushRequest` as JSON) to the hub at `url` with a device token.
pub(crate) fn push(agent: &ureq::Agent, url: &str, token: &str, body: &str) -> Result<()> {
    let status = agent
        .post(&format!("{url}/v1/sync/push"))
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", "application/json")
        .send(body)?
        .status()
        .as_u16();
    if status != 200 {
        bail!("push answered {status}");
    }
    Ok(())
}

/// Post every referral, `BATCH` to a request; referrals per second.
fn post_all(served: &Served, referrals: &[Referral]) -> Result<f64> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let bodies: Vec<String> = referrals.chunks(BATCH).map(serde_json::to_string).collect::<Result<_, _>>()?;
    let t = Instant::now();
    for body in bodies {
        let status = agent
            .post(&format!("{}/v1/referrals", served.url))
            .header("authorization", &format!("Bearer {}", served.intake))
            .header("content-type", "application/json")
            .send(&body)?
            .status()
            .as_u16();
        if status != 201 {
            bail!("intake answered {status}");
        }
    }
    Ok(referrals.len() as f64 / t.elapsed().as_secs_f64())
}

/// What the baselines insert: each referral's case id and JSON.
fn plain_rows(referrals: &[Referral]) -> Result<Vec<(String, String)>> {
    referrals
        .iter()
        .map(|r| Ok((CaseId::for_referral(r.source, &r.external_id).to_string(), serde_json::to_string(r)?)))
        .collect()
}

/// The baseline: each referral's JSON into a plain table of the same kind
/// of database, `BATCH` to a transaction, same durability.
fn plain_sqlite(path: &Path, referrals: &[Referral]) -> Result<f64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.execute_batch("PRAGMA synchronous = FULL; CREATE TABLE referrals (id TEXT PRIMARY KEY, body TEXT NOT NULL);")?;
    let rows = plain_rows(referrals)?;
    let t = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let tx = conn.unchecked_transaction()?;
        for (id, body) in chunk {
            tx.prepare_cached("INSERT INTO referrals (id, body) VALUES (?1, ?2)")?.execute([id, body])?;
        }
        tx.commit()?;
    }
    Ok(referrals.len() as f64 / t.elapsed().as_secs_f64())
}

pub(crate) async fn fresh_postgres(admin_url: &str) -> Result<(String, tokio_postgres::Client)> {
    let (admin, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let name = format!("bench_{}", beacon_api::domain::DeviceId::new_random().as_uuid().simple());
    admin.batch_execute(&format!("CREATE DATABASE {name}")).await?;
    let url = format!("{}/{name}", admin_url.rsplit_once('/').context("a PostgreSQL URL naming a database")?.0);
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok((url, client))
}

fn plain_postgres(runtime: &tokio::runtime::Runtime, admin_url: &str, referrals: &[Referral]) -> Result<f64> {
    runtime.block_on(async {
        let (_, mut client) = fresh_postgres(admin_url).await?;
        client.batch_execute("CREATE TABLE referrals (id TEXT PRIMARY KEY, body TEXT NOT NULL)").await?;
        let rows = plain_rows(referrals)?;
        let t = Instant::now();
        for chunk in rows.chunks(BATCH) {
            let tx = client.transaction().await?;
            let insert = tx.prepare("INSERT INTO referrals (id, body) VALUES ($1, $2)").await?;
            for (id, body) in chunk {
                tx.execute(&insert, &[id, body]).await?;
            }
            tx.commit().await?;
        }
        Ok(referrals.len() as f64 / t.elapsed().as_secs_f64())
    })
}

/// A desktop that imported `file` pushes it all; a second, empty desktop
/// then catches up. Seconds to push, seconds to catch up, events.
fn catch_up(served: &Served, dir: &Path, file: &Path) -> Result<(f64, f64, u64)> {
    let open = |name: &str| Beacon::open(&dir.join(name), Actor("bench".into()), Arc::new(SystemClock));
    let mut a = open("desk-a.sqlite3")?;
    a.import(std::io::BufReader::new(std::fs::File::open(file)?), &mut |_| {})?;
    let t = Instant::now();
    let pushed = a.sync_once(Some(&served.url), Some(&served.device), None)?.pushed;
    let push_secs = t.elapsed().as_secs_f64();
    let mut b = open("desk-b.sqlite3")?;
    let t = Instant::now();
    let pulled = b.sync_once(Some(&served.url), Some(&served.device), None)?.pulled;
    if pulled != pushed {
        bail!("pushed {pushed} events but the second desktop applied {pulled}");
    }
    Ok((push_secs, t.elapsed().as_secs_f64(), pulled))
}

pub fn measure(referrals: &[Referral], catch_up_n: usize, postgres: Option<&str>, dir: &Path) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let intake_n = referrals.len().min(20_000);
    let file = dir.join("catch-up.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file)?);
        for r in &referrals[..catch_up_n.min(referrals.len())] {
            serde_json::to_writer(&mut f, r)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
    }
    println!("## Hub");
    println!();
    println!(
        "| backend | intake over HTTP, referrals/s | plain insert, rows/s | ratio | push, s | catch-up, s | events | catch-up events/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    // Each measurement gets a fresh hub database of its backend.
    type Fresh<'a> = Box<dyn Fn(&str) -> Result<Arc<dyn HubDb>> + 'a>;
    let mut backends: Vec<(&str, Fresh, f64)> = Vec::new();
    let sqlite_dir = dir.join("sqlite");
    std::fs::create_dir_all(&sqlite_dir)?;
    let base = plain_sqlite(&sqlite_dir.join("plain.sqlite3"), &referrals[..intake_n])?;
    let sqlite_dir2 = sqlite_dir.clone();
    backends.push((
        "SQLite",
        Box::new(move |name: &str| -> Result<Arc<dyn HubDb>> {
            Ok(Arc::new(SqliteHubDb::open(&sqlite_dir2.join(format!("{name}.sqlite3")))?))
        }),
        base,
    ));
    if let Some(admin) = postgres {
        let base = plain_postgres(&runtime, admin, &referrals[..intake_n])?;
        let runtime = &runtime;
        backends.push((
            "PostgreSQL",
            Box::new(move |_: &str| -> Result<Arc<dyn HubDb>> {
                let (url, _) = runtime.block_on(fresh_postgres(admin))?;
                Ok(Arc::new(PostgresHubDb::connect(&url, 8)?))
            }),
            base,
        ));
    }
    let mut live_rows = Vec::new();
    for (name, fresh, base) in &backends {
        let rate = post_all(&serve(&runtime, fresh("intake")?)?, &referrals[..intake_n])?;
        let desks = dir.join(format!("desks-{name}"));
        std::fs::create_dir_all(&desks)?;
        let (push, secs, events) = catch_up(&serve(&runtime, fresh("catch-up")?)?, &desks, &file)?;
        println!(
            "| {name} | {rate:.0} | {base:.0} | {:.2} | {push:.1} | {secs:.1} | {events} | {:.0} |",
            rate / base,
            events as f64 / secs
        );
        let live = dir.join(format!("live-{name}"));
        std::fs::create_dir_all(&live)?;
        let tip = crate::live::tip_to_screen(&serve(&runtime, fresh("tip")?)?, &live, 200, Duration::from_millis(50))?;
        let (week_events, week_secs) = crate::live::week_caught_up(&serve(&runtime, fresh("week")?)?, &live, 17_000)?;
        let devices =
            crate::live::many_devices(&serve(&runtime, fresh("devices")?)?, &live, 200, 10, Duration::from_secs(1))?;
        live_rows.push((name.to_string(), tip, (week_events, week_secs), devices));
    }
    println!();
    println!(
        "| backend | tip to screen p50 / p99 / max, ms | a week caught up: events, s, events/s | 200 devices: push p50 / p99 / max, ms | pushes/s |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, tip, (events, secs), devices) in live_rows {
        println!(
            "| {name} | {:.0} / {:.0} / {:.0} | {events}, {secs:.1}, {:.0} | {:.0} / {:.0} / {:.0} | {:.0} |",
            tip.0,
            tip.1,
            tip.2,
            events as f64 / secs,
            devices.0,
            devices.1,
            devices.2,
            devices.3
        );
    }
    println!();
    Ok(())
}

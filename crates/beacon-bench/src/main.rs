//! `beacon-bench`: measure the store on a generated data set.
//!
//! ```text
//! cargo run --release -p beacon-bench -- --referrals 1000000
//! ```
//!
//! Prints a Markdown report: import throughput (and its ratio to a plain
//! rusqlite batch insert of the same rows into the same indexes and FTS5
//! table, measured in the same run), queue and search latency percentiles,
//! and statistics time. See docs/benchmarks.md.
#![forbid(unsafe_code)]

mod delivery;
mod hub;
mod live;

use anyhow::{Context, Result, bail};
use beacon_api::domain::event::{Actor, EventBody};
use beacon_api::domain::referral::Referral;
use beacon_api::domain::{CaseId, ManualClock, Priority, SystemClock};
use beacon_api::{Beacon, QueueQuery};
use chrono::Utc;
use rusqlite::OptionalExtension;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

// The same allocator as `beacon`, so that the import is measured as shipped.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    referrals: usize,
    seed: u64,
    /// Measure the import only (for profiling).
    import_only: bool,
    /// Skip the import measurements (measure reads only).
    reads_only: bool,
    /// Run the queue against an existing store in a loop (for profiling).
    queue_loop: Option<String>,
    /// Keep the store with history here; when it already holds the same
    /// number of cases, reuse it and measure reads only (loading 1M cases
    /// with history takes minutes).
    demo_store: Option<std::path::PathBuf>,
    /// Keep the generated referrals and the stores here (a temporary
    /// directory, removed at the end, when unset).
    dir: Option<std::path::PathBuf>,
    /// Measure the hub (intake over HTTP, a desktop catching up) instead of the store.
    hub: bool,
    /// A PostgreSQL server (`postgres://USER@HOST:PORT/DB`) to measure the hub on as well.
    postgres: Option<String>,
    /// Measure delivery instead: this many handoffs, pushed to the hub and
    /// timed to the responder's webhook.
    delivery: Option<usize>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        referrals: 1_000_000,
        seed: 42,
        import_only: false,
        reads_only: false,
        queue_loop: None,
        demo_store: None,
        dir: None,
        hub: false,
        postgres: None,
        delivery: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--referrals" => a.referrals = it.next().context("--referrals N")?.parse()?,
            "--seed" => a.seed = it.next().context("--seed N")?.parse()?,
            "--import-only" => a.import_only = true,
            "--reads-only" => a.reads_only = true,
            "--queue-loop" => a.queue_loop = Some(it.next().context("--queue-loop STORE")?),
            "--demo-store" => a.demo_store = Some(it.next().context("--demo-store PATH")?.into()),
            "--dir" => a.dir = Some(it.next().context("--dir PATH")?.into()),
            "--hub" => a.hub = true,
            "--postgres" => a.postgres = Some(it.next().context("--postgres URL")?),
            "--delivery" => a.delivery = Some(it.next().context("--delivery N")?.parse()?),
            "--bench" => {} // passed by `cargo bench`
            other => bail!(
                "unknown argument {other}; usage: beacon-bench [--referrals N] [--seed N] [--import-only | --reads-only] [--demo-store PATH] [--dir PATH] [--queue-loop STORE] [--hub [--postgres URL]] [--delivery N [--postgres URL]]"
            ),
        }
    }
    Ok(a)
}

fn main() -> Result<()> {
    let args = args()?;
    if let Some(store) = &args.queue_loop {
        let d = Beacon::open(Path::new(store), Actor("bench".into()), Arc::new(SystemClock))?;
        // The fastest call and the median as well as the mean: on a shared
        // virtual machine the mean moves by a third from run to run, the
        // fastest call much less, which is what comparing two builds needs.
        for (name, q) in queue_filters() {
            let mut times: Vec<f64> = (0..500)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(d.queue(&q)).map(|_| t.elapsed().as_secs_f64() * 1000.0)
                })
                .collect::<Result<_, _>>()?;
            times.sort_by(f64::total_cmp);
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            println!("{name}: {mean:.3} ms per call (fastest {:.3}, median {:.3})", times[0], times[250]);
        }
        let conn = rusqlite::Connection::open(store)?;
        for (name, sql) in [
            (
                "index walk",
                "SELECT id FROM cases INDEXED BY cases_queue WHERE is_open = 1 ORDER BY standing, priority, due_at, id LIMIT 200",
            ),
            (
                "a queue row's columns, read not decoded",
                "SELECT id, source, external_id, received_at, status, priority, priority_reasons, priority_overridden,
                    trafficking_type, place_type, location_summary, link_count, assigned, handed_off_at,
                    acknowledged_at, on_scene_at, closed_at, disposition, due_at, jurisdiction_id,
                    jurisdiction_name, troop, troop_verified, assign_method, near_border, outside, distance_km,
                    outside_reason, candidates, open_conflicts, escalated, undelivered
                 FROM cases INDEXED BY cases_queue WHERE is_open = 1 ORDER BY standing, priority, due_at, id LIMIT 200",
            ),
        ] {
            let t = Instant::now();
            for _ in 0..500 {
                let mut s = conn.prepare_cached(sql)?;
                let mut rows = s.query([])?;
                let mut bytes = 0usize;
                while let Some(r) = rows.next()? {
                    for i in 0..r.as_ref().column_count() {
                        bytes += match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Text(t) => t.len(),
                            _ => 1,
                        };
                    }
                }
                std::hint::black_box(bytes);
            }
            println!("{name}: {:.3} ms per call", t.elapsed().as_secs_f64() * 1000.0 / 500.0);
        }
        // Statistics over 30 days, whole and as the bare walk of its index.
        let mut stats_ms: Vec<f64> = (0..40)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(d.stats(30)).map(|_| t.elapsed().as_secs_f64() * 1000.0)
            })
            .collect::<Result<_, _>>()?;
        stats_ms.sort_by(f64::total_cmp);
        println!("stats 30 days: fastest {:.3} ms, median {:.3}", stats_ms[0], stats_ms[20]);
        let since = (Utc::now() - chrono::Duration::days(30)).timestamp_millis();
        let t = Instant::now();
        for _ in 0..40 {
            std::hint::black_box(response_walk(&conn, since)?);
        }
        println!("stats' index walk: {:.3} ms per call", t.elapsed().as_secs_f64() * 1000.0 / 40.0);
        let cases = d.store().case_count()? as usize;
        for w in search_terms(&sample_referrals(&conn, cases)?) {
            let t = Instant::now();
            for _ in 0..20 {
                std::hint::black_box(search(&d, &w)?);
            }
            println!("search {w}: {:.3} ms per call", t.elapsed().as_secs_f64() * 1000.0 / 20.0);
        }
        return Ok(());
    }
    let temp = tempfile::tempdir()?;
    let dir = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => temp.path().to_path_buf(),
    };
    let now = Utc::now();
    if let Some(n) = args.delivery {
        println!(
            "machine: {}; {} cores\n",
            cpu_model(),
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        );
        return delivery::measure(n, args.postgres.as_deref(), &dir);
    }
    println!("# Beacon store benchmark: {} referrals", args.referrals);
    println!();
    println!("machine: {}; {} cores", cpu_model(), std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    println!();

    if args.hub {
        let referrals = generate(&args, &dir, now)?;
        return hub::measure(&referrals, args.referrals, args.postgres.as_deref(), &dir);
    }
    let demo_store = args.demo_store.clone().unwrap_or_else(|| dir.as_path().join("demo.sqlite3"));
    if !args.reads_only {
        measure_import(&args, dir.as_path(), now)?;
        if args.import_only {
            return Ok(());
        }
    }
    measure_reads(&args, &demo_store, now)
}

/// The referrals every measurement uses: the demo generator's, over the
/// shipped layer's places, from `--seed`.
fn generate(args: &Args, dir: &Path, now: chrono::DateTime<Utc>) -> Result<Vec<Referral>> {
    let places = {
        let b = Beacon::open(&dir.join("places.sqlite3"), Actor("bench".into()), Arc::new(SystemClock))?;
        b.demo_places()
    };
    let options =
        beacon_demo::Options { referrals: args.referrals, seed: args.seed, now, troops: vec![], history: false };
    Ok(beacon_demo::generate(&places, &options).referrals)
}

/// Import throughput, beside the plain baseline, on data generated here.
/// The generated referrals are dropped before any read is timed: a heap of a
/// million parsed referrals is the bench's, not a console's, and it slows
/// every allocation measured after it.
fn measure_import(args: &Args, dir: &Path, now: chrono::DateTime<Utc>) -> Result<()> {
    // A kept directory may hold the stores of an earlier run: start afresh.
    for name in ["places", "raw", "import", "shared"] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("{name}.sqlite3{suffix}")));
        }
    }
    // The data: generated once, written as JSON Lines, as a hotline export would be.
    let t = Instant::now();
    let referrals = generate(args, dir, now)?;
    let jsonl = dir.join("referrals.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&jsonl)?);
        for r in &referrals {
            serde_json::to_writer(&mut f, r)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
    }
    eprintln!("generated {} referrals in {:.1?}", referrals.len(), t.elapsed());

    {
        // Baseline: plain rows, one index and FTS5 (see `raw_insert`).
        let raw_rate = raw_insert(&dir.join("raw.sqlite3"), &referrals)?;

        // Beacon's import: parse, validate, triage, assign a jurisdiction, append
        // an event and project it, in batches.
        let store = dir.join("import.sqlite3");
        let mut b = Beacon::open(&store, Actor("bench".into()), Arc::new(SystemClock))?;
        let t = Instant::now();
        let report = b.import(std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&jsonl)?), &mut |_| {})?;
        let secs = t.elapsed().as_secs_f64();
        if report.stored as usize != args.referrals {
            bail!("import stored {} of {} ({} rejected)", report.stored, args.referrals, report.rejected.len());
        }
        let import_rate = args.referrals as f64 / secs;
        drop(b);

        // The same referrals, every one carrying one phone: a trafficker's
        // number in every tip. Linking must cost the same as with unique keys.
        let shared_n = args.referrals.min(100_000);
        let shared_file = dir.join("shared.jsonl");
        {
            let mut f = std::io::BufWriter::new(std::fs::File::create(&shared_file)?);
            for r in &referrals[..shared_n] {
                let mut r = r.clone();
                match r.suspects.first_mut() {
                    Some(s) => s.phones = vec!["(417) 555-0142".into()],
                    None => r.suspects.push(serde_json::from_value(serde_json::json!({"phones": ["(417) 555-0142"]}))?),
                }
                serde_json::to_writer(&mut f, &r)?;
                f.write_all(b"\n")?;
            }
            f.flush()?;
        }
        let mut b = Beacon::open(&dir.join("shared.sqlite3"), Actor("bench".into()), Arc::new(SystemClock))?;
        let t = Instant::now();
        let report =
            b.import(std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&shared_file)?), &mut |_| {})?;
        let shared_rate = report.stored as f64 / t.elapsed().as_secs_f64();
        drop(b);

        println!("## Import");
        println!();
        println!("| what | rows/s | ratio to raw |");
        println!("|---|---:|---:|");
        println!(
            "| plain rows + one index + FTS5 over the narrative (rusqlite, same batches) | {raw_rate:.0} | 1.00 |"
        );
        println!(
            "| `beacon referral import` path (parse, validate, triage, locate, event + projection) | {import_rate:.0} | {:.2} |",
            import_rate / raw_rate
        );
        println!(
            "| the same import, first {shared_n} referrals, every one with the same phone | {shared_rate:.0} | {:.2} |",
            shared_rate / raw_rate
        );
        println!();
    }
    Ok(())
}

fn measure_reads(args: &Args, demo_store: &Path, now: chrono::DateTime<Utc>) -> Result<()> {
    // Reads on a store with history (handoffs, acknowledgements, closures), as the demo loader makes it.
    let t = Instant::now();
    let clock = ManualClock::at(now);
    let mut d = Beacon::open(demo_store, Actor("bench".into()), Arc::new(clock.clone()))?;
    let existing = d.store().case_count()?;
    if existing == 0 {
        d.load_demo(args.referrals, args.seed, now, &clock)?;
        eprintln!("loaded the demo store with history in {:.1?}", t.elapsed());
    } else if existing as usize != args.referrals {
        bail!(
            "{} holds {existing} cases, not {}; remove it or pass --referrals {existing}",
            demo_store.display(),
            args.referrals
        );
    } else {
        eprintln!("reusing {} ({existing} cases)", demo_store.display());
    }
    drop(d);
    let d = Beacon::open(demo_store, Actor("bench".into()), Arc::new(SystemClock))?;
    let open = d.store().open_count()?;
    println!("## Reads (store of {} cases with history, {} open)", args.referrals, open);
    println!();
    println!("| operation | runs | p50 | p95 | max | plain-SQLite baseline p50 |");
    println!("|---|---:|---:|---:|---:|---:|");

    let conn = rusqlite::Connection::open(demo_store)?;
    let words = search_terms(&sample_referrals(&conn, args.referrals)?);
    // One untimed pass over every query first: the figures are for a warm
    // page cache, as a console that has been running is (a store of several
    // GB read cold from a virtual disk measures the disk instead).
    for (_, f) in queue_filters() {
        d.queue(&f)?;
    }
    for w in &words {
        search(&d, w)?;
    }
    d.stats(90)?;
    let base_queue = percentiles(time_n(500, |_| {
        let mut s = conn.prepare_cached("SELECT id, priority, due_at FROM cases INDEXED BY cases_queue WHERE is_open = 1 ORDER BY standing, priority, due_at, id LIMIT 200")?;
        let n = s.query_map([], |r| r.get::<_, String>(0))?.count();
        Ok(n)
    })?);
    let filters = queue_filters();
    let mut all = Vec::new();
    for (name, f) in &filters {
        let times = time_n(250, |_| Ok(d.queue(f)?.len()))?;
        row(name, 250, &percentiles(times.clone()), None);
        all.extend(times);
    }
    row("queue: all of the above", all.len(), &percentiles(all), Some(&base_queue));

    let base_search = percentiles(time_n(words.len(), |i| {
        let mut s = conn.prepare_cached(
            "SELECT c.id, c.priority, c.status FROM cases_fts f JOIN cases c ON c.row_id = f.rowid WHERE cases_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT 50",
        )?;
        let n = s.query_map([format!("\"{}\"", words[i].to_lowercase())], |r| r.get::<_, String>(0))?.count();
        Ok(n)
    })?);
    let s = percentiles(time_n(words.len(), |i| Ok(search(&d, &words[i])?.len()))?);
    row("search (50 best; cities, streets, phones, plates, words)", words.len(), &s, Some(&base_search));

    let base_stats = percentiles(time_n(20, |_| {
        let since = (Utc::now() - chrono::Duration::days(30)).timestamp_millis();
        response_walk(&conn, since)
    })?);
    let st = percentiles(time_n(20, |_| Ok(d.stats(30)?.by_jurisdiction.len()))?);
    row("stats (30 days: medians and p90 per jurisdiction)", 20, &st, Some(&base_stats));
    let st90 = percentiles(time_n(10, |_| Ok(d.stats(90)?.by_jurisdiction.len()))?);
    row("stats (90 days)", 10, &st90, None);
    println!();
    let rows_30 = d.store().response_rows((Utc::now() - chrono::Duration::days(30)).timestamp_millis())?.rows.len();
    println!("30-day window: {rows_30} referrals. Store file: {:.0} MB.", file_mb(demo_store));
    Ok(())
}

/// The statistics' baseline: the bare walk of the index ranges they read,
/// in plain SQL. The response index leads with the jurisdiction, so this is
/// a seek to each jurisdiction and a count of its cases in the window (the
/// same rows the statistics read, with nothing decoded). Returns the count.
fn response_walk(conn: &rusqlite::Connection, since: i64) -> Result<usize> {
    let mut next = conn.prepare_cached(
        "SELECT jurisdiction_id FROM cases INDEXED BY cases_response WHERE jurisdiction_id > ?1 ORDER BY jurisdiction_id LIMIT 1",
    )?;
    let mut count = conn.prepare_cached(
        "SELECT count(*) FROM cases INDEXED BY cases_response WHERE jurisdiction_id IS ?1 AND received_at >= ?2",
    )?;
    let mut id: Option<String> = None;
    let mut total = 0usize;
    loop {
        total += count.query_row(rusqlite::params![id, since], |r| r.get::<_, i64>(0))? as usize;
        let after = id.take().unwrap_or_default();
        match next.query_row([after], |r| r.get::<_, String>(0)).optional()? {
            Some(n) => id = Some(n),
            None => return Ok(total),
        }
    }
}

fn queue_filters() -> Vec<(&'static str, QueueQuery)> {
    vec![
        ("queue: all open (200 rows)", QueueQuery { limit: 200, ..Default::default() }),
        (
            "queue: P1 and P2",
            QueueQuery { priorities: vec![Priority::P1, Priority::P2], limit: 200, ..Default::default() },
        ),
        ("queue: one troop", QueueQuery { troop: Some("C".into()), limit: 200, ..Default::default() }),
        ("queue: one county", QueueQuery { jurisdiction: Some("Greene".into()), limit: 200, ..Default::default() }),
        ("queue: overdue", QueueQuery { overdue: true, limit: 200, ..Default::default() }),
    ]
}

/// The console's search: open and closed cases, 50 newest matches.
fn search(d: &Beacon, text: &str) -> Result<Vec<beacon_api::QueueRow>> {
    Ok(d.queue(&QueueQuery { text: Some(text.to_string()), include_closed: true, limit: 50, ..Default::default() })?)
}

fn row(name: &str, runs: usize, p: &[Duration; 3], base: Option<&[Duration; 3]>) {
    println!(
        "| {name} | {runs} | {} | {} | {} | {} |",
        ms(p[0]),
        ms(p[1]),
        ms(p[2]),
        base.map(|b| ms(b[0])).unwrap_or_else(|| "—".into())
    );
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn time_n(n: usize, mut f: impl FnMut(usize) -> Result<usize>) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        std::hint::black_box(f(i)?);
        out.push(t.elapsed());
    }
    Ok(out)
}

/// p50, p95, max.
fn percentiles(mut v: Vec<Duration>) -> [Duration; 3] {
    v.sort();
    let at = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    [at(0.5), at(0.95), *v.last().unwrap_or(&Duration::ZERO)]
}

/// Every `step`-th referral of the store (about 40), read back from its
/// log, so reads are measured without generating the data set again.
fn sample_referrals(conn: &rusqlite::Connection, cases: usize) -> Result<Vec<Referral>> {
    let step = (cases / 40).max(1);
    let mut stmt = conn.prepare(
        "SELECT e.body FROM cases c JOIN events e ON e.case_row = c.row_id AND e.kind = 'referral_received'
         WHERE c.row_id = ?1",
    )?;
    let mut out = Vec::new();
    for i in (0..cases).step_by(step) {
        let body: String = stmt.query_row([i as i64 + 1], |r| r.get(0))?;
        if let EventBody::ReferralReceived { referral, .. } = serde_json::from_str(&body)? {
            out.push(*referral);
        }
    }
    Ok(out)
}

/// What dispatchers search for: towns, streets, phone numbers, plates, words.
fn search_terms(sample: &[Referral]) -> Vec<String> {
    let mut out = Vec::new();
    // The kind of term goes round by the sample's position (the referral's
    // own index is a multiple of the step, so would pick one kind only).
    for (i, r) in sample.iter().enumerate() {
        let loc = r.location.as_ref();
        match i % 5 {
            0 => out.extend(loc.and_then(|l| l.city.clone())),
            1 => out.extend(loc.and_then(|l| l.address.clone())),
            2 => out.extend(r.suspects.iter().flat_map(|s| s.phones.clone()).next()),
            3 => out.extend(r.suspects.iter().filter_map(|s| s.vehicle.as_ref()?.plate.clone()).next()),
            _ => out.push(["passports", "motel", "debt", "teenager", "van"][(i / 5) % 5].to_string()),
        }
    }
    out.extend(["Springfield motel", "Glenstone", "Kingshighway", "truck stop"].map(String::from));
    out
}

/// The baseline import: plain rows (id, time, the referral as JSON) with one
/// index and an FTS5 table over the narrative, inserted in the same batches
/// with the same durability settings. Everything Beacon does on top — events,
/// projections, links, the queue's indexes — is what the ratio measures.
fn raw_insert(path: &Path, referrals: &[Referral]) -> Result<f64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE referrals (row_id INTEGER PRIMARY KEY, id TEXT NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL);
         CREATE INDEX referrals_received ON referrals (received_at);
         CREATE VIRTUAL TABLE referrals_fts USING fts5 (narrative, tokenize = 'unicode61 remove_diacritics 2');",
    )?;
    let rows: Vec<_> = referrals
        .iter()
        .map(|r| {
            (
                CaseId::for_referral(r.source, &r.external_id).to_string(),
                r,
                serde_json::to_string(r).unwrap_or_default(),
            )
        })
        .collect();
    let t = Instant::now();
    for chunk in rows.chunks(beacon_api::IMPORT_BATCH) {
        let tx = conn.unchecked_transaction()?;
        {
            let mut ins = tx.prepare_cached("INSERT INTO referrals (id, received_at, body) VALUES (?1, ?2, ?3)")?;
            let mut fts = tx.prepare_cached("INSERT INTO referrals_fts (rowid, narrative) VALUES (?1, ?2)")?;
            for (id, r, json) in chunk {
                ins.execute(rusqlite::params![id, r.received_at.timestamp_millis(), json])?;
                fts.execute(rusqlite::params![tx.last_insert_rowid(), r.narrative])?;
            }
        }
        tx.commit()?;
    }
    Ok(referrals.len() as f64 / t.elapsed().as_secs_f64())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn file_mb(p: &Path) -> f64 {
    std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0)
}

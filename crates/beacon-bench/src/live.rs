//! `beacon-bench --hub`, the live measurements: a tip posted to the hub
//! until a watching desktop has applied it, many devices pushing at once,
//! and a week's mixed work caught up.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use beacon_api::Beacon;
use beacon_api::domain::event::Actor;
use beacon_api::domain::referral::Source;
use beacon_api::domain::{CaseId, ManualClock, SystemClock};
use beacon_api::store::Store;
use beacon_sync::PushRequest;

use crate::hub::Served;

/// Nearest-rank percentile of sorted `values`.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Tip to screen: post `n` referrals one at a time (`gap` apart) while a
/// desktop watches the hub's live stream (`beacon sync --watch`'s loop);
/// milliseconds from the start of each POST until the case is in the
/// watching desktop's store. Returns (p50, p99, max).
pub fn tip_to_screen(served: &Served, dir: &Path, n: usize, gap: Duration) -> Result<(f64, f64, f64)> {
    let path = dir.join("watching.sqlite3");
    let mut watcher = Beacon::open(&path, Actor("bench".into()), Arc::new(SystemClock))?;
    watcher.sync_once(Some(&served.url), Some(&served.device), None)?;
    let stop = Arc::new(AtomicBool::new(false));
    let running = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || watcher.sync_forever(Duration::from_secs(60), &stop, |_| {}))
    };
    // Let the loop connect to the stream.
    std::thread::sleep(Duration::from_millis(500));
    let reader = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let agent = agent();
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        let external_id = format!("LIVE-{i}");
        let body = serde_json::json!({
            "external_id": external_id, "source": "hotline_call", "received_at": chrono::Utc::now().to_rfc3339(),
            "urgency": "in_progress", "trafficking_type": "sex", "narrative": "a tip, live",
            "location": {"city": "Sedalia", "county": "Pettis", "state": "MO"},
        });
        let case = CaseId::for_referral(Source::HotlineCall, &external_id).to_string();
        let t = Instant::now();
        let status = agent
            .post(&format!("{}/v1/referrals", served.url))
            .header("authorization", &format!("Bearer {}", served.intake))
            .header("content-type", "application/json")
            .send(&body.to_string())?
            .status()
            .as_u16();
        if status != 201 {
            bail!("intake answered {status}");
        }
        loop {
            let there: bool = reader
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)")?
                .query_row([&case], |r| r.get(0))?;
            if there {
                break;
            }
            if t.elapsed() > Duration::from_secs(30) {
                bail!("tip {i} never reached the watching desktop");
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        took.push(t.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(gap);
    }
    stop.store(true, Ordering::Relaxed);
    running.join().map_err(|_| anyhow::anyhow!("the watching loop panicked"))??;
    took.sort_by(f64::total_cmp);
    Ok((percentile(&took, 50.0), percentile(&took, 99.0), took[took.len() - 1]))
}

/// `devices` devices, each on its own thread with its own store, make a
/// change and push it, `rounds` times, `gap` apart (a busy dispatch floor).
/// Returns (p50, p99, max) of a push's round trip in milliseconds, and
/// pushes per second overall.
pub fn many_devices(
    served: &Served,
    dir: &Path,
    devices: usize,
    rounds: usize,
    gap: Duration,
) -> Result<(f64, f64, f64, f64)> {
    // Each device's events, made beforehand: a note a round on a case of its own.
    let mut chains = Vec::with_capacity(devices);
    for d in 0..devices {
        let mut store = Store::open(&dir.join(format!("device-{d}.sqlite3")), Arc::new(SystemClock))?;
        let actor = Actor(format!("desk-{d}"));
        let value = serde_json::json!({
            "external_id": format!("DEV-{d}"), "source": "hotline_call", "received_at": chrono::Utc::now().to_rfc3339(),
            "urgency": "recent", "trafficking_type": "labor", "narrative": "n",
        });
        let referral = beacon_api::domain::intake::all_problems(value, chrono::Utc::now())
            .map_err(|_| anyhow::anyhow!("a bench referral is invalid"))?;
        let case = CaseId::for_referral(referral.source, &referral.external_id);
        store.write::<_, beacon_api::store::StoreError>(|w| {
            let triage = beacon_api::domain::triage::triage(&referral);
            let body = beacon_api::domain::EventBody::ReferralReceived {
                referral: Box::new(referral),
                triage,
                jurisdiction: beacon_api::domain::JurisdictionAssignment::unknown(),
            };
            w.append(&actor, Some(case), body)?;
            for i in 0..rounds {
                let note = beacon_api::domain::EventBody::NoteAdded {
                    note_id: beacon_api::domain::NoteId::new(),
                    text: format!("update {i}"),
                };
                w.append(&actor, Some(case), note)?;
            }
            Ok(())
        })?;
        let events = store.own_events_after(0, rounds + 1)?;
        chains.push((store.device_id(), events));
    }
    let started = Instant::now();
    let threads: Vec<_> = chains
        .into_iter()
        .map(|(device, events)| {
            let (url, token) = (served.url.clone(), served.device.clone());
            std::thread::spawn(move || -> Result<Vec<f64>> {
                let agent = agent();
                let mut took = Vec::new();
                // The referral first, then a note a round: each push a device's next change.
                for (i, event) in events.into_iter().enumerate() {
                    let body = serde_json::to_string(&PushRequest { device, events: vec![event] })?;
                    let t = Instant::now();
                    crate::hub::push(&agent, &url, &token, &body)?;
                    if i > 0 {
                        took.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    std::thread::sleep(gap);
                }
                Ok(took)
            })
        })
        .collect();
    let mut took = Vec::new();
    for t in threads {
        took.extend(t.join().map_err(|_| anyhow::anyhow!("a device thread panicked"))??);
    }
    let rate = took.len() as f64 / started.elapsed().as_secs_f64();
    took.sort_by(f64::total_cmp);
    Ok((percentile(&took, 50.0), percentile(&took, 99.0), took[took.len() - 1], rate))
}

/// A week of a busy office's work (the demo's mix: referrals with their
/// handoffs, acknowledgements, notes and closures), pushed by one desktop
/// and caught up by another that was offline. Returns (events, seconds).
pub fn week_caught_up(served: &Served, dir: &Path, referrals: usize) -> Result<(u64, f64)> {
    let clock = ManualClock::at(chrono::Utc::now());
    let mut a = Beacon::open(&dir.join("week-a.sqlite3"), Actor("bench".into()), Arc::new(clock.clone()))?;
    a.load_demo(referrals, 7, chrono::Utc::now(), &clock)?;
    a.sync_once(Some(&served.url), Some(&served.device), None)?;
    let mut b = Beacon::open(&dir.join("week-b.sqlite3"), Actor("bench".into()), Arc::new(SystemClock))?;
    let t = Instant::now();
    let pulled = b.sync_once(Some(&served.url), Some(&served.device), None)?.pulled;
    Ok((pulled, t.elapsed().as_secs_f64()))
}

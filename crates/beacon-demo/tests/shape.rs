//! The shape of the generated world, computed from the generator's output:
//! how many referrals are linked, how fast urgent cases are answered, how
//! many cases are still open. A fixed seed, so the figures are reproducible.

use beacon_demo::{Action, DemoData, Options, Place, generate};
use beacon_domain::links::{DEFAULT_LINK_WINDOW_DAYS, LinkKind, link_keys};
use beacon_domain::triage::{Priority, Targets, triage};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashMap;

/// A spread of towns, several ZIPs for the larger ones, as the ZIP table gives.
fn places() -> Vec<Place> {
    let towns: &[(&str, &str, f64, f64, &[&str])] = &[
        ("Springfield", "Greene", 37.21, -93.29, &["65802", "65803", "65804", "65806", "65807"]),
        ("Kansas City", "Jackson", 39.10, -94.58, &["64105", "64106", "64108", "64109", "64111", "64124"]),
        ("St. Louis", "St. Louis City", 38.63, -90.20, &["63101", "63103", "63104", "63106", "63110", "63118"]),
        ("Columbia", "Boone", 38.95, -92.33, &["65201", "65202", "65203"]),
        ("Joplin", "Jasper", 37.08, -94.51, &["64801", "64804"]),
        ("Jefferson City", "Cole", 38.58, -92.17, &["65101", "65109"]),
        ("Rolla", "Phelps", 37.95, -91.77, &["65401"]),
        ("Sikeston", "Scott", 36.88, -89.59, &["63801"]),
        ("Sedalia", "Pettis", 38.70, -93.23, &["65301"]),
        ("Lebanon", "Laclede", 37.68, -92.66, &["65536"]),
        ("Kirksville", "Adair", 40.19, -92.58, &["63501"]),
        ("Cape Girardeau", "Cape Girardeau", 37.31, -89.52, &["63701", "63703"]),
    ];
    towns
        .iter()
        .flat_map(|(city, county, lat, lon, zips)| {
            zips.iter().enumerate().map(move |(k, zip)| Place {
                zip: zip.to_string(),
                city: city.to_string(),
                county: county.to_string(),
                state: None,
                lat: lat + 0.02 * k as f64,
                lon: lon - 0.02 * k as f64,
            })
        })
        .collect()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap()
}

/// As `beacon demo` asks for it: the roster of every troop and the history.
fn options(referrals: usize, seed: u64) -> Options {
    Options {
        referrals,
        seed,
        now: now(),
        troops: ["A", "B", "C", "D", "E", "F", "G", "H", "I"].map(String::from).to_vec(),
        history: true,
    }
}

/// When each case was first acknowledged, first on scene, and closed.
#[derive(Default, Clone, Copy)]
struct Life {
    handed_off: Option<DateTime<Utc>>,
    acknowledged: Option<DateTime<Utc>>,
    on_scene: Option<DateTime<Utc>>,
    closed: bool,
}

fn lives(d: &DemoData) -> Vec<Life> {
    let mut out = vec![Life::default(); d.referrals.len()];
    for s in &d.steps {
        let l = &mut out[s.referral];
        match s.action {
            Action::HandOff { .. } => l.handed_off = l.handed_off.or(Some(s.at)),
            Action::Acknowledge => l.acknowledged = l.acknowledged.or(Some(s.at)),
            Action::OnScene => l.on_scene = l.on_scene.or(Some(s.at)),
            Action::Close { .. } => l.closed = true,
            Action::Note { .. } => {}
        }
    }
    out
}

/// Which referrals share a key with another within the link window, by the
/// store's rule: the same normalised phone, plate or address, received no
/// more than the window apart.
fn linked(d: &DemoData) -> Vec<bool> {
    let window = Duration::days(DEFAULT_LINK_WINDOW_DAYS);
    let mut by_key: HashMap<(LinkKind, String), Vec<usize>> = HashMap::new();
    for (i, r) in d.referrals.iter().enumerate() {
        for key in link_keys(r) {
            by_key.entry(key).or_default().push(i);
        }
    }
    let mut out = vec![false; d.referrals.len()];
    for rows in by_key.values() {
        for &a in rows {
            for &b in rows {
                if a != b && (d.referrals[a].received_at - d.referrals[b].received_at).abs() <= window {
                    out[a] = true;
                }
            }
        }
    }
    out
}

struct Shape {
    linked: f64,
    p1_ack_on_time: f64,
    p1_on_scene_on_time: f64,
    p2_ack_on_time: f64,
    p3_p4_ack_on_time: f64,
    old_closed: f64,
    open: usize,
    open_recent: usize,
}

fn share(hits: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { hits as f64 / of as f64 }
}

fn shape(d: &DemoData, now: DateTime<Utc>) -> Shape {
    let targets = Targets::default();
    let lives = lives(d);
    let linked = linked(d);
    let (mut p1, mut p1_ack, mut p1_scene, mut p2, mut p2_ack, mut p34, mut p34_ack) = (0, 0, 0, 0, 0, 0, 0);
    let (mut old, mut old_closed, mut open, mut open_recent) = (0, 0, 0, 0);
    for (r, l) in d.referrals.iter().zip(&lives) {
        let age = now - r.received_at;
        let priority = triage(r).priority;
        let target = targets.for_priority(priority);
        let ack_due = r.received_at + Duration::minutes(i64::from(target.ack_minutes));
        let acked_in_time = l.acknowledged.is_some_and(|t| t <= ack_due);
        // Only cases whose deadline has passed (with room to spare) count.
        let due = age > Duration::minutes(i64::from(target.ack_minutes)) * 2;
        match priority {
            Priority::P1 if age > Duration::hours(2) => {
                p1 += 1;
                p1_ack += usize::from(acked_in_time);
                let arrive_due = r.received_at + Duration::minutes(i64::from(target.arrival_minutes.unwrap_or(60)));
                p1_scene += usize::from(l.on_scene.is_some_and(|t| t <= arrive_due));
            }
            Priority::P2 if due => {
                p2 += 1;
                p2_ack += usize::from(acked_in_time);
            }
            // A historical tip with nothing to follow may be closed at the desk, never handed off.
            Priority::P3 | Priority::P4 if due && l.handed_off.is_some() => {
                p34 += 1;
                p34_ack += usize::from(acked_in_time);
            }
            _ => {}
        }
        if age > Duration::days(3) {
            old += 1;
            old_closed += usize::from(l.closed);
        }
        if !l.closed {
            open += 1;
            open_recent += usize::from(age <= Duration::days(2));
        }
    }
    Shape {
        linked: share(linked.iter().filter(|&&l| l).count(), d.referrals.len()),
        p1_ack_on_time: share(p1_ack, p1),
        p1_on_scene_on_time: share(p1_scene, p1),
        p2_ack_on_time: share(p2_ack, p2),
        p3_p4_ack_on_time: share(p34_ack, p34),
        old_closed: share(old_closed, old),
        open,
        open_recent,
    }
}

fn report(n: usize, s: &Shape) -> String {
    format!(
        "{n} referrals: {:.1}% linked; P1 acknowledged in 15 min {:.1}%, on scene in 60 min {:.1}%; \
         P2 acknowledged in 1 h {:.1}%; P3/P4 acknowledged in target {:.1}%; \
         older than 3 days closed {:.1}%; open {} ({:.1}%), {} of them from the last 2 days",
        s.linked * 100.0,
        s.p1_ack_on_time * 100.0,
        s.p1_on_scene_on_time * 100.0,
        s.p2_ack_on_time * 100.0,
        s.p3_p4_ack_on_time * 100.0,
        s.old_closed * 100.0,
        s.open,
        share(s.open, n) * 100.0,
        s.open_recent,
    )
}

fn assert_realistic(n: usize, seed: u64) {
    let d = generate(&places(), &options(n, seed));
    let s = shape(&d, now());
    let what = report(n, &s);
    eprintln!("{what}");
    assert!((0.05..=0.15).contains(&s.linked), "{what}");
    assert!(s.p1_ack_on_time >= 0.90, "{what}");
    assert!(s.p1_on_scene_on_time >= 0.90, "{what}");
    assert!(s.p2_ack_on_time >= 0.80, "{what}");
    assert!(s.p3_p4_ack_on_time >= 0.80, "{what}");
    assert!(s.old_closed >= 0.80, "{what}");
    // A dispatcher's queue: a few dozen open per few hundred, mostly recent.
    assert!(share(s.open, n) <= 0.15, "{what}");
    assert!(s.open_recent * 2 > s.open, "{what}");
}

#[test]
fn two_thousand_referrals_look_like_the_field() {
    assert_realistic(2_000, 7);
}

#[test]
fn the_default_demo_looks_like_the_field() {
    // As `beacon demo` makes it by default.
    assert_realistic(600, 2026);
}

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let a = generate(&places(), &options(2_000, 7));
    let b = generate(&places(), &options(2_000, 7));
    assert_eq!(a.referrals, b.referrals);
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.responders, b.responders);
    let c = generate(&places(), &options(2_000, 8));
    assert_ne!(a.referrals, c.referrals);
    assert_ne!(a.steps, c.steps);
}

#[test]
fn every_referral_passes_intake() {
    let d = generate(&places(), &options(2_000, 7));
    for r in &d.referrals {
        let value = serde_json::to_value(r).unwrap();
        let parsed = beacon_domain::intake::referral_from_value(value, now())
            .unwrap_or_else(|e| panic!("{}: {e:?}", r.external_id));
        assert_eq!(&parsed, r);
    }
}

#[test]
fn the_referrals_do_not_depend_on_the_roster_or_the_history() {
    let with = generate(&places(), &options(500, 3));
    let without = generate(&places(), &Options { troops: vec![], history: false, ..options(500, 3) });
    assert_eq!(with.referrals, without.referrals);
    assert!(without.steps.is_empty());
}

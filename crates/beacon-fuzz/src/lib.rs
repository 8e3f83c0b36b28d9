//! What each fuzz target feeds its bytes to. A target passes when the call
//! returns, whatever it returns: refusing bad input is the job; panicking,
//! hanging or running out of memory is the bug. Each says whether the input
//! was accepted, so the seeds can be checked to reach the accepting path.
//!
//! `fuzz/` runs these under libFuzzer (cargo-fuzz, nightly);
//! `tests/corpora.rs` replays every committed corpus file through them on
//! stable, so a regression fails `cargo test`.
#![forbid(unsafe_code)]

use beacon_domain::intake;
use beacon_geo::{Layer, LayerOptions};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

/// A target: the bytes in, whether they were accepted.
pub type Target = fn(&[u8]) -> bool;

/// Every target, by the name of its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("referral_json", referral_json),
    ("referral_file", referral_file),
    ("eido", eido),
    ("sync_message", sync_message),
    ("geojson_layer", geojson_layer),
    ("shapefile", shapefile),
];

/// A fixed "now", so a run is repeatable.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
}

/// One referral as JSON: validated, triaged and written back like intake does.
pub fn referral_json(data: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return false };
    let Ok(referral) = intake::all_problems(value, now()) else { return false };
    let _ = beacon_domain::triage::triage(&referral);
    let text = serde_json::to_string(&referral).expect("a valid referral serialises");
    intake::referral_from_json_text(&text, now()).expect("a valid referral reads back");
    true
}

/// A file of referrals, format detected from its bytes (JSON array, JSON
/// Lines or CSV), read record by record to the end.
pub fn referral_file(data: &[u8]) -> bool {
    let mut any = false;
    for record in intake::records(std::io::Cursor::new(data), now()).take(10_000) {
        any |= record.is_ok();
    }
    any
}

/// A NENA EIDO document, mapped to a referral and validated.
pub fn eido(data: &[u8]) -> bool {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else { return false };
    let Ok(referral) = beacon_eido::referral_json(&doc) else { return false };
    intake::all_problems(referral, now()).is_ok()
}

/// What desktops and the hub send each other: a push or a pull's answer,
/// each event's chain hash checked and its body decoded.
pub fn sync_message(data: &[u8]) -> bool {
    let events = match (
        serde_json::from_slice::<beacon_sync::PushRequest>(data),
        serde_json::from_slice::<beacon_sync::PullResponse>(data),
    ) {
        (Ok(push), _) => push.events,
        (_, Ok(pull)) => pull.events,
        _ => return false,
    };
    let mut decoded = true;
    for event in &events {
        let _ = event.is_intact();
        decoded &= event.decode_body().is_ok();
    }
    decoded
}

/// A jurisdiction layer as GeoJSON; when it loads, a point is placed in it.
pub fn geojson_layer(data: &[u8]) -> bool {
    let Ok(layer) = Layer::from_geojson(data, "id", "name", LayerOptions::default()) else { return false };
    let _ = layer.bbox();
    let _ = layer.to_geojson();
    true
}

/// A shapefile: the first four bytes (little-endian) say how many of the
/// rest are the `.shp`; the others are the `.dbf`.
pub fn shapefile(data: &[u8]) -> bool {
    let Some((len, rest)) = data.split_first_chunk::<4>() else { return false };
    let split = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (shp, dbf) = rest.split_at(split);
    Layer::from_shapefile_bytes(shp, dbf, "id", "name", LayerOptions::default()).is_ok()
}

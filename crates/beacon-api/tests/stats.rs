//! Response statistics group every referral of the window under its
//! jurisdiction (unassigned ones together), with medians from the real times.

use beacon_api::Beacon;
use beacon_api::domain::event::Actor;
use beacon_api::domain::{Clock, ManualClock};
use chrono::{TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

#[test]
fn stats_group_by_jurisdiction_with_the_real_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap());
    let mut b = Beacon::open(&dir.path().join("s.sqlite3"), Actor("d".into()), Arc::new(clock.clone())).unwrap();
    b.import_responders(
        "id,name,role,agency,jurisdictions,languages,on_duty\nT1,Tpr. One,trooper,MSHP,Troop D,en,true\n".as_bytes(),
    )
    .unwrap();
    let places = [
        json!({"city": "Springfield", "state": "MO", "lat": 37.2, "lon": -93.29}), // Greene
        json!({"city": "Springfield", "state": "MO", "lat": 37.2, "lon": -93.29}),
        json!({"city": "Kansas City", "state": "MO", "lat": 39.1, "lon": -94.58}), // Jackson
        json!({"address": "somewhere"}),                                           // unknown
    ];
    for (i, place) in places.iter().enumerate() {
        let r = json!({"external_id": format!("S-{i}"), "source": "hotline_call", "received_at": clock.now().to_rfc3339(),
            "urgency": "recent", "trafficking_type": "sex", "location": place, "narrative": "n"});
        let id = b.add_referral_json(r).unwrap().id.to_string();
        clock.advance_ms(60_000 * (i as i64 + 1)); // handed off 1, 2, 3, 4 minutes after
        b.handoff(&id, "T1").unwrap();
    }
    // Outside the window: one more in Greene, and the only one in Boone.
    let old = clock.now() - chrono::Duration::days(40);
    for (i, place) in [
        json!({"city": "Springfield", "state": "MO", "lat": 37.2, "lon": -93.29}),
        json!({"city": "Columbia", "state": "MO", "lat": 38.95, "lon": -92.33}),
    ]
    .iter()
    .enumerate()
    {
        let r = json!({"external_id": format!("OLD-{i}"), "source": "hotline_call", "received_at": old.to_rfc3339(),
            "urgency": "recent", "trafficking_type": "sex", "location": place, "narrative": "n"});
        b.add_referral_json(r).unwrap();
    }
    let s = b.stats(30).unwrap();
    assert_eq!(s.overall.referrals, 4);
    assert!(
        s.by_jurisdiction.iter().all(|g| g.name != "Boone"),
        "a jurisdiction with no referral in the window is not listed"
    );
    let wider = b.stats(60).unwrap();
    assert_eq!(wider.overall.referrals, 6);
    assert!(wider.by_jurisdiction.iter().any(|g| g.name == "Boone" && g.referrals == 1));
    assert!(wider.by_jurisdiction.iter().any(|g| g.name == "Greene" && g.referrals == 3));
    assert_eq!(s.overall.received_to_handed_off.median_s, Some(120));
    let by: Vec<(String, u64)> = s.by_jurisdiction.iter().map(|g| (g.name.clone(), g.referrals)).collect();
    assert_eq!(by[0], ("Greene".to_string(), 2), "largest first: {by:?}");
    assert!(by.contains(&("Jackson".to_string(), 1)), "{by:?}");
    assert!(by.contains(&("Unassigned".to_string(), 1)), "{by:?}");
    let greene = &s.by_jurisdiction[0];
    assert_eq!((greene.received_to_handed_off.median_s, greene.received_to_handed_off.p90_s), (Some(60), Some(120)));
}

//! The shipped layer against independent results (shapely, see
//! tests/fixtures/geo/make_points.py) and named places.

use std::sync::OnceLock;

use beacon_domain::AssignMethod;
use beacon_domain::referral::Location;
use beacon_geo::{CoordError, Gazetteer, Scratch};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

fn gaz() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| Gazetteer::default_layer().expect("default layer loads"))
}

const POINTS: &str = include_str!("../../../tests/fixtures/geo/points.csv");

#[test]
fn agrees_with_shapely() {
    let g = gaz();
    let margin = g.layer().margin_km();
    let mut rdr = csv::Reader::from_reader(POINTS.as_bytes());
    let (mut far, mut near, mut outside) = (0, 0, 0);
    for rec in rdr.records() {
        let r = rec.unwrap();
        let lat: f64 = r[1].parse().unwrap();
        let lon: f64 = r[2].parse().unwrap();
        let fips = &r[3];
        let bkm: f64 = r[4].parse().unwrap();
        let nearest = &r[5];
        let a = g.locate(lat, lon).unwrap();
        let ctx = format!("{lat},{lon} shapely={fips:?} {bkm} km: {a:?}");
        let id = a.jurisdiction_id.as_deref().unwrap();
        if (bkm - margin).abs() < 1e-3 {
            continue; // on the margin itself: either answer is right
        }
        if fips.is_empty() {
            outside += 1;
            assert!(a.outside, "{ctx}");
            let d = a.distance_km.unwrap();
            assert!((d - bkm).abs() < 1e-3, "{ctx}");
            // Two counties sharing the nearest boundary point tie: then the
            // shapely one must be exactly as far as ours.
            if id != nearest {
                let k = g.layer().jurisdictions().iter().position(|j| j.id == nearest).unwrap();
                let dn = g.index().boundary_distance_km(k, lat, lon);
                assert!((dn - d).abs() < 1e-6, "{ctx} vs {dn}");
            }
            assert_eq!(a.near_border, bkm < margin, "{ctx}");
        } else if bkm > margin {
            far += 1;
            assert_eq!(id, fips, "{ctx}");
            assert!(!a.near_border && !a.outside && a.candidates.is_empty(), "{ctx}");
        } else {
            near += 1;
            assert!(!a.outside, "{ctx}");
            assert!(a.near_border, "{ctx}");
            assert!(id == fips || a.candidates.iter().any(|c| c.jurisdiction_id == fips), "{ctx}");
        }
        assert_eq!(a.method, AssignMethod::Point);
    }
    assert!(far > 4000 && near > 1500 && outside > 3000, "{far} {near} {outside}");
}

/// The grid's shortcuts must give exactly what the R-tree-only path gives.
#[test]
fn grid_equals_exact_path() {
    let g = gaz();
    let idx = g.index();
    let b = g.layer().bbox();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut s1, mut s2) = (Scratch::default(), Scratch::default());
    for _ in 0..60_000 {
        let lat = rng.random_range(b[1] - 0.5..b[3] + 0.5);
        let lon = rng.random_range(b[0] - 0.5..b[2] + 0.5);
        let fast = idx.locate(lat, lon, &mut s1).unwrap();
        let exact = idx.locate_exact(lat, lon, &mut s2).unwrap();
        assert_eq!(fast.primary, exact.primary, "{lat},{lon}");
        assert_eq!(fast.outside, exact.outside, "{lat},{lon}");
        assert_eq!(fast.near_border, exact.near_border, "{lat},{lon}");
        assert_eq!(fast.candidates, exact.candidates, "{lat},{lon}");
        match (fast.distance_km, exact.distance_km) {
            (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{lat},{lon}"),
            (x, y) => assert_eq!(x, y),
        }
    }
}

#[test]
fn st_louis_city_and_county() {
    let g = gaz();
    let downtown = g.locate(38.627, -90.199).unwrap();
    assert_eq!(downtown.jurisdiction_id.as_deref(), Some("29510"));
    assert_eq!(downtown.name.as_deref(), Some("St. Louis city"));
    assert!(!downtown.outside);
    let clayton = g.locate(38.6426, -90.3237).unwrap();
    assert_eq!(clayton.jurisdiction_id.as_deref(), Some("29189"));
    assert!(!clayton.outside);
    // Forest Park's west edge, on the city line (Skinker Blvd).
    let border = g.locate(38.6400, -90.3010).unwrap();
    assert!(border.near_border, "{border:?}");
    let ids: Vec<&str> = std::iter::once(border.jurisdiction_id.as_deref().unwrap())
        .chain(border.candidates.iter().map(|c| c.jurisdiction_id.as_str()))
        .collect();
    assert!(ids.contains(&"29510") && ids.contains(&"29189"), "{border:?}");
    for c in &border.candidates {
        assert!(c.distance_km >= 0.0 && c.distance_km <= 2.5);
    }
}

#[test]
fn river_border_st_charles_st_louis_county() {
    let g = gaz();
    // On the river border between St. Charles and Bridgeton/Maryland Heights.
    let a = g.locate(38.78, -90.45).unwrap();
    let ids: Vec<&str> = std::iter::once(a.jurisdiction_id.as_deref().unwrap())
        .chain(a.candidates.iter().map(|c| c.jurisdiction_id.as_str()))
        .collect();
    assert!(a.near_border, "{a:?}");
    assert!(ids.contains(&"29183") && ids.contains(&"29189"), "{a:?}");
    // Well inside St. Charles County (O'Fallon).
    let ofallon = g.locate(38.81, -90.70).unwrap();
    assert_eq!(ofallon.jurisdiction_id.as_deref(), Some("29183"));
    assert!(!ofallon.near_border);
}

#[test]
fn just_outside_the_state() {
    let g = gaz();
    // East St. Louis / Belleville, Illinois.
    let il = g.locate(38.52, -89.98).unwrap();
    assert!(il.outside, "{il:?}");
    assert!(il.distance_km.unwrap() > 3.0);
    assert!(il.is_unassigned());
    assert!(il.label().starts_with("Outside the layer (nearest: "), "{}", il.label());
    let near: &str = il.jurisdiction_id.as_deref().unwrap();
    assert!(["29510", "29189", "29099"].contains(&near), "{il:?}");
    // Kansas City, Kansas (west of State Line Road, Jackson County 29095 nearest).
    let ks = g.locate(39.05, -94.75).unwrap();
    assert!(ks.outside, "{ks:?}");
    assert_eq!(ks.jurisdiction_id.as_deref(), Some("29095"));
    let d = ks.distance_km.unwrap();
    assert!(d > 5.0 && d < 20.0, "{ks:?}");
    // Far away: still a typed answer, not a panic.
    let paris = g.locate(48.85, 2.35).unwrap();
    assert!(paris.outside && paris.distance_km.unwrap() > 5000.0);
}

#[test]
fn bad_coordinates_are_errors() {
    let g = gaz();
    assert!(matches!(g.locate(f64::NAN, -90.0), Err(CoordError::NotFinite { .. })));
    assert!(matches!(g.locate(38.0, f64::INFINITY), Err(CoordError::NotFinite { .. })));
    assert!(matches!(g.locate(91.0, -90.0), Err(CoordError::LatOutOfRange(_))));
    assert!(matches!(g.locate(38.0, -181.0), Err(CoordError::LonOutOfRange(_))));
}

fn loc(f: impl FnOnce(&mut Location)) -> Location {
    let mut l: Location = serde_json::from_str("{}").unwrap();
    f(&mut l);
    l
}

#[test]
fn assign_by_point_zip_name_unknown() {
    let g = gaz();
    let a = g.assign(&loc(|l| {
        l.lat = Some(38.627);
        l.lon = Some(-90.199);
        l.zip = Some("64101".into());
    }));
    assert_eq!(a.method, AssignMethod::Point);
    assert_eq!(a.jurisdiction_id.as_deref(), Some("29510"));
    assert!(a.troop.is_some());

    // Springfield ZIP: centre in Greene County (29077), troop D.
    let z = g.assign(&loc(|l| l.zip = Some("65806-1234".into())));
    assert_eq!(z.method, AssignMethod::Zip);
    assert_eq!(z.jurisdiction_id.as_deref(), Some("29077"));
    assert_eq!(z.troop.as_deref(), Some("D"));

    // Every ZIP with a centre: the table's county is the answer or a candidate.
    let zips: serde_json::Value = serde_json::from_slice(beacon_geo::gazetteer::DEFAULT_ZIPS).unwrap();
    let mut differing = 0;
    for e in zips.as_array().unwrap() {
        let zip = e["zip"].as_str().unwrap();
        let want = e["county_fips"].as_str().unwrap_or("");
        let a = g.assign(&loc(|l| l.zip = Some(zip.into())));
        assert_eq!(a.method, AssignMethod::Zip, "{zip}");
        if want.is_empty() || a.outside {
            continue;
        }
        let id = a.jurisdiction_id.as_deref().unwrap();
        if id != want {
            differing += 1;
            assert!(a.near_border, "{zip}: {a:?}");
            assert!(a.candidates.iter().any(|c| c.jurisdiction_id == want), "{zip}: {a:?}");
        }
    }
    assert!(differing > 0 && differing < 60, "{differing}");

    let cases = [
        ("St Louis", "29189"),
        ("St. Louis", "29189"),
        ("Saint Louis County", "29189"),
        ("St. Louis Co.", "29189"),
        ("st louis county", "29189"),
        ("St. Louis City", "29510"),
        ("City of St. Louis", "29510"),
        ("Saint Louis city", "29510"),
        ("DeKalb", "29063"),
        ("Dekalb", "29063"),
        ("De Kalb County", "29063"),
        ("ste genevieve", "29186"),
        ("Sainte Genevieve County", "29186"),
        ("St. Charles", "29183"),
        ("Jackson County", "29095"),
        ("Greene", "29077"),
        ("Gren", "29077"),
    ];
    for (name, want) in cases {
        if name == "Gren" {
            // too short for typo tolerance
            assert_eq!(g.match_county_name(name), None);
            continue;
        }
        assert_eq!(g.match_county_name(name), Some(want), "{name}");
        let a = g.assign(&loc(|l| l.county = Some(name.into())));
        assert_eq!(a.method, AssignMethod::CountyName, "{name}");
        assert_eq!(a.jurisdiction_id.as_deref(), Some(want), "{name}");
        assert!(a.troop.is_some(), "{name}");
    }
    assert_eq!(g.match_county_name("Genevive"), None); // not a county on its own
    assert_eq!(g.match_county_name("Ste Genevive"), Some("29186"));
    assert_eq!(g.match_county_name("Kansas City"), None);

    let u = g.assign(&loc(|l| {
        l.county = Some("Nowhere".into());
        l.zip = Some("00000".into());
        l.lat = Some(f64::NAN);
        l.lon = Some(-90.0);
    }));
    assert_eq!(u.method, AssignMethod::Unknown);
    assert_eq!(u.jurisdiction_id, None);
    assert!(u.is_unassigned());
}

#[test]
fn troops_and_listing() {
    let g = gaz();
    let list = g.jurisdictions();
    assert_eq!(list.len(), 115);
    assert!(list.iter().all(|j| j.troop.is_some()), "every county has a troop");
    assert!(list.iter().any(|j| !j.troop_verified), "unverified entries stay marked");
    let unverified = list.iter().find(|j| !j.troop_verified).unwrap();
    let b = unverified.bbox;
    let a = g.locate((b[1] + b[3]) / 2.0, (b[0] + b[2]) / 2.0).unwrap();
    if a.jurisdiction_id.as_deref() == Some(unverified.id.as_str()) {
        assert!(!a.troop_verified);
    }
    let a = g.assign(&loc(|l| l.county = Some(unverified.name.clone())));
    assert!(!a.troop_verified);
    assert_eq!(a.troop, unverified.troop);
}

const ST_CLAIR: &str = "29185";

#[test]
fn the_shipped_layer_is_in_missouri() {
    assert_eq!(gaz().state(), Some("MO"));
    assert_eq!(gaz().match_county_name("St. Clair"), Some(ST_CLAIR));
}

#[test]
fn st_clair_in_illinois_is_outside_with_the_reason() {
    let a = gaz().assign(&loc(|l| {
        l.county = Some("St. Clair".into());
        l.state = Some("IL".into());
    }));
    assert!(a.outside, "{a:?}");
    assert_eq!(a.outside_reason.as_deref(), Some("the referral's state (IL) is not this layer's (MO)"));
    assert!(a.jurisdiction_id.is_none() && a.name.is_none() && a.troop.is_none());
    assert_eq!(a.method, AssignMethod::Unknown);
    assert!(a.is_unassigned());
    assert_eq!(a.label(), "Outside the layer: the referral's state (IL) is not this layer's (MO)");
    // Named in full, any case: the same, with the postal code.
    for state in ["Illinois", "illinois", " ILLINOIS ", "il"] {
        let a = gaz().assign(&loc(|l| {
            l.county = Some("St. Clair".into());
            l.state = Some(state.into());
        }));
        assert_eq!(
            a.outside_reason.as_deref(),
            Some("the referral's state (IL) is not this layer's (MO)"),
            "{state:?}"
        );
    }
}

#[test]
fn st_clair_in_missouri_is_st_clair_county() {
    let a = gaz().assign(&loc(|l| {
        l.county = Some("St. Clair".into());
        l.state = Some("MO".into());
    }));
    assert_eq!(a.jurisdiction_id.as_deref(), Some(ST_CLAIR));
    assert_eq!(a.method, AssignMethod::CountyName);
    assert!(!a.outside && a.outside_reason.is_none() && a.troop.is_some());
}

#[test]
fn st_clair_without_a_state_is_st_clair_county() {
    for state in [None, Some(""), Some("  ")] {
        let a = gaz().assign(&loc(|l| {
            l.county = Some("St. Clair".into());
            l.state = state.map(String::from);
        }));
        assert_eq!(a.jurisdiction_id.as_deref(), Some(ST_CLAIR), "{state:?}");
        assert_eq!(a.method, AssignMethod::CountyName);
        assert!(!a.outside && a.outside_reason.is_none());
    }
}

#[test]
fn missouri_spelled_out_is_this_layers_state() {
    for state in ["Missouri", "missouri", "MISSOURI", "mo", "Mo."] {
        let a = gaz().assign(&loc(|l| {
            l.county = Some("St. Clair".into());
            l.state = Some(state.into());
        }));
        assert_eq!(a.jurisdiction_id.as_deref(), Some(ST_CLAIR), "{state:?}");
        assert!(!a.outside, "{state:?}");
    }
}

#[test]
fn an_unrecognised_state_is_not_repeated() {
    let a = gaz().assign(&loc(|l| {
        l.county = Some("St. Clair".into());
        l.state = Some("call 555-0100 ask for Jo".into());
    }));
    assert!(a.outside && a.jurisdiction_id.is_none(), "{a:?}");
    assert_eq!(a.outside_reason.as_deref(), Some("the referral's state is not this layer's"));
}

#[test]
fn zip_with_another_state_is_not_placed_by_zip() {
    // 65806 is Springfield's: Greene County by ZIP when the state is ours or absent.
    for state in [None, Some("MO"), Some("Missouri")] {
        let a = gaz().assign(&loc(|l| {
            l.zip = Some("65806".into());
            l.state = state.map(String::from);
        }));
        assert_eq!((a.method, a.jurisdiction_id.as_deref()), (AssignMethod::Zip, Some("29077")), "{state:?}");
    }
    let a = gaz().assign(&loc(|l| {
        l.zip = Some("65806".into());
        l.county = Some("Greene".into());
        l.state = Some("KS".into());
    }));
    assert_eq!(a.method, AssignMethod::Unknown);
    assert!(a.outside && a.jurisdiction_id.is_none() && a.candidates.is_empty(), "{a:?}");
    assert_eq!(a.outside_reason.as_deref(), Some("the referral's state (KS) is not this layer's (MO)"));
}

#[test]
fn coordinates_with_another_state_are_still_placed_by_point() {
    // Downtown Springfield, whatever the referral says the state is.
    let a = gaz().assign(&loc(|l| {
        l.lat = Some(37.209);
        l.lon = Some(-93.292);
        l.county = Some("St. Clair".into());
        l.state = Some("IL".into());
    }));
    assert_eq!((a.method, a.jurisdiction_id.as_deref()), (AssignMethod::Point, Some("29077")));
    assert!(!a.outside && a.outside_reason.is_none());
    // Unusable coordinates fall back, and then the state counts.
    let a = gaz().assign(&loc(|l| {
        l.lat = Some(f64::NAN);
        l.lon = Some(-93.292);
        l.county = Some("St. Clair".into());
        l.state = Some("IL".into());
    }));
    assert!(a.outside && a.outside_reason.is_some(), "{a:?}");
}

/// Assignments are stored as JSON in event bodies: the form of existing
/// answers is unchanged and stored ones without the new field still read.
#[test]
fn stored_json_is_unchanged() {
    let a = gaz().locate(37.209, -93.292).unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        r#"{"jurisdiction_id":"29077","name":"Greene","troop":"D","troop_verified":true,"method":"point","near_border":false,"outside":false}"#
    );
    let stored = r#"{"jurisdiction_id":"29095","name":"Jackson","troop":"A","troop_verified":true,"method":"point","near_border":false,"outside":true,"distance_km":12.5}"#;
    let back: beacon_domain::JurisdictionAssignment = serde_json::from_str(stored).unwrap();
    assert_eq!(back.outside_reason, None);
    assert_eq!(serde_json::to_string(&back).unwrap(), stored);
    let other = gaz().assign(&loc(|l| l.state = Some("IL".into())));
    let json = serde_json::to_string(&other).unwrap();
    assert!(
        json.ends_with(r#""outside":true,"outside_reason":"the referral's state (IL) is not this layer's (MO)"}"#),
        "{json}"
    );
    let back: beacon_domain::JurisdictionAssignment = serde_json::from_str(&json).unwrap();
    assert_eq!(back, other);
}

/// The borrowed answer and the owned one it converts to say the same, in
/// the same JSON, with one, two or more candidates.
#[test]
fn located_converts_to_the_same_assignment() {
    let g = gaz();
    let b = g.layer().bbox();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut by_count = [0usize; 4];
    for _ in 0..40_000 {
        let (lat, lon) = (rng.random_range(b[1]..b[3]), rng.random_range(b[0]..b[2]));
        let a = g.locate(lat, lon).unwrap();
        let owned = beacon_domain::JurisdictionAssignment::from(&a);
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&owned).unwrap());
        assert_eq!(a.label(), owned.label());
        assert_eq!(a.is_unassigned(), owned.is_unassigned());
        assert_eq!(a.candidates.len(), owned.candidates.len());
        for (c, o) in a.candidates.iter().zip(&owned.candidates) {
            assert!(c.jurisdiction_id == o.jurisdiction_id && c.name == o.name && c.distance_km == o.distance_km);
        }
        by_count[a.candidates.len().min(3)] += 1;
    }
    assert!(by_count.iter().all(|&n| n > 0), "{by_count:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]
    #[test]
    fn locate_never_panics(lat in any::<f64>(), lon in any::<f64>()) {
        let g = gaz();
        match g.locate(lat, lon) {
            Ok(a) => prop_assert!(a.jurisdiction_id.is_some()),
            Err(_) => prop_assert!(!(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0)),
        }
    }

    #[test]
    fn locate_never_panics_in_range(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0) {
        let a = gaz().locate(lat, lon).unwrap();
        prop_assert!(a.jurisdiction_id.is_some());
    }
}

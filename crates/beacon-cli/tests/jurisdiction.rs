//! Jurisdictions through the command line: locate, list, import a layer, reassign.

mod common;

use common::{Env, referral};
use serde_json::json;

#[test]
fn locate_prints_the_county_troop_and_method() {
    let env = Env::new();
    let downtown = env.run(&["--json", "locate", "38.627", "-90.199"]).ok().json();
    assert_eq!(downtown["jurisdiction_id"], "29510");
    assert_eq!(downtown["method"], "point");
    assert!(downtown["troop"].is_string());
    let clayton = env.run(&["--json", "locate", "38.6426", "-90.3237"]).ok().json();
    assert_eq!(clayton["jurisdiction_id"], "29189");
    let kansas = env.run(&["--json", "locate", "39.05", "-94.75"]).ok().json();
    assert_eq!(kansas["outside"], true);
    assert!(kansas["distance_km"].as_f64().unwrap() > 1.0);
    let human = env.run(&["locate", "37.2089", "-93.2923"]).ok();
    assert!(human.stdout.contains("29077 Greene"), "{}", human.stdout);
    let bad = env.run(&["locate", "91", "-93"]);
    assert_eq!(bad.code, 2);
    assert_eq!(env.run(&["locate", "north", "-93"]).code, 2);
}

#[test]
fn locate_reads_lines_from_standard_input_as_json_lines() {
    let env = Env::new();
    let input = b"38.627,-90.199\n37.2089 -93.2923\n\nnot,a point\n";
    let run = env.run_with_stdin(&["--json", "locate", "-"], Some(input));
    assert_eq!(run.code, 2, "a bad line makes the exit code 2");
    let lines: Vec<serde_json::Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["jurisdiction_id"], "29510");
    assert_eq!(lines[1]["jurisdiction_id"], "29077");
    assert_eq!(lines[2]["line"], 4);
}

#[test]
fn a_point_near_a_border_is_flagged_and_a_dispatcher_confirms_it() {
    let env = Env::new();
    // On the St. Louis city / county line (Skinker Blvd).
    let r = referral("NB-1", json!({"location": {"lat": 38.6486, "lon": -90.3015}}));
    let added = env.run_with_stdin(&["--json", "referral", "add", "-"], Some(r.to_string().as_bytes())).ok().json();
    let j = &added["jurisdiction"];
    assert_eq!(j["near_border"], true, "{j}");
    let candidates: Vec<&str> =
        j["candidates"].as_array().unwrap().iter().map(|c| c["jurisdiction_id"].as_str().unwrap()).collect();
    let assigned = j["jurisdiction_id"].as_str().unwrap();
    let other = if assigned == "29510" { "29189" } else { "29510" };
    assert!(candidates.contains(&other), "{candidates:?}");
    let shown = env.run(&["show", "NB-1"]).ok();
    assert!(shown.stdout.contains("near a border"), "{}", shown.stdout);

    env.run(&["jurisdiction", "confirm", "NB-1", other]).ok();
    let after = env.run(&["--json", "show", "NB-1"]).ok().json();
    assert_eq!(after["jurisdiction"]["jurisdiction_id"], other);
    assert_eq!(after["jurisdiction"]["method"], "manual");
    assert_eq!(after["jurisdiction"]["near_border"], false);
    let audit = env.run(&["--json", "audit", "NB-1"]).ok().json();
    assert_eq!(audit.as_array().unwrap().last().unwrap()["kind"], "jurisdiction_changed");
    assert_eq!(env.run(&["jurisdiction", "confirm", "NB-1", "99999"]).code, 2);
}

#[test]
fn jurisdiction_list_marks_unverified_troops() {
    let env = Env::new();
    let list = env.run(&["--json", "jurisdiction", "list"]).ok().json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 115);
    assert!(list.iter().any(|j| j["troop_verified"] == false), "the shipped table has unverified entries");
    let table = env.run(&["jurisdiction", "list"]).ok();
    assert!(table.stdout.contains("(unverified)"));
}

#[test]
fn referrals_get_a_jurisdiction_from_point_zip_or_county_name_and_the_queue_filters_by_it() {
    let env = Env::new();
    let add = |id: &str, location: serde_json::Value| {
        let r = referral(id, json!({"location": location, "suspects": []}));
        env.run_with_stdin(&["--json", "referral", "add", "-"], Some(r.to_string().as_bytes())).ok().json()
    };
    assert_eq!(add("J-PT", json!({"lat": 38.627, "lon": -90.199}))["jurisdiction"]["method"], "point");
    let z = add("J-ZIP", json!({"zip": "65803"}));
    assert_eq!(
        (z["jurisdiction"]["method"].as_str(), z["jurisdiction"]["jurisdiction_id"].as_str()),
        (Some("zip"), Some("29077"))
    );
    let c = add("J-CTY", json!({"county": "Saint Louis County"}));
    assert_eq!(c["jurisdiction"]["jurisdiction_id"], "29189");
    let u = add("J-UNK", json!({"address": "100 Nowhere Rd"}));
    assert_eq!(u["jurisdiction"]["method"], "unknown");

    let q = env.run(&["--json", "queue", "--county", "St Louis City"]).ok().json();
    let ids: Vec<&str> = q.as_array().unwrap().iter().map(|c| c["external_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["J-PT"]);
    let un = env.run(&["--json", "queue", "--unassigned"]).ok().json();
    assert_eq!(un[0]["external_id"], "J-UNK");
    // Every one of them needs a dispatcher; an unknown jurisdiction does not
    // change the order (priority, then the deadline), it is flagged on the row.
    let all = env.run(&["--json", "queue"]).ok().json();
    assert_eq!(all.as_array().unwrap().len(), 4);
    assert!(all.as_array().unwrap().iter().all(|c| c["place"]["group"] == "needs_dispatcher"));
    assert_eq!(env.run(&["queue", "--county", "Atlantis"]).code, 2);
}

fn square(id: &str, name: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> serde_json::Value {
    json!({"type": "Feature", "properties": {"code": id, "label": name},
           "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}})
}

#[test]
fn importing_a_layer_replaces_it_and_reassign_records_an_event_per_changed_case() {
    let env = Env::new();
    let r = referral("L-1", json!({"location": {"lat": 37.5, "lon": -93.5}}));
    env.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();
    let before = env.run(&["--json", "show", "L-1"]).ok().json();
    assert!(before["jurisdiction"]["jurisdiction_id"].as_str().unwrap().starts_with("29"));

    // A bad layer is rejected and the current one stays.
    let bad = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "X"}, "geometry": {"type": "Point", "coordinates": [-93.0, 37.0]}}]});
    let bad_file = env.write("bad.geojson", bad.to_string().as_bytes());
    let run = env.run(&[
        "jurisdiction",
        "import",
        bad_file.to_str().unwrap(),
        "--id-property",
        "code",
        "--name-property",
        "label",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("feature"), "{}", run.stderr);
    assert_eq!(env.run(&["--json", "jurisdiction", "list"]).ok().json().as_array().unwrap().len(), 115);

    let layer = json!({"type": "FeatureCollection", "features": [
        square("WEST", "West District", -96.0, 35.0, -93.0, 41.0),
        square("EAST", "East District", -93.0, 35.0, -89.0, 41.0),
    ]});
    let file = env.write("districts.geojson", layer.to_string().as_bytes());
    let agencies = env.write("agencies.csv", b"jurisdiction_id,troop,verified\nWEST,W,true\nEAST,E,false\n");
    env.run(&[
        "jurisdiction",
        "import",
        file.to_str().unwrap(),
        "--id-property",
        "code",
        "--name-property",
        "label",
        "--authoritative",
        "--agencies",
        agencies.to_str().unwrap(),
    ])
    .ok();
    let list = env.run(&["--json", "jurisdiction", "list"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    // Cases keep their jurisdiction until reassigned.
    assert_eq!(env.run(&["--json", "show", "L-1"]).json()["jurisdiction"], before["jurisdiction"]);
    let located = env.run(&["--json", "locate", "37.5", "-90.5"]).ok().json();
    assert_eq!((located["jurisdiction_id"].as_str(), located["troop"].as_str()), (Some("EAST"), Some("E")));
    assert_eq!(located["troop_verified"], false);

    let re = env.run(&["--json", "jurisdiction", "reassign"]).ok().json();
    assert_eq!(re["changed"], 1);
    let after = env.run(&["--json", "show", "L-1"]).ok().json();
    assert_eq!(after["jurisdiction"]["jurisdiction_id"], "WEST");
    let audit = env.run(&["--json", "audit", "L-1"]).ok().json();
    assert!(audit.as_array().unwrap().iter().any(|e| e["kind"] == "jurisdiction_changed"));
    // Nothing changes the second time.
    assert_eq!(env.run(&["--json", "jurisdiction", "reassign"]).ok().json()["changed"], 0);

    // Authoritative: no margin, so a point 1 km from the line is not flagged;
    // with a margin chosen by the agency it is.
    let near = env.run(&["--json", "locate", "37.5", "-93.01"]).ok().json();
    assert_eq!(near["near_border"], false);
    env.run(&[
        "jurisdiction",
        "import",
        file.to_str().unwrap(),
        "--id-property",
        "code",
        "--name-property",
        "label",
        "--margin-km",
        "2",
    ])
    .ok();
    let near = env.run(&["--json", "locate", "37.5", "-93.01"]).ok().json();
    assert_eq!(near["near_border"], true);
    assert_eq!(near["candidates"][0]["jurisdiction_id"], "EAST");
}

//! The `beacon` command line, end to end: the real binary, a real SQLite file.

mod common;

use common::{Env, referral};
use serde_json::json;

fn add(env: &Env, r: &serde_json::Value) -> serde_json::Value {
    env.run_with_stdin(&["--json", "referral", "add", "-"], Some(r.to_string().as_bytes())).ok().json()
}

#[test]
fn add_show_and_queue_order_p1_first_then_oldest() {
    let env = Env::new();
    let now = chrono::Utc::now();
    let old_recent = referral("R-OLD", json!({"received_at": (now - chrono::Duration::hours(5)).to_rfc3339()}));
    let new_recent = referral("R-NEW", json!({"received_at": (now - chrono::Duration::hours(1)).to_rfc3339()}));
    let urgent = referral(
        "R-P1",
        json!({"urgency": "in_progress", "received_at": (now - chrono::Duration::minutes(3)).to_rfc3339()}),
    );
    for r in [&new_recent, &urgent, &old_recent] {
        add(&env, r);
    }
    let q = env.run(&["--json", "queue"]).ok().json();
    let ids: Vec<&str> = q.as_array().unwrap().iter().map(|c| c["external_id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["R-P1", "R-OLD", "R-NEW"]);
    let first = &q[0];
    assert_eq!(first["priority"], "P1");
    assert_eq!(first["status"], "new");
    assert_eq!(first["priority_reasons"][0]["code"], "in_progress");
    assert!(first["id"].as_str().unwrap().len() == 36);
    assert!(first["links"].is_array());
    assert!(first["jurisdiction"].is_object());
    // Referral fields are there under their own names, unknown ones too.
    assert_eq!(first["location"]["city"], "Springfield");

    let shown = env.run(&["--json", "show", "R-OLD"]).ok().json();
    assert_eq!(shown["external_id"], "R-OLD");
    assert_eq!(shown["priority"], "P2");
    let short = shown["short_id"].as_str().unwrap().to_string();
    let human = env.run(&["show", &short]).ok();
    assert!(human.stdout.contains("P2"), "{}", human.stdout);
    let table = env.run(&["queue"]).ok();
    assert!(table.stdout.contains("3 open cases"), "{}", table.stdout);
    assert!(table.stdout.contains("left") || table.stdout.contains("overdue"), "{}", table.stdout);
}

#[test]
fn adding_the_same_referral_twice_stores_it_once() {
    let env = Env::new();
    let r = referral("DUP-1", json!({}));
    add(&env, &r);
    let again = env.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();
    assert!(again.stdout.contains("already exists"));
    assert_eq!(env.case_count(), 1);
}

#[test]
fn unknown_fields_survive_the_round_trip() {
    let env = Env::new();
    let r = referral("U-1", json!({"hotline_case_worker": "CW-7", "location": {"city": "Rolla", "geo_source": "gps"}}));
    add(&env, &r);
    let shown = env.run(&["--json", "show", "U-1"]).ok().json();
    assert_eq!(shown["hotline_case_worker"], "CW-7");
    assert_eq!(shown["location"]["geo_source"], "gps");
}

#[test]
fn malformed_records_are_rejected_with_the_field_named_and_nothing_stored() {
    let env = Env::new();
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (referral("B-1", json!({"narrative": null})), "narrative"),
        (referral("B-2", json!({"urgency": 3})), "urgency"),
        (referral("B-3", json!({"received_at": "yesterday"})), "received_at"),
        (referral("B-4", json!({"location": {"lat": 38.5, "lon": -200.0}})), "location.lon"),
        (referral("B-5", json!({"narrative": "x".repeat(70 * 1024)})), "narrative"),
        (referral("B-6", json!({"potential_victims": {"count": "Maria Lopez"}})), "potential_victims.count"),
        (referral("B-7", json!({"indicators": ["bad_vibes"]})), "indicators[0]"),
        (referral("", json!({})), "external_id"),
    ];
    for (r, field) in cases {
        let run = env.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes()));
        assert_eq!(run.code, 2, "{field}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("`{field}`")), "expected field {field} in: {}", run.stderr);
        assert!(!run.stderr.contains("Maria"), "victim data leaked into the error: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"));
    }
    // A record over the size limit is refused before it is read whole.
    let huge = referral("B-8", json!({"narrative": "x".repeat(10 * 1024 * 1024)}));
    let run = env.run_with_stdin(&["referral", "add", "-"], Some(huge.to_string().as_bytes()));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("larger than the limit"), "{}", run.stderr);
    let bad_utf8 = env.run_with_stdin(&["referral", "add", "-"], Some(b"{\"external_id\":\"\xff\"}"));
    assert_eq!(bad_utf8.code, 2);
    assert!(bad_utf8.stderr.contains("UTF-8"), "{}", bad_utf8.stderr);
    let not_json = env.run_with_stdin(&["referral", "add", "-"], Some(b"hello"));
    assert_eq!(not_json.code, 2);
    assert_eq!(env.case_count(), 0);
}

#[test]
fn sql_and_shell_metacharacters_are_stored_verbatim_and_do_no_harm() {
    let env = Env::new();
    let nasty = "Robert'); DROP TABLE cases;-- $(rm -rf /) `id` | tee; \"quoted\" && echo pwned";
    let r = referral("'; DROP TABLE cases;--", json!({"narrative": nasty}));
    add(&env, &r);
    let shown = env.run(&["--json", "show", "'; DROP TABLE cases;--"]).ok().json();
    assert_eq!(shown["narrative"], nasty);
    let found = env.run(&["--json", "search", "'); DROP TABLE cases;--"]).ok().json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    // FTS5 query syntax typed by a person is treated as words, never as syntax.
    let none = env.run(&["--json", "search", "NEAR(", "OR", "\"", "*"]).ok().json();
    assert_eq!(none.as_array().unwrap().len(), 0);
    assert_eq!(env.case_count(), 1);
}

#[test]
fn import_stores_good_records_rejects_bad_ones_by_line_and_is_idempotent() {
    let env = Env::new();
    let mut lines = Vec::new();
    for i in 0..50 {
        lines.push(referral(&format!("IMP-{i}"), json!({})).to_string());
    }
    lines.insert(10, referral("IMP-BAD", json!({"received_at": "2026-13-45T99:00:00Z"})).to_string());
    lines.insert(20, "{not json".to_string());
    let file = env.write("batch.jsonl", lines.join("\n").as_bytes());
    let run = env.run(&["--json", "referral", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["stored"], 50);
    let rejected = report["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["position"], "line 11");
    assert_eq!(rejected[0]["error"]["field"], "received_at");
    assert_eq!(rejected[1]["position"], "line 21");
    assert_eq!(env.case_count(), 50);

    let again = env.run(&["--json", "referral", "import", file.to_str().unwrap()]).json();
    assert_eq!(again["stored"], 0);
    assert_eq!(again["duplicates"], 50);
    assert_eq!(env.case_count(), 50);
    assert_eq!(common::count(&env.store, "SELECT count(*) FROM events WHERE kind = 'referral_received'"), 50);
}

#[test]
fn import_reads_json_arrays_and_csv() {
    let env = Env::new();
    let arr = serde_json::Value::Array((0..3).map(|i| referral(&format!("ARR-{i}"), json!({}))).collect());
    let f = env.write("arr.json", arr.to_string().as_bytes());
    env.run(&["referral", "import", f.to_str().unwrap()]).ok();
    let csv = "external_id,source,received_at,urgency,location.city,location.zip,suspect.phones,narrative\n\
               CSV-1,hotline_web,2026-11-20T10:00:00Z,recent,Joplin,64801,417-555-0142,\"Workers, no pay\"\n\
               CSV-2,hotline_web,2026-11-20T11:00:00Z,whenever,Joplin,64801,,x\n";
    let f = env.write("tips.csv", csv.as_bytes());
    let run = env.run(&["--json", "referral", "import", f.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    let rep = run.json();
    assert_eq!(rep["stored"], 1);
    assert_eq!(rep["rejected"][0]["position"], "row 3");
    assert_eq!(rep["rejected"][0]["error"]["field"], "urgency");
    assert_eq!(env.case_count(), 4);
    let bad_array = env.write("broken.json", b"[{\"external_id\": \"X\"},");
    let run = env.run(&["referral", "import", bad_array.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert_eq!(env.case_count(), 4);
}

fn roster(env: &Env) {
    let csv = "id,name,role,agency,jurisdictions,languages,on_duty,email\n\
               D-T1,Tpr. Dana Fox,trooper,Highway Patrol,Troop D,en,true,\n\
               D-T2,Tpr. Sam Busy,trooper,Highway Patrol,Troop D,en,true,\n\
               C-T1,Tpr. Far Away,trooper,Highway Patrol,Troop C,en,true,\n\
               D-VA1,Ana Advocate,victim_advocate,Victim Services,Troop D,en;es,true,ana@example.org\n\
               D-VA2,Ed Advocate,victim_advocate,Victim Services,Troop D,en,true,\n\
               D-T3,Tpr. Off Duty,trooper,Highway Patrol,Troop D,en,false,\n";
    let f = env.write("roster.csv", csv.as_bytes());
    let rep = env.run(&["--json", "responder", "import", f.to_str().unwrap()]).ok().json();
    assert_eq!(rep["saved"], 6);
}

#[test]
fn suggest_handoff_ack_and_the_status_machine() {
    let env = Env::new();
    roster(&env);
    let bad =
        env.write("bad-roster.json", br#"[{"id":"X1","name":"No Role"},{"id":"X2","name":"Bad","role":"sheriff"}]"#);
    let run = env.run(&["--json", "responder", "import", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    let rep = run.json();
    assert_eq!(rep["rejected"][0]["error"]["field"], "role");
    assert_eq!(rep["rejected"][1]["error"]["field"], "role");

    add(&env, &referral("H-1", json!({"urgency": "imminent"})));
    // Give D-T2 an open case so D-T1 ranks first.
    add(&env, &referral("H-0", json!({"location": {"city": "Springfield", "lat": 37.2, "lon": -93.29}})));
    env.run(&["handoff", "H-0", "--to", "D-T2"]).ok();

    let s = env.run(&["--json", "suggest", "H-1"]).ok().json();
    assert_eq!(s["troopers"][0]["responder"]["id"], "D-T1", "{s}");
    assert_eq!(s["troopers"][1]["responder"]["id"], "D-T2");
    assert!(s["troopers"].as_array().unwrap().iter().all(|t| t["responder"]["id"] != "D-T3"), "off duty suggested");
    assert_eq!(s["advocates"][0]["responder"]["id"], "D-VA1", "Spanish-speaking advocate first");

    // Acknowledging before any handoff is refused.
    let early = env.run(&["ack", "H-1"]);
    assert_eq!(early.code, 2);
    assert!(early.stderr.contains("hand it off first"), "{}", early.stderr);

    let h = env.run(&["--json", "handoff", "H-1", "--to", "D-T1"]).ok().json();
    let shared: Vec<&str> = h["shared_fields"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(shared.contains(&"location.address"));
    // No consent, but the danger is imminent: law enforcement gets the
    // identifying details (the reporter agreed to be contacted).
    assert!(shared.contains(&"reporter.name"), "the imminent-danger exception: {h}");
    // An advocate gets them only with consent: none on H-0 either.
    let a = env.run(&["--json", "handoff", "H-0", "--to", "D-VA1"]).ok().json();
    let shared: Vec<&str> = a["shared_fields"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(!shared.contains(&"reporter.name"), "no consent, so no reporter identity for an advocate");
    assert!(a["withheld_fields"].as_array().unwrap().iter().any(|v| v == "reporter.name"));
    assert_eq!(env.run(&["--json", "show", "H-1"]).json()["status"], "handed_off");

    env.run(&["ack", "H-1"]).ok();
    let illegal = env.run(&["status", "H-1", "reopened"]);
    assert_eq!(illegal.code, 2);
    assert!(illegal.stderr.contains("is `acknowledged` and cannot go to `reopened`"), "{}", illegal.stderr);
    env.run(&["status", "H-1", "on_scene"]).ok();
    let no_disposition = env.run(&["status", "H-1", "closed"]);
    assert_eq!(no_disposition.code, 2);
    assert!(no_disposition.stderr.contains("disposition"));
    env.run(&["status", "H-1", "closed", "--disposition", "victim recovered"]).ok();
    let shown = env.run(&["--json", "show", "H-1"]).ok().json();
    assert_eq!(shown["status"], "closed");
    assert_eq!(shown["disposition"], "victim recovered");
    assert_eq!(shown["handoffs"][0]["acknowledged_by"], "test-dispatcher");
    assert!(shown["on_scene_at"].is_string());

    let audit = env.run(&["--json", "audit", "H-1"]).ok().json();
    let kinds: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    // Opening the case (`show`) is audited too, once per person within a few minutes.
    assert_eq!(
        kinds,
        vec!["referral_received", "handed_off", "case_viewed", "acknowledged", "status_changed", "status_changed"]
    );
    let seqs: Vec<u64> = audit.as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert!(audit.as_array().unwrap().iter().all(|e| e["actor"] == "test-dispatcher"));

    let stats = env.run(&["--json", "stats"]).ok().json();
    assert_eq!(stats["overall"]["referrals"], 2);
    assert_eq!(stats["overall"]["received_to_handed_off"]["count"], 2);
    assert_eq!(stats["overall"]["received_to_on_scene"]["count"], 1);
    assert!(env.run(&["stats"]).ok().stdout.contains("all jurisdictions"));
    let unknown = env.run(&["handoff", "H-0", "--to", "NOBODY"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no responder matches `NOBODY`"));
}

/// The case's row as the store holds it, and how many events the log has.
fn stored(env: &Env, external_id: &str) -> (String, i64) {
    let conn = common::connect(&env.store);
    let row: String = conn
        .query_row(
            "SELECT status || '|' || coalesce(acknowledged_at, '-') || '|' || coalesce(closed_at, '-') || '|' || assigned
                || '|' || updated_hlc || '|' || (SELECT group_concat(coalesce(h.acknowledged_at, '-') || '/' || coalesce(h.withdrawn_at, '-'))
                   FROM handoffs h WHERE h.case_id = c.id)
             FROM cases c WHERE external_id = ?1",
            [external_id],
            |r| r.get(0),
        )
        .unwrap();
    (row, common::count(&env.store, "SELECT count(*) FROM events"))
}

#[test]
fn ack_on_a_closed_case_is_refused_and_changes_nothing() {
    let env = Env::new();
    roster(&env);
    let short = add(&env, &referral("AC-1", json!({})))["short_id"].as_str().unwrap().to_string();
    env.run(&["handoff", "AC-1", "--to", "D-T1"]).ok();
    env.run(&["status", "AC-1", "closed", "--disposition", "no victim found"]).ok();
    let before = stored(&env, "AC-1");

    let run = env.run(&["ack", "AC-1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("case {short}")), "names the case: {}", run.stderr);
    assert!(run.stderr.contains("is `closed` and cannot go to `acknowledged`"), "{}", run.stderr);
    assert!(run.stderr.contains("reopen it first"), "{}", run.stderr);
    assert_eq!(stored(&env, "AC-1"), before, "the store is unchanged");
    let shown = env.run(&["--json", "show", "AC-1"]).ok().json();
    assert!(shown["acknowledged_at"].is_null(), "{shown}");
    assert!(shown["handoffs"][0]["withdrawn_at"].is_string(), "closing withdrew the handoff: {shown}");
}

#[test]
fn ack_after_a_withdrawn_handoff_is_refused_and_the_trooper_is_no_longer_listed() {
    let env = Env::new();
    roster(&env);
    for ext in ["WD-1", "WD-2"] {
        add(&env, &referral(ext, json!({})));
        env.run(&["handoff", ext, "--to", "D-T1"]).ok();
        assert_eq!(env.run(&["--json", "show", ext]).ok().json()["assigned"][0]["id"], "D-T1");
    }
    // `withdraw`, or `status … triaged` from handed_off: the same change.
    env.run(&["withdraw", "WD-1"]).ok();
    env.run(&["status", "WD-2", "triaged"]).ok();
    for ext in ["WD-1", "WD-2"] {
        let shown = env.run(&["--json", "show", ext]).ok().json();
        assert_eq!(shown["status"], "triaged");
        assert_eq!(shown["assigned"], json!([]), "a withdrawn case lists no responder: {shown}");
        assert!(shown["handoffs"][0]["withdrawn_at"].is_string());
        assert!(env.run(&["show", ext]).ok().stdout.contains("withdrawn"));
        let before = stored(&env, ext);

        let run = env.run(&["ack", ext]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("is `triaged` and cannot go to `acknowledged`"), "{}", run.stderr);
        assert_eq!(stored(&env, ext), before, "the store is unchanged");
    }
    // Withdrawing again: nothing is waiting.
    let again = env.run(&["withdraw", "WD-1"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("is `triaged` and cannot go to `triaged` (no handoff is waiting to withdraw)"),
        "{}",
        again.stderr
    );
    // Handed off again, it can be acknowledged.
    env.run(&["handoff", "WD-1", "--to", "D-T2"]).ok();
    env.run(&["ack", "WD-1"]).ok();
    assert_eq!(env.run(&["--json", "show", "WD-1"]).ok().json()["status"], "acknowledged");
}

#[test]
fn triage_override_notes_and_search() {
    let env = Env::new();
    add(&env, &referral("T-1", json!({"urgency": "historical", "location": null, "suspects": []})));
    assert_eq!(env.run(&["--json", "show", "T-1"]).json()["priority"], "P4");
    let missing_reason = env.run(&["triage", "T-1", "--priority", "P2", "--reason", "  "]);
    assert_eq!(missing_reason.code, 2);
    assert_eq!(env.run(&["triage", "T-1", "--priority", "P9", "--reason", "x"]).code, 2);
    env.run(&["triage", "T-1", "--priority", "P2", "--reason", "caller called back with an address"]).ok();
    let shown = env.run(&["--json", "show", "T-1"]).ok().json();
    assert_eq!(shown["priority"], "P2");
    assert_eq!(shown["status"], "triaged");
    assert_eq!(shown["priority_reasons"][0]["code"], "override");
    env.run(&["note", "T-1", "Manager", "at", "the", "Starlite", "confirmed", "room", "112"]).ok();
    let found = env.run(&["--json", "search", "starlite"]).ok().json();
    assert_eq!(found[0]["external_id"], "T-1");
    assert_eq!(env.run(&["--json", "search", "nothingmatchesthis"]).ok().json().as_array().unwrap().len(), 0);
    let missing = env.run(&["show", "ffffffff"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no case matches"));
}

#[test]
fn referrals_sharing_a_phone_plate_or_address_are_linked() {
    let env = Env::new();
    add(&env, &referral("L-1", json!({})));
    add(&env, &referral("L-2", json!({"location": {"city": "Joplin"}, "suspects": [{"phones": ["+1 417 555 0142"]}]})));
    add(&env, &referral("L-3", json!({"location": {"city": "Rolla"}, "suspects": [{"phones": ["573-555-9999"]}]})));
    let shown = env.run(&["--json", "show", "L-1"]).ok().json();
    assert_eq!(shown["linked"].as_array().unwrap().len(), 1, "{}", shown["linked"]);
    assert_eq!(shown["linked"][0]["kinds"][0], "phone");
    assert_eq!(shown["links"].as_array().unwrap().len(), 1);
    let l3 = env.run(&["--json", "show", "L-3"]).ok().json();
    assert!(l3["linked"].as_array().unwrap().is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    assert_eq!(env.run(&["frobnicate"]).code, 2);
    assert_eq!(env.run(&["queue", "--priority", "P7"]).code, 2);
    assert_eq!(env.run(&["referral", "import", "/nonexistent/file.jsonl"]).code, 2);
    assert_eq!(env.run(&["status", "x", "flying"]).code, 2);
}

#[test]
fn demo_loads_a_realistic_store() {
    let env = Env::new();
    let run = env.run(&["--json", "demo", "--referrals", "400"]).ok().json();
    assert_eq!(run["referrals"], 400);
    assert_eq!(env.case_count(), 400);
    let q = env.run(&["--json", "queue", "--limit", "500"]).ok().json();
    let q = q.as_array().unwrap();
    assert!(!q.is_empty());
    // The queue's order: group (needs a dispatcher first), then priority within it.
    let group_rank =
        |g: &str| ["needs_dispatcher", "awaiting_responder", "responder_working"].iter().position(|x| *x == g);
    let ranks: Vec<(usize, &str)> = q
        .iter()
        .map(|c| (group_rank(c["place"]["group"].as_str().unwrap()).unwrap(), c["priority"].as_str().unwrap()))
        .collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted, "queue must be ordered by group, then priority");
    let keys: Vec<&str> = q.iter().map(|c| c["place"]["order_key"].as_str().unwrap()).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "rows follow their order keys");
    assert!(common::count(&env.store, "SELECT count(*) FROM cases WHERE status = 'closed'") > 50);
    assert!(common::count(&env.store, "SELECT count(*) FROM cases WHERE jurisdiction_id IS NOT NULL") > 300);
    assert!(
        common::count(&env.store, "SELECT count(DISTINCT troop) FROM responders r JOIN cases c ON c.troop IS NOT NULL")
            >= 1
    );
    let stats = env.run(&["--json", "stats"]).ok().json();
    assert!(stats["overall"]["received_to_handed_off"]["median_s"].as_i64().unwrap() > 0);
    assert!(stats["by_jurisdiction"].as_array().unwrap().len() > 20);
    // What happened to the demo cases went through the case's state machine.
    let store = common::open_store(&env.store, std::sync::Arc::new(beacon_api::domain::SystemClock));
    store.check_consistency().unwrap();
    drop(store);
    // A second demo into the same store is refused rather than mixed in.
    assert_eq!(env.run(&["demo"]).code, 2);
}

#[test]
fn the_documented_schema_is_the_generated_one() {
    let env = Env::new();
    let generated = env.run(&["schema"]).ok().json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/referral.schema.json");
    let documented: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        generated, documented,
        "docs/referral.schema.json is stale: run `beacon schema > docs/referral.schema.json`"
    );
    assert_eq!(generated["required"], json!(["external_id", "source", "received_at", "urgency", "narrative"]));
}

#[test]
fn the_documented_example_is_accepted() {
    let env = Env::new();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/referral-format.md")).unwrap();
    let start = doc.find("```json\n").unwrap() + 8;
    let end = start + doc[start..].find("```").unwrap();
    let added = env.run_with_stdin(&["--json", "referral", "add", "-"], Some(&doc.as_bytes()[start..end])).ok().json();
    assert_eq!(added["priority"], "P1");
    assert_eq!(added["jurisdiction"]["jurisdiction_id"], "29077");
}

#[test]
fn targets_and_link_window_are_configurable_and_audited() {
    let env = Env::new();
    let shown = env.run(&["--json", "config", "show"]).ok().json();
    assert_eq!(shown["targets"]["p1"]["ack_minutes"], 15);
    assert_eq!(shown["targets"]["p1"]["arrival_minutes"], 60);
    assert_eq!(shown["link_window_days"], 90);
    env.run(&["config", "target", "P2", "--ack", "30", "--arrive", "120"]).ok();
    env.run(&["config", "link-window", "30"]).ok();
    assert_eq!(env.run(&["config", "target", "P2", "--ack", "0"]).code, 2);
    assert_eq!(env.run(&["config", "link-window", "0"]).code, 2);
    let shown = env.run(&["--json", "config", "show"]).ok().json();
    assert_eq!(shown["targets"]["p2"]["ack_minutes"], 30);
    assert_eq!(shown["link_window_days"], 30);
    assert_eq!(common::count(&env.store, "SELECT count(*) FROM events WHERE kind = 'settings_changed'"), 2);
    // The new P2 target drives the queue's deadline: received 2 h ago, 30 min to acknowledge → overdue.
    let r = referral("CFG-1", json!({}));
    env.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes())).ok();
    let q = env.run(&["--json", "queue", "--overdue"]).ok().json();
    assert_eq!(q[0]["external_id"], "CFG-1");
    assert!(q[0]["deadline"]["seconds_left"].as_i64().unwrap() < 0);
    // Linking uses the new window: 45 days apart no longer links.
    let old =
        referral("CFG-OLD", json!({"received_at": (chrono::Utc::now() - chrono::Duration::days(45)).to_rfc3339()}));
    env.run_with_stdin(&["referral", "add", "-"], Some(old.to_string().as_bytes())).ok();
    let shown = env.run(&["--json", "show", "CFG-OLD"]).ok().json();
    assert!(shown["linked"].as_array().unwrap().is_empty(), "{}", shown["linked"]);
}

//! Careless and hostile input through the real `beacon` binary: an
//! identifier never names the wrong case, nothing stored is unreadable,
//! values never come back in errors, and the readers stay bounded.

mod common;

use common::{Env, referral};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn add(env: &Env, r: &Value) -> String {
    let out = env.run_with_stdin(&["--json", "referral", "add", "-"], Some(r.to_string().as_bytes())).ok().json();
    out["id"].as_str().expect("case id").to_string()
}

fn events(env: &Env) -> i64 {
    common::count(&env.store, "SELECT count(*) FROM events")
}

// ---- 1. identifiers ------------------------------------------------------

#[test]
fn an_exact_external_id_wins_over_a_short_id_that_starts_the_same() {
    let env = Env::new();
    let other = add(&env, &referral("FIRST", json!({})));
    // A second referral whose external id is the start of the first case's id.
    let prefix = &other[..6];
    let mine = add(&env, &referral(prefix, json!({"source": "hotline_web"})));
    for typed in [prefix.to_string(), format!(" {prefix} ")] {
        let shown = env.run(&["--json", "show", &typed]).ok().json();
        assert_eq!(shown["id"], mine.as_str(), "`{typed}` must name the referral with that external id");
    }
    // The handoff goes to the same case that `show` named.
    let roster = env.write("r.csv", b"id,name,role,agency,jurisdictions,languages,on_duty,email\nT1,Tpr. One,trooper,Highway Patrol,Troop D,en,true,\n");
    env.run(&["responder", "import", roster.to_str().unwrap()]).ok();
    env.run(&["handoff", prefix, "--to", "T1"]).ok();
    let mine_status = env.run(&["--json", "show", &mine]).ok().json();
    let other_status = env.run(&["--json", "show", &other]).ok().json();
    assert_eq!(mine_status["status"], "handed_off");
    assert_eq!(other_status["status"], "new");
}

#[test]
fn an_external_id_used_by_several_sources_is_refused_with_every_candidate() {
    let env = Env::new();
    let sources = ["hotline_call", "hotline_web", "hotline_text", "local_call", "walk_in", "other"];
    let ids: Vec<String> = sources.iter().map(|s| add(&env, &referral("SAME-7", json!({"source": s})))).collect();
    let before = events(&env);
    for args in [vec!["show", "SAME-7"], vec!["note", "SAME-7", "called back"], vec!["ack", "SAME-7"]] {
        let run = env.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        for (id, source) in ids.iter().zip(sources) {
            assert!(run.stderr.contains(&id[..8]), "candidate {id} missing from: {}", run.stderr);
            assert!(run.stderr.contains(source), "source {source} missing from: {}", run.stderr);
        }
    }
    assert_eq!(events(&env), before, "a refused identifier changes nothing");
    // The full case id still names one of them.
    env.run(&["show", &ids[3]]).ok();
}

#[test]
fn a_short_id_needs_enough_digits() {
    let env = Env::new();
    let id = add(&env, &referral("SHORT-1", json!({})));
    let run = env.run(&["show", &id[..4]]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("at least {}", beacon_api::MIN_ID_PREFIX)), "{}", run.stderr);
    env.run(&["show", &id[..beacon_api::MIN_ID_PREFIX]]).ok();
    let missing = env.run(&["show", "NO-SUCH-CASE"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
}

// ---- 2. nothing stored that cannot be read back ---------------------------

#[test]
fn a_deeply_nested_unknown_field_is_refused_and_the_store_stays_readable() {
    let env = Env::new();
    add(&env, &referral("OK-1", json!({})));
    let mut deep = json!(1);
    for _ in 0..124 {
        deep = json!([deep]);
    }
    let poison = referral("DEEP-1", json!({"deep": deep}));
    let file = env.write("deep.jsonl", format!("{poison}\n").as_bytes());
    let run = env.run(&["referral", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`deep`") && run.stderr.contains("nested too deeply"), "{}", run.stderr);
    assert!(run.stderr.lines().all(|l| l.len() < 200), "{}", run.stderr);
    assert_eq!(env.case_count(), 1);
    for args in [vec!["--json", "queue"], vec!["--json", "search", "motel"], vec!["jurisdiction", "reassign"]] {
        env.run(&args).ok();
    }
}

// ---- 3. values never echoed ----------------------------------------------

const MARK: &str = "Maria ZQXJ Lopez";

/// Every leaf of `v` as a JSON pointer.
fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| leaves(c, format!("{path}/{k}"), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| leaves(c, format!("{path}/{i}"), out)),
        _ => out.push(path),
    }
}

/// Records with the marker in every field: as a string where the field
/// wants something else, inside a wrong type, and in a valid text field of
/// a record that is wrong elsewhere. The external id is left alone: it is
/// the hotline's name for the record, which errors do show.
fn marked_records() -> Vec<Value> {
    let base = referral("MARK-0", json!({}));
    let mut paths = Vec::new();
    leaves(&base, String::new(), &mut paths);
    let mut out = Vec::new();
    for (i, path) in paths.iter().filter(|p| *p != "/external_id").enumerate() {
        for (j, with) in [json!(MARK), json!({ MARK: MARK }), json!([MARK, 1]), json!(format!("{MARK}\u{1}"))]
            .into_iter()
            .enumerate()
        {
            let mut r = base.clone();
            r["external_id"] = json!(format!("MARK-{i}-{j}"));
            *r.pointer_mut(path).expect("leaf") = with;
            // Make it fail somewhere else too, in case the marker was accepted.
            r["urgency"] = if path == "/urgency" { r["urgency"].clone() } else { json!("whenever") };
            out.push(r);
        }
    }
    out
}

fn assert_no_mark(what: &str, text: &str) {
    assert!(!text.contains("ZQXJ"), "{what} echoed a value:\n{text}");
}

#[test]
fn no_error_in_any_format_echoes_a_value_it_was_sent() {
    let env = Env::new();
    let records = marked_records();
    assert!(records.len() > 100);
    for r in records.iter().step_by(7) {
        let run = env.run_with_stdin(&["referral", "add", "-"], Some(r.to_string().as_bytes()));
        assert_eq!(run.code, 2, "{r}");
        assert_no_mark("referral add", &run.stderr);
    }
    let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
    let array = serde_json::to_string(&records).unwrap();
    for (name, body) in [("marked.jsonl", lines), ("marked.json", array)] {
        let file = env.write(name, body.as_bytes());
        for json_flag in [false, true] {
            let mut args = vec!["referral", "import", file.to_str().unwrap()];
            if json_flag {
                args.insert(0, "--json");
            }
            let run = env.run(&args);
            assert_eq!(run.code, 2, "{name}: {}", run.stderr);
            assert_no_mark(name, &run.stderr);
            assert_no_mark(name, &run.stdout);
            if json_flag {
                let report = run.json();
                assert_eq!(report["rejected"].as_array().unwrap().len(), records.len(), "{name}");
            }
        }
    }
    // CSV: the marker in each column in turn, and with a bad urgency beside it.
    let header = "external_id,source,received_at,urgency,trafficking_type,location.address,location.city,location.county,location.state,location.zip,location.lat,location.lon,location.place_type,potential_victims.count,potential_victims.minors,potential_victims.languages,potential_victims.description,suspect.description,suspect.phones,suspect.vehicle.plate,suspect.vehicle.state,reporter.kind,reporter.name,reporter.phone,reporter.email,reporter.contact_ok,consent.share_identifying_info,consent.obtained_at,consent.notes,indicators,narrative";
    let good = "CSV-0,hotline_call,2026-11-29T03:00:00Z,whenever,sex,1 Main St,Rolla,Phelps,MO,65401,37.95,-91.77,hotel,2,no,es,two women,older man,417-555-0142,KX4,MO,community_member,Pat,417-555-0100,pat@example.org,true,false,2026-11-29T03:00:00Z,ok,debt_bondage,narrative";
    let columns = header.split(',').count();
    let mut csv = format!("{header}\n");
    for col in 1..columns {
        let mut cells: Vec<String> = good.split(',').map(str::to_string).collect();
        cells[0] = format!("CSV-{col}");
        cells[col] = format!("\"{MARK}\"");
        csv += &(cells.join(",") + "\n");
    }
    // A row with the marker and a stray quote, and a row with too many cells.
    csv += &format!("CSV-X,hotline_call,2026-11-29T03:00:00Z,recent,sex,{MARK}\" x{}\n", ",".repeat(columns - 6));
    csv += &format!("CSV-Y,{MARK},{}\n", ",".repeat(columns));
    let file = env.write("marked.csv", csv.as_bytes());
    for json_flag in [false, true] {
        let mut args = vec!["referral", "import", file.to_str().unwrap()];
        if json_flag {
            args.insert(0, "--json");
        }
        let run = env.run(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_no_mark("csv", &run.stderr);
        assert_no_mark("csv", &run.stdout);
    }
    assert_eq!(env.case_count(), 0);
}

// ---- 4. an unclosed CSV quote ---------------------------------------------

#[test]
fn an_unclosed_csv_quote_stores_nothing_that_swallowed_a_row() {
    let env = Env::new();
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let csv = format!(
        "external_id,source,received_at,urgency,narrative\n\
         Q-1,hotline_web,{at},recent,\"closed properly\"\n\
         Q-2,hotline_web,{at},recent,\"never closed\n\
         Q-3,hotline_web,{at},recent,would be swallowed\n"
    );
    let file = env.write("quote.csv", csv.as_bytes());
    let run = env.run(&["referral", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.starts_with("1 stored"), "{}", run.stdout);
    assert!(run.stderr.contains("row 3") && run.stderr.contains("unbalanced quote"), "{}", run.stderr);
    let stored = env.run(&["--json", "search", "swallowed"]).ok().json();
    assert_eq!(stored.as_array().unwrap().len(), 0, "no stored row holds another row");
}

// ---- 8. bounded memory ----------------------------------------------------

/// Peak resident memory of `beacon` importing `file`, in MiB.
fn peak_mib_importing(env: &Env, file: &std::path::Path) -> (u64, i32) {
    let mut child = env
        .cmd()
        .args(["referral", "import", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (peak_kib / 1024, status.code().unwrap_or(-1));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_huge_record_in_any_format_is_refused_in_bounded_memory() {
    let env = Env::new();
    env.run(&["queue"]).ok();
    const HUGE: usize = 200 * 1024 * 1024;
    let filler = "x".repeat(HUGE);
    let jsonl = format!("{}\n", referral("BIG-1", json!({"narrative": filler})));
    let array = format!("[{}]", referral("BIG-2", json!({"narrative": filler})));
    let csv = format!(
        "external_id,source,received_at,urgency,narrative\nBIG-3,hotline_web,2026-11-29T03:00:00Z,recent,\"{filler}\n"
    );
    drop(filler);
    for (name, body) in [("big.jsonl", jsonl), ("big.json", array), ("big.csv", csv)] {
        let file = env.write(name, body.as_bytes());
        drop(body);
        let (peak, code) = peak_mib_importing(&env, &file);
        assert_eq!(code, 2, "{name}");
        eprintln!("{name}: peak {peak} MiB");
        assert!(peak > 0, "{name}: the peak was not read");
        assert!(peak < 100, "{name}: importing a {} MiB record peaked at {peak} MiB", HUGE >> 20);
        std::fs::remove_file(file).unwrap();
    }
    assert_eq!(env.case_count(), 0);
}

// ---- 9. the smaller ones --------------------------------------------------

#[test]
fn a_json_array_with_a_byte_order_mark_imports() {
    let env = Env::new();
    let body = format!("\u{feff}[{}]", referral("BOM-1", json!({})));
    let file = env.write("bom.json", body.as_bytes());
    let run = env.run(&["referral", "import", file.to_str().unwrap()]).ok();
    assert!(run.stdout.starts_with("1 stored"), "{}", run.stdout);
}

#[test]
fn a_padded_external_id_can_be_looked_up_as_typed() {
    let env = Env::new();
    add(&env, &referral(" SP-1 ", json!({})));
    let shown = env.run(&["--json", "show", "SP-1"]).ok().json();
    assert_eq!(shown["external_id"], "SP-1");
    env.run(&["show", " SP-1 "]).ok();
}

#[test]
fn a_duplicate_csv_column_is_refused() {
    let env = Env::new();
    let csv = "external_id,source,received_at,urgency,narrative,urgency\nD-1,hotline_web,2026-11-29T03:00:00Z,recent,x,historical\n";
    let file = env.write("dup.csv", csv.as_bytes());
    let run = env.run(&["referral", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("twice"), "{}", run.stderr);
    assert_eq!(env.case_count(), 0);
}

#[test]
fn a_reader_that_goes_away_early_is_not_an_error() {
    let env = Env::new();
    env.run(&["demo", "--referrals", "600"]).ok();
    // Both print far more than a pipe holds (64 KiB), so they are still
    // writing when the reader leaves.
    for args in [vec!["search", "the", "--limit", "1000"], vec!["--json", "search", "the", "--limit", "1000"]] {
        let mut child =
            env.cmd().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn beacon");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert!(!first.is_empty());
        drop(stdout); // as `| head -1` does
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

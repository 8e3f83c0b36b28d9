//! Writes the TypeScript types of every command payload into `ui/src/bindings/`
//! (generated from the Rust types with ts-rs; run `scripts/desktop-bindings.sh`).
//! With `--check DIR`-less `--check`, exports to a temporary folder and exits 1
//! when the committed files differ.

use beacon_api::domain::referral::Referral;
use beacon_api::domain::{CaseStatus, Priority, Responder};
use beacon_api::geo::JurisdictionInfo;
use beacon_api::store::HandoffRecord;
use beacon_api::{
    AddOutcome, AlertBatch, CaseDetail, CasePoint, CaseView, ConflictRow, MapLayer, OpenCount, Preview, QueueRow,
    ResponseStats, Suggestions,
};
use beacon_desktop::UiError;
use std::path::{Path, PathBuf};
use ts_rs::TS;

fn export_all(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // JSON numbers: i64/u64 counts and times are plain `number` in the UI.
    let cfg = ts_rs::Config::new().with_large_int("number").with_out_dir(dir);
    QueueRow::export_all(&cfg)?;
    CaseView::export_all(&cfg)?;
    CaseDetail::export_all(&cfg)?;
    beacon_api::store::StoredEvent::export_all(&cfg)?;
    Suggestions::export_all(&cfg)?;
    HandoffRecord::export_all(&cfg)?;
    ConflictRow::export_all(&cfg)?;
    beacon_api::SyncPill::export_all(&cfg)?;
    Preview::export_all(&cfg)?;
    AddOutcome::export_all(&cfg)?;
    Responder::export_all(&cfg)?;
    beacon_api::RosterView::export_all(&cfg)?;
    ResponseStats::export_all(&cfg)?;
    MapLayer::export_all(&cfg)?;
    JurisdictionInfo::export_all(&cfg)?;
    OpenCount::export_all(&cfg)?;
    CasePoint::export_all(&cfg)?;
    AlertBatch::export_all(&cfg)?;
    Referral::export_all(&cfg)?;
    CaseStatus::export_all(&cfg)?;
    Priority::export_all(&cfg)?;
    UiError::export_all(&cfg)?;
    beacon_api::QueueQuery::export_all(&cfg)?;
    beacon_api::SessionInfo::export_all(&cfg)?;
    beacon_desktop::export_bindings(&cfg)?;
    write_span_examples(dir)?;
    write_vocabulary(dir)?;
    Ok(())
}

/// Every enumeration the screens show or offer, worded by Rust
/// (`beacon_api::vocabulary`): select boxes list these values, and labels
/// are looked up here, never spelt in TypeScript.
fn write_vocabulary(dir: &Path) -> std::io::Result<()> {
    let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let vocabulary = beacon_api::vocabulary::vocabulary();
    let kinds: Vec<String> = vocabulary
        .iter()
        .map(|e| {
            let terms: Vec<String> = e
                .terms
                .iter()
                .map(|t| {
                    format!("    {{ value: {}, label: {}, words: {} }},", json(t.value), json(&t.label), json(&t.words))
                })
                .collect();
            format!("  {}: [\n{}\n  ],", e.kind, terms.join("\n"))
        })
        .collect();
    let defaults: Vec<String> =
        vocabulary.iter().filter_map(|e| e.default.map(|d| format!("  {}: {},", e.kind, json(d)))).collect();
    let body = format!(
        "// Generated from beacon-api's `vocabulary` by export-bindings. Do not edit.\n\n\
         /** A value as stored, at the start of a line, and inside a sentence. */\n\
         export type Term = {{ value: string; label: string; words: string }};\n\n\
         /** Every enumeration the screens show or offer, its values in order. */\n\
         export const VOCABULARY: Record<string, Term[]> = {{\n{}\n}};\n\n\
         /** What a referral that does not say holds: where a form starts. */\n\
         export const DEFAULTS: Record<string, string> = {{\n{}\n}};\n",
        kinds.join("\n"),
        defaults.join("\n")
    );
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("vocabulary.ts"), body)
}

/// The console formats live countdowns itself (every second, without a
/// round trip); its test checks that it writes what Rust's `format_span`
/// writes for these spans.
fn write_span_examples(dir: &Path) -> std::io::Result<()> {
    let rows: Vec<String> = beacon_api::domain::triage::span_examples()
        .into_iter()
        .map(|(seconds, text)| format!("  [{seconds}, {}],", serde_json::to_string(&text).unwrap_or_default()))
        .collect();
    let body = format!(
        "// Generated from beacon-domain's `format_span` by export-bindings. Do not edit.\n\n\
         /** (seconds, the text Rust's `format_span` gives them). */\n\
         export const SPAN_EXAMPLES: [number, string][] = [\n{}\n];\n",
        rows.join("\n")
    );
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("spanExamples.ts"), body)
}

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    let check = std::env::args().any(|a| a == "--check");
    if check {
        let tmp = std::env::temp_dir().join(format!("beacon-bindings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        if let Err(e) = export_all(&tmp) {
            eprintln!("export failed: {e}");
            std::process::exit(2);
        }
        let (want, have) = (files(&tmp), files(&root));
        let _ = std::fs::remove_dir_all(&tmp);
        if want != have {
            let names = |v: &Vec<(String, String)>| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            let stale: Vec<String> = want.iter().filter(|w| !have.contains(w)).map(|(n, _)| n.clone()).collect();
            let extra: Vec<String> = names(&have).into_iter().filter(|n| !names(&want).contains(n)).collect();
            eprintln!(
                "ui/src/bindings is out of date (changed or missing: {stale:?}; not generated: {extra:?}); run scripts/desktop-bindings.sh"
            );
            std::process::exit(1);
        }
        println!("ui/src/bindings is up to date ({} files)", want.len());
        return;
    }
    let _ = std::fs::remove_dir_all(&root);
    if let Err(e) = export_all(&root) {
        eprintln!("export failed: {e}");
        std::process::exit(2);
    }
    println!("wrote {} files to {}", files(&root).len(), root.display());
}

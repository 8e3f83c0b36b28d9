//! Every committed fuzz corpus file, through its target, on stable: what
//! the fuzzers once found (and what was fixed) stays fixed.

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for (name, target) in beacon_fuzz::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name} has a corpus");
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            // A panic here names the file: `cargo fuzz run NAME FILE` replays it.
            eprintln!("{name}: {}", file.display());
            target(&bytes);
        }
        eprintln!("{name}: {} file(s) replayed", files.len());
    }
}

/// The seeds reach past the first refusal: each valid one is accepted, so
/// the fuzzers start from inputs that go all the way through.
#[test]
fn the_valid_seeds_are_accepted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for (name, seed) in [
        ("referral_json", "seed-valid.json"),
        ("referral_file", "seed-lines.jsonl"),
        ("referral_file", "seed-array.json"),
        ("referral_file", "seed.csv"),
        ("eido", "seed-call-transfer.json"),
        ("sync_message", "seed-push.json"),
        ("sync_message", "seed-pull.json"),
        ("geojson_layer", "seed-two-counties.json"),
        ("shapefile", "seed-one-square.bin"),
    ] {
        let target = beacon_fuzz::TARGETS.iter().find(|(n, _)| *n == name).unwrap().1;
        let bytes = std::fs::read(root.join(name).join(seed)).unwrap();
        assert!(target(&bytes), "{name}/{seed} is accepted");
    }
    let invalid = std::fs::read(root.join("referral_json/seed-invalid.json")).unwrap();
    assert!(!beacon_fuzz::referral_json(&invalid));
}

//! Layer import from real GeoJSON and shapefiles written to a temp dir, and
//! the rejections, each naming the feature.

use std::path::Path;
use std::time::Instant;

use beacon_geo::{AgencyTable, Gazetteer, Layer, LayerError, LayerOptions, TableError, ZipTable};
use serde_json::{Value, json};
use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use shapefile::{Point, Polygon, PolygonRing};

fn sq(x0: f64, y0: f64, s: f64) -> Vec<[f64; 2]> {
    vec![[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]]
}

fn feature(id: Value, name: &str, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": {"code": id, "label": name}, "geometry": geometry})
}

fn collection(features: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

/// West square "W" (1°), east square "E" with a hole, and a two-part "M".
fn test_layer_json() -> Vec<u8> {
    let mut hole = sq(1.4, 0.4, 0.2);
    hole.reverse();
    collection(vec![
        feature(json!("W"), "West", json!({"type": "Polygon", "coordinates": [sq(0.0, 0.0, 1.0)]})),
        feature(json!(2), "East", json!({"type": "Polygon", "coordinates": [sq(1.0, 0.0, 1.0), hole]})),
        feature(
            json!("M"),
            "Multi",
            json!({"type": "MultiPolygon", "coordinates": [[sq(3.0, 0.0, 0.5)], [sq(4.0, 0.0, 0.5)]]}),
        ),
    ])
}

fn gaz(layer: Layer) -> Gazetteer {
    Gazetteer::new(layer, AgencyTable::default(), ZipTable::default())
}

fn check_test_layer(layer: Layer) {
    assert_eq!(layer.jurisdictions().len(), 3);
    assert_eq!(layer.jurisdictions()[1].id, "2"); // numeric id becomes text
    let g = gaz(layer);
    let id = |lat: f64, lon: f64| g.locate(lat, lon).unwrap();
    let w = id(0.5, 0.2);
    assert_eq!(w.jurisdiction_id.as_deref(), Some("W"));
    assert_eq!(w.name.as_deref(), Some("West"));
    assert!(!w.near_border && !w.outside);
    assert!(!w.troop_verified && w.troop.is_none());
    // In the hole of "2": outside every polygon, 2 is nearest (0.1° ≈ 11 km).
    let h = id(0.5, 1.5);
    assert!(h.outside, "{h:?}");
    assert_eq!(h.jurisdiction_id.as_deref(), Some("2"));
    assert!((h.distance_km.unwrap() - 11.12).abs() < 0.05, "{h:?}");
    // Near the shared edge W|2 (1 km each side), both ways.
    let e = id(0.5, 0.995);
    assert_eq!(e.jurisdiction_id.as_deref(), Some("W"));
    assert!(e.near_border);
    assert_eq!(e.candidates.len(), 1);
    assert_eq!(e.candidates[0].jurisdiction_id, "2");
    assert!((e.candidates[0].distance_km - 0.556).abs() < 0.01, "{e:?}");
    // Both parts of the multipolygon, and the gap between them.
    assert_eq!(id(0.25, 3.25).jurisdiction_id.as_deref(), Some("M"));
    assert_eq!(id(0.25, 4.25).jurisdiction_id.as_deref(), Some("M"));
    let gap = id(0.25, 3.75);
    assert!(gap.outside);
    assert_eq!(gap.jurisdiction_id.as_deref(), Some("M"));
    // Exactly on the shared edge: inside one, the other a candidate at 0 km.
    let on = id(0.5, 1.0);
    assert!(!on.outside && on.near_border);
    assert_eq!(on.candidates[0].distance_km, 0.0);
}

#[test]
fn geojson_import_with_hole_and_multipolygon() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.geojson");
    std::fs::write(&path, test_layer_json()).unwrap();
    let layer = Layer::from_geojson_file(&path, "code", "label", LayerOptions::default()).unwrap();
    // Round trip through to_geojson.
    let again = Layer::from_geojson(layer.to_geojson().as_bytes(), "code", "label", LayerOptions::default()).unwrap();
    assert_eq!(again.jurisdictions(), layer.jurisdictions());
    check_test_layer(layer);
    check_test_layer(again);
}

fn ring(points: &[[f64; 2]]) -> Vec<Point> {
    points.iter().map(|p| Point::new(p[0], p[1])).collect()
}

fn write_shapefile(path: &Path, shapes: Vec<(Polygon, &str, &str)>) {
    let table = TableWriterBuilder::new()
        .add_character_field(FieldName::try_from("CODE").unwrap(), 20)
        .add_character_field(FieldName::try_from("LABEL").unwrap(), 40);
    let mut w = shapefile::Writer::from_path(path, table).unwrap();
    for (shape, code, label) in shapes {
        let mut r = Record::default();
        r.insert("CODE".into(), FieldValue::Character(Some(code.into())));
        r.insert("LABEL".into(), FieldValue::Character(Some(label.into())));
        w.write_shape_and_record(&shape, &r).unwrap();
    }
}

/// Shapefile rings: outer clockwise, inner counter-clockwise.
fn cw(points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    let mut p = points;
    p.reverse();
    p
}

#[test]
fn shapefile_import_and_persist_as_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.shp");
    let hole = sq(1.4, 0.4, 0.2);
    write_shapefile(
        &path,
        vec![
            (Polygon::new(PolygonRing::Outer(ring(&cw(sq(0.0, 0.0, 1.0))))), "W", "West"),
            (
                Polygon::with_rings(vec![
                    PolygonRing::Outer(ring(&cw(sq(1.0, 0.0, 1.0)))),
                    PolygonRing::Inner(ring(&hole)),
                ]),
                "2",
                "East",
            ),
            (
                Polygon::with_rings(vec![
                    PolygonRing::Outer(ring(&cw(sq(3.0, 0.0, 0.5)))),
                    PolygonRing::Outer(ring(&cw(sq(4.0, 0.0, 0.5)))),
                ]),
                "M",
                "Multi",
            ),
        ],
    );
    let layer = Layer::from_shapefile(&path, "CODE", "LABEL", LayerOptions::authoritative()).unwrap();
    assert_eq!(layer.margin_km(), 0.0);
    assert!(layer.options().authoritative);
    let json = layer.to_geojson();
    let back = Layer::from_geojson(json.as_bytes(), "CODE", "LABEL", LayerOptions::default()).unwrap();
    assert_eq!(back.jurisdictions().len(), 3);
    assert_eq!(back.jurisdictions()[2].geometry.0.len(), 2);
    check_test_layer(back);
    // Authoritative: margin 0, so 0.5 km from the line is not near_border.
    let g = gaz(layer);
    let e = g.locate(0.5, 0.995).unwrap();
    assert_eq!(e.jurisdiction_id.as_deref(), Some("W"));
    assert!(!e.near_border && e.candidates.is_empty());
    let h = g.locate(0.5, 1.5).unwrap();
    assert!(h.outside && h.jurisdiction_id.as_deref() == Some("2"));

    // A missing id field in a shapefile.
    let err = Layer::from_shapefile(&path, "NOPE", "LABEL", LayerOptions::default()).unwrap_err();
    assert!(matches!(err, LayerError::BadId { index: 0, .. }), "{err}");
}

#[test]
fn shapefile_of_points_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.shp");
    let table = TableWriterBuilder::new().add_character_field(FieldName::try_from("CODE").unwrap(), 20);
    let mut w = shapefile::Writer::from_path(&path, table).unwrap();
    let mut r = Record::default();
    r.insert("CODE".into(), FieldValue::Character(Some("P1".into())));
    w.write_shape_and_record(&Point::new(1.0, 2.0), &r).unwrap();
    drop(w);
    let err = Layer::from_shapefile(&path, "CODE", "CODE", LayerOptions::default()).unwrap_err();
    assert!(matches!(err, LayerError::NotPolygon { index: 0, found: "Point", .. }), "{err}");
    assert_eq!(err.to_string(), "feature 0: `shape type` is Point; expected Polygon or MultiPolygon");
}

fn reject(features: Vec<Value>) -> LayerError {
    Layer::from_geojson(&collection(features), "code", "label", LayerOptions::default()).unwrap_err()
}

#[test]
fn rejections_name_the_feature() {
    let ok = feature(json!("A"), "A", json!({"type": "Polygon", "coordinates": [sq(0.0, 0.0, 1.0)]}));

    let e = reject(vec![ok.clone(), feature(json!("P"), "P", json!({"type": "Point", "coordinates": [1.0, 2.0]}))]);
    assert!(matches!(e, LayerError::NotPolygon { index: 1, found: "Point", .. }), "{e}");
    assert_eq!(e.to_string(), "feature 1: `geometry.type` is Point; expected Polygon or MultiPolygon");

    let mut no_id = ok.clone();
    no_id["properties"] = json!({"label": "x"});
    let e = reject(vec![ok.clone(), no_id]);
    assert!(matches!(e, LayerError::BadId { index: 1, .. }), "{e}");
    assert!(e.to_string().contains("feature 1") && e.to_string().contains("`code` is missing"), "{e}");

    let mut bad_id = ok.clone();
    bad_id["properties"]["code"] = json!([1]);
    let e = reject(vec![bad_id]);
    assert!(matches!(e, LayerError::BadId { index: 0, .. }), "{e}");
    assert!(e.to_string().contains("not a string or a number"), "{e}");

    let e = reject(vec![ok.clone(), ok.clone()]);
    assert!(matches!(e, LayerError::DuplicateId { index: 1, first: 0, .. }), "{e}");
    assert_eq!(e.to_string(), "feature 1: id property `code` repeats feature 0's");

    let bow_tie = feature(
        json!("BT"),
        "bow tie",
        json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]}),
    );
    let e = reject(vec![ok.clone(), bow_tie]);
    assert!(matches!(e, LayerError::InvalidGeometry { index: 1, .. }), "{e}");
    assert!(e.to_string().starts_with("feature 1: `geometry` is not a valid polygon"), "{e}");

    for empty in [
        json!({"type": "Polygon", "coordinates": []}),
        json!({"type": "MultiPolygon", "coordinates": []}),
        json!({"type": "Polygon", "coordinates": [[]]}),
        Value::Null,
    ] {
        let e = reject(vec![feature(json!("E"), "e", empty)]);
        assert!(matches!(e, LayerError::EmptyGeometry { index: 0 }), "{e}");
        assert_eq!(e.to_string(), "feature 0: `geometry` is empty");
    }

    let projected =
        feature(json!("X"), "x", json!({"type": "Polygon", "coordinates": [sq(500000.0, 4000000.0, 1000.0)]}));
    let e = reject(vec![projected]);
    assert!(matches!(e, LayerError::BadCoordinates { index: 0, .. }), "{e}");

    let e = reject(vec![]);
    assert!(matches!(e, LayerError::NoFeatures), "{e}");

    let e = Layer::from_geojson(br#"{"type": "Feature"}"#, "code", "label", LayerOptions::default()).unwrap_err();
    assert!(matches!(e, LayerError::NotFeatureCollection(_)), "{e}");
    let e = Layer::from_geojson(b"[1, 2", "code", "label", LayerOptions::default()).unwrap_err();
    assert!(matches!(e, LayerError::Json(_)), "{e}");
    let e = Layer::from_geojson(
        &test_layer_json(),
        "code",
        "label",
        LayerOptions { margin_km: f64::NAN, ..Default::default() },
    )
    .unwrap_err();
    assert!(matches!(e, LayerError::Options(_)), "{e}");
}

#[test]
fn oversized_file_is_rejected_by_size_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.geojson");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(200 * 1024 * 1024).unwrap(); // sparse: nothing is written
    drop(f);
    let t = Instant::now();
    let e = Layer::from_geojson_file(&path, "code", "label", LayerOptions::default()).unwrap_err();
    assert!(t.elapsed().as_millis() < 100, "{:?}", t.elapsed());
    assert!(
        matches!(e, LayerError::TooLarge { size, limit } if size == 200 * 1024 * 1024 && limit == 100 * 1024 * 1024),
        "{e}"
    );
    // The same for a shapefile whose .shp is huge.
    let shp = dir.path().join("huge.shp");
    std::fs::File::create(&shp).unwrap().set_len(200 * 1024 * 1024).unwrap();
    std::fs::write(dir.path().join("huge.dbf"), b"").unwrap();
    let e = Layer::from_shapefile(&shp, "code", "label", LayerOptions::default()).unwrap_err();
    assert!(matches!(e, LayerError::TooLarge { .. }), "{e}");
    // And bytes in memory.
    let big = vec![b' '; 2048];
    let e =
        Layer::from_geojson(&big, "code", "label", LayerOptions { max_bytes: 1024, ..Default::default() }).unwrap_err();
    assert!(matches!(e, LayerError::TooLarge { size: 2048, limit: 1024 }), "{e}");
}

#[test]
fn agency_tables_generic_json_and_csv() {
    let t = AgencyTable::from_json(br#"{"_about": "x", "W": {"troop": "A", "verified": true}, "2": {"troop": "B"}}"#)
        .unwrap();
    assert_eq!(t.len(), 2);
    assert!(t.get("W").unwrap().verified);
    assert!(!t.get("2").unwrap().verified); // unconfirmed stays marked
    let c = AgencyTable::from_csv(b"jurisdiction_id,troop,verified\nW,A,true\n2,B,false\nM,C,\n").unwrap();
    assert_eq!(c.get("M").unwrap().troop, "C");
    assert!(!c.get("M").unwrap().verified);
    assert!(matches!(
        AgencyTable::from_csv(b"jurisdiction_id,troop,verified\nW,A,maybe\n"),
        Err(TableError::Entry { .. })
    ));
    assert!(matches!(
        AgencyTable::from_csv(b"jurisdiction_id,troop,verified\nW,A,1\nW,B,1\n"),
        Err(TableError::Duplicate { .. })
    ));

    let layer = Layer::from_geojson(&test_layer_json(), "code", "label", LayerOptions::default()).unwrap();
    let g = Gazetteer::new(layer, t, ZipTable::default());
    let w = g.locate(0.5, 0.5).unwrap();
    assert_eq!(w.troop.as_deref(), Some("A"));
    assert!(w.troop_verified);
    let e = g.locate(0.5, 1.1).unwrap();
    assert_eq!(e.troop.as_deref(), Some("B"));
    assert!(!e.troop_verified);
    let list = g.jurisdictions();
    assert_eq!(list[2].id, "M");
    assert_eq!(list[2].troop, None);
    assert_eq!(list[0].bbox, [0.0, 0.0, 1.0, 1.0]);
}

/// Grid answers equal the R-tree-only path on the small layers too (holes,
/// multipolygon, margin 0, and overlapping jurisdictions).
#[test]
fn grid_equals_exact_on_small_layers() {
    use beacon_geo::{LayerIndex, Scratch};
    use rand::{Rng, SeedableRng};
    let overlapping = collection(vec![
        feature(json!("A"), "A", json!({"type": "Polygon", "coordinates": [sq(0.0, 0.0, 1.0)]})),
        feature(json!("B"), "B", json!({"type": "Polygon", "coordinates": [sq(0.5, 0.5, 1.0)]})),
    ]);
    for (bytes, opts) in [
        (test_layer_json(), LayerOptions::default()),
        (test_layer_json(), LayerOptions::authoritative()),
        (overlapping, LayerOptions::default()),
    ] {
        let layer = Layer::from_geojson(&bytes, "code", "label", opts).unwrap();
        let idx = LayerIndex::build(&layer);
        let b = layer.bbox();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let (mut s1, mut s2) = (Scratch::default(), Scratch::default());
        for _ in 0..20_000 {
            let lat = rng.random_range(b[1] - 0.2..b[3] + 0.2);
            let lon = rng.random_range(b[0] - 0.2..b[2] + 0.2);
            let fast = idx.locate(lat, lon, &mut s1).unwrap();
            let exact = idx.locate_exact(lat, lon, &mut s2).unwrap();
            assert_eq!(fast, exact, "{lat},{lon}");
        }
    }
    // In the overlap both are reported: one assigned, the other a candidate.
    let layer = Layer::from_geojson(
        &collection(vec![
            feature(json!("A"), "A", json!({"type": "Polygon", "coordinates": [sq(0.0, 0.0, 1.0)]})),
            feature(json!("B"), "B", json!({"type": "Polygon", "coordinates": [sq(0.5, 0.5, 1.0)]})),
        ]),
        "code",
        "label",
        LayerOptions::default(),
    )
    .unwrap();
    let g = gaz(layer);
    let a = g.locate(0.75, 0.75).unwrap();
    assert!(a.near_border && !a.outside, "{a:?}");
    assert_eq!(a.candidates.len(), 1);
    assert_eq!(a.candidates[0].distance_km, 0.0);
}

#[test]
fn agency_tables_carry_the_layers_state() {
    // Generic form: "state" by name, any case; the other keys are jurisdictions.
    let t = AgencyTable::from_json(br#"{"state": "kansas", "W": {"troop": "A"}}"#).unwrap();
    assert_eq!(t.state(), Some("KS"));
    assert_eq!(t.len(), 1);
    // A jurisdiction whose id happens to be "state" is still a jurisdiction.
    let t = AgencyTable::from_json(br#"{"state": {"troop": "A"}}"#).unwrap();
    assert_eq!((t.state(), t.get("state").map(|a| a.troop.as_str())), (None, Some("A")));
    // Troop form.
    let t = AgencyTable::from_json(br#"{"state": "ks", "troops": {"A": {"counties": [{"fips": "W"}]}}}"#).unwrap();
    assert_eq!(t.state(), Some("KS"));
    // Not a state: refused, naming the entry.
    for bad in [&br#"{"state": "Kansas City", "W": {"troop": "A"}}"#[..], br#"{"state": 20, "troops": {}}"#] {
        match AgencyTable::from_json(bad) {
            Err(TableError::Entry { entry, .. }) => assert_eq!(entry, "state"),
            other => panic!("{other:?}"),
        }
    }
    // None unless given; settable.
    let mut c = AgencyTable::from_csv(b"jurisdiction_id,troop,verified\nW,A,true\n").unwrap();
    assert_eq!(c.state(), None);
    c.set_state(Some("Kansas")).unwrap();
    assert_eq!(c.state(), Some("KS"));
    assert!(c.set_state(Some("Atlantis")).is_err());
    c.set_state(None).unwrap();
    assert_eq!(c.state(), None);
}

#[test]
fn a_layer_without_a_state_checks_no_state() {
    let layer = Layer::from_geojson(&test_layer_json(), "code", "label", LayerOptions::default()).unwrap();
    let g = gaz(layer);
    assert_eq!(g.state(), None);
    let mut loc: beacon_domain::referral::Location =
        serde_json::from_str(r#"{"county": "West", "state": "IL"}"#).unwrap();
    assert_eq!(g.assign(&loc).jurisdiction_id.as_deref(), Some("W"));
    loc.state = Some("not a state".into());
    let a = g.assign(&loc);
    assert_eq!((a.jurisdiction_id.as_deref(), a.outside, a.outside_reason), (Some("W"), false, None));
}

//! Property tests of the jurisdiction layer readers (GeoJSON and shapefile):
//! whatever bytes arrive, and however a valid layer is damaged (bytes
//! flipped, cut short, inserted; a value replaced), the reader answers with
//! a layer or an error, never panics, and every error names the feature
//! (or the file) and the field without echoing what the layer held. Every
//! value in the samples carries a marker that must never reach an error.

use std::path::Path;

use beacon_geo::{Layer, LayerError, LayerOptions};
use proptest::prelude::*;
use serde_json::{Value, json};
use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use shapefile::{Point, Polygon, PolygonRing};

const MARKER: &str = "ZQXJ-SECRET";

fn sq(x0: f64, y0: f64, s: f64) -> Vec<[f64; 2]> {
    vec![[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]]
}

/// Three features: a polygon, a polygon with a hole (numeric id), a multipolygon;
/// ids, names and other properties all carry the marker.
fn valid_geojson() -> Value {
    let mut hole = sq(1.4, 0.4, 0.2);
    hole.reverse();
    json!({
        "type": "FeatureCollection",
        "name": format!("{MARKER} layer"),
        "features": [
            {"type": "Feature", "properties": {"code": format!("{MARKER}-W"), "label": format!("{MARKER} West"), "note": MARKER},
             "geometry": {"type": "Polygon", "coordinates": [sq(0.0, 0.0, 1.0)]}},
            {"type": "Feature", "properties": {"code": 2, "label": format!("{MARKER} East")},
             "geometry": {"type": "Polygon", "coordinates": [sq(1.0, 0.0, 1.0), hole]}},
            {"type": "Feature", "properties": {"code": format!("{MARKER}-M"), "label": MARKER},
             "geometry": {"type": "MultiPolygon", "coordinates": [[sq(3.0, 0.0, 0.5)], [sq(4.0, 0.0, 0.5)]]}},
        ]
    })
}

fn read_geojson(bytes: &[u8]) -> Result<Layer, LayerError> {
    Layer::from_geojson(bytes, "code", "label", LayerOptions::default())
}

/// The error leaks nothing the layer held, and says where the problem is:
/// a feature (by index) and its field in backquotes, or the file as a whole.
fn check_error(e: &LayerError) -> Result<(), TestCaseError> {
    let shown = e.to_string();
    let debug = format!("{e:?}");
    prop_assert!(!shown.contains(MARKER) && !debug.contains(MARKER), "echoes the input: {shown} / {debug}");
    let about_a_feature = matches!(
        e,
        LayerError::NotPolygon { .. }
            | LayerError::BadId { .. }
            | LayerError::DuplicateId { .. }
            | LayerError::EmptyGeometry { .. }
            | LayerError::BadCoordinates { .. }
            | LayerError::InvalidGeometry { .. }
    );
    if about_a_feature {
        prop_assert!(shown.starts_with("feature "), "names the feature: {shown}");
        prop_assert!(shown.matches('`').count() >= 2, "names the field: {shown}");
    } else {
        prop_assert!(
            matches!(
                e,
                LayerError::Json(_)
                    | LayerError::NotFeatureCollection(_)
                    | LayerError::NoFeatures
                    | LayerError::TooLarge { .. }
                    | LayerError::Shapefile(_)
            ),
            "unexpected error: {shown}"
        );
    }
    if let LayerError::Shapefile(_) = e {
        prop_assert!(shown.contains("record ") || shown.contains(".shp") || shown.contains(".dbf"), "{shown}");
    }
    Ok(())
}

/// A damage done to bytes.
#[derive(Clone, Debug)]
enum Damage {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, bits)| Damage::Flip(at, bits)),
        any::<usize>().prop_map(Damage::Cut),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..8),
                Just(b"\"ZQXJ-SECRET\"".to_vec()),
                Just(b"[[[".to_vec()),
                Just(b"1e999".to_vec()),
                Just(vec![0xff, 0xff, 0xff, 0x7f]),
            ]
        )
            .prop_map(|(at, bytes)| Damage::Insert(at, bytes)),
        (any::<usize>(), 1..64usize).prop_map(|(at, n)| Damage::Remove(at, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, damages: &[Damage]) {
    for d in damages {
        if bytes.is_empty() {
            return;
        }
        match d {
            Damage::Flip(at, bits) => {
                let i = at % bytes.len();
                bytes[i] ^= bits;
            }
            Damage::Cut(at) => bytes.truncate(at % bytes.len()),
            Damage::Insert(at, more) => {
                let i = at % (bytes.len() + 1);
                bytes.splice(i..i, more.iter().copied());
            }
            Damage::Remove(at, n) => {
                let i = at % bytes.len();
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
        }
    }
}

/// Replace one value of `v` (chosen by `pick`, containers included) with `with`.
fn replace_value(v: &mut Value, pick: usize, with: Value) {
    fn walk(v: &Value, path: String, out: &mut Vec<String>) {
        out.push(path.clone());
        match v {
            Value::Object(m) => m.iter().for_each(|(k, c)| walk(c, format!("{path}/{k}"), out)),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| walk(c, format!("{path}/{i}"), out)),
            _ => {}
        }
    }
    let mut paths = Vec::new();
    walk(v, String::new(), &mut paths);
    let path = paths[pick % paths.len()].clone();
    if path.is_empty() {
        *v = with;
    } else if let Some(slot) = v.pointer_mut(&path) {
        *slot = with;
    }
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        Just(json!(MARKER)),
        Just(json!(format!("{MARKER}-W"))),
        Just(json!(2)),
        Just(json!([MARKER, 1.0])),
        Just(json!([[MARKER, MARKER]])),
        Just(json!({"type": MARKER, "coordinates": [[[MARKER, 0.0]]]})),
        Just(json!({"type": "Point", "coordinates": [1.0, 2.0]})),
        Just(json!([])),
        Just(json!([[]])),
        Just(json!([[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])),
        Just(json!([[[1e300, 0.0], [0.0, 1e300], [0.0, 0.0]]])),
        Just(json!({"nested": [1, MARKER]})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_500))]

    #[test]
    fn geojson_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1_500)) {
        if let Err(e) = read_geojson(&bytes) {
            check_error(&e)?;
        }
    }

    #[test]
    fn geojson_damaged_bytes_are_read_or_rejected_by_feature_and_field(damages in proptest::collection::vec(damage(), 1..5)) {
        let mut bytes = serde_json::to_vec(&valid_geojson()).unwrap();
        apply(&mut bytes, &damages);
        if let Err(e) = read_geojson(&bytes) {
            check_error(&e)?;
        }
    }

    #[test]
    fn geojson_with_a_value_replaced_is_read_or_rejected_by_feature_and_field(
        picks in proptest::collection::vec((0usize..256, any_value()), 1..4),
    ) {
        let mut v = valid_geojson();
        for (pick, with) in picks {
            replace_value(&mut v, pick, with);
        }
        if let Err(e) = read_geojson(&serde_json::to_vec(&v).unwrap()) {
            check_error(&e)?;
        }
    }
}

#[test]
fn the_geojson_sample_is_a_valid_layer() {
    let layer = read_geojson(&serde_json::to_vec(&valid_geojson()).unwrap()).unwrap();
    assert_eq!(layer.jurisdictions().len(), 3);
}

#[test]
fn geojson_rejections_name_the_feature_and_field_but_not_the_value() {
    let reject = |v: Value| read_geojson(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    let mut dup = valid_geojson();
    dup["features"][1]["properties"]["code"] = json!(format!("{MARKER}-W"));
    let e = reject(dup);
    assert_eq!(e.to_string(), "feature 1: id property `code` repeats feature 0's");
    let mut kind = valid_geojson();
    kind["features"][2]["geometry"]["type"] = json!(MARKER);
    let e = reject(kind);
    assert_eq!(
        e.to_string(),
        "feature 2: `geometry.type` is not a GeoJSON geometry type; expected Polygon or MultiPolygon"
    );
    let mut point = valid_geojson();
    point["features"][0]["geometry"]["coordinates"][0][2] = json!([MARKER, 1.0]);
    let e = reject(point);
    assert_eq!(
        e.to_string(),
        "feature 0: `geometry.coordinates` polygon 0, ring 0, position 2 is not [longitude, latitude]"
    );
    let mut top = valid_geojson();
    top["type"] = json!(MARKER);
    assert_eq!(
        reject(top).to_string(),
        "layer is not a GeoJSON FeatureCollection: `type` is not \"FeatureCollection\""
    );
    let e =
        read_geojson(format!("{{\"type\": \"FeatureCollection\", \"features\": [{MARKER}]}}").as_bytes()).unwrap_err();
    assert!(!e.to_string().contains(MARKER), "{e}");
}

/// A valid shapefile (`.shp`, `.shx`, `.dbf`) of two squares whose CODE and
/// LABEL values carry the marker; returns the `.shp` path.
fn write_shapefile(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("layer.shp");
    let table = TableWriterBuilder::new()
        .add_character_field(FieldName::try_from("CODE").unwrap(), 20)
        .add_character_field(FieldName::try_from("LABEL").unwrap(), 40)
        .add_numeric_field(FieldName::try_from("POP").unwrap(), 12, 0);
    let mut w = shapefile::Writer::from_path(&path, table).unwrap();
    let ring = |x0: f64| {
        let mut pts: Vec<Point> = sq(x0, 0.0, 1.0).iter().map(|p| Point::new(p[0], p[1])).collect();
        pts.reverse(); // outer rings run clockwise
        pts
    };
    for (i, x0) in [0.0, 2.0].into_iter().enumerate() {
        let mut r = Record::default();
        r.insert("CODE".into(), FieldValue::Character(Some(format!("{MARKER}-{i}"))));
        r.insert("LABEL".into(), FieldValue::Character(Some(format!("{MARKER} county {i}"))));
        r.insert("POP".into(), FieldValue::Numeric(Some(1000.0)));
        w.write_shape_and_record(&Polygon::new(PolygonRing::Outer(ring(x0))), &r).unwrap();
    }
    drop(w);
    path
}

fn read_shapefile(shp: &Path) -> Result<Layer, LayerError> {
    Layer::from_shapefile(shp, "CODE", "LABEL", LayerOptions::default())
}

/// Which of the shapefile's files a damage is done to.
fn which_file() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("shp"), Just("dbf"), Just("shx")]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn shapefile_damaged_bytes_are_read_or_rejected_by_record_and_field(
        file in which_file(),
        damages in proptest::collection::vec(damage(), 1..5),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let shp = write_shapefile(dir.path());
        let target = shp.with_extension(file);
        let mut bytes = std::fs::read(&target).unwrap();
        apply(&mut bytes, &damages);
        std::fs::write(&target, &bytes).unwrap();
        if let Err(e) = read_shapefile(&shp) {
            check_error(&e)?;
        }
    }

    #[test]
    fn shapefile_arbitrary_bytes_never_panic(
        file in which_file(),
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let shp = write_shapefile(dir.path());
        std::fs::write(shp.with_extension(file), &bytes).unwrap();
        if let Err(e) = read_shapefile(&shp) {
            check_error(&e)?;
        }
    }
}

#[test]
fn the_shapefile_sample_is_a_valid_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layer = read_shapefile(&write_shapefile(dir.path())).unwrap();
    assert_eq!(layer.jurisdictions().len(), 2);
    assert_eq!(layer.jurisdictions()[0].id, format!("{MARKER}-0"));
}

//! NENA's sample EIDO (a call transfer) in, and a case out.

use beacon_domain::referral::Referral;
use beacon_domain::{CaseId, Priority, intake};
use beacon_eido::{CaseForEido, KEPT_AS, eido_document, pidf, referral_json};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

fn sample() -> Value {
    serde_json::from_str(include_str!("eido-sample-call-transfer.json")).unwrap()
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
}

#[test]
fn the_sample_becomes_a_valid_referral_with_nothing_dropped() {
    let doc = sample();
    let value = referral_json(&doc).unwrap();
    let referral: Referral = intake::all_problems(value.clone(), now()).expect("a valid referral");
    assert_eq!(referral.external_id, "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us");
    assert_eq!(referral.source.as_str(), "local_call");
    assert_eq!(referral.received_at, Utc.with_ymd_and_hms(2021, 4, 30, 18, 40, 0).unwrap(), "the call's start");
    assert_eq!(referral.urgency.as_str(), "in_progress", "a call transferred with the document is live");
    let location = referral.location.as_ref().expect("the routing location, by value");
    assert_eq!(location.address.as_deref(), Some("42 W Cellular Street"));
    assert_eq!((location.city.as_deref(), location.state.as_deref()), (Some("Wilmington"), Some("DE")));
    assert!(referral.narrative.contains("This is an example text."), "{}", referral.narrative);
    // Nothing dropped: the whole document is kept as it came, and survives
    // the referral's own round trip.
    assert_eq!(value[KEPT_AS], doc);
    let again = serde_json::to_value(&referral).unwrap();
    assert_eq!(again[KEPT_AS], doc);
}

#[test]
fn a_broken_document_is_refused_naming_the_field_not_the_value() {
    let mut doc = sample();
    doc.as_object_mut().unwrap().remove("$id");
    assert_eq!(referral_json(&doc).unwrap_err().field, "$id");
    let mut doc = sample();
    doc["locationComponent"][0]["locationByValue"] = json!("<presence SECRET-MARKER");
    let e = referral_json(&doc).unwrap_err();
    assert_eq!(e.field, "locationComponent[0].locationByValue");
    assert!(!format!("{e:?}").contains("SECRET-MARKER"));
    assert!(referral_json(&json!([1, 2])).is_err());
}

#[test]
fn a_case_is_written_as_an_eido_document_that_reads_back() {
    let referral: Referral = intake::all_problems(referral_json(&sample()).unwrap(), now()).unwrap();
    let case_id = CaseId::for_referral(referral.source, &referral.external_id);
    let doc = eido_document(
        CaseForEido {
            case_id,
            referral: &referral,
            priority: Priority::P1,
            dispatch_group: Some("Troop C"),
            issuer: "hub.example",
        },
        now(),
    );
    for key in ["$id", "lastUpdateTimeStamp", "updatedByAgencyReference", "eidoVersion", "issuingElementIdentification"]
    {
        assert!(doc.get(key).is_some(), "the document has {key}");
    }
    for component in ["agencyComponent", "incidentComponent", "locationComponent", "notesComponent"] {
        let c = &doc[component][0];
        for key in ["$id", "lastUpdateTimeStamp", "updatedByAgencyReference"] {
            assert!(c.get(key).is_some(), "{component} has {key}");
        }
    }
    let incident = &doc["incidentComponent"][0];
    assert_eq!(incident["internalIncidentId"], json!(case_id.to_string()));
    assert_eq!(incident["incidentCommonPriorityNumber"], json!(1));
    assert_eq!(incident["beatOrDispatchGroupText"], json!("Troop C"));
    let xml = doc["locationComponent"][0]["locationByValue"].as_str().unwrap();
    let back = pidf::read(xml).unwrap();
    assert_eq!(back.street.as_deref(), Some("42 W Cellular Street"));
    // Read in again, it is the same place and the same words.
    let round = intake::all_problems(referral_json(&doc).unwrap(), now()).unwrap();
    assert_eq!(round.location.as_ref().unwrap().city.as_deref(), Some("Wilmington"));
    assert!(round.narrative.contains("This is an example text."));
    assert_eq!(round.urgency.as_str(), "in_progress", "priority 1 reads back as in progress");
}

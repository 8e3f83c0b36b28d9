//! NENA EIDO (Emergency Incident Data Object, NENA-STA-021), in and out.
//!
//! - [`referral_json`] maps an EIDO document to a referral in Beacon's
//!   format, as JSON, so the one validator every referral meets checks it.
//!   Nothing is dropped: the whole document rides along under `eido` (a
//!   field Beacon does not know, kept as it came), while the fields Beacon
//!   acts on are read out of it — the incident's id, time, location (a
//!   PIDF-LO civic address and point), notes and priority.
//! - [`eido_document`] writes a case as an EIDO document: the incident, its
//!   location as PIDF-LO, the narrative as a note, Beacon's priority. People
//!   (victims, the reporter) are not written: who may receive them is the
//!   sharing policy's to say.

#![forbid(unsafe_code)]

pub mod pidf;

use beacon_domain::referral::Referral;
use beacon_domain::{CaseId, FieldError, Priority};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// The media type an EIDO document is posted with.
pub const MEDIA_TYPE: &str = "application/vnd.nena.eido+json";

/// Where the whole EIDO document is kept in the referral.
pub const KEPT_AS: &str = "eido";

/// The longest incident id Beacon keeps as a referral's external id.
const MAX_ID: usize = 128;

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The elements of component array `key` (absent: none).
fn components<'a>(doc: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    doc.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// Map an EIDO document to a referral (Beacon's format, as JSON). A
/// problem names the EIDO field, never its value.
pub fn referral_json(doc: &Value) -> Result<Value, FieldError> {
    if !doc.is_object() {
        return Err(FieldError::new("", "an EIDO document must be a JSON object"));
    }
    let id = text(doc, "$id").ok_or_else(|| FieldError::new("$id", "is missing: the incident needs its id"))?;
    if id.chars().count() > MAX_ID {
        return Err(FieldError::new("$id", format!("is longer than {MAX_ID} characters")));
    }
    let incident = components(doc, "incidentComponent").next();
    let call = components(doc, "callComponent").next();
    let received = call
        .and_then(|c| text(c, "callStartTimestamp"))
        .or_else(|| incident.and_then(|i| text(i, "lastUpdateTimeStamp")))
        .or_else(|| text(doc, "lastUpdateTimeStamp"))
        .ok_or_else(|| FieldError::new("lastUpdateTimeStamp", "is missing: no time for the incident"))?;

    let mut referral = Map::new();
    referral.insert("external_id".into(), json!(id));
    // An EIDO comes from a public-safety answering point: a local call.
    referral.insert("source".into(), json!("local_call"));
    referral.insert("received_at".into(), json!(received));
    referral.insert("urgency".into(), json!(urgency(incident, call)));
    referral.insert("trafficking_type".into(), json!(trafficking_type(incident)));
    if let Some(location) = location(doc)? {
        referral.insert("location".into(), location);
    }
    referral.insert("narrative".into(), json!(narrative(doc, incident)));
    referral.insert(KEPT_AS.into(), doc.clone());
    Ok(Value::Object(referral))
}

/// How urgent: the incident's common priority number where it gives one
/// (1 in progress … 4 and above historical); a call transferred with the
/// document is happening now; otherwise recent.
fn urgency(incident: Option<&Value>, call: Option<&Value>) -> &'static str {
    match incident.and_then(|i| i.get("incidentCommonPriorityNumber")).and_then(Value::as_i64) {
        Some(1) => "in_progress",
        Some(2) => "imminent",
        Some(3) => "recent",
        Some(_) => "historical",
        None if call.is_some() => "in_progress",
        None => "recent",
    }
}

/// Sex or labor trafficking when the incident's type says so.
fn trafficking_type(incident: Option<&Value>) -> &'static str {
    let words: String = ["incidentTypeCommonRegistryText", "incidentTypeInternalText"]
        .iter()
        .filter_map(|k| incident.and_then(|i| text(i, k)))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    match (words.contains("sex"), words.contains("labor") || words.contains("labour")) {
        (true, true) => "both",
        (true, false) => "sex",
        (false, true) => "labor",
        (false, false) => "unknown",
    }
}

/// The incident's location: the component typed `Incident`, else the first
/// given by value.
fn location(doc: &Value) -> Result<Option<Value>, FieldError> {
    let all: Vec<(usize, &Value)> = components(doc, "locationComponent")
        .enumerate()
        .filter(|(_, l)| text(l, "locationByValue").is_some())
        .collect();
    let chosen = all
        .iter()
        .find(|(_, l)| {
            text(l, "locationTypeDescriptionRegistryText").is_some_and(|t| t.eq_ignore_ascii_case("incident"))
        })
        .or(all.first());
    let Some((index, component)) = chosen else { return Ok(None) };
    let xml = text(component, "locationByValue").unwrap_or_default();
    let read = pidf::read(xml)
        .map_err(|problem| FieldError::new(format!("locationComponent[{index}].locationByValue"), problem))?;
    let mut out = Map::new();
    for (key, value) in [
        ("address", read.street),
        ("city", read.city),
        ("county", read.county),
        ("state", read.state),
        ("zip", read.zip),
    ] {
        if let Some(v) = value {
            out.insert(key.into(), json!(v));
        }
    }
    if let Some((lat, lon)) = read.point {
        out.insert("lat".into(), json!(lat));
        out.insert("lon".into(), json!(lon));
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// What was said: the incident's type, its notes (HTML reduced to text) and
/// any comment carried as additional data.
fn narrative(doc: &Value, incident: Option<&Value>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(kind) =
        incident.and_then(|i| text(i, "incidentTypeInternalText").or(text(i, "incidentTypeCommonRegistryText")))
    {
        parts.push(format!("Incident type: {kind}."));
    }
    parts.extend(components(doc, "notesComponent").filter_map(|n| text(n, "notesActionComments")).map(strip_tags));
    parts.extend(
        components(doc, "additionalDataComponent").filter_map(|a| text(a, "additionalDataByValue")).filter_map(comment),
    );
    let text = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n");
    if text.is_empty() { "No notes came with the EIDO document.".to_string() } else { text }
}

/// Text of an `EmergencyCallData.Comment` (RFC 7852) block, if that is what this is.
fn comment(xml: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    if doc.root_element().tag_name().name() != "EmergencyCallData.Comment" {
        return None;
    }
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "Comment")
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .filter(|t| !t.is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// HTML5 notes as plain text: tags dropped, common entities read.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What [`eido_document`] writes of a case.
#[derive(Clone, Copy, Debug)]
pub struct CaseForEido<'a> {
    pub case_id: CaseId,
    pub referral: &'a Referral,
    pub priority: Priority,
    /// The troop (or other dispatch group) the case was placed in.
    pub dispatch_group: Option<&'a str>,
    /// The hub that writes the document, as an agency id (e.g. its host name).
    pub issuer: &'a str,
}

/// A case as an EIDO document (version 1.0).
pub fn eido_document(case: CaseForEido<'_>, now: DateTime<Utc>) -> Value {
    let stamp = now.to_rfc3339();
    let incident_id = format!("urn:emergency:uid:incidentid:{}:{}", case.case_id, case.issuer);
    let location_id = format!("urn:emergency:uid:locationid:{}:{}", case.case_id, case.issuer);
    let note_id = format!("urn:emergency:uid:notesid:{}:{}", case.case_id, case.issuer);
    let agency = json!({"$ref": case.issuer});
    let prologue = |id: &str| json!({"$id": id, "lastUpdateTimeStamp": stamp, "updatedByAgencyReference": agency});
    let with = |mut base: Value, more: Value| {
        if let (Some(b), Value::Object(m)) = (base.as_object_mut(), more) {
            b.extend(m);
        }
        base
    };
    let r = case.referral;
    let mut incident = with(
        prologue(&incident_id),
        json!({
            "incidentTypeCommonRegistryText": "Other",
            "incidentTypeInternalText": format!("Human trafficking ({})", r.trafficking_type),
            "internalIncidentId": case.case_id.to_string(),
            "incidentPriorityInternalText": case.priority.to_string(),
            "incidentCommonPriorityNumber": case.priority.rank(),
            "notesReference": [{"$ref": note_id}],
        }),
    );
    if let Some(group) = case.dispatch_group {
        incident["beatOrDispatchGroupText"] = json!(group);
    }
    let mut doc = json!({
        "$id": incident_id,
        "lastUpdateTimeStamp": stamp,
        "updatedByAgencyReference": agency,
        "eidoVersion": "1.0",
        "issuingElementIdentification": case.issuer,
        "agencyComponent": [with(prologue(case.issuer), json!({
            "agencyRoleDescriptionRegistryText": ["Other"],
            "agencyType": ["other"],
        }))],
        "notesComponent": [with(prologue(&note_id), json!({
            "notesActionComments": pidf::escape(&r.narrative),
        }))],
    });
    if let Some(l) = &r.location {
        let loc = pidf::PidfLocation {
            street: l.address.clone(),
            city: l.city.clone(),
            county: l.county.clone(),
            state: l.state.clone(),
            zip: l.zip.clone(),
            point: l.coordinates(),
        };
        incident["locationReference"] = json!([{"$ref": location_id}]);
        doc["locationComponent"] = json!([with(
            prologue(&location_id),
            json!({
                "locationTypeDescriptionRegistryText": "Incident",
                "locationByValue": pidf::write(&location_id, &loc),
            })
        )]);
    }
    doc["incidentComponent"] = json!([incident]);
    doc
}

//! A referral as the case screen lists it: sections of labelled lines,
//! worded here so that no screen spells a field or a value itself.
//!
//! Every field the referral holds is listed, the ones Beacon does not know
//! too (a hotline's `extra` fields), and nothing is listed empty. The
//! narrative is not a line: screens show it as a paragraph of its own.

use beacon_domain::JurisdictionAssignment;
use beacon_domain::referral::{Extra, Referral, Vehicle};
use beacon_domain::sharing::{label, words};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One titled part of the sheet ("Location", "Suspect 1", …).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetSection {
    pub title: String,
    pub lines: Vec<SheetLine>,
}

/// A label and its value, both in words.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetLine {
    pub label: String,
    pub text: String,
    /// When the value is a moment: screens show it in the reader's own
    /// time zone (and `text` holds it in UTC).
    pub at: Option<DateTime<Utc>>,
}

/// The referral's sections, in the order the hotline sends them.
pub fn referral_sheet(r: &Referral) -> Vec<SheetSection> {
    let mut sections = Vec::new();
    let mut top = Lines::default();
    top.text("Reference", Some(&r.external_id));
    top.text("Source", Some(&words(r.source.as_str())));
    top.time("Received", Some(r.received_at));
    top.text("Urgency", Some(&words(r.urgency.as_str())));
    top.text("Trafficking type", Some(&words(r.trafficking_type.as_str())));
    top.list("Indicators", r.indicators.iter().map(|i| words(i)));
    top.extra(&r.extra);
    sections.push(top.titled("Referral"));
    if let Some(l) = &r.location {
        let mut lines = Lines::default();
        lines.text("Address", l.address.as_deref());
        lines.text("City", l.city.as_deref());
        lines.text("County", l.county.as_deref());
        lines.text("State", l.state.as_deref());
        lines.text("ZIP code", l.zip.as_deref());
        if let Some((lat, lon)) = l.coordinates() {
            lines.text("Coordinates", Some(&format!("{lat:.5}, {lon:.5}")));
        }
        lines.text("Place", l.place_type.map(|p| words(p.as_str())).as_deref());
        lines.extra(&l.extra);
        sections.push(lines.titled("Location"));
    }
    if let Some(v) = &r.potential_victims {
        let mut lines = Lines::default();
        lines.text("How many", v.count.map(|c| c.to_string()).as_deref());
        lines.text("Minors", Some(&words(v.minors.as_str())));
        lines.list("Languages", v.languages.iter().cloned());
        lines.text("Description", v.description.as_deref());
        lines.extra(&v.extra);
        sections.push(lines.titled("Potential victims"));
    }
    for (i, s) in r.suspects.iter().enumerate() {
        let mut lines = Lines::default();
        lines.text("Description", s.description.as_deref());
        lines.list("Phones", s.phones.iter().cloned());
        lines.text("Vehicle", s.vehicle.as_ref().map(vehicle).as_deref());
        lines.extra(&s.extra);
        sections.push(lines.titled(&format!("Suspect {}", i + 1)));
    }
    if let Some(p) = &r.reporter {
        let mut lines = Lines::default();
        lines.text("Who", Some(&words(p.kind.as_str())));
        lines.text("Name", p.name.as_deref());
        lines.text("Phone", p.phone.as_deref());
        lines.text("Email", p.email.as_deref());
        lines.text("May be contacted", Some(yes_no(p.contact_ok)));
        lines.extra(&p.extra);
        sections.push(lines.titled("Reporter"));
    }
    if let Some(c) = &r.consent {
        let mut lines = Lines::default();
        lines.text("Identifying details may be shared", Some(yes_no(c.share_identifying_info)));
        lines.time("Obtained", c.obtained_at);
        lines.list("With", c.scope.iter().map(|s| words(s.as_str())));
        lines.time("Expires", c.expires_at);
        lines.text("Notes", c.notes.as_deref());
        lines.extra(&c.extra);
        sections.push(lines.titled("Consent"));
    }
    sections.retain(|s| !s.lines.is_empty());
    sections
}

/// Where the case was assigned and how sure that is, in words.
pub fn jurisdiction_lines(j: &JurisdictionAssignment) -> Vec<SheetLine> {
    let mut lines = Lines::default();
    let name = j.label();
    lines.text(
        "Assigned",
        Some(&match &j.jurisdiction_id {
            Some(id) => format!("{name} ({id})"),
            None => name,
        }),
    );
    lines.text(
        "Troop",
        Some(&match &j.troop {
            Some(t) if j.troop_verified => format!("Troop {t}"),
            Some(t) => format!("Troop {t} (not yet confirmed with the agency)"),
            None => "—".into(),
        }),
    );
    lines.text("How", Some(&label(j.method.as_str())));
    if let Some(reason) = &j.outside_reason {
        lines.text("Outside", Some(reason));
    } else if j.outside {
        let away = j.distance_km.map(|d| format!(", {d:.1} km away")).unwrap_or_default();
        lines.text("Outside", Some(&format!("the point lies outside every jurisdiction{away}")));
    }
    if j.near_border {
        let others: Vec<String> =
            j.candidates.iter().map(|c| format!("{} ({:.1} km)", c.name, c.distance_km)).collect();
        lines.text("Near a border", Some(&format!("Also possible: {}", others.join(", "))));
    }
    lines.0
}

fn vehicle(v: &Vehicle) -> String {
    let what: Vec<&str> = [&v.color, &v.make, &v.model].into_iter().filter_map(|x| x.as_deref()).collect();
    let plate = match (&v.plate, &v.state) {
        (Some(p), Some(s)) => Some(format!("plate {p} ({s})")),
        (Some(p), None) => Some(format!("plate {p}")),
        (None, _) => None,
    };
    let mut text = [Some(what.join(" ")).filter(|w| !w.is_empty()), plate].into_iter().flatten().collect::<Vec<_>>();
    if text.is_empty() {
        text.push("described, no details".into());
    }
    let mut out = text.join(", ");
    if !v.extra.is_empty() {
        out.push_str(&format!("; {}", extra_text(&v.extra)));
    }
    out
}

fn yes_no(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

/// A field Beacon does not know, as plainly as its JSON allows.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(yes_no(*b).into()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(value_text).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        Value::Object(map) => Some(extra_text(map)).filter(|t| !t.is_empty()),
    }
}

fn extra_text(map: &Extra) -> String {
    map.iter().filter_map(|(k, v)| value_text(v).map(|t| format!("{}: {t}", words(k)))).collect::<Vec<_>>().join("; ")
}

#[derive(Default)]
struct Lines(Vec<SheetLine>);

impl Lines {
    fn text(&mut self, label: &str, text: Option<&str>) {
        if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
            self.0.push(SheetLine { label: label.into(), text: text.into(), at: None });
        }
    }

    fn time(&mut self, label: &str, at: Option<DateTime<Utc>>) {
        if let Some(at) = at {
            self.0.push(SheetLine {
                label: label.into(),
                text: at.format("%Y-%m-%d %H:%M UTC").to_string(),
                at: Some(at),
            });
        }
    }

    fn list(&mut self, label: &str, items: impl Iterator<Item = String>) {
        let items: Vec<String> = items.filter(|i| !i.trim().is_empty()).collect();
        if !items.is_empty() {
            self.text(label, Some(&items.join(", ")));
        }
    }

    /// Fields the hotline sent that Beacon has no name for, named from their keys.
    fn extra(&mut self, extra: &Extra) {
        for (key, value) in extra {
            self.text(&label(key), value_text(value).as_deref());
        }
    }

    fn titled(self, title: &str) -> SheetSection {
        SheetSection { title: title.into(), lines: self.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn referral(v: Value) -> Referral {
        serde_json::from_value(v).expect("a referral")
    }

    fn lines(s: &[SheetSection], title: &str) -> Vec<(String, String)> {
        s.iter()
            .find(|x| x.title == title)
            .map(|x| x.lines.iter().map(|l| (l.label.clone(), l.text.clone())).collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_field_is_worded_and_nothing_empty_is_listed() {
        let r = referral(json!({
            "external_id": "NHTH-1", "source": "hotline_call", "received_at": "2026-11-01T12:00:00Z",
            "urgency": "in_progress", "trafficking_type": "sex", "narrative": "at the motel",
            "indicators": ["controlled_movement", ""], "caller_line": "tip line 2",
            "location": {"city": "Springfield", "state": "MO", "address": " ", "place_type": "truck_stop"},
            "potential_victims": {"count": 2, "minors": "yes", "languages": ["es"]},
            "suspects": [
                {"phones": ["417-555-0101"], "vehicle": {"color": "white", "make": "Ford", "plate": "ABC123", "state": "MO"}},
                {"description": "tall", "vehicle": {}}
            ],
            "reporter": {"kind": "community_member", "contact_ok": false, "shift": {"starts": 22, "night": true}},
            "consent": {"share_identifying_info": true, "scope": ["law_enforcement"], "obtained_at": "2026-11-01T12:05:00Z"}
        }));
        let sheet = referral_sheet(&r);
        let titles: Vec<&str> = sheet.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Referral", "Location", "Potential victims", "Suspect 1", "Suspect 2", "Reporter", "Consent"]
        );
        let top = lines(&sheet, "Referral");
        assert!(top.contains(&("Source".into(), "hotline call".into())), "{top:?}");
        assert!(top.contains(&("Urgency".into(), "in progress".into())));
        assert!(top.contains(&("Indicators".into(), "controlled movement".into())));
        // A field Beacon does not know is listed too, named from its key.
        assert!(top.contains(&("Caller line".into(), "tip line 2".into())), "{top:?}");
        let place = lines(&sheet, "Location");
        assert_eq!(
            place,
            [
                ("City".into(), "Springfield".into()),
                ("State".into(), "MO".into()),
                ("Place".into(), "truck stop".into())
            ],
            "a blank address is left out"
        );
        assert_eq!(lines(&sheet, "Suspect 1")[1], ("Vehicle".into(), "white Ford, plate ABC123 (MO)".into()));
        assert_eq!(lines(&sheet, "Suspect 2")[1], ("Vehicle".into(), "described, no details".into()));
        let reporter = lines(&sheet, "Reporter");
        assert!(reporter.contains(&("Who".into(), "community member".into())));
        assert!(reporter.contains(&("May be contacted".into(), "no".into())));
        assert!(reporter.contains(&("Shift".into(), "starts: 22; night: yes".into())), "{reporter:?}");
        let consent = &sheet.iter().find(|s| s.title == "Consent").unwrap().lines;
        assert_eq!(consent[1].label, "Obtained");
        assert!(consent[1].at.is_some(), "a moment is marked for the screen to show in local time");
        // Nothing anywhere is a raw value: no underscores, no JSON.
        for s in &sheet {
            for l in &s.lines {
                assert!(!l.text.contains('_') && !l.text.contains('{') && !l.label.contains('_'), "{l:?}");
            }
        }
    }

    #[test]
    fn jurisdiction_lines_say_how_sure_the_assignment_is() {
        let mut j = JurisdictionAssignment {
            jurisdiction_id: Some("29077".into()),
            name: Some("Greene".into()),
            troop: Some("D".into()),
            troop_verified: false,
            method: beacon_domain::AssignMethod::CountyName,
            ..JurisdictionAssignment::unknown()
        };
        let text = |j: &JurisdictionAssignment| {
            jurisdiction_lines(j).into_iter().map(|l| format!("{}: {}", l.label, l.text)).collect::<Vec<_>>()
        };
        let shown = text(&j);
        assert_eq!(shown[0], format!("Assigned: {} (29077)", j.label()));
        assert_eq!(shown[1], "Troop: Troop D (not yet confirmed with the agency)");
        assert_eq!(shown[2], "How: County name");
        j.troop_verified = true;
        j.near_border = true;
        j.candidates = vec![beacon_domain::jurisdiction::Candidate {
            jurisdiction_id: "29043".into(),
            name: "Christian".into(),
            distance_km: 1.54,
        }];
        let shown = text(&j);
        assert_eq!(shown[1], "Troop: Troop D");
        assert_eq!(shown[3], "Near a border: Also possible: Christian (1.5 km)");
        let outside = JurisdictionAssignment {
            outside: true,
            outside_reason: Some("the referral's state (IL) is not this layer's (MO)".into()),
            ..JurisdictionAssignment::unknown()
        };
        assert!(text(&outside).contains(&"Outside: the referral's state (IL) is not this layer's (MO)".to_string()));
    }
}

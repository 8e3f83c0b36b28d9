//! Every enumeration a screen shows or offers, with each value's words.
//!
//! Screens never spell a value themselves: `export-bindings` writes this
//! into the UI (`ui/src/bindings/vocabulary.ts`), so a value added to an
//! enumeration here reaches every select box and label, worded once.

use beacon_domain::referral::{PlaceType, ReporterKind, Source, TraffickingType, Urgency, YesNoUnknown};
use beacon_domain::responder::Role;
use beacon_domain::sharing::{label, words};
use beacon_domain::{AssignMethod, CaseStatus};

/// One value: as stored and sent, at the start of a line ("Handed off"),
/// and inside a sentence ("handed off").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub value: &'static str,
    pub label: String,
    pub words: String,
}

/// Each enumeration by the name screens use for it, its values in order.
pub fn vocabulary() -> Vec<(&'static str, Vec<Term>)> {
    fn terms(values: impl IntoIterator<Item = &'static str>) -> Vec<Term> {
        values.into_iter().map(|value| Term { value, label: label(value), words: words(value) }).collect()
    }
    vec![
        ("source", terms(Source::ALL.iter().map(|v| v.as_str()))),
        ("urgency", terms(Urgency::ALL.iter().map(|v| v.as_str()))),
        ("trafficking_type", terms(TraffickingType::ALL.iter().map(|v| v.as_str()))),
        ("place_type", terms(PlaceType::ALL.iter().map(|v| v.as_str()))),
        ("minors", terms(YesNoUnknown::ALL.iter().map(|v| v.as_str()))),
        ("reporter_kind", terms(ReporterKind::ALL.iter().map(|v| v.as_str()))),
        ("status", terms(CaseStatus::ALL.iter().map(|v| v.as_str()))),
        // The statuses the queue (open cases) can be filtered by.
        ("open_status", terms(CaseStatus::ALL.iter().filter(|v| v.is_open()).map(|v| v.as_str()))),
        ("role", terms(Role::ALL.iter().map(|v| v.as_str()))),
        ("method", terms(AssignMethod::ALL.iter().map(|v| v.as_str()))),
    ]
}

#[cfg(test)]
mod tests {
    use super::vocabulary;

    #[test]
    fn every_value_is_worded_and_no_name_is_ambiguous() {
        let v = vocabulary();
        let find = |kind: &str, value: &str| {
            v.iter().find(|(k, _)| *k == kind).and_then(|(_, t)| t.iter().find(|t| t.value == value)).cloned()
        };
        let handed = find("status", "handed_off").expect("a status");
        assert_eq!((handed.label.as_str(), handed.words.as_str()), ("Handed off", "handed off"));
        assert_eq!(find("role", "victim_advocate").unwrap().words, "victim advocate");
        assert_eq!(find("source", "hotline_call").unwrap().label, "Hotline call");
        assert!(find("open_status", "reopened").is_some() && find("open_status", "closed").is_none());
        // A value means the same wherever it appears, so one lookup by value serves every screen.
        let mut seen = std::collections::HashMap::new();
        for (_, terms) in &v {
            for t in terms {
                assert!(!t.label.contains('_') && !t.label.is_empty(), "{t:?}");
                if let Some(other) = seen.insert(t.value, t.label.clone()) {
                    assert_eq!(other, t.label, "{} is worded two ways", t.value);
                }
            }
        }
    }
}

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

/// One enumeration, by the name screens use for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enumeration {
    pub kind: &'static str,
    /// What a referral that does not say holds (the type's `Default`): what
    /// a form starts on, so an untouched form claims nothing.
    pub default: Option<&'static str>,
    /// Its values, in order.
    pub terms: Vec<Term>,
}

/// Every enumeration a screen shows or offers.
pub fn vocabulary() -> Vec<Enumeration> {
    fn of(
        kind: &'static str,
        default: Option<&'static str>,
        values: impl IntoIterator<Item = &'static str>,
    ) -> Enumeration {
        let terms = values.into_iter().map(|value| Term { value, label: label(value), words: words(value) }).collect();
        Enumeration { kind, default, terms }
    }
    vec![
        of("source", Some(Source::default().as_str()), Source::ALL.iter().map(|v| v.as_str())),
        of("urgency", None, Urgency::ALL.iter().map(|v| v.as_str())),
        of(
            "trafficking_type",
            Some(TraffickingType::default().as_str()),
            TraffickingType::ALL.iter().map(|v| v.as_str()),
        ),
        of("place_type", None, PlaceType::ALL.iter().map(|v| v.as_str())),
        of("minors", Some(YesNoUnknown::default().as_str()), YesNoUnknown::ALL.iter().map(|v| v.as_str())),
        of("reporter_kind", Some(ReporterKind::default().as_str()), ReporterKind::ALL.iter().map(|v| v.as_str())),
        of("status", None, CaseStatus::ALL.iter().map(|v| v.as_str())),
        // The statuses the queue (open cases) can be filtered by.
        of("open_status", None, CaseStatus::ALL.iter().filter(|v| v.is_open()).map(|v| v.as_str())),
        of("role", None, Role::ALL.iter().map(|v| v.as_str())),
        of("method", None, AssignMethod::ALL.iter().map(|v| v.as_str())),
    ]
}

#[cfg(test)]
mod tests {
    use super::vocabulary;

    #[test]
    fn every_value_is_worded_and_no_name_is_ambiguous() {
        let v = vocabulary();
        let kind = |kind: &str| v.iter().find(|e| e.kind == kind).cloned();
        let find = |k: &str, value: &str| kind(k).and_then(|e| e.terms.into_iter().find(|t| t.value == value));
        let handed = find("status", "handed_off").expect("a status");
        assert_eq!((handed.label.as_str(), handed.words.as_str()), ("Handed off", "handed off"));
        assert_eq!(find("role", "victim_advocate").unwrap().words, "victim advocate");
        assert_eq!(find("source", "hotline_call").unwrap().label, "Hotline call");
        assert!(find("open_status", "reopened").is_some() && find("open_status", "closed").is_none());
        // An untouched form claims no minor and no type.
        assert_eq!(kind("minors").unwrap().default, Some("unknown"));
        assert_eq!(kind("trafficking_type").unwrap().default, Some("unknown"));
        // A value means the same wherever it appears, so one lookup by value serves every screen.
        let mut seen = std::collections::HashMap::new();
        for e in &v {
            assert!(e.default.is_none_or(|d| e.terms.iter().any(|t| t.value == d)), "{}'s default is a value", e.kind);
            for t in &e.terms {
                assert!(!t.label.contains('_') && !t.label.is_empty(), "{t:?}");
                if let Some(other) = seen.insert(t.value, t.label.clone()) {
                    assert_eq!(other, t.label, "{} is worded two ways", t.value);
                }
            }
        }
    }
}

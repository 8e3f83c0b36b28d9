//! The referral: the record a hotline sends. Field names are the wire format,
//! documented in `docs/referral-format.md`; the JSON Schema there is generated
//! from these types (`beacon schema`).
//!
//! Every object keeps the fields it does not know in `extra`, so a newer
//! hotline format loses nothing when it passes through Beacon.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Fields this version of Beacon does not know, kept verbatim.
pub type Extra = Map<String, Value>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Referral {
    /// The sender's id for this referral; unique per `source`.
    pub external_id: String,
    pub source: Source,
    /// When the hotline received the tip (RFC 3339).
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub trafficking_type: TraffickingType,
    pub urgency: Urgency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub potential_victims: Option<PotentialVictims>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suspects: Vec<Suspect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<Reporter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// Values from the documented list in [`crate::referral::INDICATORS`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<String>,
    /// What the caller said, in the call-taker's words.
    pub narrative: String,
    #[serde(flatten)]
    #[schemars(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown value {:?}; expected one of: {}",
                        s,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

wire_enum!(
    /// Where the referral came from.
    Source {
        HotlineCall = "hotline_call",
        HotlineWeb = "hotline_web",
        HotlineText = "hotline_text",
        LocalCall = "local_call",
        WalkIn = "walk_in",
        Other = "other",
    } default Other
);

wire_enum!(
    TraffickingType {
        Sex = "sex",
        Labor = "labor",
        Both = "both",
        Unknown = "unknown",
    } default Unknown
);

wire_enum!(
    /// How current the situation is. Drives the first triage rules.
    Urgency {
        InProgress = "in_progress",
        Imminent = "imminent",
        Recent = "recent",
        Historical = "historical",
    } default Historical
);

wire_enum!(
    PlaceType {
        Hotel = "hotel",
        Residence = "residence",
        Business = "business",
        Vehicle = "vehicle",
        Street = "street",
        TruckStop = "truck_stop",
        Online = "online",
        Other = "other",
    } default Other
);

wire_enum!(
    YesNoUnknown {
        Yes = "yes",
        No = "no",
        Unknown = "unknown",
    } default Unknown
);

wire_enum!(
    ReporterKind {
        Victim = "victim",
        CommunityMember = "community_member",
        Professional = "professional",
        Anonymous = "anonymous",
    } default Anonymous
);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// Two-letter postal code, e.g. `MO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// WGS 84 latitude, -90..90. Give `lat` and `lon` together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// WGS 84 longitude, -180..180.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place_type: Option<PlaceType>,
    #[serde(flatten)]
    #[schemars(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

impl Location {
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            _ => None,
        }
    }

    /// A place a responder could go to: a street address or coordinates.
    pub fn is_specific(&self) -> bool {
        self.coordinates().is_some() || self.address.as_deref().is_some_and(|a| !a.trim().is_empty())
    }

    /// One line for tables: address, city.
    pub fn summary(&self) -> String {
        let parts: Vec<&str> = [self.address.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        parts.join(", ")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PotentialVictims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default)]
    pub minors: YesNoUnknown,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Suspect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<Vehicle>,
    #[serde(flatten)]
    #[schemars(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Vehicle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reporter {
    #[serde(default)]
    pub kind: ReporterKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// May responders contact the reporter?
    #[serde(default)]
    pub contact_ok: bool,
    #[serde(flatten)]
    #[schemars(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

wire_enum!(
    /// Whom a consent to share identifying details covers.
    ConsentScope {
        LawEnforcement = "law_enforcement",
        VictimServices = "victim_services",
    } default LawEnforcement
);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Consent {
    /// Did the victim (or reporter) agree to identifying details being shared with responders?
    #[serde(default)]
    pub share_identifying_info: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obtained_at: Option<DateTime<Utc>>,
    /// Whom the consent covers; empty means every responder (consent given
    /// before scopes were recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<ConsentScope>,
    /// When the consent ends; expired consent is no consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(flatten)]
    #[schemars(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// The documented indicator vocabulary (see `docs/referral-format.md`).
pub const INDICATORS: &[(&str, &str)] = &[
    ("controlled_movement", "someone else controls where the person goes"),
    ("no_id_documents", "the person does not hold their own identity documents"),
    ("signs_of_abuse", "visible injuries or signs of physical abuse"),
    ("coached_answers", "answers sound scripted or are given by someone else"),
    ("minor_out_of_school", "a minor not in school during school hours"),
    ("debt_bondage", "the person owes a debt to the employer or a third party"),
    ("unpaid_or_withheld_wages", "wages withheld, unpaid or far below promised"),
    ("living_at_workplace", "the person lives where they work"),
    ("many_people_one_address", "many people housed at one address"),
    ("online_advertisement", "the person is advertised online"),
    ("branding_tattoos", "tattoos or marks that show ownership"),
    ("fearful_or_submissive", "fearful, anxious or submissive behaviour"),
    ("older_companion", "a minor with a much older companion who is not a guardian"),
    ("hotel_frequent_visitors", "many visitors to one hotel room"),
    ("restricted_communication", "not allowed to speak freely or use a phone"),
    ("threats_to_family", "threats against the person's family"),
    ("recruitment_deception", "recruited with a false promise of work"),
];

pub fn is_known_indicator(s: &str) -> bool {
    INDICATORS.iter().any(|(name, _)| *name == s)
}

impl Referral {
    /// The victims' languages, lower-cased, for matching advocates.
    pub fn victim_languages(&self) -> Vec<String> {
        self.potential_victims
            .as_ref()
            .map(|v| v.languages.iter().map(|l| l.trim().to_lowercase()).collect())
            .unwrap_or_default()
    }

    pub fn consent_to_share(&self) -> bool {
        self.consent.as_ref().is_some_and(|c| c.share_identifying_info)
    }

    pub fn has_minors(&self) -> bool {
        self.potential_victims.as_ref().is_some_and(|v| v.minors == YesNoUnknown::Yes)
    }

    pub fn place_type(&self) -> Option<PlaceType> {
        self.location.as_ref().and_then(|l| l.place_type)
    }
}

//! Where a point lies, as [`Gazetteer::locate`](crate::Gazetteer::locate)
//! answers it: the same fields as [`JurisdictionAssignment`], with the
//! jurisdiction's id, name and troop borrowed from the gazetteer's tables
//! instead of copied, and its border candidates kept in place, so locating a
//! point allocates nothing (unless it is near three or more jurisdictions).
//!
//! It serialises exactly as the [`JurisdictionAssignment`] it converts to,
//! which is what events store.

use std::fmt;
use std::ops::Deref;

use beacon_domain::jurisdiction::Candidate;
use beacon_domain::{AssignMethod, JurisdictionAssignment};
use serde::{Serialize, Serializer};

/// Text from the layer's tables (a jurisdiction's id or name, a troop),
/// borrowed from the [`Gazetteer`](crate::Gazetteer) that answered. Reads as
/// a `&str` (it dereferences to one), compares with strings, prints and
/// serialises as the text itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerText<'g>(&'g str);

impl<'g> LayerText<'g> {
    pub(crate) fn new(s: &'g str) -> LayerText<'g> {
        LayerText(s)
    }

    /// The text, for as long as the gazetteer lives.
    pub fn as_str(&self) -> &'g str {
        self.0
    }
}

impl Deref for LayerText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for LayerText<'_> {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl fmt::Debug for LayerText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for LayerText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for LayerText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl PartialEq<str> for LayerText<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for LayerText<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for LayerText<'_> {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
    }
}

impl PartialEq<LayerText<'_>> for str {
    fn eq(&self, other: &LayerText<'_>) -> bool {
        self == other.0
    }
}

impl PartialEq<LayerText<'_>> for &str {
    fn eq(&self, other: &LayerText<'_>) -> bool {
        *self == other.0
    }
}

impl PartialEq<LayerText<'_>> for String {
    fn eq(&self, other: &LayerText<'_>) -> bool {
        self.as_str() == other.0
    }
}

/// [`Candidate`] with borrowed text: another jurisdiction a point near a
/// border might belong to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CandidateRef<'g> {
    pub jurisdiction_id: LayerText<'g>,
    pub name: LayerText<'g>,
    /// Distance from the point to that jurisdiction's boundary.
    pub distance_km: f64,
}

impl From<&CandidateRef<'_>> for Candidate {
    fn from(c: &CandidateRef<'_>) -> Candidate {
        Candidate {
            jurisdiction_id: c.jurisdiction_id.as_str().to_string(),
            name: c.name.as_str().to_string(),
            distance_km: c.distance_km,
        }
    }
}

/// The candidates of a [`Located`], nearest first. Reads as a slice of
/// [`CandidateRef`] (it dereferences to one); a single candidate, the usual
/// case near a border, is kept in place, so locating a point allocates only
/// where three or more jurisdictions are near. Serialises as a list.
#[derive(Clone)]
pub struct Candidates<'g>(Store<'g>);

#[derive(Clone)]
enum Store<'g> {
    None,
    One(CandidateRef<'g>),
    Many(Vec<CandidateRef<'g>>),
}

impl<'g> Candidates<'g> {
    /// None.
    pub const fn new() -> Candidates<'g> {
        Candidates(Store::None)
    }

    pub fn as_slice(&self) -> &[CandidateRef<'g>] {
        match &self.0 {
            Store::None => &[],
            Store::One(c) => std::slice::from_ref(c),
            Store::Many(v) => v,
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self.0, Store::None)
    }
}

impl Default for Candidates<'_> {
    fn default() -> Self {
        Candidates::new()
    }
}

impl<'g> FromIterator<CandidateRef<'g>> for Candidates<'g> {
    fn from_iter<I: IntoIterator<Item = CandidateRef<'g>>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Candidates::new();
        };
        match iter.next() {
            None => Candidates(Store::One(first)),
            Some(second) => Candidates(Store::Many([first, second].into_iter().chain(iter).collect())),
        }
    }
}

impl<'g> Deref for Candidates<'g> {
    type Target = [CandidateRef<'g>];

    fn deref(&self) -> &[CandidateRef<'g>] {
        self.as_slice()
    }
}

impl<'a, 'g> IntoIterator for &'a Candidates<'g> {
    type Item = &'a CandidateRef<'g>;
    type IntoIter = std::slice::Iter<'a, CandidateRef<'g>>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl PartialEq for Candidates<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for Candidates<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Serialize for Candidates<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

/// [`JurisdictionAssignment`] with borrowed text, as located from a point:
/// the fields mean the same (see there). Convert with
/// [`Located::to_assignment`] or `JurisdictionAssignment::from` to keep it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Located<'g> {
    pub jurisdiction_id: Option<LayerText<'g>>,
    pub name: Option<LayerText<'g>>,
    pub troop: Option<LayerText<'g>>,
    pub troop_verified: bool,
    pub method: AssignMethod,
    pub near_border: bool,
    #[serde(skip_serializing_if = "Candidates::is_empty")]
    pub candidates: Candidates<'g>,
    pub outside: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

impl Located<'_> {
    /// The owned value events store.
    pub fn to_assignment(&self) -> JurisdictionAssignment {
        let owned = |t: Option<LayerText<'_>>| t.map(|t| t.as_str().to_string());
        JurisdictionAssignment {
            jurisdiction_id: owned(self.jurisdiction_id),
            name: owned(self.name),
            troop: owned(self.troop),
            troop_verified: self.troop_verified,
            method: self.method,
            near_border: self.near_border,
            candidates: self.candidates.iter().map(Candidate::from).collect(),
            outside: self.outside,
            distance_km: self.distance_km,
            outside_reason: None,
        }
    }

    /// See [`JurisdictionAssignment::is_unassigned`].
    pub fn is_unassigned(&self) -> bool {
        self.jurisdiction_id.is_none() || self.outside
    }

    /// See [`JurisdictionAssignment::label`].
    pub fn label(&self) -> String {
        self.to_assignment().label()
    }
}

impl From<Located<'_>> for JurisdictionAssignment {
    fn from(a: Located<'_>) -> JurisdictionAssignment {
        a.to_assignment()
    }
}

impl From<&Located<'_>> for JurisdictionAssignment {
    fn from(a: &Located<'_>) -> JurisdictionAssignment {
        a.to_assignment()
    }
}

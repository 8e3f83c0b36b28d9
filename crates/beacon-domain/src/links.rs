//! Keys that tie referrals about the same people or place together: a
//! normalised phone number, vehicle plate or street address. Two referrals
//! sharing a key within the link window are shown together.

use crate::referral::Referral;

/// Default window within which a shared key links two referrals.
pub const DEFAULT_LINK_WINDOW_DAYS: i64 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    Phone,
    Plate,
    Address,
}

impl LinkKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            LinkKind::Phone => "phone",
            LinkKind::Plate => "plate",
            LinkKind::Address => "address",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        match s {
            "phone" => Some(LinkKind::Phone),
            "plate" => Some(LinkKind::Plate),
            "address" => Some(LinkKind::Address),
            _ => None,
        }
    }
}

/// Digits only, without a leading US country code; `None` if too short to mean anything.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.len() == 11 && digits.starts_with('1') { digits[1..].to_string() } else { digits };
    (digits.len() >= 7).then_some(digits)
}

/// Upper-case letters and digits, prefixed by the plate's state when known.
pub fn normalize_plate(plate: &str, state: Option<&str>) -> Option<String> {
    let p: String = plate.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
    if p.len() < 2 {
        return None;
    }
    let state = state.map(|s| s.trim().to_ascii_uppercase()).filter(|s| s.len() == 2).unwrap_or_else(|| "??".into());
    Some(format!("{state}:{p}"))
}

/// Lower case, punctuation dropped, common street words abbreviated, plus the
/// city or ZIP so "100 Main St" in two towns stays apart.
pub fn normalize_address(address: &str, city: Option<&str>, zip: Option<&str>) -> Option<String> {
    let address = address.replace('#', " unit ");
    let words: Vec<String> = address
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .filter(|w| !w.is_empty())
        .map(|w| abbreviate(&w.to_lowercase()).to_string())
        .collect();
    if words.len() < 2 || !words[0].chars().any(|c| c.is_ascii_digit()) {
        // Without a house number an "address" is a street or a place name: too broad to link on.
        return None;
    }
    let place = zip
        .map(|z| z.chars().take(5).collect::<String>())
        .or_else(|| city.map(|c| c.trim().to_lowercase()))
        .unwrap_or_default();
    Some(format!("{}|{}", words.join(" "), place))
}

fn abbreviate(word: &str) -> &str {
    match word {
        "street" => "st",
        "avenue" => "ave",
        "road" => "rd",
        "drive" => "dr",
        "boulevard" => "blvd",
        "highway" | "hwy" => "hwy",
        "lane" => "ln",
        "court" => "ct",
        "place" => "pl",
        "parkway" => "pkwy",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "suite" | "ste" | "apartment" | "apt" | "unit" | "room" | "rm" => "unit",
        other => other,
    }
}

/// A stable 64-bit hash of a link key (FNV-1a), for compact indexing.
/// Stable across platforms and releases, since it is stored.
pub fn key_hash(kind: LinkKind, key: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.as_str().bytes().chain([b':']).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// Every link key of a referral, de-duplicated.
pub fn link_keys(r: &Referral) -> Vec<(LinkKind, String)> {
    let mut keys = Vec::new();
    for s in &r.suspects {
        keys.extend(s.phones.iter().filter_map(|p| normalize_phone(p)).map(|k| (LinkKind::Phone, k)));
        if let Some(v) = &s.vehicle
            && let Some(k) = v.plate.as_deref().and_then(|p| normalize_plate(p, v.state.as_deref()))
        {
            keys.push((LinkKind::Plate, k));
        }
    }
    if let Some(loc) = &r.location
        && let Some(k) =
            loc.address.as_deref().and_then(|a| normalize_address(a, loc.city.as_deref(), loc.zip.as_deref()))
    {
        keys.push((LinkKind::Address, k));
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_is_stable_and_kind_specific() {
        // Stored values: this must never change between releases.
        assert_eq!(key_hash(LinkKind::Phone, "3145550199"), key_hash(LinkKind::Phone, "3145550199"));
        assert_ne!(key_hash(LinkKind::Phone, "123"), key_hash(LinkKind::Plate, "123"));
        assert_eq!(key_hash(LinkKind::Phone, ""), 8_546_460_224_868_882_287_i64);
    }

    #[test]
    fn phones_normalise_across_formats() {
        assert_eq!(normalize_phone("(314) 555-0199"), Some("3145550199".into()));
        assert_eq!(normalize_phone("+1 314.555.0199"), Some("3145550199".into()));
        assert_eq!(normalize_phone("911"), None);
    }

    #[test]
    fn plates_ignore_case_spaces_and_dashes() {
        assert_eq!(normalize_plate("ab-1 23c", Some("mo")), Some("MO:AB123C".into()));
        assert_eq!(normalize_plate("AB123C", None), Some("??:AB123C".into()));
    }

    #[test]
    fn addresses_normalise_street_words_and_keep_the_town() {
        let a = normalize_address("1200 North Glenstone Avenue, Room 12", Some("Springfield"), None);
        let b = normalize_address("1200 N. Glenstone Ave #12", Some("springfield"), None);
        assert_eq!(a, b);
        assert_ne!(a, normalize_address("1200 N Glenstone Ave unit 12", Some("Joplin"), None));
        assert_eq!(normalize_address("Glenstone Avenue", Some("Springfield"), None), None);
    }
}

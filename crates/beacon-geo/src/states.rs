//! US states and territories, by two-letter postal code or by name: the
//! table is data (`assets/jurisdictions/default/states.csv`), not code.

use std::sync::OnceLock;

/// `code,name` rows (USPS Publication 28: states, the District of Columbia
/// and the inhabited territories).
pub const STATES_CSV: &str = include_str!("../../../assets/jurisdictions/default/states.csv");

/// (postal code, comparison key of the name), in file order.
fn table() -> &'static [(String, String)] {
    static TABLE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        STATES_CSV
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(','))
            .map(|(code, name)| (code.trim().to_ascii_uppercase(), key(name)))
            .collect()
    })
}

/// Lower case, no dots, single spaces: "N.Y." is "ny", " New  York " is "new york".
fn key(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(|w| w.replace('.', "").to_lowercase()).collect();
    words.into_iter().filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The postal code of the state or territory given by its code or its name,
/// in any case ("MO", "mo", "Mo.", "Missouri", "MISSOURI" are all "MO");
/// `None` when it is neither.
pub fn state_code(text: &str) -> Option<&'static str> {
    let k = key(text);
    if k.is_empty() {
        return None;
    }
    table().iter().find(|(code, name)| code.eq_ignore_ascii_case(&k) || *name == k).map(|(code, _)| code.as_str())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_table_is_well_formed() {
        let t = table();
        assert_eq!(t.len(), STATES_CSV.lines().count() - 1, "every row has a code and a name");
        assert!(t.len() >= 51, "{}", t.len());
        assert!(t.iter().all(|(c, n)| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()) && !n.is_empty()));
        assert_eq!(t.iter().map(|(c, _)| c).collect::<HashSet<_>>().len(), t.len(), "codes are unique");
        assert_eq!(t.iter().map(|(_, n)| n).collect::<HashSet<_>>().len(), t.len(), "names are unique");
        // Every code and name finds its own row.
        for (code, name) in t {
            assert_eq!(state_code(code), Some(code.as_str()));
            assert_eq!(state_code(name), Some(code.as_str()));
        }
    }

    #[test]
    fn codes_and_names_in_any_case() {
        for text in ["MO", "mo", "Mo", " mo ", "Mo.", "M.O.", "Missouri", "missouri", "MISSOURI", " Missouri "] {
            assert_eq!(state_code(text), Some("MO"), "{text:?}");
        }
        assert_eq!(state_code("new  york"), Some("NY"));
        assert_eq!(state_code("N.Y."), Some("NY"));
        assert_eq!(state_code("US Virgin Islands"), Some("VI"));
        for text in ["", "  ", ".", "XX", "M", "MOO", "somewhere else"] {
            assert_eq!(state_code(text), None, "{text:?}");
        }
    }
}

//! Spelling-tolerant jurisdiction names: "St Louis", "Saint Louis County",
//! "St. Louis Co." and "DeKalb"/"De Kalb" all reduce to one key, while
//! "St. Louis city" / "City of St. Louis" keep the word "city" and so stay a
//! different jurisdiction from "St. Louis" (the county).

use std::collections::HashMap;

/// The comparison key of a name.
pub fn name_key(name: &str) -> String {
    let lower = name.to_lowercase();
    let cleaned: String = lower
        .chars()
        .map(|c| match c {
            '.' | '\'' | '’' | ',' => ' ',
            '-' | '_' => ' ',
            c => c,
        })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    // "city of X" -> "X city"
    if words.len() > 2 && words[0] == "city" && words[1] == "of" {
        words.drain(..2);
        words.push("city");
    }
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let last = i + 1 == words.len();
        let w = match *w {
            "saint" => "st",
            "sainte" => "ste",
            "mount" | "mt" => "mt",
            // Trailing designators carry no information for counties.
            "county" | "co" | "cnty" | "parish" | "borough" if last && i > 0 => continue,
            w => w,
        };
        out.push(w);
    }
    // Spaces are dropped so "De Kalb" = "DeKalb".
    out.concat()
}

/// Name/id lookup for a layer.
#[derive(Clone, Debug, Default)]
pub struct NameIndex {
    by_key: HashMap<String, Option<usize>>,
    ids: HashMap<String, usize>,
    keys: Vec<String>,
}

impl NameIndex {
    pub fn new<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> NameIndex {
        let mut idx = NameIndex::default();
        for (i, (id, name)) in entries.enumerate() {
            idx.ids.insert(id.to_string(), i);
            let key = name_key(name);
            // Two jurisdictions with the same key: ambiguous, matches neither.
            idx.by_key.entry(key.clone()).and_modify(|v| *v = None).or_insert(Some(i));
            idx.keys.push(key);
        }
        idx
    }

    /// Index of the jurisdiction called `name` (or whose id is `name`).
    pub fn find(&self, name: &str) -> Option<usize> {
        let t = name.trim();
        if let Some(&i) = self.ids.get(t) {
            return Some(i);
        }
        let key = name_key(t);
        if key.is_empty() {
            return None;
        }
        if let Some(found) = self.by_key.get(&key) {
            return *found;
        }
        // One typo in a longer name, if exactly one jurisdiction is that close.
        if key.chars().count() >= 6 {
            let mut hit = None;
            for (i, k) in self.keys.iter().enumerate() {
                if within_one_edit(&key, k) {
                    if hit.is_some() {
                        return None;
                    }
                    hit = Some(i);
                }
            }
            // Never let a typo turn "X city" into X or back.
            if let Some(i) = hit
                && key.ends_with("city") == self.keys[i].ends_with("city")
            {
                return Some(i);
            }
        }
        None
    }
}

fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (s, l) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if l.len() - s.len() > 1 {
        return false;
    }
    if s == l {
        return true;
    }
    let mut i = 0;
    while i < s.len() && s[i] == l[i] {
        i += 1;
    }
    if s.len() == l.len() {
        // one substitution, or one adjacent transposition
        s[i + 1..] == l[i + 1..]
            || (i + 1 < s.len() && s[i] == l[i + 1] && s[i + 1] == l[i] && s[i + 2..] == l[i + 2..])
    } else {
        s[i..] == l[i + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(name_key("St. Louis County"), "stlouis");
        assert_eq!(name_key("Saint Louis"), "stlouis");
        assert_eq!(name_key("St. Louis Co."), "stlouis");
        assert_eq!(name_key("St. Louis city"), "stlouiscity");
        assert_eq!(name_key("City of St. Louis"), "stlouiscity");
        assert_eq!(name_key("Ste. Genevieve"), "stegenevieve");
        assert_eq!(name_key("De Kalb"), "dekalb");
        assert!(within_one_edit("genevieve", "genevive"));
        assert!(within_one_edit("abcd", "abdc"));
        assert!(!within_one_edit("abcd", "abcd12"));
    }
}

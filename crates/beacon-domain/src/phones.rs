//! Phone numbers as people write and type them: "(314) 555-0199",
//! "314.555.0199", "+1 314 555 0199", "3145550199", "555-0199".
//!
//! One rule decides which runs of digits are a phone number. Search uses it
//! twice: to index every number written in a case (each as its digits, one
//! token), and to read a number typed into the search box (looked up as
//! that token alone). A lookup of one rare token is a short read, where a
//! phrase of the groups ("314 555 0199") walked the long lists of common
//! tokens such as "555".

/// How the digit groups of a phone number may be laid out, most groups
/// first so that the longest reading of a text wins. An eleven-digit
/// number, or a first group of one digit, is the US country code 1.
const SHAPES: &[&[usize]] = &[&[1, 3, 3, 4], &[3, 3, 4], &[3, 7], &[11], &[10], &[3, 4], &[7]];

/// What may stand between the groups of one number.
const SEPARATORS: &str = " ()-.+";

/// At most this many separator characters between two groups (") " in
/// "(314) 555", " - " in "314 - 555").
const MAX_SEPARATION: usize = 3;

/// A maximal run of ASCII digits in a text, with what stands before it.
struct Group<'t> {
    digits: &'t str,
    /// The group may begin a number: nothing alphanumeric touches its left.
    starts_clear: bool,
    /// The group may end a number: nothing alphanumeric touches its right.
    ends_clear: bool,
    /// It follows the previous group across separators only, and few of them.
    joined_to_previous: bool,
}

fn groups(text: &str) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut last_end: Option<usize> = None;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let before = text[..start].chars().next_back();
        let after = text[i..].chars().next();
        let joined = last_end.is_some_and(|end| {
            let between = &text[end..start];
            between.len() <= MAX_SEPARATION && between.chars().all(|c| SEPARATORS.contains(c))
        });
        out.push(Group {
            digits: &text[start..i],
            starts_clear: !before.is_some_and(char::is_alphanumeric),
            ends_clear: !after.is_some_and(char::is_alphanumeric),
            joined_to_previous: joined,
        });
        last_end = Some(i);
    }
    out
}

/// The number the groups starting at `at` make, if they make one: its
/// digits without the country code, and how many groups it took.
fn number_at(groups: &[Group<'_>], at: usize) -> Option<(String, usize)> {
    SHAPES.iter().find_map(|shape| {
        let run = groups.get(at..at + shape.len())?;
        let fits = run.iter().zip(shape.iter()).all(|(g, &len)| g.digits.len() == len)
            && run[0].starts_clear
            && run[run.len() - 1].ends_clear
            && run[1..].iter().all(|g| g.joined_to_previous);
        if !fits {
            return None;
        }
        let digits: String = run.iter().map(|g| g.digits).collect();
        let digits = match digits.len() {
            11 => digits.strip_prefix('1')?.to_string(),
            _ => digits,
        };
        Some((digits, shape.len()))
    })
}

/// Every phone number written in `text`, in order, each as its digits
/// without a US country code (ten digits, or seven without an area code).
pub fn phones_in(text: &str) -> Vec<String> {
    let groups = groups(text);
    let mut out = Vec::new();
    let mut at = 0;
    while at < groups.len() {
        match number_at(&groups, at) {
            Some((digits, taken)) => {
                out.push(digits);
                at += taken;
            }
            None => at += 1,
        }
    }
    out
}

/// The digits of `text` when it is one phone number and nothing else (as
/// typed into a search box); `None` for words, a house number and a street,
/// a ZIP code, a year.
pub fn phone_typed(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().any(|c| !(c.is_ascii_digit() || SEPARATORS.contains(c))) {
        return None;
    }
    let groups = groups(text);
    match number_at(&groups, 0) {
        Some((digits, taken)) if taken == groups.len() => Some(digits),
        _ => None,
    }
}

/// What search indexes for a number: its digits and, for a ten-digit one,
/// its last seven, so that "555-0199" typed finds "(314) 555-0199" written
/// (a number is often given without its area code).
pub fn search_tokens(digits: &str) -> impl Iterator<Item = &str> {
    let local = (digits.len() == 10).then(|| &digits[3..]);
    std::iter::once(digits).chain(local)
}

/// The search tokens of every number in `text`, space-separated; empty when
/// it has none.
pub fn search_tokens_in(text: &str) -> String {
    let phones = phones_in(text);
    let tokens: Vec<&str> = phones.iter().flat_map(|p| search_tokens(p)).collect();
    tokens.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_read_however_it_was_typed() {
        for typed in [
            "(314) 555-0199",
            "314-555-0199",
            "314.555.0199",
            "+1 314 555 0199",
            "3145550199",
            "13145550199",
            "1-314-555-0199",
            " 314 5550199 ",
        ] {
            assert_eq!(phone_typed(typed).as_deref(), Some("3145550199"), "{typed:?}");
        }
        assert_eq!(phone_typed("555-0199").as_deref(), Some("5550199"));
        assert_eq!(phone_typed("5550199").as_deref(), Some("5550199"));
        // Not a phone: a house number and ZIP, a year, an eleven-digit number
        // without the country code, a foreign number, words.
        for typed in
            ["1554 65803", "2026", "23145550199", "+44 20 7946 0958", "314-555-0199 ext", "", "---", "314 555 0199 22"]
        {
            assert_eq!(phone_typed(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn every_number_written_in_a_text_is_found() {
        let text = "Caller (314) 555-0199 said to text 417.555.2368 or 555 1212; \
                    the van, plate AB1234567, was at 4650 Highway 63 (ZIP 65803-1234) \
                    in 2026; $1,500.00 owed; ask for room 12 at +1 816 555 0142.";
        assert_eq!(phones_in(text), ["3145550199", "4175552368", "5551212", "8165550142"]);
        // Letters touching the digits make it something else (a plate, an id).
        assert!(phones_in("id X3145550199 and 3145550199Z").is_empty());
        // Newlines and long gaps part numbers.
        assert!(phones_in("314\n555\n0199").is_empty());
        assert!(phones_in("314     555     0199").is_empty());
    }

    #[test]
    fn a_ten_digit_number_is_indexed_with_and_without_its_area_code() {
        assert_eq!(search_tokens_in("call (314) 555-0199 or 555-0142"), "3145550199 5550199 5550142");
        assert_eq!(search_tokens_in("no numbers here, 4650 Highway 63"), "");
    }
}

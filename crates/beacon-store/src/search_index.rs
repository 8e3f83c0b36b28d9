//! What the search index (`cases_fts`) holds for a case: its narrative,
//! its notes, where it happened and who is named in it, each as written,
//! with the digits of every phone number in it as one token (see
//! `beacon_domain::phones`), which is how a typed number is looked up.

use beacon_domain::event::EventBody;
use beacon_domain::referral::Referral;
use beacon_domain::{JurisdictionAssignment, links, phones};
use rusqlite::{Connection, params};
use std::borrow::Cow;

use crate::StoreError;

/// The narrative column.
pub(crate) fn narrative(r: &Referral) -> Cow<'_, str> {
    with_phone_tokens(&r.narrative)
}

/// What one note adds to the notes column.
pub(crate) fn note(text: &str) -> Cow<'_, str> {
    with_phone_tokens(text)
}

/// The location column: the address as given, and the jurisdiction found for it.
pub(crate) fn location(r: &Referral, j: &JurisdictionAssignment) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(l) = &r.location {
        parts.extend([&l.address, &l.city, &l.county, &l.zip].into_iter().flatten().map(String::as_str));
    }
    if let Some(n) = &j.name {
        parts.push(n);
    }
    parts.join(" ")
}

/// The names column: the reporter, the victims' and suspects' descriptions,
/// suspects' phones and vehicles.
pub(crate) fn names(r: &Referral) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(rep) = &r.reporter {
        parts.extend(rep.name.clone());
    }
    if let Some(v) = &r.potential_victims {
        parts.extend(v.description.clone());
    }
    for s in &r.suspects {
        parts.extend(s.description.clone());
        for p in &s.phones {
            parts.push(p.clone());
            // All its digits, as linking reads it (a number from abroad too),
            // then the tokens search looks a number up by.
            parts.extend(links::normalize_phone(p));
            parts.extend(Some(phones::search_tokens_in(p)).filter(|t| !t.is_empty()));
        }
        if let Some(v) = &s.vehicle {
            parts.extend([&v.plate, &v.make, &v.model, &v.color].into_iter().flatten().cloned());
            if let Some(p) = &v.plate {
                parts.push(p.chars().filter(char::is_ascii_alphanumeric).collect());
            }
        }
    }
    parts.join(" ")
}

/// A text as written, then the search tokens of the phone numbers in it.
fn with_phone_tokens(text: &str) -> Cow<'_, str> {
    let tokens = phones::search_tokens_in(text);
    if tokens.is_empty() { text.into() } else { format!("{text}\n{tokens}").into() }
}

/// Migration 12's step: give every case's search row the phone tokens it
/// would have been written with, written again from what the row is a
/// projection of (the referral, and the case's notes in the order they were
/// folded), as a new case's row is. Only rows with a number in them change.
/// Folding the whole log again would give the same index, at many times
/// the cost.
pub(crate) fn index_phone_numbers(conn: &Connection) -> Result<(), StoreError> {
    // A row written again only gains tokens. Deleting its old entries word
    // by word (the index's secure delete) walks the long lists of common
    // words for every row: hours at a million cases. Without it, the old
    // entries stay behind, marked deleted, until segments merge; the merge
    // of every segment at the end drops them, so that a case purged later
    // leaves nothing of its text behind.
    let secure = crate::rebuild::has_secure_delete(conn)?;
    if secure {
        conn.execute("INSERT INTO cases_fts (cases_fts, rank) VALUES ('secure-delete', 0)", [])?;
    }
    let changed = write_phone_tokens(conn)?;
    if secure {
        conn.execute("INSERT INTO cases_fts (cases_fts, rank) VALUES ('secure-delete', 1)", [])?;
    }
    if changed > 0 {
        conn.execute("INSERT INTO cases_fts (cases_fts) VALUES ('optimize')", [])?;
    }
    Ok(())
}

/// The rows written again, how many.
fn write_phone_tokens(conn: &Connection) -> Result<u64, StoreError> {
    // In batches by row, each read whole before it is written: a table is
    // not changed under a statement still reading it.
    const BATCH: i64 = 5_000;
    let mut read = conn.prepare(
        // Driven by the cases' row ids (CROSS JOIN keeps that order): the
        // search index is looked up by rowid, never scanned for a range.
        "SELECT c.row_id, c.id, f.narrative, f.notes, f.names, e.body FROM cases c
         CROSS JOIN cases_fts f ON f.rowid = c.row_id
         CROSS JOIN events e ON e.case_row = c.row_id AND e.kind = 'referral_received'
         WHERE c.row_id > ?1 ORDER BY c.row_id LIMIT ?2",
    )?;
    let mut notes_of = conn.prepare("SELECT body FROM notes WHERE case_id = ?1 ORDER BY rowid")?;
    let mut write = conn.prepare("UPDATE cases_fts SET narrative = ?2, notes = ?3, names = ?4 WHERE rowid = ?1")?;
    let mut after = 0i64;
    let mut changed = 0;
    loop {
        type Indexed = (i64, String, String, Option<String>, String, String);
        let batch: Vec<Indexed> = read
            .query_map(params![after, BATCH], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?
            .collect::<Result<_, _>>()?;
        let Some(last) = batch.last() else { return Ok(changed) };
        after = last.0;
        for (row, case_id, narrative_was, notes_was, names_was, body) in batch {
            // Only a readable referral is indexed again (a purged case's
            // referral is redacted, and its search row is gone with it).
            let Ok(EventBody::ReferralReceived { referral, .. }) = serde_json::from_str::<EventBody>(&body) else {
                continue;
            };
            // As the projection writes it: each note after a newline.
            let mut notes = String::new();
            for body in notes_of.query_map([&case_id], |r| r.get::<_, String>(0))? {
                notes.push('\n');
                notes.push_str(&note(&body?));
            }
            let (narrative, names) = (narrative(&referral), names(&referral));
            if narrative != narrative_was || Some(&notes) != notes_was.as_ref() || names != names_was {
                write.execute(params![row, narrative, notes, names])?;
                changed += 1;
            }
        }
    }
}

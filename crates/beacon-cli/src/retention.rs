//! `beacon retention` and `beacon purge`: how long closed cases are kept,
//! and removing their details when that time is up.

use anyhow::Result;

use crate::args::{Cli, RetentionCommand};
use crate::commands::Out;
use crate::output::say;
use crate::{people, table};

pub fn show_or_set(cli: &Cli, out: &Out, command: Option<&RetentionCommand>) -> Result<()> {
    let mut b = people::open(cli)?;
    if let Some(RetentionCommand::Set { closed_cases }) = command {
        b.set_retention(*closed_cases)?;
    }
    let days = b.retention()?;
    if out.json {
        return out.value(&serde_json::json!({ "closed_case_days": days }));
    }
    match days {
        Some(d) => say!("Closed cases are kept {d} days after closure; `beacon purge` removes them after that."),
        None => say!("No retention is set: closed cases are kept until `beacon retention set --closed-cases DAYS`."),
    }
    say!("The audit of a purged case (who did what, when) is kept for the life of the store.");
    Ok(())
}

pub fn purge(cli: &Cli, out: &Out, case: Option<&str>, reason: Option<&str>, dry_run: bool) -> Result<()> {
    let mut b = people::open(cli)?;
    let report = match case {
        Some(case) => b.purge_case(case, reason.unwrap_or_default(), dry_run)?,
        None => b.purge_due(dry_run)?,
    };
    if out.json {
        return out.value(&report);
    }
    if report.cases.is_empty() {
        say!("Nothing to purge.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = report
        .cases
        .iter()
        .map(|c| vec![c.short_id.clone(), c.case.to_string(), c.events_redacted.to_string()])
        .collect();
    table::print(&["CASE", "FULL ID (for its audit)", "EVENTS REDACTED"], &rows);
    if report.dry_run {
        say!("Would purge {} case(s); nothing was changed.", report.cases.len());
    } else {
        say!(
            "Purged {} case(s): their details are gone from this store, and from the hub and every desktop \
             once this store syncs. Their audit stays: `beacon audit FULL-ID`.",
            report.cases.len()
        );
    }
    Ok(())
}

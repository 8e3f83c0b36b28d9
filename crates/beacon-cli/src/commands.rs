//! One function per command: parse what the person typed, call the API,
//! print the answer as a table or as JSON.

use crate::output::say;
use anyhow::{Context, Result};
use beacon_api::domain::triage::{Deadline, format_span, format_time_left};
use beacon_api::domain::{CaseStatus, ManualClock, Priority};
use beacon_api::{ApiError, Beacon, ImportProgress, QueueQuery, QueueRow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::args::{
    AuditArgs, AuditCommand, Cli, Command, ConfigCommand, ConflictsCommand, JurisdictionCommand, QueueArgs,
    ReferralCommand, ResponderCommand, SyncArgs, SyncCommand,
};
use crate::{people, retention, table};

/// A mistake in how the command was called (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub(crate) fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

pub(crate) struct Out {
    pub(crate) json: bool,
}

impl Out {
    pub(crate) fn value<T: Serialize>(&self, v: &T) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, v)?;
        writeln!(stdout)?;
        Ok(())
    }
}

pub(crate) fn store_path(cli: &Cli) -> PathBuf {
    cli.store.clone().unwrap_or_else(beacon_api::default_store_path)
}

fn open(cli: &Cli) -> Result<Beacon> {
    people::open(cli)
}

/// One line per command: each is a function below.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let out = Out { json: cli.json };
    let cli = &cli;
    let out = &out;
    match &cli.command {
        Command::Init { admin } => people::init(cli, out, admin)?,
        Command::Store => people::store(cli, out)?,
        Command::Rekey => people::rekey(cli, out)?,
        Command::User(command) => people::user(cli, out, command)?,
        Command::Mine { limit } => people::mine(cli, out, *limit)?,
        Command::Demo { referrals, seed } => demo(cli, out, *referrals, *seed)?,
        Command::Referral(ReferralCommand::Add { file }) => add_referral(cli, out, file)?,
        Command::Referral(ReferralCommand::Import { file, batch }) => return import(cli, out, file, *batch),
        Command::Queue(q) => queue(cli, out, q)?,
        Command::Show { id } => show(cli, out, id)?,
        Command::Search { text, limit } => search(cli, out, &text.join(" "), *limit)?,
        Command::Triage { id, priority, reason } => triage(cli, out, id, priority, reason)?,
        Command::Note { id, text } => note(cli, out, id, &text.join(" "))?,
        Command::Status { id, status, disposition } => set_status(cli, out, id, status, disposition.as_deref())?,
        Command::Responder(ResponderCommand::Import { file }) => return import_responders(cli, out, file),
        Command::Responder(ResponderCommand::List) => list_responders(cli, out)?,
        Command::Responder(ResponderCommand::Duty { id, state }) => set_duty(cli, out, id, state == "on")?,
        Command::Suggest { id } => suggest(cli, out, id)?,
        Command::Handoff { id, to, override_sharing } => handoff(cli, out, id, to, override_sharing.as_deref())?,
        Command::Ack { id } => ack(cli, out, id)?,
        Command::Withdraw { id } => withdraw(cli, out, id)?,
        Command::Audit(AuditArgs { command: Some(AuditCommand::Verify), .. }) => return audit_verify(cli, out),
        Command::Audit(AuditArgs { id: Some(id), .. }) => audit(cli, out, id)?,
        Command::Audit(AuditArgs { .. }) => {
            return Err(UsageError("give a case (beacon audit CASE) or `beacon audit verify`".into()).into());
        }
        Command::Conflicts { command } => conflicts(cli, out, command.as_ref())?,
        Command::Stats { days } => stats(cli, out, *days)?,
        Command::Schema => out.value(&schemars::schema_for!(beacon_api::domain::Referral))?,
        Command::Config(c) => config(cli, out, c)?,
        Command::Rebuild => rebuild(cli, out)?,
        Command::Retention { command } => retention::show_or_set(cli, out, command.as_ref())?,
        Command::Purge { case, reason, dry_run } => {
            retention::purge(cli, out, case.as_deref(), reason.as_deref(), *dry_run)?
        }
        Command::Sync(args) => sync(cli, out, args)?,
        Command::Locate { lat, lon } => return locate(cli, out, lat, lon.as_deref()),
        Command::Jurisdiction(JurisdictionCommand::List) => list_jurisdictions(cli, out)?,
        Command::Jurisdiction(JurisdictionCommand::Import {
            file,
            id_property,
            name_property,
            authoritative,
            margin_km,
            agencies,
        }) => {
            import_layer(cli, out, file, id_property, name_property, *authoritative, *margin_km, agencies.as_deref())?
        }
        Command::Jurisdiction(JurisdictionCommand::Confirm { id, jurisdiction }) => {
            confirm_jurisdiction(cli, out, id, jurisdiction)?
        }
        Command::Jurisdiction(JurisdictionCommand::Reassign) => reassign(cli, out)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn add_referral(cli: &Cli, out: &Out, file: &str) -> Result<()> {
    // The input first: a file that cannot be read must not create a store.
    let bytes = read_one_record(file)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|e| usage(format!("{file}: not valid UTF-8 (at byte {})", e.valid_up_to())))?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| usage(format!("{file}: not a JSON object (line {}, column {})", e.line(), e.column())))?;
    let mut b = open(cli)?;
    let added = b.add_referral_json(value)?;
    if out.json {
        let view = b.views(&[added.id])?.remove(0);
        out.value(&view)?;
    } else if added.created {
        say!("Case {} created: {} — {}", added.short_id, added.priority, added.jurisdiction.label());
    } else {
        say!("Case {} already exists (same source and external id); nothing changed.", added.short_id);
    }
    Ok(())
}

fn search(cli: &Cli, out: &Out, text: &str, limit: u32) -> Result<()> {
    let b = open(cli)?;
    let query = QueueQuery { text: Some(text.to_string()), include_closed: true, limit, ..Default::default() };
    let rows = b.queue(&query)?;
    print_rows(&b, out, rows, b.store().now())
}

fn triage(cli: &Cli, out: &Out, id: &str, priority: &str, reason: &str) -> Result<()> {
    let mut b = open(cli)?;
    let p: Priority = priority.parse().map_err(usage)?;
    b.override_priority(id, p, reason)?;
    after_change(&b, out, id, &format!("priority set to {p}"))
}

fn note(cli: &Cli, out: &Out, id: &str, text: &str) -> Result<()> {
    let mut b = open(cli)?;
    b.add_note(id, text)?;
    after_change(&b, out, id, "note added")
}

fn set_status(cli: &Cli, out: &Out, id: &str, status: &str, disposition: Option<&str>) -> Result<()> {
    let mut b = open(cli)?;
    let s: CaseStatus = status.parse().map_err(usage)?;
    b.set_status(id, s, disposition)?;
    after_change(&b, out, id, &format!("status is now {s}"))
}

fn import_responders(cli: &Cli, out: &Out, file: &str) -> Result<ExitCode> {
    // The input first: a file that cannot be opened must not create a store.
    let input = BufReader::new(open_input(file)?);
    let mut b = open(cli)?;
    let report = b.import_responders(input)?;
    if out.json {
        out.value(&report)?;
    } else {
        say!("{} responders saved, {} unchanged, {} rejected.", report.saved, report.unchanged, report.rejected.len());
        for r in &report.rejected {
            eprintln!("  {r}");
        }
    }
    Ok(if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn list_responders(cli: &Cli, out: &Out) -> Result<()> {
    let b = open(cli)?;
    if out.json {
        return out.value(&b.responders()?);
    }
    let roster = b.roster()?;
    let rows: Vec<Vec<String>> = roster
        .rows
        .into_iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.name,
                r.role_label,
                r.agency,
                r.serves,
                r.languages.join(";"),
                if r.on_duty { "on duty".into() } else { "off".into() },
                r.open_cases.to_string(),
                r.reached,
            ]
        })
        .collect();
    table::print(&["ID", "NAME", "ROLE", "AGENCY", "SERVES", "LANGUAGES", "DUTY", "OPEN", "REACHED"], &rows);
    say!("{}", roster.channels_source);
    Ok(())
}

fn set_duty(cli: &Cli, out: &Out, id: &str, on_duty: bool) -> Result<()> {
    let mut b = open(cli)?;
    b.set_on_duty(id, on_duty)?;
    if out.json {
        out.value(&serde_json::json!({"id": id, "on_duty": on_duty}))
    } else {
        say!("Responder {id} is now {}.", if on_duty { "on duty" } else { "off duty" });
        Ok(())
    }
}

fn suggest(cli: &Cli, out: &Out, id: &str) -> Result<()> {
    let b = open(cli)?;
    let s = b.suggest(id)?;
    if out.json {
        return out.value(&s);
    }
    for (title, list) in [("Troopers", &s.troopers), ("Victim advocates", &s.advocates)] {
        say!("{title}:");
        if list.is_empty() {
            say!("  none on duty");
        }
        for (i, sug) in list.iter().take(5).enumerate() {
            say!("  {}. {} ({}) — {}", i + 1, sug.responder.name, sug.responder.id, sug.reasons.join(", "));
        }
    }
    Ok(())
}

fn handoff(cli: &Cli, out: &Out, id: &str, to: &str, override_reason: Option<&str>) -> Result<()> {
    let mut b = open(cli)?;
    let h = match override_reason {
        Some(reason) => b.handoff_overriding_sharing(id, to, reason)?,
        None => b.handoff(id, to)?,
    };
    if out.json {
        return out.value(&h);
    }
    say!("Handed off to {} ({}).", h.responder_name, h.role);
    say!("Shared: {}", h.shared_fields.join(", "));
    if !h.withheld_fields.is_empty() {
        say!("Withheld (no consent): {}", h.withheld_fields.join(", "));
    }
    if override_reason.is_some() {
        say!("The sharing policy was overridden; the reason is recorded with the handoff.");
    }
    Ok(())
}

fn ack(cli: &Cli, out: &Out, id: &str) -> Result<()> {
    let mut b = open(cli)?;
    b.acknowledge(id)?;
    after_change(&b, out, id, "acknowledged")
}

fn withdraw(cli: &Cli, out: &Out, id: &str) -> Result<()> {
    let mut b = open(cli)?;
    b.withdraw(id)?;
    after_change(&b, out, id, "handoff withdrawn; status is now triaged")
}

fn audit(cli: &Cli, out: &Out, id: &str) -> Result<()> {
    let b = open(cli)?;
    let events = b.audit(id)?;
    if out.json {
        return out.value(&events);
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| vec![local(e.at), e.actor.to_string(), e.body.kind().to_string(), e.summary.clone()])
        .collect();
    table::print(&["WHEN", "WHO", "EVENT", "WHAT"], &rows);
    Ok(())
}

/// `beacon audit verify`: exit 0 when every chain is whole, 1 when one breaks.
fn audit_verify(cli: &Cli, out: &Out) -> Result<ExitCode> {
    let b = open(cli)?;
    let report = b.verify_chains()?;
    if out.json {
        out.value(&report)?;
    } else if report.breaks.is_empty() {
        say!(
            "Every chain is whole: {} event(s) of {} device(s), none changed after it was written.",
            report.events,
            report.devices
        );
    } else {
        for b in &report.breaks {
            say!(
                "The chain of device {} breaks at event {} (id {}): it was changed after it was written, or one before it was.",
                b.device,
                b.seq,
                b.event_id
            );
        }
    }
    Ok(if report.breaks.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn conflicts(cli: &Cli, out: &Out, command: Option<&ConflictsCommand>) -> Result<()> {
    let mut b = open(cli)?;
    if let Some(ConflictsCommand::Resolve { id }) = command {
        let n = b.resolve_conflicts(id)?;
        return after_change(&b, out, id, &format!("{n} rejected handoff(s) looked at"));
    }
    let list = b.conflicts()?;
    if out.json {
        return out.value(&list);
    }
    if list.is_empty() {
        say!("No conflicts: no handoff was rejected, or each has been looked at.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let rejected = &c.conflict;
            vec![
                c.short_id.clone(),
                local(rejected.rejected_at),
                format!("{} → {} ({})", rejected.handed_off_by, rejected.responder_name, rejected.role),
                format!("{} → {}", rejected.winner_handed_off_by, rejected.winner_responder_name),
            ]
        })
        .collect();
    table::print(&["CASE", "REJECTED", "REJECTED HANDOFF", "STANDS INSTEAD"], &rows);
    Ok(())
}

fn config(cli: &Cli, out: &Out, c: &ConfigCommand) -> Result<()> {
    let mut b = open(cli)?;
    match c {
        ConfigCommand::Show => {}
        ConfigCommand::Target { priority, ack, arrive } => {
            let p: Priority = priority.parse().map_err(usage)?;
            b.set_target(p, *ack, *arrive)?;
        }
        ConfigCommand::LinkWindow { days } => b.set_link_window(*days)?,
        ConfigCommand::Lockout { after, minutes } => b.set_lockout(*after, *minutes)?,
    }
    let s = b.settings()?;
    if out.json {
        return out.value(&s);
    }
    let rows: Vec<Vec<String>> = Priority::ALL
        .iter()
        .map(|p| {
            let t = s.targets.for_priority(*p);
            vec![
                p.to_string(),
                format_span(u64::from(t.ack_minutes) * 60),
                t.arrival_minutes.map(|a| format_span(u64::from(a) * 60)).unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    table::print(&["PRIORITY", "ACKNOWLEDGE WITHIN", "ON SCENE WITHIN"], &rows);
    say!("Referrals sharing a phone, plate or address within {} days are linked.", s.link_window_days);
    Ok(())
}

fn rebuild(cli: &Cli, out: &Out) -> Result<()> {
    let mut b = open(cli)?;
    let report = b.rebuild()?;
    if out.json {
        out.value(&report)
    } else {
        say!("Rebuilt every table from the event log: {} events, {} cases.", report.events, report.cases);
        Ok(())
    }
}

fn sync(cli: &Cli, out: &Out, args: &SyncArgs) -> Result<()> {
    let mut b = open(cli)?;
    if let Some(SyncCommand::Status) = args.command {
        let status = b.sync_status()?;
        if out.json {
            return out.value(&status);
        }
        let last = status
            .last_success
            .and_then(DateTime::<Utc>::from_timestamp_millis)
            .map(|t| {
                format!(
                    "{} ago ({})",
                    format_span((Utc::now() - t).num_seconds().max(0) as u64),
                    t.format("%Y-%m-%d %H:%M UTC")
                )
            })
            .unwrap_or_else(|| "never".into());
        say!("Hub:            {}", status.hub.as_deref().unwrap_or("none (beacon sync --hub URL --token TOKEN)"));
        say!("Last sync:      {last}");
        say!("Waiting to go:  {} event(s)", status.waiting);
        say!("Conflicts:      {} (beacon conflicts)", status.conflicts);
        if let Some(directory) = b.hub_directory()? {
            // The hub's escalation targets, counted from each handoff.
            say!("Escalation:     {}", beacon_api::target_lines(&directory).join("; "));
        }
        return Ok(());
    }
    if let Some(SyncCommand::Enrol { hub, device, hub_user }) = &args.command {
        let name = hub_user.as_deref().or(cli.user.as_deref());
        return crate::people::enrol(out, &mut b, hub.as_deref().or(args.hub.as_deref()), name, device);
    }
    let (hub, token) = (args.hub.as_deref(), args.token.as_deref());
    let ca = match &args.hub_ca {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("could not read the hub's certificate {}: {e}", path.display())))?,
        ),
        None => None,
    };
    if !args.watch {
        let report = b.sync_once(hub, token, ca.as_deref())?;
        return if out.json { out.value(&report) } else { print_sync(&report) };
    }
    // Watching: a first sync remembers the hub; the loop then syncs as the
    // hub's live stream announces events and as this store changes.
    let first = b.sync_once(hub, token, ca.as_deref());
    let print = |result: &Result<beacon_api::SyncReport, ApiError>| match result {
        Ok(report) if report.pushed + report.pulled > 0 => {
            let _ = print_sync(report);
        }
        Ok(_) => {}
        Err(e) => eprintln!("beacon: {e}; trying again shortly"),
    };
    print(&first);
    match first {
        Err(e) if !e.is_retryable() => return Err(e.into()),
        _ => {}
    }
    let every = std::time::Duration::from_secs(args.every.max(1));
    b.sync_forever(every, &std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)), print)?;
    Ok(())
}

fn print_sync(report: &beacon_api::SyncReport) -> Result<()> {
    say!(
        "Synced with {}: {} event(s) sent, {} received{}.",
        report.hub,
        report.pushed,
        report.pulled,
        if report.refolded { " (some from the past: the tables were folded again)" } else { "" }
    );
    Ok(())
}

fn list_jurisdictions(cli: &Cli, out: &Out) -> Result<()> {
    let b = open(cli)?;
    let list = b.jurisdictions();
    if out.json {
        return out.value(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|j| {
            vec![
                j.id.clone(),
                j.name.clone(),
                j.troop
                    .clone()
                    .map(|t| if j.troop_verified { t } else { format!("{t} (unverified)") })
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table::print(&["ID", "NAME", "TROOP"], &rows);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn import_layer(
    cli: &Cli,
    out: &Out,
    file: &std::path::Path,
    id_property: &str,
    name_property: &str,
    authoritative: bool,
    margin_km: Option<f64>,
    agencies: Option<&std::path::Path>,
) -> Result<()> {
    let mut b = open(cli)?;
    let n = b.import_layer(file, id_property, name_property, authoritative, margin_km, agencies)?;
    if out.json {
        return out.value(&serde_json::json!({"jurisdictions": n}));
    }
    say!(
        "Layer imported: {n} jurisdictions. Existing cases keep their jurisdiction; run `beacon jurisdiction reassign` to recompute."
    );
    Ok(())
}

fn confirm_jurisdiction(cli: &Cli, out: &Out, id: &str, jurisdiction: &str) -> Result<()> {
    let mut b = open(cli)?;
    let target = b.resolve_jurisdiction(jurisdiction).unwrap_or_else(|| jurisdiction.to_string());
    b.confirm_jurisdiction(id, &target)?;
    after_change(&b, out, id, "jurisdiction confirmed")
}

fn reassign(cli: &Cli, out: &Out) -> Result<()> {
    let mut b = open(cli)?;
    let changed = b.reassign()?;
    if out.json {
        out.value(&serde_json::json!({"changed": changed}))
    } else {
        say!("{changed} cases changed jurisdiction.");
        Ok(())
    }
}

/// One referral's bytes, refused unread past the size limit of a record.
fn read_one_record(file: &str) -> Result<Vec<u8>> {
    const LIMIT: usize = beacon_api::domain::validate::MAX_RECORD_BYTES;
    let mut bytes = Vec::new();
    open_input(file)?.take(LIMIT as u64 + 1).read_to_end(&mut bytes).with_context(|| format!("reading {file}"))?;
    if bytes.len() > LIMIT {
        return Err(usage(format!("{file}: the referral is larger than the limit of {LIMIT} bytes")));
    }
    Ok(bytes)
}

fn open_input(file: &str) -> Result<Box<dyn Read + Send>> {
    if file == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    let f = std::fs::File::open(file).map_err(|e| usage(format!("cannot open {file}: {e}")))?;
    Ok(Box::new(f))
}

fn import(cli: &Cli, out: &Out, file: &str, batch: usize) -> Result<ExitCode> {
    // The input first: a file that cannot be opened must not create a store.
    let input = BufReader::with_capacity(1 << 20, open_input(file)?);
    let mut b = open(cli)?;
    let interactive = std::io::stderr().is_terminal();
    let bar = interactive.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    });
    let mut progress = |p: ImportProgress| {
        let msg = format!("{} read, {} stored, {} duplicates, {} rejected", p.read, p.stored, p.duplicates, p.rejected);
        match &bar {
            Some(bar) => bar.set_message(msg),
            // In logs, one line per committed batch: everything counted as stored is durable.
            None => eprintln!("committed: {msg}"),
        }
    };
    let report = b.import_in_batches(input, batch, &mut progress)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if out.json {
        out.value(&report)?;
    } else {
        say!("{} stored, {} already present, {} rejected.", report.stored, report.duplicates, report.rejected.len());
        for r in report.rejected.iter().take(50) {
            eprintln!("  {r}");
        }
        if report.rejected.len() > 50 {
            eprintln!("  … and {} more", report.rejected.len() - 50);
        }
    }
    Ok(if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn queue(cli: &Cli, out: &Out, q: &QueueArgs) -> Result<()> {
    let b = open(cli)?;
    let query = QueueQuery {
        priorities: q.priority.iter().map(|p| p.parse()).collect::<Result<_, _>>().map_err(usage)?,
        statuses: q.status.iter().map(|s| s.parse()).collect::<Result<_, _>>().map_err(usage)?,
        troop: q.troop.clone(),
        jurisdiction: q.county.clone(),
        unassigned: q.unassigned,
        overdue: q.overdue,
        limit: q.limit,
        ..Default::default()
    };
    let rows = b.queue(&query)?;
    let now = b.store().now();
    if !out.json {
        say!(
            "{} open cases in the store; showing {}, what needs a dispatcher first.",
            b.store().open_count()?,
            rows.len()
        );
    }
    print_rows(&b, out, rows, now)
}

pub(crate) fn print_rows(b: &Beacon, out: &Out, rows: Vec<QueueRow>, now: DateTime<Utc>) -> Result<()> {
    if out.json {
        let ids: Vec<_> = rows.iter().map(|r| r.case.id).collect();
        return out.value(&b.views(&ids)?);
    }
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let c = &r.case;
            let age = (now - c.received_at).num_seconds().max(0) as u64;
            vec![
                r.short_id.clone(),
                c.priority.to_string(),
                format!("{} ago", format_span(age)),
                deadline_text(r.deadline.as_ref()),
                r.place.as_ref().map(|p| p.reason.text().to_string()).unwrap_or_else(|| c.status.to_string()),
                r.jurisdiction_label.clone() + if c.jurisdiction.near_border { " ⚠border" } else { "" },
                c.trafficking_type.to_string(),
                c.place_type.map(|p| p.to_string()).unwrap_or_default(),
                c.location.clone(),
                if c.link_count > 0 { format!("{} linked", c.link_count) } else { String::new() },
                c.assigned.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(", "),
            ]
        })
        .collect();
    table::print(
        &[
            "CASE",
            "PRI",
            "RECEIVED",
            "TARGET",
            "NEXT",
            "JURISDICTION",
            "TYPE",
            "PLACE",
            "LOCATION",
            "LINKS",
            "ASSIGNED",
        ],
        &table_rows,
    );
    Ok(())
}

fn deadline_text(d: Option<&Deadline>) -> String {
    match d {
        None => "—".into(),
        Some(d) => {
            let what = match d.kind {
                beacon_api::domain::triage::DeadlineKind::Acknowledge => "ack",
                beacon_api::domain::triage::DeadlineKind::Arrive => "arrive",
            };
            format!("{what} {}", format_time_left(d.seconds_left))
        }
    }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
}

fn show(cli: &Cli, out: &Out, id: &str) -> Result<()> {
    let mut b = open(cli)?;
    let d = b.show(id)?;
    if out.json {
        return out.value(&d);
    }
    let c = &d.case;
    let r = &c.referral;
    say!("Case {}  {}  {}  (external id {} from {})", c.short_id, c.priority, c.status, r.external_id, r.source);
    say!("  why {}: {}", c.priority, c.priority_reasons.iter().map(|x| x.text.as_str()).collect::<Vec<_>>().join("; "));
    say!("  received   {}", local(r.received_at));
    if let Some(dl) = &c.deadline {
        say!("  target     {}", deadline_text(Some(dl)));
    }
    let j = &c.jurisdiction;
    say!(
        "  jurisdiction {} (by {}){}",
        j.label(),
        j.method.as_str(),
        if j.troop_verified { "" } else { " — troop assignment unverified" }
    );
    if j.near_border {
        say!(
            "    near a border; also possible: {}",
            j.candidates.iter().map(|c| format!("{} ({:.1} km)", c.name, c.distance_km)).collect::<Vec<_>>().join(", ")
        );
    }
    say!("  type {}  urgency {}", r.trafficking_type, r.urgency);
    if let Some(l) = &r.location {
        say!("  location   {} {}", l.summary(), l.place_type.map(|p| format!("[{p}]")).unwrap_or_default());
        if let Some((lat, lon)) = l.coordinates() {
            say!("             {lat:.5}, {lon:.5}");
        }
    }
    if let Some(v) = &r.potential_victims {
        say!(
            "  victims    {} (minors: {}) languages: {}",
            v.count.map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
            v.minors,
            v.languages.join(", ")
        );
    }
    for (i, s) in r.suspects.iter().enumerate() {
        let vehicle = s.vehicle.as_ref().map(|v| {
            [&v.color, &v.make, &v.model, &v.plate].into_iter().flatten().cloned().collect::<Vec<_>>().join(" ")
        });
        say!(
            "  suspect {}  {} {} {}",
            i + 1,
            s.description.clone().unwrap_or_default(),
            s.phones.join(", "),
            vehicle.unwrap_or_default()
        );
    }
    if !r.indicators.is_empty() {
        say!("  indicators {}", r.indicators.join(", "));
    }
    say!("  consent to share identifying details: {}", if r.consent_to_share() { "yes" } else { "no" });
    say!();
    say!("  {}", r.narrative);
    if !d.linked.is_empty() {
        say!("\nLinked referrals:");
        for l in &d.linked {
            say!("  {}  {}  {}  shares {}", l.case_id.short(), l.priority, local(l.received_at), l.kinds.join(", "));
        }
    }
    if !d.handoffs.is_empty() {
        say!("\nHandoffs:");
        for h in &d.handoffs {
            let ack = match (h.acknowledged_at, h.withdrawn_at) {
                (Some(a), _) => format!("acknowledged {}", local(a)),
                (None, Some(w)) => format!("withdrawn {}", local(w)),
                (None, None) => "not acknowledged".into(),
            };
            say!("  {}  {} ({}) by {} — {}", local(h.handed_off_at), h.responder_name, h.role, h.handed_off_by, ack);
        }
    }
    if !d.notes.is_empty() {
        say!("\nNotes:");
        for n in &d.notes {
            say!("  {}  {}: {}", local(n.created_at), n.author, n.body);
        }
    }
    Ok(())
}

fn after_change(b: &Beacon, out: &Out, id: &str, what: &str) -> Result<()> {
    let case_id = b.resolve(id)?;
    if out.json {
        return out.value(&b.views(&[case_id])?.remove(0));
    }
    say!("Case {}: {what}.", case_id.short());
    Ok(())
}

fn stats(cli: &Cli, out: &Out, days: i64) -> Result<()> {
    let b = open(cli)?;
    let s = b.stats(days)?;
    if out.json {
        return out.value(&s);
    }
    let fmt = |seg: &beacon_api::SegmentStats| match (seg.median_s, seg.p90_s) {
        (Some(m), Some(p)) => format!("{} / {}", format_span(m as u64), format_span(p as u64)),
        _ => "—".into(),
    };
    say!("Response times for referrals received in the last {days} days (median / 90th percentile).");
    let mut rows = Vec::new();
    for g in std::iter::once(&s.overall).chain(s.by_jurisdiction.iter()) {
        rows.push(vec![
            g.name.clone(),
            g.referrals.to_string(),
            fmt(&g.received_to_handed_off),
            fmt(&g.handed_off_to_acknowledged),
            fmt(&g.acknowledged_to_on_scene),
            fmt(&g.received_to_on_scene),
        ]);
    }
    table::print(
        &["JURISDICTION", "REFERRALS", "→ HANDED OFF", "→ ACKNOWLEDGED", "→ ON SCENE", "RECEIVED → ON SCENE"],
        &rows,
    );
    Ok(())
}

fn demo(cli: &Cli, out: &Out, referrals: usize, seed: u64) -> Result<()> {
    let path = store_path(cli);
    let clock = ManualClock::at(Utc::now());
    if beacon_api::is_protected_store(&path) {
        return Err(usage(format!(
            "the store at {} is protected already; give `--store` a new file for the demo data set",
            path.display()
        )));
    }
    let mut b = Beacon::open(&path, beacon_api::default_actor(), Arc::new(clock.clone()))?;
    if b.store().case_count()? > 0 {
        return Err(usage(format!(
            "the store at {} already holds cases; give `--store` a new file for the demo data set",
            path.display()
        )));
    }
    let report = b.load_demo(referrals, seed, Utc::now(), &clock)?;
    let (password, generated) = match std::env::var("BEACON_DEMO_PASSWORD").ok().filter(|p| !p.is_empty()) {
        Some(p) => (p, false),
        None => (beacon_api::auth::generate_password(), true),
    };
    let (_, users, recovery) = b.add_demo_users(&password)?;
    if out.json {
        let mut v = serde_json::to_value(&report)?;
        v["users"] = serde_json::to_value(&users)?;
        v["recovery_key"] = recovery.as_str().into();
        if generated {
            v["password"] = password.into();
        }
        out.value(&v)?;
    } else {
        say!(
            "Demo data set loaded into {}: {} referrals, {} responders, {} case updates.",
            path.display(),
            report.referrals,
            report.responders,
            report.steps
        );
        let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
        say!("People (one per role): {}.", names.join(", "));
        if generated {
            say!("Their password (shown once; BEACON_DEMO_PASSWORD sets your own): {password}");
        } else {
            say!("Their password is BEACON_DEMO_PASSWORD's.");
        }
        say!("Recovery key (shown once): {}", recovery.as_str());
        say!("Try: BEACON_USER=dispatcher beacon queue");
    }
    Ok(())
}

fn locate(cli: &Cli, out: &Out, lat: &str, lon: Option<&str>) -> Result<ExitCode> {
    let b = open(cli)?;
    if lat == "-" {
        let stdin = std::io::stdin();
        let mut stdout = std::io::stdout().lock();
        let mut bad = false;
        for (i, line) in stdin.lock().lines().enumerate() {
            let line = line.map_err(|e| usage(format!("line {}: cannot read standard input: {e}", i + 1)))?;
            if line.trim().is_empty() {
                continue;
            }
            let result = parse_point(&line).and_then(|(la, lo)| b.locate(la, lo).map_err(|e| e.to_string()));
            match result {
                Ok(a) if out.json => writeln!(stdout, "{}", serde_json::to_string(&a)?)?,
                Ok(a) => writeln!(stdout, "{}", locate_line(&a))?,
                Err(e) => {
                    bad = true;
                    if out.json {
                        writeln!(stdout, "{}", serde_json::json!({"line": i + 1, "error": e}))?;
                    } else {
                        writeln!(stdout, "error: line {}: {e}", i + 1)?;
                    }
                }
            }
        }
        return Ok(if bad { ExitCode::from(2) } else { ExitCode::SUCCESS });
    }
    let lon = lon.ok_or_else(|| usage("give LAT LON, or `-` to read lat,lon lines from standard input"))?;
    let (la, lo) = parse_point(&format!("{lat},{lon}")).map_err(usage)?;
    let a = b.locate(la, lo)?;
    if out.json {
        out.value(&a)?;
    } else {
        say!("{}", locate_line(&a));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_point(line: &str) -> Result<(f64, f64), String> {
    let mut parts = line.split([',', ' ', '\t']).filter(|s| !s.is_empty());
    let lat = parts.next().ok_or("expected `lat,lon`")?;
    let lon = parts.next().ok_or("expected `lat,lon`")?;
    if parts.next().is_some() {
        return Err("expected two numbers, `lat,lon`".into());
    }
    let lat: f64 = lat.trim().parse().map_err(|_| "latitude is not a number".to_string())?;
    let lon: f64 = lon.trim().parse().map_err(|_| "longitude is not a number".to_string())?;
    Ok((lat, lon))
}

fn locate_line(a: &beacon_api::domain::JurisdictionAssignment) -> String {
    let mut s = match (&a.jurisdiction_id, &a.name) {
        (Some(id), Some(name)) => format!("{id} {name}"),
        _ => "unknown".into(),
    };
    if let Some(t) = &a.troop {
        s += &format!("  Troop {t}{}", if a.troop_verified { "" } else { " (unverified)" });
    }
    s += &format!("  by {}", a.method.as_str());
    if a.outside {
        s += &format!("  OUTSIDE every jurisdiction, nearest {:.1} km away", a.distance_km.unwrap_or(0.0));
    }
    if a.near_border {
        s += &format!(
            "  near border with {}",
            a.candidates
                .iter()
                .map(|c| format!("{} {} ({:.1} km)", c.jurisdiction_id, c.name, c.distance_km))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

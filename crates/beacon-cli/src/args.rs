//! The command line's shape.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "beacon",
    version,
    about = "Beacon: triage and hand off human-trafficking referrals, from the command line."
)]
pub struct Cli {
    /// The store file. Default: BEACON_STORE, else the platform's data directory.
    #[arg(long, global = true, env = "BEACON_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Print JSON instead of tables: a JSON array for lists, an object for single items.
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as this person (a store with accounts needs one). The password
    /// comes from BEACON_PASSWORD, else a prompt.
    #[arg(long, global = true, env = "BEACON_USER", value_name = "NAME")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store (if needed) and protect it: add its first admin
    /// (password from BEACON_PASSWORD, else a prompt) and print the
    /// recovery key, once.
    Init {
        /// The first admin's user name.
        #[arg(long, default_value = "admin", value_name = "NAME")]
        admin: String,
    },
    /// Where the store is, whether it is protected (has accounts of its
    /// own, and is encrypted) and whether it is empty. Needs no sign-in;
    /// creates the store.
    Store,
    /// Rotate the key the store is encrypted with (an admin; nothing else
    /// may have the store open meanwhile). Nobody's password changes.
    Rekey,
    /// People's accounts: add, list, disable, set a password, unlock.
    #[command(subcommand)]
    User(UserCommand),
    /// The open cases handed to you (a task-force member's list).
    Mine {
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
    /// Load a generated, realistic data set into an empty store.
    Demo {
        /// How many referrals to generate.
        #[arg(long, default_value_t = 600)]
        referrals: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Add or import referrals.
    #[command(subcommand)]
    Referral(ReferralCommand),
    /// Open cases, what needs a dispatcher first, with time left against each target.
    #[command(after_long_help = queue_order_help())]
    Queue(QueueArgs),
    /// Everything about one case. ID is the short id, the full id, or the external id.
    Show { id: String },
    /// Full-text search over narratives, notes, locations and names.
    Search {
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Set a case's priority by hand, with the reason.
    Triage {
        id: String,
        #[arg(long)]
        priority: String,
        #[arg(long)]
        reason: String,
    },
    /// Add a note to a case.
    Note {
        id: String,
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Move a case to a status: triaged (from handed_off: withdraws the handoff), acknowledged, on_scene,
    /// closed (with --disposition), reopened.
    Status {
        id: String,
        status: String,
        #[arg(long)]
        disposition: Option<String>,
    },
    /// Responders: import the roster, list it, set duty.
    #[command(subcommand)]
    Responder(ResponderCommand),
    /// The best on-duty trooper and victim advocate for a case.
    Suggest { id: String },
    /// Hand a case to a responder (shares only what consent allows).
    Handoff {
        id: String,
        /// Responder id.
        #[arg(long)]
        to: String,
        /// Share the victim's details the policy would withhold, for this
        /// reason (recorded with the handoff). Never the identity of a
        /// reporter who did not agree to be contacted.
        #[arg(long, value_name = "REASON")]
        override_sharing: Option<String>,
    },
    /// Record that the responder took the case (the oldest handoff waiting).
    Ack { id: String },
    /// Withdraw the handoffs nobody has acknowledged: the case is triaged again and lists none of them.
    Withdraw { id: String },
    /// A case's event history (`beacon audit CASE`), or `beacon audit
    /// verify`: check every device's hash chain in the store.
    Audit(AuditArgs),
    /// Handoffs the hub rejected (another dispatcher's reached it first)
    /// that nobody has looked at; `resolve CASE` marks a case's as looked at.
    Conflicts {
        #[command(subcommand)]
        command: Option<ConflictsCommand>,
    },
    /// Response times: received → handed off → acknowledged → on scene.
    Stats {
        /// Referrals received in the last N days.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Print the JSON Schema of the referral format.
    Schema,
    /// Rebuild every table from the event log, in one transaction.
    Rebuild,
    /// How long closed cases are kept: show, or `set --closed-cases DAYS`
    /// (a supervisor).
    Retention {
        #[command(subcommand)]
        command: Option<RetentionCommand>,
    },
    /// Purge closed cases past the retention (or one case, `--case ID
    /// --reason TEXT`): their details leave the store and, through the hub,
    /// every other holder; the audit of them stays (`beacon audit CASE`
    /// with the full id, and `beacon audit verify`). A supervisor.
    Purge {
        /// One closed case, now, whatever the retention.
        #[arg(long, value_name = "ID", requires = "reason")]
        case: Option<String>,
        /// Why the case is purged (with --case).
        #[arg(long, value_name = "TEXT", requires = "case")]
        reason: Option<String>,
        /// List what would be purged; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Sync with a hub: push this store's events, then pull everyone's. The
    /// hub and token are remembered in the store after the first use.
    Sync(SyncArgs),
    /// Response targets and the link window: show or change.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Which jurisdiction a point falls in. `-` reads `lat,lon` lines from standard input.
    #[command(allow_negative_numbers = true)]
    Locate {
        /// Latitude, or `-` to read lines from standard input.
        lat: String,
        lon: Option<String>,
    },
    /// Jurisdiction layers: list, import, reassign.
    #[command(subcommand)]
    Jurisdiction(JurisdictionCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person. Their password comes from BEACON_NEW_PASSWORD, else a
    /// prompt, else one is generated and printed once.
    Add {
        name: String,
        /// dispatcher, task_force, supervisor or admin.
        #[arg(long)]
        role: String,
        /// The responder on the roster they are (required for task_force).
        #[arg(long, value_name = "ID")]
        responder: Option<String>,
    },
    /// Everyone with an account, their role, and whether they are locked.
    List,
    /// Stop a person signing in, at once.
    Disable { name: String },
    /// Set a password (yours if NAME is left out). The new one comes from
    /// BEACON_NEW_PASSWORD, else a prompt, else one is generated.
    Passwd {
        name: Option<String>,
        /// Sign in with the recovery key (BEACON_RECOVERY_KEY, else a prompt)
        /// instead of a password: when every admin's password is lost.
        #[arg(long)]
        recovery: bool,
    },
    /// Lift the lock after too many failed sign-ins.
    Unlock { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ReferralCommand {
    /// Add one referral (a JSON object) from FILE, or `-` for standard input.
    Add { file: String },
    /// Import a JSON array, JSON Lines or CSV file (detected from the content).
    Import {
        file: String,
        /// Records per transaction (smaller: other writers wait less; larger: faster).
        #[arg(long, default_value_t = beacon_api::IMPORT_BATCH)]
        batch: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResponderCommand {
    /// Import responders from JSON or CSV.
    Import {
        file: String,
    },
    List,
    /// Put a responder on or off duty.
    Duty {
        id: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
    /// The hub's address, e.g. `https://hub.example.org`.
    #[arg(long, env = "BEACON_HUB")]
    pub hub: Option<String>,
    /// A device token from `beacon-hub token create --role device`.
    #[arg(long, env = "BEACON_HUB_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM file of the certificate(s) an `https://` hub's certificate must
    /// chain to, in place of the public authorities (a hub with its own
    /// certificate). Remembered like the hub.
    #[arg(long, env = "BEACON_HUB_CA")]
    pub hub_ca: Option<PathBuf>,
    /// Keep syncing: at once when the hub announces new events (its live
    /// stream), when this store has changes to send, and at least every
    /// `--every` seconds; after a failure, again with a growing pause (up to
    /// a minute) until the hub answers.
    #[arg(long)]
    pub watch: bool,
    /// Most seconds between syncs with `--watch`.
    #[arg(long, default_value_t = 30)]
    pub every: u64,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// The case whose history to show.
    pub id: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk every device's hash chain and name the first event changed
    /// after it was written (device, sequence, event id), if any.
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Keep closed cases this many days after closure (at least 30).
    Set {
        #[arg(long, value_name = "DAYS")]
        closed_cases: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConflictsCommand {
    /// Mark the case's rejected handoffs as looked at: it takes its place in
    /// the queue by its status again.
    Resolve { id: String },
}

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// The hub, the last successful sync, the events waiting to go, and conflicts.
    Status,
    /// Enrol this store with the hub (`--hub`): sign in to the hub once as
    /// `--hub-user` (else `--user`; password from BEACON_HUB_PASSWORD, else
    /// BEACON_PASSWORD, else a prompt); the device token it gives is
    /// remembered, and what the desktop receives follows that person's role.
    Enrol {
        /// The hub's address, e.g. `https://hub.example.org`.
        #[arg(long, env = "BEACON_HUB")]
        hub: Option<String>,
        /// What the hub lists this desktop as.
        #[arg(long, default_value = "desktop")]
        device: String,
        /// The hub account to enrol as, when not the one signed in here.
        #[arg(long, value_name = "NAME")]
        hub_user: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show the targets per priority and the link window.
    Show,
    /// Set a priority's targets, in minutes: `beacon config target P1 --ack 15 --arrive 60`.
    Target {
        priority: String,
        /// Minutes from received to acknowledged.
        #[arg(long)]
        ack: u32,
        /// Minutes from received to on scene (omit for none).
        #[arg(long)]
        arrive: Option<u32>,
    },
    /// Link referrals sharing a phone, plate or address within this many days.
    LinkWindow { days: i64 },
    /// Lock a name after this many failed sign-ins, for this many minutes.
    Lockout {
        #[arg(long, default_value_t = 5)]
        after: u32,
        #[arg(long)]
        minutes: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum JurisdictionCommand {
    /// The jurisdictions of the active layer, with their troops.
    List,
    /// Replace the active layer with a GeoJSON or shapefile layer.
    Import {
        file: PathBuf,
        /// Property holding each jurisdiction's id.
        #[arg(long, default_value = "id")]
        id_property: String,
        /// Property holding each jurisdiction's name.
        #[arg(long, default_value = "name")]
        name_property: String,
        /// The boundaries are the legal lines (border margin 0 unless --margin-km).
        #[arg(long)]
        authoritative: bool,
        /// Flag points closer than this to another jurisdiction (default 2.5 km; 0 if authoritative).
        #[arg(long)]
        margin_km: Option<f64>,
        /// Jurisdiction → troop/agency table (JSON or CSV).
        #[arg(long)]
        agencies: Option<PathBuf>,
    },
    /// Recompute every case's jurisdiction with the active layer.
    Reassign,
    /// Confirm (or correct) a case's jurisdiction, e.g. for a point near a border.
    Confirm {
        /// The case.
        id: String,
        /// The jurisdiction id (county FIPS for the shipped layer).
        jurisdiction: String,
    },
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Only these priorities (P1,P2).
    #[arg(long, value_delimiter = ',')]
    pub priority: Vec<String>,
    /// Only these statuses.
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    /// Only this troop (A or "Troop A").
    #[arg(long)]
    pub troop: Option<String>,
    /// Only this county (id or name).
    #[arg(long)]
    pub county: Option<String>,
    /// Only cases without a reliable jurisdiction.
    #[arg(long)]
    pub unassigned: bool,
    /// Only cases past their target.
    #[arg(long)]
    pub overdue: bool,
    #[arg(long, default_value_t = beacon_api::domain::queue::DEFAULT_QUEUE_LIMIT)]
    pub limit: u32,
}

/// The queue's order, as the domain states it.
fn queue_order_help() -> String {
    format!("The order:\n  {}", beacon_api::domain::queue::ORDER_HELP.join("\n  "))
}

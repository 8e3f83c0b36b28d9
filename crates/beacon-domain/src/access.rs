//! Who may do what: the roles people sign in with and the one table of what
//! each may do. `beacon-api` asks [`may`] before every operation, so the
//! command line, the console and (through its tokens) the hub refuse the
//! same things; the console only hides what Rust has already refused.
//!
//! The roles follow the work, and least privilege: a dispatcher triages and
//! hands off; a task-force member works the cases handed to them; a
//! supervisor sees everything and settles what sync could not (rejected
//! handoffs); an admin keeps Beacon running (people, roster, jurisdiction
//! layers, settings) and, as an administrator, reads no case.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::ResponderId;
use std::fmt;
use std::str::FromStr;

/// The role a person signs in with (not a responder's role on the roster:
/// see [`crate::Role`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    Dispatcher,
    TaskForce,
    Supervisor,
    Admin,
}

impl UserRole {
    pub const ALL: [UserRole; 4] = [UserRole::Dispatcher, UserRole::TaskForce, UserRole::Supervisor, UserRole::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Dispatcher => "dispatcher",
            UserRole::TaskForce => "task_force",
            UserRole::Supervisor => "supervisor",
            UserRole::Admin => "admin",
        }
    }

    /// How the role reads to a person.
    pub fn label(self) -> &'static str {
        match self {
            UserRole::Dispatcher => "Dispatcher",
            UserRole::TaskForce => "Task force",
            UserRole::Supervisor => "Supervisor",
            UserRole::Admin => "Administrator",
        }
    }

    /// Which cases the role reads.
    pub fn sees(self) -> CaseScope {
        match self {
            UserRole::Dispatcher | UserRole::Supervisor => CaseScope::All,
            UserRole::TaskForce => CaseScope::HandedToMe,
            UserRole::Admin => CaseScope::None,
        }
    }

    /// The screen a person of this role starts on.
    pub fn home(self) -> Home {
        match self {
            UserRole::Dispatcher | UserRole::Supervisor => Home::Queue,
            UserRole::TaskForce => Home::MyCases,
            UserRole::Admin => Home::Sync,
        }
    }

    /// A task-force user is a responder on the roster; the others may be.
    pub fn needs_responder(self) -> bool {
        self == UserRole::TaskForce
    }
}

impl fmt::Display for UserRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        UserRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s || (s == "taskforce" && *r == UserRole::TaskForce))
            .ok_or_else(|| format!("expected one of {}", UserRole::ALL.map(UserRole::as_str).join(", ")))
    }
}

/// A person's account: who they are to Beacon. Their password is not here:
/// only the store's key file knows it (see `beacon-auth`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct User {
    pub name: String,
    pub role: UserRole,
    /// The responder on the roster this person is (a task-force member's
    /// cases are the ones handed to this responder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder_id: Option<ResponderId>,
    #[serde(default)]
    pub disabled: bool,
}

/// What happened to an account, for its audit line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AccountChange {
    Added,
    Disabled,
    PasswordSet,
    Unlocked,
}

impl AccountChange {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountChange::Added => "added",
            AccountChange::Disabled => "disabled",
            AccountChange::PasswordSet => "password set",
            AccountChange::Unlocked => "unlocked",
        }
    }
}

/// Which cases a role reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CaseScope {
    /// Every case.
    All,
    /// The cases handed (now or before) to the person's responder record.
    HandedToMe,
    /// None.
    None,
}

/// The screen a role starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Home {
    Queue,
    MyCases,
    /// The hub connection: in the console, an admin's work so far (people,
    /// the roster and layers are managed with `beacon`).
    Sync,
}

/// Everything a person can ask of Beacon, grouped by the rule that decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read a case (within [`UserRole::sees`]): its details, history, links.
    ReadCase,
    /// The whole queue, search, the map and response statistics.
    ReadQueue,
    /// Take in referrals: one, or a file of them.
    Intake,
    /// Triage: set a priority, confirm a jurisdiction, move a case's status
    /// as a dispatcher does (triaged, closed, reopened).
    Triage,
    /// Hand a case to a responder, or withdraw a handoff.
    HandOff,
    /// Hand off sharing victim details the policy would withhold, with a
    /// reason the handoff records.
    OverrideSharing,
    /// Record what the responder did: acknowledged, on scene.
    Respond,
    /// Add a note to a case.
    Note,
    /// Mark a rejected handoff as looked at.
    ResolveConflicts,
    /// Put a responder on or off duty.
    SetDuty,
    /// Read the roster.
    ReadRoster,
    /// Import the roster.
    ManageRoster,
    /// Import a jurisdiction layer, reassign every case.
    ManageLayers,
    /// Response targets, the link window, the hub to sync with.
    ManageSettings,
    /// Add, disable, unlock people; set anyone's password.
    ManageUsers,
    /// Sync with the hub (what is sent is limited by the hub, per token).
    Sync,
    /// Check the store: chains, rebuild the tables from the log.
    Maintain,
    /// Purge closed cases' details (the audit of them stays), and set how
    /// long closed cases are kept.
    Purge,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::ReadCase,
        Action::ReadQueue,
        Action::Intake,
        Action::Triage,
        Action::HandOff,
        Action::OverrideSharing,
        Action::Respond,
        Action::Note,
        Action::ResolveConflicts,
        Action::SetDuty,
        Action::ReadRoster,
        Action::ManageRoster,
        Action::ManageLayers,
        Action::ManageSettings,
        Action::ManageUsers,
        Action::Sync,
        Action::Maintain,
        Action::Purge,
    ];

    /// What the action is, in words for a refusal: "… may not {describe}".
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadCase => "read this case",
            Action::ReadQueue => "read the queue",
            Action::Intake => "take in referrals",
            Action::Triage => "triage cases",
            Action::HandOff => "hand off cases",
            Action::OverrideSharing => "override the sharing policy",
            Action::Respond => "record a responder's progress",
            Action::Note => "add notes",
            Action::ResolveConflicts => "resolve handoff conflicts",
            Action::SetDuty => "change who is on duty",
            Action::ReadRoster => "read the roster",
            Action::ManageRoster => "change the roster",
            Action::ManageLayers => "change jurisdiction layers",
            Action::ManageSettings => "change settings",
            Action::ManageUsers => "manage people's accounts",
            Action::Sync => "sync with the hub",
            Action::Maintain => "check or rebuild the store",
            Action::Purge => "purge closed cases",
        }
    }
}

/// Whether `role` may do `action`: the whole rule, one row per role.
/// A case-level action also needs the case to be in [`UserRole::sees`].
pub fn may(role: UserRole, action: Action) -> bool {
    use Action::*;
    match role {
        UserRole::Dispatcher => matches!(
            action,
            ReadCase
                | ReadQueue
                | Intake
                | Triage
                | HandOff
                | OverrideSharing
                | Respond
                | Note
                | SetDuty
                | ReadRoster
                | Sync
        ),
        UserRole::TaskForce => matches!(action, ReadCase | Respond | Note | ReadRoster | Sync),
        UserRole::Supervisor => matches!(
            action,
            ReadCase
                | ReadQueue
                | Intake
                | Triage
                | HandOff
                | OverrideSharing
                | Respond
                | Note
                | ResolveConflicts
                | SetDuty
                | ReadRoster
                | Sync
                | Maintain
                | Purge
        ),
        UserRole::Admin => matches!(
            action,
            SetDuty | ReadRoster | ManageRoster | ManageLayers | ManageSettings | ManageUsers | Sync | Maintain
        ),
    }
}

/// Everything `role` may do, for a front end to show only what will work.
pub fn allowed(role: UserRole) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| may(role, *a)).collect()
}

/// The actions any one of which lets a person write an event like `body`:
/// what the hub checks of each event a device pushes, against the role of
/// the person the device was enrolled for. Empty for the events only the
/// hub writes. (The API asks the same actions before it writes each event.)
pub fn writing(body: &crate::event::EventBody, by: &str) -> &'static [Action] {
    use crate::CaseStatus as S;
    use crate::event::EventBody as E;
    match body {
        E::ReferralReceived { .. } => &[Action::Intake],
        E::PriorityOverridden { .. } => &[Action::Triage],
        E::NoteAdded { .. } => &[Action::Note],
        E::StatusChanged { to: S::Acknowledged | S::OnScene, .. } => &[Action::Respond],
        E::StatusChanged { to: S::HandedOff, .. } => &[Action::HandOff],
        // Triaged again after a withdrawn handoff, closed, reopened.
        E::StatusChanged { .. } => &[Action::Triage, Action::HandOff],
        E::HandedOff { sharing_override: Some(_), .. } => &[Action::OverrideSharing],
        E::HandedOff { .. } => &[Action::HandOff],
        E::HandoffRejected { .. } | E::DeliveryAttempted { .. } | E::Escalated { .. } => &[],
        E::ConflictResolved { .. } => &[Action::ResolveConflicts],
        E::Acknowledged { .. } => &[Action::Respond],
        // A dispatcher confirming a point near a border, or a new layer.
        E::JurisdictionChanged { .. } => &[Action::Triage, Action::ManageLayers],
        // The roster imported, or a responder put on or off duty.
        E::ResponderUpserted { .. } => &[Action::ManageRoster, Action::SetDuty],
        E::SettingsChanged { .. } => &[Action::ManageSettings],
        // Everyone sets their own password.
        E::AccountSaved { user, change: crate::AccountChange::PasswordSet } if user.name == by => &[Action::Sync],
        E::AccountSaved { .. } => &[Action::ManageUsers],
        E::CaseViewed {} => &[Action::ReadCase],
        // A purge, by whoever purges: a supervisor, who also syncs it to
        // every other holder of the case.
        E::CasePurged { .. } => &[Action::Purge],
        // An event its device redacted before sending it: it changes
        // nothing anywhere, so anyone who syncs may deliver it.
        E::Redacted { .. } => &[Action::Sync],
    }
}

/// Whether a person of `role`, called `name`, may write an event like `body`.
pub fn may_write(role: UserRole, name: &str, body: &crate::event::EventBody) -> bool {
    writing(body, name).iter().any(|a| may(role, *a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use UserRole::*;

    /// The table the code must match, written the other way round (by
    /// action) so a slip in one is caught by the other.
    const TABLE: &[(Action, &[UserRole])] = &[
        (ReadCase, &[Dispatcher, TaskForce, Supervisor]),
        (ReadQueue, &[Dispatcher, Supervisor]),
        (Intake, &[Dispatcher, Supervisor]),
        (Triage, &[Dispatcher, Supervisor]),
        (HandOff, &[Dispatcher, Supervisor]),
        (OverrideSharing, &[Dispatcher, Supervisor]),
        (Respond, &[Dispatcher, TaskForce, Supervisor]),
        (Note, &[Dispatcher, TaskForce, Supervisor]),
        (ResolveConflicts, &[Supervisor]),
        (SetDuty, &[Dispatcher, Supervisor, Admin]),
        (ReadRoster, &[Dispatcher, TaskForce, Supervisor, Admin]),
        (ManageRoster, &[Admin]),
        (ManageLayers, &[Admin]),
        (ManageSettings, &[Admin]),
        (ManageUsers, &[Admin]),
        (Sync, &[Dispatcher, TaskForce, Supervisor, Admin]),
        (Maintain, &[Supervisor, Admin]),
        (Purge, &[Supervisor]),
    ];

    #[test]
    fn the_rule_matches_the_table_for_every_role_and_action() {
        assert_eq!(TABLE.len(), Action::ALL.len(), "every action has a row");
        for (action, roles) in TABLE {
            for role in UserRole::ALL {
                assert_eq!(may(role, *action), roles.contains(&role), "{role} / {action:?}");
            }
        }
    }

    #[test]
    fn only_case_readers_start_on_cases_and_an_admin_reads_none() {
        for role in UserRole::ALL {
            let reads_cases = may(role, ReadCase);
            assert_eq!(reads_cases, role.sees() != CaseScope::None, "{role}");
            assert_eq!(role.home() == Home::Sync, !reads_cases, "{role}");
        }
        assert_eq!(TaskForce.home(), Home::MyCases);
        assert!(TaskForce.needs_responder());
    }

    #[test]
    fn roles_parse_from_what_people_type() {
        assert_eq!("task-force".parse::<UserRole>(), Ok(TaskForce));
        assert_eq!("taskforce".parse::<UserRole>(), Ok(TaskForce));
        assert_eq!(" Supervisor ".parse::<UserRole>(), Ok(Supervisor));
        assert!("root".parse::<UserRole>().unwrap_err().contains("dispatcher"));
    }

    #[test]
    fn what_each_role_may_write_through_the_hub() {
        use crate::CaseStatus;
        use crate::event::EventBody;
        let ack =
            EventBody::StatusChanged { from: CaseStatus::HandedOff, to: CaseStatus::Acknowledged, disposition: None };
        let close = EventBody::StatusChanged { from: CaseStatus::OnScene, to: CaseStatus::Closed, disposition: None };
        let note = EventBody::NoteAdded { note_id: crate::NoteId::new(), text: "seen".into() };
        let user = User { name: "dana".into(), role: Dispatcher, responder_id: None, disabled: false };
        let own_password = EventBody::AccountSaved { user: user.clone(), change: AccountChange::PasswordSet };
        let added = EventBody::AccountSaved { user, change: AccountChange::Added };
        // (role, event, may write it)
        let table = [
            (TaskForce, &ack, true),
            (TaskForce, &note, true),
            (TaskForce, &close, false),
            (Dispatcher, &close, true),
            (Admin, &note, false),
            (Dispatcher, &own_password, true),
            (Dispatcher, &added, false),
            (Admin, &added, true),
        ];
        for (role, body, expected) in table {
            assert_eq!(may_write(role, "dana", body), expected, "{role:?} {}", body.kind());
        }
        assert!(!may_write(Dispatcher, "sam", &own_password), "someone else's password is an admin's to set");
    }
}

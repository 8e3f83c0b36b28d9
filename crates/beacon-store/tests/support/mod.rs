//! What the store's test files share.

use beacon_domain::event::{Actor, EventBody};
use beacon_domain::triage::Triage;
use beacon_domain::{CaseId, JurisdictionAssignment, Priority};
use beacon_store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};

/// Store a referral given in the referral format (received at `received`)
/// with priority `p` and no jurisdiction, as one `referral_received` event.
#[allow(dead_code)]
pub fn store_referral(store: &mut Store, value: serde_json::Value, p: Priority, received: DateTime<Utc>) -> CaseId {
    let referral = beacon_domain::intake::referral_from_value(value, received + Duration::minutes(1)).expect("valid");
    let id = CaseId::for_referral(referral.source, &referral.external_id);
    let triage = Triage { priority: p, reasons: vec![] };
    store
        .write::<_, StoreError>(|w| {
            w.append(
                &Actor("test".into()),
                Some(id),
                EventBody::ReferralReceived {
                    referral: Box::new(referral),
                    triage,
                    jurisdiction: JurisdictionAssignment::unknown(),
                },
            )
        })
        .expect("stored");
    id
}

/// SQL that takes a store back from schema 13 to 6 (for tests of older
/// stores): the response index as it was before `0013_response_by_jurisdiction.sql`,
/// and what `0011_delivery.sql`, `0010_purge.sql`, `0009_users.sql`,
/// `0008_event_prev.sql` and `0007_handoff_conflicts.sql` added, removed.
/// Schema 12 added no table or column (it indexes phone numbers for search).
#[allow(dead_code)]
pub const UNDO_SCHEMAS_7_TO_13: &str = "DROP INDEX cases_response;
    CREATE INDEX cases_response ON cases (received_at, jurisdiction_id, jurisdiction_name, handed_off_at, acknowledged_at, on_scene_at);
    DROP TABLE deliveries; ALTER TABLE cases DROP COLUMN escalated;
    ALTER TABLE cases DROP COLUMN undelivered;
    DROP INDEX events_purges; DROP INDEX events_unfiled_by_case;
    INSERT INTO cases_fts (cases_fts, rank) VALUES ('secure-delete', 0);
    DROP TABLE users; ALTER TABLE events DROP COLUMN prev;
    DROP INDEX events_handoff_rejections; DROP TABLE handoff_conflicts;
    ALTER TABLE handoffs DROP COLUMN rejected_at; ALTER TABLE cases DROP COLUMN open_conflicts;";

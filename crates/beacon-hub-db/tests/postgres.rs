//! The hub database suite against a real PostgreSQL server: the one
//! `scripts/test.sh` starts (its URL in `BEACON_TEST_POSTGRES`), in a
//! database of this test's own.

mod suite;

use beacon_hub_db::testing::fresh_postgres_database;
use beacon_hub_db::{HubDb, PostgresHubDb};

#[tokio::test]
async fn the_postgres_backend_passes_the_suite() {
    let Some(url) = fresh_postgres_database().await else { return };
    let db = PostgresHubDb::connect(&url, 4).unwrap();
    suite::run(&db).await;
    // A second hub process on the same database sees the same data.
    let other = PostgresHubDb::connect(&url, 4).unwrap();
    other.migrate().await.unwrap();
    assert_eq!(other.event_count().await.unwrap(), db.event_count().await.unwrap());
    // An append by one wakes the other's live streams.
    suite::appends_wake_listeners(&db, &other).await;
    suite::escalation::two_processes_racing_fire_one_escalation(&db, &other).await;
}

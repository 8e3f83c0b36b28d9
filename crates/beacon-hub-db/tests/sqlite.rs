//! The hub database suite against the SQLite backend, on a real file.

mod suite;

use beacon_hub_db::{HubDb, SqliteHubDb};

#[tokio::test]
async fn the_sqlite_backend_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap();
    suite::run(&db).await;
    suite::appends_wake_listeners(&db, &db).await;
    let other = SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap();
    suite::escalation::two_processes_racing_fire_one_escalation(&db, &other).await;
    drop(other);
    // Reopened, the file holds what was written.
    let count = db.event_count().await.unwrap();
    drop(db);
    let db = SqliteHubDb::open(&dir.path().join("hub.sqlite3")).unwrap();
    db.migrate().await.unwrap();
    assert_eq!(db.event_count().await.unwrap(), count);
}

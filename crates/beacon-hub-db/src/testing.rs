//! For the hub's test suites (feature `testing`).

use beacon_domain::event::EventBody;
use beacon_domain::{DeviceId, EventHash, EventId, Hlc, NoteId};
use beacon_sync::WireEvent;
use serde_json::value::RawValue;

/// `n` chained note events of `device`, sequences `from`, `from + 1`, …
/// after `prev`, clocked from `wall_ms` on (one millisecond apart).
pub fn note_chain(
    device: DeviceId,
    from: u64,
    n: u64,
    mut prev: EventHash,
    wall_ms: i64,
    text: &str,
) -> Vec<WireEvent> {
    (from..from + n)
        .map(|seq| {
            let body = EventBody::NoteAdded { note_id: NoteId::new(), text: format!("{text} {seq}") };
            let body = RawValue::from_string(serde_json::to_string(&body).expect("a note encodes")).expect("JSON");
            let hlc = Hlc { wall_ms: wall_ms + seq as i64, counter: 0 };
            let e = WireEvent::sealed(EventId::new(), device, seq, hlc, "dispatcher".into(), None, body, prev);
            prev = e.hash;
            e
        })
        .collect()
}

/// A fresh, empty database on the test PostgreSQL server whose URL
/// `scripts/test.sh` puts in `BEACON_TEST_POSTGRES`. `None` only when
/// `BEACON_SKIP_POSTGRES=1` says to skip PostgreSQL knowingly; otherwise a
/// missing server fails the test rather than passing it unseen.
pub async fn fresh_postgres_database() -> Option<String> {
    let Ok(admin_url) = std::env::var("BEACON_TEST_POSTGRES") else {
        assert!(
            std::env::var("BEACON_SKIP_POSTGRES").is_ok_and(|v| v == "1"),
            "BEACON_TEST_POSTGRES is not set: run scripts/test.sh (it starts PostgreSQL), \
             or set BEACON_SKIP_POSTGRES=1 to skip the PostgreSQL suites knowingly"
        );
        return None;
    };
    let (client, connection) =
        tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await.expect("connect to the test server");
    tokio::spawn(connection);
    let name = format!("t_{}", beacon_domain::DeviceId::new_random().as_uuid().simple());
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
    let base = admin_url.rsplit_once('/').expect("a URL that names a database").0;
    Some(format!("{base}/{name}"))
}

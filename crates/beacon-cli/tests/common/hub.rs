//! A real hub for the command line's tests.

use std::path::Path;
use std::sync::Arc;

use beacon_hub::{Hub, HubConfig, router, tokens};
use beacon_hub_db::{HubDb, SqliteHubDb, TokenRole, TokenScope};

/// A hub serving on 127.0.0.1 over the SQLite file `db`: its URL and a
/// device token that sees everything. Runs until the returned runtime is
/// dropped.
pub fn serve(db: &Path) -> (String, String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let db: Arc<dyn HubDb> = Arc::new(SqliteHubDb::open(db).unwrap());
    let token = tokens::generate();
    let url = runtime.block_on(async {
        db.migrate().await.unwrap();
        db.create_token("desk", tokens::hash(&token), TokenRole::Device, TokenScope::All).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = router(Hub::new(db, HubConfig::default()).unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    });
    (url, token, runtime)
}

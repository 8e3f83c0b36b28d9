//! Store-wide settings and identity, kept in the `meta` table.

use beacon_domain::links::DEFAULT_LINK_WINDOW_DAYS;
use beacon_domain::{DeviceId, Hlc, Targets};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Settings that change how cases are judged. Defaults apply until set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub targets: Targets,
    /// Referrals sharing a phone, plate or address within this many days are linked.
    #[serde(default = "default_window")]
    pub link_window_days: i64,
}

fn default_window() -> i64 {
    DEFAULT_LINK_WINDOW_DAYS
}

impl Default for Settings {
    fn default() -> Self {
        Settings { targets: Targets::default(), link_window_days: DEFAULT_LINK_WINDOW_DAYS }
    }
}

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

pub(crate) fn load(conn: &Connection) -> Result<Settings, StoreError> {
    match get(conn, "settings")? {
        Some(json) => serde_json::from_str(&json).map_err(StoreError::json("settings")),
        None => Ok(Settings::default()),
    }
}

pub(crate) fn save(conn: &Connection, s: &Settings) -> Result<(), StoreError> {
    set(conn, "settings", &serde_json::to_string(s).map_err(StoreError::json("settings"))?)
}

/// This store's device id, created on first open.
pub(crate) fn device_id(conn: &Connection) -> Result<DeviceId, StoreError> {
    if let Some(v) = get(conn, "device_id")? {
        return v.parse().map_err(|_| StoreError::Corrupt("meta.device_id is not a UUID".into()));
    }
    let id = DeviceId::new_random();
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('device_id', ?1)", [id.to_string()])?;
    // Another process may have won the race; read back what is stored.
    let v = get(conn, "device_id")?.ok_or_else(|| StoreError::Corrupt("meta.device_id vanished".into()))?;
    v.parse().map_err(|_| StoreError::Corrupt("meta.device_id is not a UUID".into()))
}

/// The local number of a device, registering it on first sight.
pub(crate) fn device_row(conn: &Connection, id: DeviceId) -> Result<i64, StoreError> {
    conn.execute("INSERT OR IGNORE INTO devices (id) VALUES (?1)", [id.to_string()])?;
    Ok(conn.query_row("SELECT device FROM devices WHERE id = ?1", [id.to_string()], |r| r.get(0))?)
}

/// This store's device and its local number, if it has them: for a
/// read-only store, which cannot create them.
pub(crate) fn known_device(conn: &Connection) -> Result<Option<(DeviceId, i64)>, StoreError> {
    let Some(id) = get(conn, "device_id")?.and_then(|v| v.parse::<DeviceId>().ok()) else {
        return Ok(None);
    };
    let row = conn.query_row("SELECT device FROM devices WHERE id = ?1", [id.to_string()], |r| r.get(0)).optional()?;
    Ok(row.map(|row| (id, row)))
}

pub(crate) fn last_hlc(conn: &Connection) -> Result<Hlc, StoreError> {
    Ok(get(conn, "last_hlc")?.and_then(|v| v.parse::<i64>().ok()).map(Hlc::unpack).unwrap_or(Hlc::ZERO))
}

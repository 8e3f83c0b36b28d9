#!/usr/bin/env bash
# End-to-end test of the desktop app: the real beacon-desktop binary under
# Xvfb, driven through WebDriver (tauri-driver + WebKitWebDriver), with a
# session bus and dunst so notifications are really sent.
#
# Installs what it needs when missing (apt packages, tauri-driver, npm ci),
# builds the UI, the app, beacon and beacon-hub (debug), makes a demo store and runs
# src-tauri/tests/e2e.rs. Non-interactive; exit code = test result.
#
# Environment: BEACON_CACHE (default ~/.cache/beacon) holds the cargo target
# dir and tools; BEACON_E2E_OUT (default $BEACON_CACHE/e2e) gets the store,
# logs and screenshots (shots/*.png); BEACON_E2E_PORT (default 4444).
set -euo pipefail
. "$(dirname "$0")/desktop-common.sh"

OUT=${BEACON_E2E_OUT:-$CACHE/e2e}
PORT=${BEACON_E2E_PORT:-4444}
summary() { echo "desktop e2e: $1 passed, $2 failed"; }
trap 'rc=$?; if [ $rc -ne 0 ] && [ -z "${DONE:-}" ]; then summary 0 1; fi' EXIT

ensure_system_packages
ensure_tauri_driver
ensure_ui_deps
build_ui
log "building beacon-desktop with its e2e test, and beacon (debug)"
# The test build also builds the app binary (with the test's feature set):
# building it separately with `cargo build` would compile the Tauri stack twice.
(cd "$ROOT" && cargo test --quiet -p beacon-desktop --test e2e --no-run)
(cd "$ROOT" && cargo build --quiet -p beacon-cli --bin beacon -p beacon-hub --bin beacon-hub)

rm -rf "$OUT" && mkdir -p "$OUT/shots"
export BEACON_STORE="$OUT/store.sqlite3"
export BEACON_E2E_APP="$CARGO_TARGET_DIR/debug/beacon-desktop"
export BEACON_E2E_CLI="$CARGO_TARGET_DIR/debug/beacon"
export BEACON_E2E_HUB="$CARGO_TARGET_DIR/debug/beacon-hub"
export BEACON_E2E_SHOTS="$OUT/shots"
export BEACON_NOTIFY_LOG="$OUT/notifications.log"
export WEBDRIVER_URL="http://127.0.0.1:$PORT"
export BEACON_ACTOR=e2e-dispatcher
# The demo's people share this password; the CLI steps act as the supervisor.
export BEACON_DEMO_PASSWORD="e2e demo password" BEACON_PASSWORD="e2e demo password" BEACON_USER=supervisor
export ROOT PORT OUT
# A fresh webview profile each run (theme and sign-in live in its local storage).
export XDG_DATA_HOME="$OUT/xdg/data" XDG_CONFIG_HOME="$OUT/xdg/config" XDG_CACHE_HOME="$OUT/xdg/cache"
# dunst records every notification it receives (a script rule), so the test
# can check the daemon got it, not only that the app tried.
export BEACON_E2E_DUNST_RECORD="$OUT/dunst-received.log"
cat >"$OUT/dunst-record.sh" <<REC
#!/bin/sh
# dunst calls: appname summary body icon urgency
printf '%s\t%s\t%s\n' "\$1" "\$2" "\$3" >> "$BEACON_E2E_DUNST_RECORD"
REC
chmod +x "$OUT/dunst-record.sh"
printf '[global]\n    font = DejaVu Sans 10\n[record]\n    summary = "*"\n    script = %s\n' "$OUT/dunst-record.sh" >"$OUT/dunstrc"
log "making a demo store at $BEACON_STORE"
"$BEACON_E2E_CLI" --store "$BEACON_STORE" demo --referrals 600 >/dev/null

log "running the end-to-end test under Xvfb + dbus + dunst"
set +e
timeout 600 xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- bash -c '
  dunst -config "$OUT/dunstrc" >"$OUT/dunst.log" 2>&1 &
  tauri-driver --port "$PORT" >"$OUT/tauri-driver.log" 2>&1 &
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break; sleep 0.1; done
  cd "$ROOT" && cargo test --quiet -p beacon-desktop --test e2e -- --ignored --nocapture --test-threads=1
' 2>&1 | tee "$OUT/test.log"
rc=${PIPESTATUS[0]}
set -e
DONE=1
echo "screenshots: $OUT/shots"
if [ "$rc" -eq 0 ]; then summary 1 0; else summary 0 1; fi
exit "$rc"

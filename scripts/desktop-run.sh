#!/usr/bin/env bash
# Build beacon-desktop and open it on this display with the store the command
# line uses (BEACON_STORE if set, else its default). Into an empty store the
# app loads the demo data set when BEACON_DEMO_PASSWORD gives its people a
# password; otherwise it asks for the store's first administrator.
# Pass --release for an optimised build.
set -euo pipefail
. "$(dirname "$0")/desktop-common.sh"

profile=debug; flag=()
[ "${1:-}" = "--release" ] && { profile=release; flag=(--release); }
ensure_system_packages || true
ensure_ui_deps
build_ui
log "building beacon-desktop ($profile)"
# Built as the tests build it (with the test build's features), so running
# Beacon and then its tests compiles the Tauri stack once, not twice.
(cd "$ROOT" && cargo test --quiet "${flag[@]}" -p beacon-desktop --test e2e --no-run && cargo build --quiet "${flag[@]}" -p beacon-cli --bins)
log "store: ${BEACON_STORE:-the default of the command line}"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  log "no DISPLAY: running under Xvfb (screenshot with: import -display :99 -window root shot.png)"
  exec xvfb-run -n 99 -s "-screen 0 1600x1000x24" "$CARGO_TARGET_DIR/$profile/beacon-desktop"
fi
exec "$CARGO_TARGET_DIR/$profile/beacon-desktop"

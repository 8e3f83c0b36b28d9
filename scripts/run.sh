#!/usr/bin/env bash
# Set up everything and run Beacon: builds the command line and the desktop
# app, loads the demo data set into a fresh store on first run, and opens the
# console. Without a display it prints the queue instead.
#
#   BEACON_STORE   the store file (default: a demo store in ~/.cache/beacon)
set -euo pipefail
. "$(dirname "$0")/setup.sh"
setup_all

export BEACON_STORE=${BEACON_STORE:-$CACHE/demo.sqlite3}
log "building beacon (command line) and beacon-desktop"
build_ui
(cd "$ROOT" && cargo build --release --quiet -p beacon-cli -p beacon-desktop --bins)
BIN=$CARGO_TARGET_DIR/release

if [ ! -s "$BEACON_STORE" ]; then
  log "first run: loading the demo data set into $BEACON_STORE"
  "$BIN/beacon" demo
fi

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  log "opening the console (store: $BEACON_STORE)"
  exec "$BIN/beacon-desktop"
fi
log "no display: showing the queue from the command line (try: $BIN/beacon --help)"
"$BIN/beacon" queue --limit 25

#!/usr/bin/env bash
# Set up everything and run Beacon: builds the command line, loads the demo
# data set into a fresh store on first run, then opens the desktop console
# (built on first use). Without a display it prints the queue instead.
#
#   BEACON_STORE   the store file (default: a demo store in ~/.cache/beacon)
#   --release      build the console optimised (slower first build)
set -euo pipefail
. "$(dirname "$0")/setup.sh"
setup_all

export BEACON_STORE=${BEACON_STORE:-$CACHE/demo.sqlite3}
log "building beacon (the command line)"
(cd "$ROOT" && cargo build --quiet -p beacon-cli --bins)
BEACON=$CARGO_TARGET_DIR/debug/beacon

if [ ! -s "$BEACON_STORE" ]; then
  log "first run: loading the demo data set into $BEACON_STORE"
  "$BEACON" demo
fi

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$ROOT/scripts/desktop-run.sh" "$@"
fi
log "no display: showing the queue from the command line (the console needs a display; try $BEACON --help)"
"$BEACON" queue --limit 25

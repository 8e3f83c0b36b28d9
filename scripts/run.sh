#!/usr/bin/env bash
# Set up everything and run Beacon: builds the command line, loads the demo
# data set into a fresh store on first run, then opens the desktop console
# (built on first use). Without a display it prints the queue instead.
#
#   BEACON_STORE   the store file (default: the one `beacon` uses with no
#                  --store, ~/.local/share/beacon/beacon.sqlite3 on Linux)
#   --release      build the console optimised (slower first build)
set -euo pipefail
. "$(dirname "$0")/setup.sh"
setup_all

log "building beacon (the command line) and beacon-hub"
(cd "$ROOT" && cargo build --quiet -p beacon-cli -p beacon-hub --bins)
BEACON=$CARGO_TARGET_DIR/debug/beacon
# Both on the PATH, so `beacon queue` works in any shell.
mkdir -p "$HOME/.local/bin" && ln -sf "$BEACON" "$HOME/.local/bin/beacon"
ln -sf "$CARGO_TARGET_DIR/debug/beacon-hub" "$HOME/.local/bin/beacon-hub"
# The store: BEACON_STORE if set, else the command line's default, so the
# console and `beacon` with no --store open the same one.
STORE=${BEACON_STORE:-$("$BEACON" --json init | sed -n 's/.*"store": *"\([^"]*\)".*/\1/p')}
if [ "$("$BEACON" --store "$STORE" --json init | sed -n 's/.*"cases": *\([0-9]*\).*/\1/p')" = 0 ]; then
  log "first run: loading the demo data set into $STORE"
  "$BEACON" --store "$STORE" demo
fi
export BEACON_STORE=$STORE
log "store: $STORE"
log "command line: $BEACON (linked as ~/.local/bin/beacon, beside beacon-hub); try: beacon queue"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$ROOT/scripts/desktop-run.sh" "$@"
fi
log "no display: showing the queue from the command line (the console needs a display; try $BEACON --help)"
"$BEACON" queue --limit 25

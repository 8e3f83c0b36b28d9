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
STORE=${BEACON_STORE:-$("$BEACON" --json store | sed -n 's/.*"store": *"\([^"]*\)".*/\1/p')}
if "$BEACON" --store "$STORE" --json store | grep -q '"empty": *true'; then
  # The demo's four people (dispatcher, supervisor, taskforce, admin) share
  # one password: BEACON_DEMO_PASSWORD, else a new one shown below.
  export BEACON_DEMO_PASSWORD=${BEACON_DEMO_PASSWORD:-$(tr -dc 'a-km-z2-9' </dev/urandom | head -c 16)}
  log "first run: loading the demo data set into $STORE"
  "$BEACON" --store "$STORE" demo
  FIRST_RUN=1
fi
export BEACON_STORE=$STORE
log "store: $STORE"
log "command line: $BEACON (linked as ~/.local/bin/beacon, beside beacon-hub); try: BEACON_USER=dispatcher beacon queue"
if [ -n "${FIRST_RUN:-}" ]; then
  log "sign in as dispatcher (or supervisor, taskforce, admin) with the password: $BEACON_DEMO_PASSWORD"
else
  log "sign in with your user name and password (the demo's people: dispatcher, supervisor, taskforce, admin)"
fi

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$ROOT/scripts/desktop-run.sh" "$@"
fi
log "no display: showing the queue from the command line (the console needs a display; try $BEACON --help)"
if [ -n "${FIRST_RUN:-}" ]; then
  BEACON_USER=dispatcher BEACON_PASSWORD=$BEACON_DEMO_PASSWORD "$BEACON" queue --limit 25
else
  BEACON_USER=${BEACON_USER:-dispatcher} "$BEACON" queue --limit 25
fi

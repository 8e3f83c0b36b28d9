# A throwaway PostgreSQL server for the hub's tests. Sourced by scripts/test.sh.
#
# ensure_postgres: install Debian's `postgresql` package when no server
#   binaries are present (as root; otherwise says what to install).
# start_test_postgres: initdb in a temporary directory, start the server on
#   a free loopback port (fsync off: tests only), export
#   BEACON_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres, and
#   stop and remove it when the calling shell exits. Each test creates its
#   own database in it.

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

ensure_postgres() {
  if [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ]; then return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "PostgreSQL is needed for the hub's tests: sudo apt-get install postgresql"
    return 1
  fi
  log "installing PostgreSQL (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# A loopback TCP port nothing listens on (bash alone: a fresh machine may have no python).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# Run a PostgreSQL program as the user that owns the data directory.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_test_postgres() {
  local bin dir port
  bin=$(pg_bin)
  dir=$(mktemp -d)
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  port=$(free_port)
  as_pg_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" >/dev/null
  export BEACON_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
  BEACON_PG_DIR=$dir
  trap 'stop_test_postgres' EXIT
  log "PostgreSQL for tests on 127.0.0.1:$port"
}

stop_test_postgres() {
  [ -n "${BEACON_PG_DIR:-}" ] || return 0
  as_pg_owner "$(pg_bin)/pg_ctl" -D "$BEACON_PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$BEACON_PG_DIR"
  BEACON_PG_DIR=
}

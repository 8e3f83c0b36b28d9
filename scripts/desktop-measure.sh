#!/usr/bin/env bash
# Measurements of the desktop app (numbers, not assertions):
#  - cold start to an interactive queue with a 100,000-referral store
#  - memory (RSS of the app and its WebKit processes) after start
#  - time from a referral committed by the CLI to it being on screen
#  - the map's first render
# Runs the app under Xvfb (its own display) and reads the app's perf marks.
# Environment: BEACON_CACHE, BEACON_MEASURE_OUT (default $BEACON_CACHE/measure),
# BEACON_MEASURE_REFERRALS (default 100000), --release for an optimised build.
set -euo pipefail
. "$(dirname "$0")/desktop-common.sh"
OUT=${BEACON_MEASURE_OUT:-$CACHE/measure}
N=${BEACON_MEASURE_REFERRALS:-100000}
profile=debug; flag=()
[ "${1:-}" = "--release" ] && { profile=release; flag=(--release); }
ensure_system_packages
ensure_ui_deps
build_ui
# Same build as the e2e test (debug): one feature set, so the Tauri stack compiles once.
if [ "$profile" = debug ]; then
  (cd "$ROOT" && cargo test --quiet -p beacon-desktop --test e2e --no-run && cargo build --quiet -p beacon-cli --bin beacon)
else
  (cd "$ROOT" && cargo build --quiet --release -p beacon-desktop -p beacon-cli --bins)
fi
APP="$CARGO_TARGET_DIR/$profile/beacon-desktop"
CLI="$CARGO_TARGET_DIR/$profile/beacon"
mkdir -p "$OUT"
STORE="$OUT/store-$N.sqlite3"
if [ ! -f "$STORE" ]; then
  log "building a $N-referral demo store (once; kept in $OUT)"
  start=$(date +%s.%N)
  "$CLI" --store "$STORE.tmp" demo --referrals "$N" >/dev/null
  mv "$STORE.tmp" "$STORE"; for x in wal shm; do [ -f "$STORE.tmp-$x" ] && mv "$STORE.tmp-$x" "$STORE-$x"; done
  echo "store build: $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $start}") s"
fi
export BEACON_STORE="$STORE"
echo "store: $STORE ($(du -h "$STORE" | cut -f1))"

export DISPLAY=:97
Xvfb :97 -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 & XVFB=$!
trap 'kill $XVFB 2>/dev/null || true' EXIT
sleep 0.5

run_once() { # $1 = log file; leaves APP_PID set
  "$APP" >"$1" 2>&1 & APP_PID=$!
  for _ in $(seq 1 300); do grep -q "perf queue-interactive" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "the queue did not become interactive in 15 s; see $1" >&2; return 1
}
rss_tree() { # total RSS (MiB) of a process and its descendants
  ps -e -o pid=,ppid=,rss= | awk -v root="$1" '{pp[$1]=$2; rs[$1]=$3}
    END {for (p in pp) {q=p; while (q && q != root && (q in pp)) q=pp[q]; if (q == root) s+=rs[p]}; printf "%.0f", s/1024}'
}

echo "== cold start to an interactive queue ($N referrals, $profile build; file cache warm after the first run)"
for i in 1 2 3; do
  run_once "$OUT/run-$i.log"
  grep -o "perf queue-interactive.*" "$OUT/run-$i.log" | sed "s/^/  run $i: /" || true
  if [ "$i" = 1 ]; then
    sleep 3
    echo "== memory 3 s after start: app + WebKit processes: $(rss_tree "$APP_PID") MiB"
    ps -e -o pid=,ppid=,rss=,comm= | awk -v root="$APP_PID" '$1 == root || $2 == root {printf "  %-22s %6.0f MiB\n", $4, $3/1024}'
    echo "== referral committed by the CLI → on screen (5 P1 referrals)"
    for k in 1 2 3 4 5; do
      ext="MEASURE-$$-$k"
      printf '{"external_id":"%s","source":"hotline_call","received_at":"%s","urgency":"in_progress","trafficking_type":"sex","location":{"city":"Springfield","state":"MO","lat":37.2,"lon":-93.29},"narrative":"measurement %s"}' \
        "$ext" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$k" > "$OUT/ref.json"
      id=$("$CLI" --store "$STORE" --json referral add "$OUT/ref.json" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1 || true)
      committed=$(date +%s%3N)
      seen=""
      for _ in $(seq 1 100); do
        seen=$(grep "perf case-on-screen .*$id" "$OUT/run-$i.log" | sed -n 's/.*(wall \([0-9]*\)).*/\1/p' | head -1 || true)
        [ -n "$seen" ] && break; sleep 0.05
      done
      if [ -n "$seen" ]; then echo "  referral $k: $((seen - committed)) ms"; else echo "  referral $k: not on screen within 5 s (not among the queue's first page?)"; fi
      sleep 0.5
    done
    echo "== map first render"
    xdotool key m 2>/dev/null || true
    for _ in $(seq 1 100); do grep -q "perf map-first-render" "$OUT/run-$i.log" && break; sleep 0.05; done
    grep -o "perf map-first-render.*" "$OUT/run-$i.log" | sed 's/^/  /' || echo "  (no map mark; is xdotool installed?)"
    import -window root "$OUT/map-$N.png" 2>/dev/null || true
  fi
  kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB"

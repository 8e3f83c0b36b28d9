#!/usr/bin/env bash
# Measurements of the desktop app (numbers, not assertions):
#  - cold start to an interactive queue with a 100,000-referral store
#  - memory (RSS and PSS of the app and its WebKit processes) after start
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
tree_pids() { # a process and its descendants
  ps -e -o pid=,ppid= | awk -v root="$1" '{pp[$1]=$2} END {for (p in pp) {q=p; while (q && q != root && (q in pp)) q=pp[q]; if (q == root) print p}}'
}
# Memory of the app and its WebKit processes, two ways: RSS counts every
# shared library page once per process that maps it (WebKit, GTK and JSC are
# mapped by all three), so its sum overstates; PSS divides each shared page
# among the processes sharing it, so its sum is what the group really holds.
memory_report() {
  local rss=0 pss=0 pid kb_rss kb_pss
  printf '  %-22s %8s %8s %10s\n' process RSS PSS "private"
  for pid in $(tree_pids "$1"); do
    [ -r "/proc/$pid/smaps_rollup" ] || continue
    kb_rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
    kb_pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
    printf '  %-22s %4d MiB %4d MiB %6d MiB\n' "$(cat "/proc/$pid/comm")" $((kb_rss / 1024)) $((kb_pss / 1024)) \
      $(($(awk '/^Pss_Anon:/ {print $2}' "/proc/$pid/smaps_rollup") / 1024))
    rss=$((rss + kb_rss)); pss=$((pss + kb_pss))
  done
  echo "  all processes: RSS $((rss / 1024)) MiB, PSS $((pss / 1024)) MiB"
}
commit_to_screen() { # $1 = the app's log, $2 = run; appends one latency (ms) per referral to $LATENCIES
  local k ext id committed seen
  for k in 1 2 3 4 5; do
    ext="MEASURE-$$-$2-$k"
    printf '{"external_id":"%s","source":"hotline_call","received_at":"%s","urgency":"in_progress","trafficking_type":"sex","location":{"city":"Springfield","state":"MO","lat":37.2,"lon":-93.29},"narrative":"measurement %s"}' \
      "$ext" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$k" > "$OUT/ref.json"
    id=$("$CLI" --store "$STORE" --json referral add "$OUT/ref.json" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1 || true)
    committed=$(date +%s%3N)
    seen=""
    for _ in $(seq 1 250); do
      seen=$(grep "perf case-on-screen .*$id" "$1" | sed -n 's/.*(wall \([0-9]*\)).*/\1/p' | head -1 || true)
      [ -n "$seen" ] && break; sleep 0.02
    done
    if [ -n "$seen" ]; then
      echo "  run $2, referral $k: $((seen - committed)) ms"; echo $((seen - committed)) >> "$LATENCIES"
    else
      echo "  run $2, referral $k: not on screen within 5 s (not among the queue's first page?)"; echo 99999 >> "$LATENCIES"
    fi
    sleep 0.5
  done
}

LATENCIES="$OUT/latencies.txt"; : > "$LATENCIES"
echo "== cold start to an interactive queue ($N referrals, $profile build; file cache warm after the first run)"
for i in 1 2 3; do
  run_once "$OUT/run-$i.log"
  grep -o "perf queue-interactive.*" "$OUT/run-$i.log" | sed "s/^/  run $i: /" || true
  # The first change comes 3 s after start, as a dispatcher's would: the
  # map and the rest of the start-up work are still settling then.
  sleep 3
  if [ "$i" = 1 ]; then
    echo "== memory 3 s after start"
    memory_report "$APP_PID"
  fi
  echo "== referral committed by the CLI → on screen (5 P1 referrals, the first 3 s after start)"
  commit_to_screen "$OUT/run-$i.log" "$i"
  if [ "$i" = 1 ]; then
    echo "== map first render"
    xdotool key m 2>/dev/null || true
    for _ in $(seq 1 100); do grep -q "perf map-first-render" "$OUT/run-$i.log" && break; sleep 0.05; done
    grep -o "perf map-first-render.*" "$OUT/run-$i.log" | sed 's/^/  /' || echo "  (no map mark; is xdotool installed?)"
    import -window root "$OUT/map-$N.png" 2>/dev/null || true
  fi
  kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
done
sort -n "$LATENCIES" | awk '{v[NR]=$1} END {p=int(0.95*NR+0.999); if (p<1) p=1; printf "== commit → on screen over %d changes: p50 %d ms, p95 %d ms, max %d ms\n", NR, v[int((NR+1)/2)], v[p], v[NR]}'
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB"

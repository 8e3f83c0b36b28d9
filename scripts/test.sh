#!/usr/bin/env bash
# Set up everything and run every test: formatting and lints, the Rust unit
# and integration tests (real SQLite files, the real `beacon` binary, kill -9
# crash tests), the UI's unit tests (Vitest), and the desktop end-to-end test
# (the real app under Xvfb, driven through WebDriver). The hub's suites run
# against SQLite and against a PostgreSQL server started here for the run.
set -euo pipefail
. "$(dirname "$0")/setup.sh"
. "$(dirname "$0")/postgres.sh"
setup_all
ensure_postgres
start_test_postgres
cd "$ROOT"

failed=0
step() {
  local name=$1
  shift
  log "$name"
  if "$@"; then
    echo "--- $name: ok"
  else
    echo "--- $name: FAILED"
    failed=$((failed + 1))
  fi
}

# The desktop crate embeds the built UI, so build it before compiling the workspace.
build_ui
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy -D warnings" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "TypeScript bindings are up to date" scripts/desktop-bindings.sh --check
step "Rust tests" cargo test --workspace --quiet
step "UI unit tests (Vitest)" bash -c 'cd ui && npm test --silent'
step "desktop end-to-end (Xvfb + WebDriver)" scripts/desktop-e2e.sh

if [ "$failed" -eq 0 ]; then
  echo "all test steps passed"
else
  echo "$failed test step(s) failed"
  exit 1
fi

#!/usr/bin/env bash
# Regenerate the UI's TypeScript types from the Rust types (ts-rs), or with
# --check fail when the committed ui/src/bindings are out of date.
set -euo pipefail
. "$(dirname "$0")/desktop-common.sh"
cd "$ROOT"
# tauri/test: the features the test builds give Tauri, so this reuses their
# compiled Tauri stack instead of building it a second time.
cargo run --quiet -p beacon-desktop --features ts,tauri/test --bin export-bindings -- "$@"

#!/usr/bin/env bash
# Regenerate the UI's TypeScript types from the Rust types (ts-rs), or with
# --check fail when the committed ui/src/bindings are out of date.
set -euo pipefail
. "$(dirname "$0")/desktop-common.sh"
cd "$ROOT"
cargo run --quiet -p beacon-desktop --features ts --bin export-bindings -- "$@"

# Install what Beacon needs to build, run and test, on Debian or Ubuntu.
# Sourced by scripts/run.sh and scripts/test.sh; installs only what is missing.
#
# - system packages (apt): compilers, WebKitGTK for the desktop app, Xvfb,
#   Python 3 (the sample webhook receiver the hub's tests run),
#   a session bus and dunst for notifications, WebKitWebDriver for tests
# - the Rust toolchain (rustup), if cargo is missing
# - Node.js and npm (apt), if missing; the UI needs Node 20 or later
# - the UI's npm packages
#
# Builds go to $BEACON_CACHE/target (default ~/.cache/beacon/target), outside
# the clone, so a fresh clone reuses earlier builds.

. "$(dirname "${BASH_SOURCE[0]}")/desktop-common.sh"

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    log "installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component rustfmt,clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      log "installing Node.js and npm (apt)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    else
      log "Node.js 20 or later is needed: sudo apt-get install nodejs npm"
      return 1
    fi
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    log "Node.js $(node --version) is too old for the UI build; install Node.js 20 or later"
    return 1
  fi
}

setup_all() {
  ensure_system_packages
  ensure_rust
  ensure_node
  ensure_ui_deps
}

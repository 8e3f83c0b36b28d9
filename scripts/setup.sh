# Install what Beacon needs to build, run and test, on Debian or Ubuntu.
# Sourced by scripts/run.sh and scripts/test.sh; installs only what is missing.
#
# - system packages (apt): compilers, WebKitGTK for the desktop app, Xvfb,
#   Python 3 (the sample webhook receiver the hub's tests run),
#   a session bus and dunst for notifications, WebKitWebDriver for tests
# - the Rust toolchain (rustup), if cargo is missing
# - Node.js and npm (apt), if missing; the UI needs Node.js 20.19 or later,
#   fetched from the npm registry where the distribution's is older
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

# Whether the `node` on PATH can build the UI: Vite needs ^20.19 or >= 22.12.
node_fits() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number);
    process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)' 2>/dev/null
}

# Where the distribution's Node.js is too old for the UI (Debian 12, Ubuntu
# 24.04 and earlier), a Node.js 20 release build for this machine is taken
# from the npm registry (the `node-linux-<arch>` packages repackage the
# Node.js project's binaries) into $TOOLS/node, which these scripts put
# first on PATH (desktop-common.sh). The system's Node.js is left alone.
fetch_node() {
  local arch tmp
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) log "Node.js 20.19 or later is needed for the UI build, and none is packaged here for $(uname -m)"; return 1 ;;
  esac
  log "Node.js $(node --version 2>/dev/null || echo '(none)') cannot build the UI: fetching Node.js 20 for $arch from the npm registry into $TOOLS/node"
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && npm pack --silent "node-linux-$arch@20" >/dev/null); then
    rm -rf "$tmp"
    log "could not fetch Node.js 20; install Node.js 20.19 or later"
    return 1
  fi
  rm -rf "$TOOLS/node" && mkdir -p "$TOOLS/node"
  tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$TOOLS/node" --strip-components=1
  rm -rf "$tmp"
  export PATH="$TOOLS/node/bin:$PATH"
}

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      log "installing Node.js and npm (apt)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    else
      log "Node.js 20.19 or later and npm are needed: sudo apt-get install nodejs npm"
      return 1
    fi
  fi
  node_fits || fetch_node || return 1
  node_fits || { log "Node.js $(node --version) cannot build the UI; install Node.js 20.19 or later"; return 1; }
}

setup_all() {
  ensure_system_packages
  ensure_rust
  ensure_node
  ensure_ui_deps
}

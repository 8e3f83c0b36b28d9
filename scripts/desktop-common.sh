# Shared by scripts/desktop-*.sh: paths, and installing what the desktop app needs.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${BEACON_CACHE:-$HOME/.cache/beacon}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
TOOLS=$CACHE/tools
# A Node.js that setup.sh fetched because the system's is too old for the UI.
if [ -x "$TOOLS/node/bin/node" ]; then export PATH="$TOOLS/node/bin:$PATH"; fi
# Chromium, for the acknowledgement page's browser test (which also runs in
# WebKit), where the distribution packages it: Debian does; Ubuntu and its
# derivatives ship it as a snap only, so there the test uses WebKit alone.
ubuntu_like() {
  local id="" id_like=""
  local release=${BEACON_OS_RELEASE:-/etc/os-release}
  if [ -r "$release" ]; then
    id=$(. "$release" && echo "${ID:-}")
    id_like=$(. "$release" && echo "${ID_LIKE:-}")
  fi
  [ "$id" = ubuntu ] || [[ " $id_like " == *" ubuntu "* ]]
}
if ubuntu_like; then BROWSER_PACKAGES=""; BROWSER_COMMANDS=""; else BROWSER_PACKAGES="chromium chromium-driver"; BROWSER_COMMANDS="chromium chromedriver"; fi

APT_PACKAGES="libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev libayatana-appindicator3-dev
  librsvg2-dev pkg-config dbus xvfb webkit2gtk-driver dunst libnotify-bin xdotool imagemagick x11-utils python3
  python3-aiosmtpd $BROWSER_PACKAGES"

log() { printf '==> %s\n' "$*" >&2; }

# System packages (Debian/Ubuntu). Installs only when something is missing.
ensure_system_packages() {
  local missing=0
  for cmd in WebKitWebDriver xvfb-run dbus-run-session dunst dunstctl import pkg-config python3 aiosmtpd $BROWSER_COMMANDS; do
    command -v "$cmd" >/dev/null 2>&1 || missing=1
  done
  pkg-config --exists webkit2gtk-4.1 2>/dev/null || missing=1
  [ "$missing" = 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "missing system packages; as root on Debian/Ubuntu run: apt-get install $APT_PACKAGES"
    return 1
  fi
  log "installing system packages (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $APT_PACKAGES >/dev/null
}

ensure_tauri_driver() {
  if [ ! -x "$TOOLS/bin/tauri-driver" ]; then
    log "installing tauri-driver 2.x into $TOOLS"
    cargo install tauri-driver --locked --version '^2' --root "$TOOLS" --quiet
  fi
  export PATH="$TOOLS/bin:$PATH"
}

ensure_ui_deps() {
  if [ ! -d "$ROOT/ui/node_modules" ] || [ "$ROOT/ui/package-lock.json" -nt "$ROOT/ui/node_modules/.package-lock.json" ]; then
    log "installing the UI's packages (npm ci)"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_ui() {
  log "building the UI (tsc + vite)"
  # Quiet when it builds; the compiler's own words when it does not.
  local out
  if ! out=$(cd "$ROOT/ui" && npm run --silent build 2>&1); then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

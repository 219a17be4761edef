#!/usr/bin/env bash
# Install what EventHub needs on a Debian/Ubuntu machine; each step is skipped when done.
#   scripts/setup.sh app    → what running the app needs
#   scripts/setup.sh test   → that, plus what the tests need (WebDriver, Xvfb, SMTP sink)
set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-app}"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_pkgs=(libwebkit2gtk-4.1-dev build-essential libssl-dev libayatana-appindicator3-dev
          librsvg2-dev libxdo-dev libdbus-1-dev file pkg-config cmake curl)
if [ "$want" = test ]; then
  apt_pkgs+=(xvfb xauth webkit2gtk-driver imagemagick python3-aiosmtpd dbus-daemon python3-xlib)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "Rust is required: install it from https://rustup.rs then re-run." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "==> apt: installing nodejs and npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
export PATH="$HOME/.cargo/bin:$PATH"

# The embedded local database. A real mongod is used instead when one is installed.
if ! command -v mongod >/dev/null && ! command -v secantusd-rs >/dev/null; then
  echo "==> installing the local database engine (secantusd-rs; ~12 min, once)"
  cargo install secantus-mdb --version 0.5.3-beta.196 --ignore-rust-version --locked
fi

if [ "$want" = test ] && ! command -v tauri-driver >/dev/null; then
  echo "==> installing tauri-driver"
  cargo install tauri-driver --version 2.1.0 --locked
fi

echo "==> npm: ui"
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi
npm --prefix ui run --silent build

if [ "$want" = test ]; then
  echo "==> npm: e2e"
  if [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
    npm --prefix e2e ci --no-audit --no-fund --loglevel=error
  fi
fi

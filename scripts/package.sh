#!/usr/bin/env bash
# Build EventHub's Linux installers, the .deb and the .rpm, with the Tauri CLI (from npm),
# offline, on a Debian/Ubuntu machine: installs what is missing (scripts/setup.sh), puts
# the database engine (secantusd-rs) into binaries/ as the Tauri sidecar, then runs
# `tauri build` (a release build). Installers land in target/release/bundle/{deb,rpm}/.
# The .AppImage, .msi, .exe, .app and .dmg are built by .github/workflows/release.yml
# (the AppImage bundler downloads its tools at bundle time; the others need their OS).
#
#   scripts/package.sh                 # .deb and .rpm
#   BUNDLES=deb scripts/package.sh     # only the .deb
#   EVENTHUB_ENGINE_BIN=/path/to/secantusd-rs scripts/package.sh   # bundle that engine
set -euo pipefail
cd "$(dirname "$0")/.."
bundles="${BUNDLES:-deb,rpm}"

scripts/setup.sh app
export PATH="$HOME/.cargo/bin:$PATH"

echo "==> npm: Tauri CLI"
if [ ! -x node_modules/.bin/tauri ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# The sidecar: binaries/secantusd-rs-<target triple>, as Tauri's externalBin expects. It is
# built by `cargo install` (scripts/setup.sh), never committed.
triple="$(rustc -vV | sed -n 's/^host: //p')"
engine="${EVENTHUB_ENGINE_BIN:-$(command -v secantusd-rs || true)}"
if [ -z "$engine" ] || [ ! -x "$engine" ]; then
  echo "no secantusd-rs to bundle: run scripts/setup.sh app, or set EVENTHUB_ENGINE_BIN" >&2
  exit 1
fi
mkdir -p binaries
install -m 0755 "$engine" "binaries/secantusd-rs-$triple"
echo "==> engine to bundle: $engine → binaries/secantusd-rs-$triple"

# tauri.bundle.conf.json adds the sidecar and the engine's licence files; it is merged only
# here (and in the release workflow) so that a plain `cargo build` needs no binaries/.
echo "==> tauri build --bundles $bundles (release)"
started=$(date +%s)
npx --no-install tauri build --ci --bundles "$bundles" --config tauri.bundle.conf.json
echo "==> built in $(( $(date +%s) - started )) s:"
ls -l target/release/eventhub target/release/bundle/*/*.{deb,rpm} 2>/dev/null || true

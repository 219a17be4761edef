#!/usr/bin/env bash
# Set up what is missing, then run every check and test: formatting, lints, type checks,
# core tests and IPC tests against a real database engine, and the end-to-end test in the
# real window under Xvfb; then (in CI, or with EVENTHUB_SMOKE=1; EVENTHUB_SMOKE=0 skips it) the
# install-and-launch smoke test:
# the .deb built by scripts/package.sh (release build), installed with apt and driven under
# Xvfb with nothing of the developer's on PATH. Uses MONGODB_URI when set (e.g. a real MongoDB 7/8); otherwise starts a
# throw-away secantusd-rs on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
# A clean CI checkout gains nothing from incremental compilation, and its caches cost
# gigabytes of disk: off there, kept for developers.
[ -n "${CI:-}" ] && export CARGO_INCREMENTAL=0

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
engine_pid=""
installed_deb=""
tmp="$(mktemp -d)"
cleanup() {
  [ -n "$engine_pid" ] && kill "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
  # The smoke test installs the .deb; leave the machine as it was.
  [ -n "$installed_deb" ] && DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq event-hub >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "${MONGODB_URI:-}" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  secantusd-rs --host 127.0.0.1 --port "$port" --storage-path "$tmp/db" --cache-size 512M \
    --sync-on-commit >"$tmp/engine.log" 2>&1 &
  engine_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
  export MONGODB_URI="mongodb://127.0.0.1:$port"
  echo "==> test database: secantusd-rs on port $port"
else
  echo "==> test database: MONGODB_URI (password hidden)"
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "==> tsc --noEmit"
npx --prefix ui tsc --noEmit -p ui

echo "==> cargo test"
cargo test --workspace

echo "==> end-to-end test in the real window"
cargo build --workspace --bins --quiet
xvfb-run -a -s "-screen 0 1280x800x24" \
  node e2e/run.mjs "$root/target/debug/eventhub" "$root/target/debug/eventhub-cli"

# CI runs it by default; a developer opts in (it makes a release build: ~15 min on 2 cores).
smoke="${EVENTHUB_SMOKE:-${CI:+1}}"
if [ "$smoke" = 1 ]; then
  echo "==> install-and-launch smoke test of the .deb (release build)"
  smoke_started=$(date +%s)
  BUNDLES=deb scripts/package.sh
  deb="$(ls -t target/release/bundle/deb/EventHub_*.deb | head -n1)"
  # Removed again at the end, unless this machine had EventHub installed before.
  dpkg-query -W -f='${Status}' event-hub 2>/dev/null | grep -q "install ok installed" || installed_deb="$deb"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "./$deb"
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    node e2e/smoke-installed.mjs /usr/bin/eventhub
  echo "==> smoke test: $(( $(date +%s) - smoke_started )) s (release build, .deb, install, launches)"
fi

echo "==> disk: target/ $(du -sh target 2>/dev/null | cut -f1), free $(df -h . | awk 'NR==2{print $4}')"

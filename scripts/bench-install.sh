#!/usr/bin/env bash
# Measure what a user gets from the installers: sizes (installers, app binary, bundled
# engine), start-to-interactive time of the installed app (warm: the second of several
# launches on the same data folder, engine bundled), and memory of the app process and of
# its engine once the events list is shown. Needs the .deb installed (scripts/package.sh,
# then apt-get install ./target/release/bundle/deb/*.deb) and runs the window under Xvfb.
#   scripts/bench-install.sh [RUNS]        # default 5 launches
# "Interactive" is the moment the events list's "new event" button is clickable and the
# server badge shows the engine's version, measured through WebDriver from the launch.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
app=/usr/bin/eventhub
export PATH="$HOME/.cargo/bin:$PATH"

size() { stat -c %s "$1" | awk '{printf "%.1f MB", $1/1e6}'; }
echo "== sizes"
for f in target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm; do
  [ -f "$f" ] && echo "installer  $(basename "$f"): $(size "$f")"
done
[ -f target/release/eventhub ] && echo "app binary target/release/eventhub: $(size target/release/eventhub)"
[ -f "$app" ] && echo "installed  $app: $(size "$app")"
[ -f /usr/bin/secantusd-rs ] && echo "engine     /usr/bin/secantusd-rs: $(size /usr/bin/secantusd-rs)"
if dpkg-query -W event-hub >/dev/null 2>&1; then
  echo "installed size (dpkg): $(dpkg-query -W -f='${Installed-Size}' event-hub | awk '{printf "%.1f MB", $1/1000}')"
fi

# Start times mean little on a busy machine: the load average is printed beside them.
echo "== start to interactive, memory ($runs launches, the first one cold)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  node e2e/bench-start.mjs "$app" "$runs"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

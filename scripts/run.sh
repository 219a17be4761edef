#!/usr/bin/env bash
# Set up what is missing, then launch EventHub on its embedded local database.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh app
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo run --bin eventhub "$@"

#!/usr/bin/env bash
# The Autobahn WebSocket conformance suite (groups 1-7 and 10) against wsh serving the mirror
# example, whose wasm handler sends every message back unchanged. Ends 'N passed, N failed'.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
log=$(mktemp)
"$target/release/wsh" serve guest-examples/mirror/app.arc --port 0 --no-watch >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 600); do
  addr=$(sed -n 's/^wsh: listening on ws:\/\/\([^ ]*\).*/\1/p' "$log")
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
[ -n "$addr" ] || { echo "wsh did not start"; cat "$log"; exit 1; }
shared=${WSH_SHARED:-../shared}
bash "$shared/tools/autobahn.sh" "ws://$addr" '*' "${AUTOBAHN_REPORT:-$(mktemp -d)}"

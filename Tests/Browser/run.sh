#!/usr/bin/env bash
# Starts `tuike serve --demo --sandbox` on a throw-away SQLite file and walks it in headless
# Chromium (Tests/Browser/walk.py). Needs chromium, chromium-driver and selenium (see .ci/run).
# SCREENSHOTS=docs/screenshots Tests/Browser/run.sh also refreshes the screenshots.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TUIKE_BIN:-.build/debug/tuike}
PORT=${PORT:-8097}
DIR=$(mktemp -d)
export TUIKE_URL="http://127.0.0.1:$PORT" TUIKE_ADMIN_TOKEN="browser-walk-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$BIN" serve --demo --sandbox --database "$DIR/tuike.sqlite" --data-key-file "$DIR/tuike.key" --port "$PORT" \
    --admin-token "$TUIKE_ADMIN_TOKEN" --public-url "$TUIKE_URL" --log-level warning >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do curl -sf "$TUIKE_URL/healthz" >/dev/null && break; sleep 0.2; done
[ -n "${SCREENSHOTS:-}" ] && mkdir -p "$SCREENSHOTS"
python3 Tests/Browser/walk.py || { echo "--- server log"; tail -n 50 "$DIR/server.log"; exit 1; }

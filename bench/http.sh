#!/usr/bin/env bash
# Requests/s and latency of GET /healthz and GET /api/v1/products/{id} under wrk (64 connections).
# Usage: bench/http.sh [database]   (default: a fresh SQLite file; or a postgres:// URL)
# Needs: wrk (Debian package `wrk`). Builds tuike in release mode first.
set -euo pipefail
cd "$(dirname "$0")/.."
database=${1:-$(mktemp -d)/bench.sqlite}
port=${PORT:-18090}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}

command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --product tuike >/dev/null
bin=$(swift build -c release --show-bin-path)/tuike
"$bin" serve --demo --sandbox --port "$port" --database "$database" --admin-token bench-token --log-level warning >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
product=$(curl -fsS "http://127.0.0.1:$port/api/v1/products?limit=1" | sed -E 's/.*"id":"([^"]+)".*/\1/')

run() {
    local name=$1 url=$2
    wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" > /tmp/tuike-bench-$$.txt
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' /tmp/tuike-bench-$$.txt)
    p50=$(awk '$1 == "50%" {print $2}' /tmp/tuike-bench-$$.txt)
    p99=$(awk '$1 == "99%" {print $2}' /tmp/tuike-bench-$$.txt)
    printf '%-28s %10s req/s   p50 %8s   p99 %8s\n' "$name" "$rps" "$p50" "$p99"
    rm -f /tmp/tuike-bench-$$.txt
}

echo "database: ${database%%\?*}   wrk -t$threads -c$connections -d$duration"
run "GET /healthz" "http://127.0.0.1:$port/healthz"
run "GET /api/v1/products/{id}" "http://127.0.0.1:$port/api/v1/products/$product"

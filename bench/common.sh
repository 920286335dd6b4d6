# Shared by the bench scripts: build in release mode, start `tuike serve` on a database, wait for
# it, and run wrk with a one-line summary. Source it; it sets $port, $base and $server.
set -euo pipefail
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 1; }
database=${1:-$(mktemp -d)/bench.sqlite}
port=${PORT:-18090}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
base="http://127.0.0.1:$port"
token=bench-token

# TUIKE_BIN=path runs that binary instead of building (A/B runs of two builds in one session).
if [ -n "${TUIKE_BIN:-}" ]; then
    bin=$TUIKE_BIN
else
    swift build -c release --product tuike >/dev/null
    bin=$(swift build -c release --show-bin-path)/tuike
fi
"$bin" serve --sandbox --port "$port" --database "$database" --admin-token "$token" --log-level warning \
    --data-key-file "$(mktemp -d)/bench.key" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

api() { curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }

# The server's CPU time so far (user + system) in clock ticks, from /proc (Linux).
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

# run NAME URL [wrk args…] — prints "NAME  req/s  p50  p99  server CPU per request" and sets $rps,
# $requests (answered within the run) and $cpu_us. CPU per request is what to compare between
# builds: on these shared VMs req/s moves with the neighbours' load (CPU steal), the CPU a request
# costs much less.
run() {
    local name=$1 url=$2 out ticks_before ticks_after
    shift 2
    ticks_before=$(server_ticks)
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" "$url")
    ticks_after=$(server_ticks)
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu_us=$(( (ticks_after - ticks_before) * 1000000 / $(getconf CLK_TCK) / (requests > 0 ? requests : 1) ))
    local p50 p99 errors
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr '\n' ' ' || true)
    printf '%-28s %10s req/s   p50 %8s   p99 %8s   server CPU %5s µs/req   %s\n' "$name" "$rps" "$p50" "$p99" "$cpu_us" "$errors${first_answer:-}"
}
echo "database: ${database%%\?*}   wrk -t$threads -c$connections -d$duration"

#!/usr/bin/env bash
# Reads at the size of a large school: a year of 10,000 promoters, 10,000,000 clicks and 1,000,000
# paid orders (three commission levels, 3 % refunded, monthly settlements, withdrawals paid), then
# every read a promoter or an admin makes, one wrk run each: the promoter's balance, traffic,
# commissions, team, statements and withdrawals (with its own API token), the portal page, the
# finance reports and lists (admin token), the console's pages (a console session), and the CSV
# exports, and the analytics reports (boards, funnel, ROI, referral tree, the plan simulator over a
# week). Each line: requests/s, p50, p99 and the server's CPU per request.
# Usage: bench/reads.sh [database]   (a SQLite path or postgres:// URL; default /tmp/tuike-school.sqlite,
# kept between runs). A database without promoters is first seeded with `tuike-bench seed-school`:
# PROMOTERS=, CLICKS=, ORDERS= set its size (default 10000, 10000000, 1000000; the SQLite file of
# the default size takes a few GB). CONNECTIONS=16 and DURATION=10s by default; the exports run
# with EXPORT_CONNECTIONS=2, the commissions export over the last EXPORT_DAYS=7 days; READS= (a
# regular expression) runs only the reads it matches. The reads are
# those of the busiest promoter, prm_s_0 (PROMOTER= for another). Needs wrk, curl, python3, and
# sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."
database=${1:-/tmp/tuike-school.sqlite}
promoter=${PROMOTER:-prm_s_0}
for tool in curl python3; do command -v "$tool" >/dev/null || { echo "reads.sh needs $tool" >&2; exit 1; }; done

# SQL on the database itself: whether it is seeded, and the portal session below.
sql() {
    case "$database" in
        # psql takes the URL's libpq parameters (sslmode, host, port), not Tuike's statement_cache.
        postgres://* | postgresql://*)
            psql "$(printf '%s' "$database" | sed -E 's/([?&])statement_cache=[^&]*&?/\1/; s/[?&]$//')" -qAtc "$1" ;;
        *) sqlite3 -cmd '.timeout 10000' "$database" "$1" ;;
    esac
}
case "$database" in
    postgres://* | postgresql://*) command -v psql >/dev/null || { echo "reads.sh needs psql" >&2; exit 1; } ;;
    *) command -v sqlite3 >/dev/null || { echo "reads.sh needs sqlite3" >&2; exit 1; } ;;
esac
seeded() {
    case "$database" in
        postgres://* | postgresql://*) ;;
        *) [ -s "$database" ] || return 1 ;;
    esac
    [ "$(sql "SELECT COUNT(*) FROM promoters" 2>/dev/null || echo 0)" -gt 0 ]
}

if ! seeded; then
    if [ -n "${TUIKE_BENCH_BIN:-}" ]; then
        seed=$TUIKE_BENCH_BIN
    else
        # The seeding tool is not part of the production binary.
        swift build -c release --product tuike-bench >/dev/null
        seed=$(swift build -c release --show-bin-path)/tuike-bench
    fi
    "$seed" seed-school --database "$database" --promoters "${PROMOTERS:-10000}" --clicks "${CLICKS:-10000000}" --orders "${ORDERS:-1000000}"
    sleep 1
fi

# The portal signs promoters in by phone and password; the seeded promoters have neither (phones
# are encrypted with the server's data key, which common.sh makes afresh). So the busiest promoter
# gets a session as the portal would open one: a 32-character token in the cookie, its SHA-256 in
# web_sessions, valid for a day.
portal_token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
portal_hash=$(printf '%s' "$portal_token" | sha256sum | cut -d' ' -f1)
now_ms=$(( $(date +%s) * 1000 ))
sql "INSERT INTO web_sessions (token_hash, kind, subject_id, created_at, expires_at)
     VALUES ('$portal_hash', 'promoter', '$promoter', $now_ms, $(( now_ms + 86400000 )))" >/dev/null

CONNECTIONS=${CONNECTIONS:-16}
set -- "$database"
source bench/common.sh
source bench/postgres_cpu.sh

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# The promoter reads as itself, with an API token of its own.
promoter_token=$(api -X POST "$base/api/v1/promoters/$promoter/tokens" | field token)
code=$(api "$base/api/v1/links?promoter_id=$promoter&limit=1" | json 'd["data"][0]["code"]')
newest=$(api "$base/api/v1/orders?limit=1")
order=$(json 'd["data"][0]["id"]' <<<"$newest")
buyer=$(json 'd["data"][0]["buyer_id"]' <<<"$newest")
settlement=$(api "$base/api/v1/settlements?limit=1" | json 'd["data"][0]["id"]')

# A console user, and a session through the login form (double-submit CSRF: the cookie and the
# field carry the same token). The user exists already on a second run: the 409 is fine.
curl -sS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -X POST "$base/api/v1/admin-users" \
    -d '{"username":"bench-owner","password":"bench-owner-password","role":"owner"}'
csrf=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
console_session=$(curl -sS -o /dev/null -D - -X POST "$base/admin/login" -H "Cookie: tk_csrf=$csrf" \
    --data-urlencode "_csrf=$csrf" --data-urlencode "username=bench-owner" --data-urlencode "password=bench-owner-password" \
    | tr -d '\r' | sed -nE 's/^[Ss]et-[Cc]ookie: tk_session=([^;]+).*/\1/p')
[ -n "$console_session" ] || { echo "console login failed" >&2; exit 1; }
for page in "/admin tk_session=$console_session" "/me tk_session=$portal_token"; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: ${page#* }" "$base${page%% *}")
    [ "$status" = 200 ] || { echo "GET ${page%% *} with its session answered $status" >&2; exit 1; }
done

as_promoter=(-H "Authorization: Bearer $promoter_token")
as_admin=(-H "Authorization: Bearer $token")
in_console=(-H "Cookie: tk_session=$console_session")
in_portal=(-H "Cookie: tk_session=$portal_token")
year_ago=$(date -u -d '365 days ago' +%F)
today=$(date -u +%F)
export_from=$(date -u -d "${EXPORT_DAYS:-7} days ago" +%F)

echo "promoter $promoter (link $code), order $order, buyer $buyer, settlement $settlement"
curl -fsS "${as_admin[@]}" "$base/api/v1/reports/reconciliation?from=$year_ago&to=$today" | grep -o '"consistent":[a-z]*' || true

# Heavy reads may still be running when wrk stops (it stops waiting, the server does not): wait
# until the server and a local PostgreSQL are idle (under a fifth of a core) before the next run.
quiet() {
    local before after
    for _ in $(seq 1 240); do
        before=$(( $(server_ticks) + $(postgres_ticks) ))
        sleep 0.5
        after=$(( $(server_ticks) + $(postgres_ticks) ))
        (( (after - before) * 10 < $(getconf CLK_TCK) )) && return 0
    done
    return 0
}
# READS= (an extended regular expression) runs only the reads whose names match it.
# A read that keeps what it made (the reports) makes it on its first answer: that answer is asked
# alone first and its time printed at the end of the line (`first`), so that p99 is the steady
# state and the first answer's cost is still seen. wrk scripts (POSTs) are not asked first.
read_run() {
    [[ -z "${READS:-}" || "$1" =~ ${READS} ]] || return 0
    quiet
    if [[ " $* " != *" -s "* ]]; then
        first_answer="first $(curl -s -o /dev/null -w '%{time_total}' "${@:3}" "$2" | awk '{printf "%.1fms", $1 * 1000}')"
    fi
    local pg_before=0
    [[ "$database" == postgres* ]] && pg_before=$(postgres_ticks)
    run "$@" --timeout 30s
    first_answer=""
    # On PostgreSQL the database's own CPU comes on top of the server's.
    if [[ "$database" == postgres* ]] && (( requests > 0 )); then
        printf '%-28s PostgreSQL CPU %s µs/req\n' "" "$(postgres_us_per "$pg_before" "$(postgres_ticks)" "$requests")"
    fi
}

printf '%-28s %s\n' "read" "requests/s, latency p50 and p99, server CPU per request"
read_run "balance (promoter)" "$base/api/v1/promoters/$promoter/balance" "${as_promoter[@]}"
read_run "stats 30 days (promoter)" "$base/api/v1/promoters/$promoter/stats" "${as_promoter[@]}"
read_run "link stats 30 days" "$base/api/v1/links/$code/stats" "${as_promoter[@]}"
read_run "commissions (promoter)" "$base/api/v1/commissions?promoter_id=$promoter&limit=50" "${as_promoter[@]}"
read_run "team (promoter)" "$base/api/v1/promoters/$promoter/team" "${as_promoter[@]}"
read_run "statements (promoter)" "$base/api/v1/promoters/$promoter/statements" "${as_promoter[@]}"
read_run "withdrawals (promoter)" "$base/api/v1/withdrawals?promoter_id=$promoter&limit=50" "${as_promoter[@]}"
read_run "portal /me" "$base/me" "${in_portal[@]}"
read_run "trial balance" "$base/api/v1/ledger/trial-balance" "${as_admin[@]}"
read_run "reconciliation, 1 year" "$base/api/v1/reports/reconciliation?from=$year_ago&to=$today" "${as_admin[@]}"
# The orders list filters by status or buyer (it has no promoter filter).
read_run "orders, refunded" "$base/api/v1/orders?limit=50&status=refunded" "${as_admin[@]}"
read_run "orders of a buyer" "$base/api/v1/orders?limit=50&buyer_id=$buyer" "${as_admin[@]}"
read_run "order" "$base/api/v1/orders/$order" "${as_admin[@]}"
read_run "commissions of promoter" "$base/api/v1/commissions?promoter_id=$promoter&limit=50" "${as_admin[@]}"
read_run "promoters" "$base/api/v1/promoters?limit=50" "${as_admin[@]}"
read_run "promoters, downline" "$base/api/v1/promoters?parent_id=$promoter&limit=50" "${as_admin[@]}"
read_run "settlements" "$base/api/v1/settlements?limit=50" "${as_admin[@]}"
read_run "settlement with lines" "$base/api/v1/settlements/$settlement" "${as_admin[@]}"
read_run "withdrawals, requested" "$base/api/v1/withdrawals?status=requested&limit=50" "${as_admin[@]}"
read_run "console /admin" "$base/admin" "${in_console[@]}"
read_run "console orders" "$base/admin/orders" "${in_console[@]}"
read_run "console promoters" "$base/admin/promoters" "${in_console[@]}"
read_run "console settlements" "$base/admin/settlements" "${in_console[@]}"
read_run "console settlement" "$base/admin/settlements/$settlement" "${in_console[@]}"
read_run "console reconciliation" "$base/admin/reconciliation" "${in_console[@]}"
# Analytics: boards and the funnel from the rollups; ROI, the referral tree and the simulator from
# the orders of their span.
month_ago=$(date -u -d '30 days ago' +%F)
week_ago=$(date -u -d '7 days ago' +%F)
read_run "leaderboard month" "$base/api/v1/leaderboards/month?metric=gmv" "${as_admin[@]}"
read_run "leaderboard week (promoter)" "$base/api/v1/leaderboards/week?metric=commission" "${as_promoter[@]}"
read_run "funnel 30 days" "$base/api/v1/reports/funnel?from=$month_ago&to=$today" "${as_admin[@]}"
read_run "funnel 30 days (promoter)" "$base/api/v1/reports/funnel?from=$month_ago&to=$today" "${as_promoter[@]}"
read_run "incentives (promoter)" "$base/api/v1/promoters/$promoter/incentives" "${as_promoter[@]}"
read_run "ROI by product, 30 days" "$base/api/v1/reports/roi?by=product&from=$month_ago&to=$today" "${as_admin[@]}"
read_run "ROI by promoter, 30 days" "$base/api/v1/reports/roi?by=promoter&from=$month_ago&to=$today" "${as_admin[@]}"
read_run "referral tree, 30 days" "$base/api/v1/reports/spread?from=$month_ago&to=$today" "${as_admin[@]}"
read_run "console analytics" "$base/admin/analytics" "${in_console[@]}"
export SIM_FROM=$week_ago SIM_TO=$today
# One owner trying a plan: a single connection (sixteen at once share the report thread page by
# page, so each takes as long as all of them).
read_run "simulation, 7 days" "$base/api/v1/simulations" "${as_admin[@]}" -s bench/simulation.lua -t1 -c1
# Exports answer with whole files (a week of commissions is tens of MB): fewer connections for the
# whole downloads, then the time to their first byte with CONNECTIONS clients at once (each hangs up
# after the first byte, and the server stops streaming).
connections=${EXPORT_CONNECTIONS:-2}
first_byte() {
    local name=$1 url=$2 header=$3
    quiet
    printf '%-28s %s\n' "$name" "$(python3 bench/first_byte.py "$url" "${duration%s}" "$CONNECTIONS" "$header")"
}
export_run() {
    local name=$1 url=$2 header=$3
    [[ -z "${READS:-}" || "$name" =~ ${READS} ]] || return 0
    read_run "$name" "$url" -H "$header"
    first_byte "$name" "$url" "$header"
}
export_run "commissions.csv, $((${EXPORT_DAYS:-7})) days" "$base/api/v1/exports/commissions.csv?from=$export_from&to=$today" "Authorization: Bearer $token"
export_run "statements.csv, one batch" "$base/api/v1/exports/statements.csv?settlement_id=$settlement" "Authorization: Bearer $token"
export_run "settlements.csv, 1 year" "$base/api/v1/exports/settlements.csv?from=$year_ago&to=$today" "Authorization: Bearer $token"
export_run "withdrawals.csv, 1 year" "$base/api/v1/exports/withdrawals.csv?from=$year_ago&to=$today" "Authorization: Bearer $token"
export_run "console commissions.csv" "$base/admin/exports/commissions.csv?from=$export_from&to=$today" "Cookie: tk_session=$console_session"

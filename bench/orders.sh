#!/usr/bin/env bash
# Paid orders per second through the HTTP API: create an attributed order, then pay it,
# 64 connections; every payment books two commissions and three journal entries durably.
# Usage: bench/orders.sh [database]   Needs wrk; sqlite3 or psql to count the paid orders.
# Against pgbench, which uses the Unix socket, give the socket too: postgres://user@/db?host=/tmp&port=5432
cd "$(dirname "$0")/.."
source bench/common.sh
product=$(api -X POST "$base/api/v1/products" -d '{"title":"考研数学全程班","price":50000}' | field id)
# PROMOTERS pairs of promoters (B under A), each with a link a visitor clicked; orders cycle through
# the visitors. PROMOTERS=1 is the worst case: every payment takes the same promoter's tier-ladder
# lock (on PostgreSQL) and counts the same month.
promoters=${PROMOTERS:-32}
visitors=""
for i in $(seq 1 "$promoters"); do
    upline=$(api -X POST "$base/api/v1/promoters" -d "{\"name\":\"A$i\"}" | field id)
    promoter=$(api -X POST "$base/api/v1/promoters" -d "{\"name\":\"B$i\",\"parent_id\":\"$upline\"}" | field id)
    code=$(api -X POST "$base/api/v1/links" -d "{\"promoter_id\":\"$promoter\",\"product_id\":\"$product\"}" | field code)
    visitor=$(printf 'bench-visitor-%06d' "$i")
    api -X POST "$base/api/v1/track/click" -d "{\"code\":\"$code\",\"visitor_id\":\"$visitor\"}" >/dev/null
    visitors="$visitors${visitors:+,}$visitor"
done
echo "promoters: $promoters (each with an upline)"

count_paid() {
    case "$database" in
        # psql takes the URL's libpq parameters (sslmode, host, port), not Tuike's statement_cache.
        postgres://*) psql "$(printf '%s' "$database" | sed -E 's/([?&])statement_cache=[^&]*&?/\1/; s/[?&]$//')" \
            -Atc "SELECT COUNT(*) FROM orders WHERE status = 'paid'" ;;
        *) sqlite3 "$database" "SELECT COUNT(*) FROM orders WHERE status = 'paid'" ;;
    esac
}
source bench/postgres_cpu.sh
before=$(count_paid)
database_before=$(postgres_ticks)
TUIKE_TOKEN=$token TUIKE_PRODUCT=$product TUIKE_VISITORS=$visitors run "create + pay (mixed)" "$base" -s bench/orders.lua
database_after=$(postgres_ticks)
after=$(count_paid)
seconds=${duration%s}
paid=$((after - before))
echo "paid orders: $paid in ${seconds}s = $(( paid / seconds )) paid orders/s"
if [[ $database == postgres://* && $database_after -gt $database_before && $paid -gt 0 ]]; then
    # Compare with bench/pgbench.sh's figure per transaction, measured the same way.
    echo "PostgreSQL's own CPU (local processes): $(postgres_us_per "$database_before" "$database_after" "$paid") µs per paid order"
fi
curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/ledger/trial-balance" | grep -o '"balanced":[a-z]*'

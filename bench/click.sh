#!/usr/bin/env bash
# The click path against the health check, same server, same run (issue 3): GET /r/{code} answers
# only after the click is committed (SQLite synchronous=FULL, or PostgreSQL), so this measures
# durable clicks/s. Target: >= 70 % of /healthz requests/s, p99 under 20 ms.
# Usage: bench/click.sh [database]
cd "$(dirname "$0")/.."
source bench/common.sh
product=$(api -X POST "$base/api/v1/products" -d '{"title":"Python 数据分析实战","price":39900}' | field id)
promoter=$(api -X POST "$base/api/v1/promoters" -d '{"name":"推客小王"}' | field id)
code=$(api -X POST "$base/api/v1/links" -d "{\"promoter_id\":\"$promoter\",\"product_id\":\"$product\"}" | field code)
before=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/links/$code/stats" | sed -E 's/.*"totals":\{[^}]*"pv":([0-9]+).*/\1/')

run "GET /healthz" "$base/healthz"
health=$rps
run "GET /r/{code}" "$base/r/$code" -H "User-Agent: Mozilla/5.0 (iPhone) MicroMessenger/8.0"
click=$rps
after=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/links/$code/stats" | sed -E 's/.*"totals":\{[^}]*"pv":([0-9]+).*/\1/')
awk -v c="$click" -v h="$health" 'BEGIN { printf "clicks/healthz ratio: %.2f (target >= 0.70)\n", c / h }'
echo "clicks recorded during the run: $((after - before))"

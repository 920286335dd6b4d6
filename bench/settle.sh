#!/usr/bin/env bash
# Settlement at scale: 1,000,000 pending commissions over 10,000 promoters, settled by
# one POST /api/v1/settlements (one transaction: statuses, statement lines, 10,000 journal entries,
# balances). Prints the time and checks that the reconciliation report agrees. Target on SQLite: < 30 s.
# Usage: bench/settle.sh [database]   (an empty SQLite path or postgres:// URL; default a fresh SQLite file)
set -euo pipefail
cd "$(dirname "$0")/.."
database=${1:-$(mktemp -d)/settle.sqlite}
promoters=${PROMOTERS:-10000}
commissions=${COMMISSIONS:-1000000}
if [ -n "${TUIKE_BIN:-}" ]; then
    bin=$TUIKE_BIN
else
    swift build -c release --product tuike >/dev/null
    bin=$(swift build -c release --show-bin-path)/tuike
fi
# The seeding tool is not part of the production binary.
swift build -c release --product tuike-bench >/dev/null
seed=$(swift build -c release --show-bin-path)/tuike-bench
seed_start=$(date +%s.%N)
"$seed" seed-commissions --database "$database" --promoters "$promoters" --commissions "$commissions"
echo "seeded in $(awk -v s="$seed_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
sleep 1
set -- "$database"
source bench/common.sh
period_end=$(date -u +%Y-%m-%dT%H:%M:%SZ)
result=$(curl -fsS -o /tmp/settle-batch.json -w '%{time_total}' -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    "$base/api/v1/settlements" -d "{\"period_end\":\"$period_end\"}")
summary=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b["commission_count"], "commissions,", b["promoter_count"], "promoters")' /tmp/settle-batch.json)
echo "settled $summary in ${result} s"
curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/reports/reconciliation?from=2000-01-01&to=2100-01-01" \
    | grep -o '"consistent":[a-z]*'

#!/usr/bin/env bash
# The reference for PostgreSQL's order throughput: pgbench's TPC-B transactions per second with
# `-c 16 -j 2`, and PostgreSQL's own CPU per transaction, measured as bench/orders.sh measures it
# per paid order. Run it just before or after bench/orders.sh on the same server.
# Usage: bench/pgbench.sh [pgbench connection options…] DBNAME   (initialise once: pgbench -i -s 16 DBNAME)
# e.g. bench/pgbench.sh -h /tmp -p 5432 -U postgres pgbench
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/postgres_cpu.sh
before=$(postgres_ticks)
out=$(pgbench -c 16 -j 2 -T "${SECONDS_TO_RUN:-10}" "$@" 2>&1)
after=$(postgres_ticks)
transactions=$(awk '/number of transactions actually processed/ {print $NF}' <<<"$out" | cut -d/ -f1)
grep -E "^tps" <<<"$out"
echo "PostgreSQL's own CPU (local processes): $(postgres_us_per "$before" "$after" "$transactions") µs per transaction"

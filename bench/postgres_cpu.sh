# Sourced by bench/orders.sh and bench/pgbench.sh. postgres_ticks: CPU time of every `postgres`
# process on this machine (user + system, with that of reaped children, which is where a pgbench
# backend's time goes when it disconnects), in clock ticks: what the database itself spends, when
# it runs here.
postgres_ticks() {
    local total=0 pid
    for pid in $(pgrep -x postgres || true); do
        total=$(( total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
    done
    echo "$total"
}

# postgres_us_per TICKS_BEFORE TICKS_AFTER COUNT: microseconds of PostgreSQL CPU per counted thing.
postgres_us_per() { echo $(( ($2 - $1) * 1000000 / $(getconf CLK_TCK) / $3 )); }

#!/usr/bin/env bash
# The risk rules on labelled traffic: starts a sandbox server on a fresh SQLite file, drives the
# synthetic school of bench/fraudsim.py through the API, and prints each rule's precision and
# recall and the share of honest commission held, at the default modes and with every rule in
# hold mode. A simulation, not a timing: the debug build is enough.
# Usage: bench/fraudsim.sh [seed]   (TUIKE_BIN=path to run another build; MODES=defaults for one run;
# FRAUDSIM_ARGS="--threshold conversion_anomaly=4" to try other thresholds)
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-7}
port=${PORT:-18091}
token=fraudsim-token
if [ -n "${TUIKE_BIN:-}" ]; then
    bin=$TUIKE_BIN
else
    swift build --product tuike >/dev/null
    bin=$(swift build --show-bin-path)/tuike
fi
for mode in ${MODES:-defaults hold-all}; do
    dir=$(mktemp -d)
    "$bin" serve --sandbox --port "$port" --database "$dir/fraudsim.sqlite" --admin-token "$token" --log-level warning \
        --data-key-file "$dir/fraudsim.key" >/dev/null &
    server=$!
    trap 'kill $server 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
    echo "== $mode (seed $seed)"
    if [ "$mode" = hold-all ]; then python3 bench/fraudsim.py "$port" "$token" --seed "$seed" --hold-all ${FRAUDSIM_ARGS:-}
    else python3 bench/fraudsim.py "$port" "$token" --seed "$seed" ${FRAUDSIM_ARGS:-}; fi
    kill $server; wait $server 2>/dev/null || true
    rm -rf "$dir"
done

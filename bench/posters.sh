#!/usr/bin/env bash
# Posters of links against a product read and a QR code, same server, same run (the host's speed
# drifts between runs, so only the ratios within one run count):
#  1. cached: GET /api/v1/links/{code}/poster.png?template=portrait, GET /api/v1/products/{id} and
#     GET /api/v1/links/{code}/qr.png?size=256 with wrk — requests/s, p50, p99 and the server's CPU
#     per request (a cached poster still reads its facts from the database and hashes them);
#  2. uncached, one at a time: RENDERS times, PATCH the portrait template's copy_line (which changes
#     every poster's inputs), then time one GET of the poster with curl; p50, p99 and max, and every
#     answer must carry a new ETag;
#  3. uncached, all at once: a fresh template edit, then BURST posters of BURST different links
#     requested together (curl --parallel); the wall time, and how many were drawn (200) or refused
#     because the render queue was full (503).
# The demo school (`tuike demo`) is loaded into the database first; links beyond its own, if BURST
# needs more, are made through the API.
# Usage: bench/posters.sh [database]   (an empty SQLite path or postgres:// URL; default a fresh
# SQLite file, removed at exit). CONNECTIONS=16, DURATION=8s, RENDERS=60, BURST=32 (0: no burst),
# PORT=18090, TUIKE_BIN= a built binary (default: the release build, built as the other scripts do).
# Needs wrk, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in curl python3; do command -v "$tool" >/dev/null || { echo "posters.sh needs $tool" >&2; exit 1; }; done
renders=${RENDERS:-60}
burst=${BURST:-32}
(( renders >= 2 )) || { echo "RENDERS must be at least 2" >&2; exit 1; }

# Everything this script writes goes under $work, the default database included; common.sh's own
# temporary directory (for the unused key file) too, through TMPDIR.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
database=${1:-$work/posters.sqlite}

if [ -n "${TUIKE_BIN:-}" ]; then
    bin=$TUIKE_BIN
else
    swift build -c release --product tuike >/dev/null
    bin=$(swift build -c release --show-bin-path)/tuike
fi
# The demo is loaded by `tuike demo` before common.sh starts `tuike serve` on the same database:
# both must encrypt phone numbers with the same key (the environment's key wins over the file).
TUIKE_DATA_KEY=$(head -c 32 /dev/urandom | base64)
export TUIKE_DATA_KEY TUIKE_BIN=$bin
"$bin" demo --database "$database" --log-level warning >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
grep -v "Admin token" "$work/demo.log" || true

CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-8s}
export TMPDIR=$work
set -- "$database"
source bench/common.sh
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
curl -fsS "$base/healthz" >/dev/null || { echo "the server did not start on $base" >&2; exit 1; }

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# Active links of active products, as "code product_id" lines; the first is the one measured.
links() {
    local active
    active=$(api "$base/api/v1/products?limit=100" | json '" ".join(p["id"] for p in d["data"] if p["status"] == "active")')
    api "$base/api/v1/links?limit=100" | ACTIVE=$active python3 -c '
import json, os, sys
active = set(os.environ["ACTIVE"].split())
for link in json.load(sys.stdin)["data"]:
    if link.get("product_id") in active and link.get("status", "active") == "active":
        print(link["code"], link["product_id"])'
}
mapfile -t usable < <(links)
(( ${#usable[@]} > 0 )) || { echo "no active link of an active product in the demo" >&2; exit 1; }
read -r code product <<<"${usable[0]}"
# The burst needs BURST different posters: more promoters, each with a link to the product.
for i in $(seq $(( ${#usable[@]} + 1 )) "$burst"); do
    promoter=$(api -X POST "$base/api/v1/promoters" -d "{\"name\":\"海报推客$i\"}" | field id)
    extra=$(api -X POST "$base/api/v1/links" -d "{\"promoter_id\":\"$promoter\",\"product_id\":\"$product\"}" | field code)
    usable+=("$extra $product")
done

poster_url="$base/api/v1/links/$code/poster.png?template=portrait"
qr_url="$base/api/v1/links/$code/qr.png?size=256"
product_url="$base/api/v1/products/$product"
echo "link $code, product $product; ${#usable[@]} links for the burst"

# One GET: "status seconds bytes etag".
get() {
    local out headers="$work/headers"
    out=$(curl -sS -o /dev/null -D "$headers" -w '%{http_code} %{time_total} %{size_download}' "$1")
    echo "$out $(tr -d '\r' <"$headers" | sed -nE 's/^[Ee][Tt][Aa][Gg]: *(.*)$/\1/p')"
}
edit_template() {
    api -X PATCH "$base/api/v1/poster-templates/portrait" -d "{\"copy_line\":\"$1\"}" >/dev/null
}

# The first answers draw and cache; check they are PNGs, then measure the cached ones.
for url in "$poster_url" "$qr_url"; do
    read -r status _ bytes _ <<<"$(get "$url")"
    [ "$status" = 200 ] || { echo "GET $url answered $status" >&2; exit 1; }
    echo "GET ${url#"$base"}: $bytes bytes"
done

# Wait until the server is idle (under a fifth of a core): wrk stops waiting before the server
# stops answering, and the next measurement should not pay for the last one.
quiet() {
    local before after
    for _ in $(seq 1 120); do
        before=$(server_ticks)
        sleep 0.5
        after=$(server_ticks)
        (( (after - before) * 10 < $(getconf CLK_TCK) )) && return 0
    done
    return 0
}
# cached_run KEY NAME URL: run() of common.sh, keeping its figures under KEY for the table.
declare -A row_rps row_p50 row_p99 row_cpu row_note
cached_run() {
    local key=$1 line
    shift
    quiet
    run "$@" >"$work/line"
    line=$(<"$work/line")
    echo "$line"
    row_rps[$key]=$rps
    row_cpu[$key]=$cpu_us
    row_p50[$key]=$(sed -E 's/.* p50 +([^ ]+) .*/\1/' <<<"$line")
    row_p99[$key]=$(sed -E 's/.* p99 +([^ ]+) .*/\1/' <<<"$line")
    row_note[$key]=$(grep -oE '(Non-2xx or 3xx responses|Socket errors): .*' <<<"$line" | sed -E 's/ +$//' || true)
    [ -z "${row_note[$key]}" ] || echo "WARNING: $1 had errors: ${row_note[$key]}" >&2
}
echo
echo "cached (wrk -c$connections -d$duration)"
cached_run product "GET /api/v1/products/{id}" "$product_url"
cached_run poster "GET poster.png (cached)" "$poster_url"
cached_run qr "GET qr.png?size=256 (cached)" "$qr_url"

# Uncached, one at a time: each edit changes the copy line, so each GET draws a new poster.
quiet
echo
echo "uncached renders: $renders × (PATCH copy_line, GET poster.png)"
stamp=$(date +%s)
times="$work/render-times"
etags="$work/render-etags"
: >"$times"
: >"$etags"
ticks_before=$(server_ticks)
previous=""
for i in $(seq 1 "$renders"); do
    edit_template "海报基准 $stamp 第 $i 版"
    read -r status seconds _ etag <<<"$(get "$poster_url")"
    [ "$status" = 200 ] || { echo "FAILED: render $i answered $status" >&2; exit 1; }
    [ -n "$etag" ] || { echo "FAILED: render $i had no ETag" >&2; exit 1; }
    [ "$etag" != "$previous" ] || { echo "FAILED: render $i had the same ETag as the one before ($etag): not a new poster" >&2; exit 1; }
    previous=$etag
    echo "$seconds" >>"$times"
    echo "$etag" >>"$etags"
done
ticks_after=$(server_ticks)
render_cpu=$(( (ticks_after - ticks_before) * 1000000 / $(getconf CLK_TCK) / renders ))
distinct=$(sort -u "$etags" | wc -l)
# p50 and p99 by nearest rank (with fewer than 100 renders, p99 is the slowest).
read -r render_p50 render_p99 render_max < <(python3 - "$times" <<'EOF'
import math, sys
t = sorted(float(line) * 1000 for line in open(sys.argv[1]))
rank = lambda p: t[max(0, math.ceil(p * len(t)) - 1)]
print(f"{rank(0.50):.1f} {rank(0.99):.1f} {t[-1]:.1f}")
EOF
)
echo "uncached poster: p50 ${render_p50} ms, p99 ${render_p99} ms, max ${render_max} ms; server CPU ${render_cpu} µs per edit + render; distinct ETags $distinct of $renders"
if [ "$distinct" -ne "$renders" ]; then
    echo "FAILED: $renders renders gave $distinct distinct ETags: some poster was not drawn anew" >&2
    exit 1
fi

# Uncached, all at once: one edit, then BURST different links' posters in one curl --parallel.
if (( burst > 0 )); then
    quiet
    (( ${#usable[@]} >= burst )) || { echo "only ${#usable[@]} links for a burst of $burst" >&2; exit 1; }
    edit_template "海报基准 $stamp 并发"
    urls=()
    for entry in "${usable[@]:0:burst}"; do
        urls+=(-o /dev/null "$base/api/v1/links/${entry%% *}/poster.png?template=portrait")
    done
    ticks_before=$(server_ticks)
    started=$(date +%s.%N)
    curl -sS --no-progress-meter --parallel --parallel-immediate --parallel-max "$burst" -w '%{http_code} %{time_total}\n' "${urls[@]}" >"$work/burst" || true
    ended=$(date +%s.%N)
    ticks_after=$(server_ticks)
    burst_wall=$(awk -v s="$started" -v e="$ended" 'BEGIN { printf "%.0f", (e - s) * 1000 }')
    burst_cpu=$(( (ticks_after - ticks_before) * 1000000 / $(getconf CLK_TCK) / burst ))
    ok=$(awk '$1 == 200' "$work/burst" | wc -l)
    refused=$(awk '$1 == 503' "$work/burst" | wc -l)
    other=$(( burst - ok - refused ))
    read -r burst_p50 burst_max < <(awk '$1 == 200 { print $2 * 1000 }' "$work/burst" | sort -n \
        | awk '{ v[NR] = $1 } END { if (NR == 0) print "- -"; else printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[NR] }')
    echo "burst of $burst uncached posters: ${burst_wall} ms wall; 200: $ok, 503: $refused, other: $other; server CPU ${burst_cpu} µs per poster"
    if (( other > 0 )); then
        echo "FAILED: $other of the burst's answers were neither 200 nor 503:" >&2
        awk '$1 != 200 && $1 != 503' "$work/burst" >&2
        exit 1
    fi
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
echo
echo "$bin, $(date -u +%FT%TZ), one run:"
echo
echo "| measurement | requests/s | p50 | p99 | server CPU µs/req | notes |"
echo "|---|---:|---:|---:|---:|---|"
for key in product poster qr; do
    case $key in
        product) name="product read \`GET /api/v1/products/{id}\`" ;;
        poster) name="cached poster \`GET poster.png?template=portrait\`" ;;
        qr) name="cached QR \`GET qr.png?size=256\`" ;;
    esac
    note="wrk -c$connections -d$duration${row_note[$key]:+; ${row_note[$key]}}"
    echo "| $name | ${row_rps[$key]} | ${row_p50[$key]} | ${row_p99[$key]} | ${row_cpu[$key]} | $note |"
done
echo "| uncached poster, sequential (PATCH + GET) | - | ${render_p50}ms | ${render_p99}ms | ${render_cpu} | $renders renders, max ${render_max}ms, $distinct/$renders distinct ETags; CPU includes the PATCH |"
if (( burst > 0 )); then
    echo "| uncached burst, $burst posters at once | - | ${burst_p50}ms | ${burst_max}ms | ${burst_cpu} | wall ${burst_wall}ms; 200: $ok, 503: $refused; latency of the 200s, p99 = max |"
fi
echo
echo "A cached poster costs $(ratio "${row_cpu[poster]}" "${row_cpu[product]}")× a product read in server CPU per request" \
    "($(ratio "${row_rps[product]}" "${row_rps[poster]}")× in requests/s); a cached QR code $(ratio "${row_cpu[qr]}" "${row_cpu[product]}")×" \
    "($(ratio "${row_rps[product]}" "${row_rps[qr]}")×). An uncached poster costs $(ratio "$render_cpu" "${row_cpu[product]}")× a product read in CPU."

#!/usr/bin/env bash
# Regenerates the figures of docs/performance.md: what each model costs on
# this machine, with h2load (nghttp2-client) against the same mockapi as the
# client-side limit, measured in the same session.
#
#   scripts/bench-engines.sh [REQUESTS] [CONCURRENCY] [LATENCY_MS] [REPEAT]
#
# Defaults: 10000 requests, C = 100, 50 ms, 3 repetitions. Prints one
# Markdown table per part; the raw results stay in the folder it names.
# Bounded: every load targets 127.0.0.1, every run has a fixed count.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-10000}
C=${2:-100}
LAT=${3:-50}
R=${4:-3}
BIN=build/concbench
MOCK=build/mockapi
for tool in "$BIN" "$MOCK"; do
  [ -x "$tool" ] || { echo "bench-engines: $tool is missing: run ./run_all.sh first" >&2; exit 2; }
done
for tool in h2load jq; do
  command -v "$tool" >/dev/null ||
    { echo "bench-engines: $tool is missing: run scripts/install-deps.sh" >&2; exit 2; }
done

out=$(mktemp -d "${TMPDIR:-/tmp}/bench-engines.XXXXXX")
mock_pid=
cleanup() { [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null; true; }
trap cleanup EXIT

echo "bench-engines: results in $out" >&2

# 1. Every model, R repetitions, interleaved by concbench itself.
"$BIN" run --model all --requests "$N" --concurrency "$C" --latency-ms "$LAT" --repeat "$R" \
  --out "$out/models" >"$out/models.txt" 2>"$out/models.log" || true
floor=$(jq '.runs[0].floor_s' "$out/models/results.json")
echo
echo "### Models: $N requests, C = $C, API $LAT ms (floor ${floor} s), medians of $R"
echo
echo "| model | wall/floor | CPU µs per request | mock peak in flight | api p50 ms | peak memory MiB |"
echo "|---|---|---|---|---|---|"
jq -r --argjson floor "$floor" '
  def median: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
  .runs | group_by(.model)[] |
  [ .[0].model,
    ([.[] | .wall_over_floor] | median * 100 | round / 100),
    ([.[] | .cpu_per_request_us] | median | round),
    ([.[] | .server.peak_inflight] | median),
    ([.[] | .api_ms.p50] | median * 10 | round / 10),
    ([.[] | .peak_mem_bytes / 1048576] | median * 10 | round / 10) ] |
  "| " + (map(tostring) | join(" | ")) + " |"' "$out/models/results.json"

# 2. h2load against a mockapi of the same latency: the client-side limit.
"$MOCK" --host 127.0.0.1 --port 0 --latency-ms "$LAT" >"$out/mock.out" 2>&1 &
mock_pid=$!
for _ in $(seq 50); do
  grep -q 'listening on' "$out/mock.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$out/mock.out")
[ -n "$url" ] || { echo "bench-engines: mockapi did not start: $(cat "$out/mock.out")" >&2; exit 2; }

# h2load_run NAME CLIENTS: N requests over CLIENTS HTTP/1.1 connections, one
# thread; prints "wall_s cpu_s peak_inflight late_p99_ms".
h2load_run() {
  local name=$1 clients=$2 t0 t1
  curl -s -X POST "$url/__reset" >/dev/null
  t0=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$out/$name.time" \
    h2load -t1 -c"$clients" -n"$N" --h1 "$url/orders/1" >"$out/$name.h2load" 2>&1 || true
  t1=$(date +%s.%N)
  curl -s "$url/__stats" >"$out/$name.stats.json"
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(awk '{print $1 + $2}' "$out/$name.time")" \
    "$(jq '.peak_inflight' "$out/$name.stats.json") $(jq '.late_ms.p99' "$out/$name.stats.json")"
}

echo
echo "### h2load -t1 --h1 against mockapi at $LAT ms, $N requests (the run of median wall time of $R)"
echo
echo "| clients | wall s | CPU µs per request | mock peak in flight | mock late p99 ms |"
echo "|---|---|---|---|---|"
for clients in "$C" "$N"; do
  for i in $(seq "$R"); do h2load_run "h2load-c$clients-$i" "$clients"; done >"$out/h2load-c$clients.txt"
  sort -n "$out/h2load-c$clients.txt" | awk -v n="$N" -v c="$clients" '
    { w[NR] = $1; cpu[NR] = $2; pk[NR] = $3; late[NR] = $4 }
    END { m = int((NR + 1) / 2);
          printf "| %d | %.2f | %.0f | %d | %s |\n", c, w[m], cpu[m] / n * 1e6, pk[m], late[m] }'
done

# 3. The machine's own floor: the kernel's CPU for one exchange on loopback,
# fresh connection and reused, with nothing of ours in it.
FLOOR=build/loopback_floor
if [ -x "$FLOOR" ]; then
  echo
  echo "### Loopback floor (tests/bench/loopback_floor.c, median of 5 rounds of 4,000)"
  echo
  "$FLOOR" 5 4000 "$LAT" | sed 's/^/    /'
fi

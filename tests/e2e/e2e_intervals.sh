#!/usr/bin/env bash
# wait, api and e2e (docs/results.md) mean the same for every model: checked
# against what the mock API can be known to have done, not against the
# harness's own arithmetic. 400 requests, C = 10, a fixed 20 ms API.
source "$(dirname "$0")/../lib/e2e_lib.sh"

N=400 C=10 L=20
out="$WORK/all"
"$CONCBENCH" run --model all --requests $N --concurrency $C --latency-ms $L --out "$out" \
  progress=0 >"$WORK/stdout" 2>"$WORK/stderr" || {
  cat "$WORK/stdout" "$WORK/stderr"
  fail "concbench run exited $?"
}
r="$out/results.json"
check "seven runs, schema 2" '.schema_version == 2 and (.runs | length) == 7' "$r"
for i in 0 1 2 3 4 5 6; do
  m=$(jq -r ".runs[$i].model" "$r")
  check "$m: every request succeeded" ".runs[$i].succeeded == $N" "$r"
  # Per request: the model took the id, then its request went on the wire,
  # then it was answered, then its row committed, all after the run began.
  check "$m: every request's wait + api <= e2e, no time missing" ".runs[$i].latency_inconsistent == 0" "$r"
  # The mock holds each request L ms between reading it and answering; the
  # api interval encloses that, so not one request can be quicker.
  check "$m: api p50 at least the API's $L ms" ".runs[$i].api_ms.p50 >= $L" "$r"
  # The client's in-flight interval of a request (on the wire -> response
  # read) encloses the server's (request read -> response sent), so at the
  # peak the client counts at least as many as the mock did.
  check "$m: client in-flight at least the mock's" \
    ".runs[$i].client_peak_inflight >= .runs[$i].server.peak_inflight" "$r"
  if [ "$m" != unbounded-loop ]; then
    check "$m: client in-flight within C" ".runs[$i].client_peak_inflight <= $C" "$r"
  fi
  check "$m: wall_over_floor is wall_s / floor_s" \
    "(.runs[$i].wall_over_floor - .runs[$i].wall_s / .runs[$i].floor_s | fabs) < 1e-4 * .runs[$i].wall_over_floor" "$r"
done
# semaphore-loop takes all N ids at once and lets one go on the wire only
# when another is answered, each after at least L: the median id waits about
# N / 2C rounds of L. That wait is the model's, and stays out of api.
sem='.runs[] | select(.model == "semaphore-loop")'
check "semaphore-loop: wait p50 at least (N/2C - 1) x L, within 10%" \
  "$sem | .wait_ms.p50 >= 0.9 * ($N / (2 * $C) - 1) * $L" "$r"
check "semaphore-loop: the backlog is in wait, not in api" "$sem | .api_ms.p50 < .wait_ms.p50" "$r"
# unbounded-loop holds no slot: whatever it waits is its own connect and
# event-loop backlog, and its e2e ends no earlier than its api.
unb='.runs[] | select(.model == "unbounded-loop")'
check "unbounded-loop: client in-flight at most N" "$unb | .client_peak_inflight <= $N" "$r"
check "unbounded-loop: e2e p99 at least api p99" "$unb | .e2e_ms.p99 >= .api_ms.p99" "$r"
# The table shows API latency and wait side by side, memory in MiB.
for col in "wall/floor" "cpu µs/req" "peak MiB" "api p50" "api p99" "wait p50" "wait p99"; do
  grep -q "$col" "$WORK/stdout" && echo "ok: table column '$col'" || fail "table lacks '$col'"
done
check "summary: api, wait and e2e percentiles per model" \
  '[.summary[] | (.api_p50_ms.median, .wait_p99_ms.median, .e2e_p99_ms.median, .cpu_per_request_us.median) | type == "number"] | all' "$r"
head -1 "$out/results.csv" | grep -q 'api_p50_ms,.*wait_p50_ms,.*e2e_p50_ms' && echo "ok: results.csv has the intervals" \
  || fail "results.csv header: $(head -1 "$out/results.csv")"
finish

#!/usr/bin/env bash
# Every model's `attempts` is what the mock API received, under faults.
#
# The mock counts each GET /orders/{id} it parses in stats.requests (throttled
# ones too), and decides its fault from (seed, id, n) where n counts the
# earlier requests for that id. A request the client sends but does not count
# (libcurl's own re-send on a dead keep-alive connection) therefore shows as
# requests > attempts, and it shifts which fault the next counted attempt meets.
#
# What is checked, per fault scenario, for all seven models in one run:
#  - attempts == server.stats.requests;
#  - the mock's own books balance: every order request it entered got exactly
#    one of a 200 (no fault, bad body), a 503 (fail), a RST (reset) or nothing
#    (hang), and a throttled one a 429 (mock_server/respond.c, conn.c), so
#    requests == sum(responses) + faults.reset + faults.hang;
#  - the failed count is the same for every model: with one seed the mock
#    makes the same decision for the same (id, attempt), so models that make
#    only the attempts the retry policy allows fail the same ids.
source "$(dirname "$0")/../lib/e2e_lib.sh"

MODELS=(thread-pool process-pool unbounded-loop semaphore-loop stream-workers hybrid pipeline)

# scenario NAME KNOB=VALUE ERROR_CLASS: runs all models, checks the above.
scenario() {
  local name=$1 knob=$2 class=$3 out="$WORK/$1" r
  # The faults are the point here: up to 10% of requests may fail for good
  # (2.8% did) and the run is still ok.
  "$CONCBENCH" run --model all --requests 500 --concurrency 20 --latency-ms 5 \
    --out "$out" progress=0 seed=7 max_error_rate=0.1 "$knob" >"$WORK/$name.out" 2>&1 || {
    tail -20 "$WORK/$name.out"
    fail "$name: concbench run exited non-zero"
  }
  r="$out/results.json"
  [ -f "$r" ] || { fail "$name: no results.json"; return; }
  check "$name: a run per model" "(.runs | length) == ${#MODELS[@]}" "$r"
  for m in "${MODELS[@]}"; do
    local sel=".runs[] | select(.model == \"$m\")"
    check "$name/$m: attempts == requests the mock received" \
      "[$sel | .attempts == .server.stats.requests] == [true]" "$r"
    check "$name/$m: the mock's books balance" \
      "[$sel | .server.stats | .requests == ([.responses[]] | add) + .faults.reset + .faults.hang] == [true]" "$r"
    check "$name/$m: faults injected" "[$sel | .server.stats.faults | .reset + .fail > 0] == [true]" "$r"
    check "$name/$m: every failure is $class" "[$sel | .failed == .errors.$class] == [true]" "$r"
    check "$name/$m: rows verified" "[$sel | .verified] == [true]" "$r"
  done
  check "$name: every model fails the same number of ids" \
    '[.runs[].failed] | unique | length == 1' "$r"
  echo "$name: $(jq -c '[.runs[] | {model, attempts, requests: .server.stats.requests, failed}]' "$r")"
}

scenario reset reset_rate=0.3 reset
scenario fail fail_rate=0.2 http_5xx
finish

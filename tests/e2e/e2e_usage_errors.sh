#!/usr/bin/env bash
# Errors a user can cause: one clear line, a non-zero exit, nothing that
# looks like a complete result.
source "$(dirname "$0")/../lib/e2e_lib.sh"

# expect_error DESCRIPTION EXPECTED_EXIT PATTERN -- ARGS...
expect_error() {
  local desc=$1 want=$2 pattern=$3
  shift 4
  set +e
  timeout 60 "$CONCBENCH" "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  set -e
  if [ "$rc" -ne "$want" ]; then
    fail "$desc: exit $rc, want $want; stderr: $(head -c 300 "$WORK/err")"
  elif ! grep -qE -- "$pattern" "$WORK/err"; then
    fail "$desc: stderr does not match /$pattern/: $(head -c 300 "$WORK/err")"
  else
    echo "ok: $desc"
  fi
}

expect_error "unknown model" 2 "unknown model 'nope'" -- run --model nope --out "$WORK/a"
expect_error "unknown option" 2 "unknown knob 'bogus'" -- run --bogus 1 --out "$WORK/b"
expect_error "option without value" 2 "needs a value" -- run --requests
expect_error "zero requests" 2 "requests: 0 is out of range" -- run --requests 0 --out "$WORK/c"
expect_error "zero concurrency" 2 "concurrency: 0 is out of range" -- run --concurrency 0 --out "$WORK/c"
expect_error "malformed number" 2 "not a whole number" -- run --requests ten --out "$WORK/c"
# One number syntax: a fraction is 0.1 or 10%, never a bare 10 (run and
# compare alike); durations take units; a whole-ms knob refuses fractions.
expect_error "run --threshold 10 is ambiguous" 2 "threshold: '10' is ambiguous: write 10% for a percentage" -- \
  run --threshold 10 --out "$WORK/c"
expect_error "compare --threshold 10 is ambiguous" 2 "--threshold: '10' is ambiguous: write 10% for a percentage" -- \
  compare "$WORK/none.json" "$WORK/none.json" --threshold 10
expect_error "max_error_rate 45 is ambiguous" 2 "max_error_rate: '45' is ambiguous" -- run max_error_rate=45 --out "$WORK/c"
expect_error "duration with an unknown unit" 2 "timeout_ms: '2h' is not a duration: write e.g. 50ms, 2s" -- \
  run --timeout-ms 2h --out "$WORK/c"
expect_error "fractional whole-ms duration" 2 "backoff_ms: '2.5ms' is not a whole number of milliseconds" -- \
  run --backoff-ms 2.5ms --out "$WORK/c"
expect_error "duration out of range" 2 "timeout_ms: 11min is out of range \[1, 600000\] ms" -- \
  run --timeout-ms 11min --out "$WORK/c"
expect_error "fraction out of range" 2 "fail_rate: 150% is out of range \[0%, 100%\]" -- run --fail-rate 150% --out "$WORK/c"
# --baseline is judged before anything runs (no services, no results).
DATA=$(dirname "$0")/../data/compare
echo '{"not": "results"' >"$WORK/broken.json"
# The stored baseline is schema 1; a run writes schema 2: the same figures
# under schema 2's keys, for the checks that need a comparable baseline.
jq '.schema_version = 2 | .runs |= map(.peak_mem_bytes = .peak_rss_bytes | .api_ms = .latency_ms
  | del(.peak_rss_bytes, .latency_ms))' "$DATA/baseline.json" >"$WORK/baseline2.json"
start=$(date +%s)
expect_error "unreadable --baseline, before the run" 2 "cannot read --baseline $WORK/missing.json: .*\(nothing was run\)" -- \
  run --model thread-pool --requests 300 --baseline "$WORK/missing.json" --out "$WORK/bl1"
expect_error "malformed --baseline" 2 "cannot read --baseline $WORK/broken.json: line [0-9]+: .*(nothing was run)" -- \
  run --model thread-pool --baseline "$WORK/broken.json" --out "$WORK/bl2"
expect_error "--baseline of another workload" 2 "cannot be compared with this run: different workload .*requests is 200 in the baseline, 300 in the results" -- \
  run --model thread-pool,process-pool --requests 300 --concurrency 20 --baseline "$WORK/baseline2.json" --out "$WORK/bl3"
expect_error "--baseline with a model this run lacks" 2 "model process-pool is in the baseline but not in the results" -- \
  run --model thread-pool --requests 200 --concurrency 20 --latency-ms 50ms --baseline "$WORK/baseline2.json" --out "$WORK/bl4"
expect_error "--baseline of schema 1" 2 "schema_version differs: 1 in the baseline, 2 in the results \\(refresh the baseline\\)" -- \
  run --model thread-pool,process-pool --requests 200 --concurrency 20 --baseline "$DATA/baseline.json" --out "$WORK/bl5"
[ $(($(date +%s) - start)) -lt 10 ] && [ ! -e "$WORK/bl1/results.json" ] && [ ! -e "$WORK/bl3/results.json" ] &&
  echo "ok: bad baselines refused at once, nothing written" || fail "a bad --baseline ran something first"
expect_error "a limit for a model the run does not run" 2 "max_p99_ms names model nope, which this run does not run" -- \
  run --model thread-pool --max-p99-ms nope=1s,200ms --out "$WORK/c"
expect_error "bad --max-p99-ms" 2 "max_p99_ms: '200x' is not a duration" -- run --max-p99-ms 200x --out "$WORK/c"
expect_error "compare: one file and no limit" 2 "want two files, BASELINE and RESULTS, or one with a --max-\* limit" -- \
  compare "$DATA/baseline.json"

# measure: --help works, the command goes after --
"$CONCBENCH" measure --help >"$WORK/mh" 2>&1 && grep -q "^usage: concbench measure" "$WORK/mh" &&
  echo "ok: measure --help" || fail "measure --help: $(head -c 300 "$WORK/mh")"
expect_error "measure without --" 2 "put the command after --: concbench measure \[options\] -- sleep" -- measure sleep 1
expect_error "measure with nothing to run" 2 "no command to measure" -- measure --json
expect_error "measure --sample-ms with a unit it refuses" 2 "--sample-ms: '1.5ms' is not a whole number" -- \
  measure --sample-ms 1.5ms -- true
"$CONCBENCH" measure --sample-ms 20ms --json -- true >"$WORK/mj" 2>&1 && grep -q '"exit_status":0' "$WORK/mj" &&
  echo "ok: measure --sample-ms 20ms" || fail "measure --sample-ms 20ms: $(head -c 300 "$WORK/mj")"

expect_error "unknown command" 2 "unknown command" -- frobnicate
expect_error "missing scenario" 2 "cannot read scenario" -- run --scenario /nonexistent.conf
expect_error "unreachable PostgreSQL" 2 "cannot connect to PostgreSQL" -- \
  run --model thread-pool --requests 10 --pg "host=127.0.0.1 port=1 user=x dbname=x connect_timeout=3" --out "$WORK/d"
[ ! -e "$WORK/d/results.json" ] && echo "ok: no results.json after a setup failure" || fail "results.json written after setup failure"
expect_error "unreachable mock API" 2 "mock API not usable" -- \
  run --model thread-pool --requests 10 --api http://127.0.0.1:1 --out "$WORK/e"
mkdir -p "$WORK/ro" && touch "$WORK/ro/file"
expect_error "output folder not writable" 2 "cannot write to output folder" -- \
  run --model thread-pool --requests 10 --out "$WORK/ro/file/sub"

# list: every scenario's description ends a sentence; doubles print short
"$CONCBENCH" list >"$WORK/list"
sed -n '/^Scenarios/,/^$/p' "$WORK/list" | tail -n +2 | grep -v '^$' >"$WORK/scen"
[ -s "$WORK/scen" ] && ! grep -vE '[.?!]$' "$WORK/scen" >/dev/null &&
  echo "ok: list: every scenario description ends a sentence" || fail "list cuts a description: $(grep -vE '[.?!]$' "$WORK/scen" | head -2)"
grep -qE '^  threshold +0\.1 ' "$WORK/list" && ! grep -qE '0\.[0-9]*0000000' "$WORK/list" &&
  echo "ok: list prints shortest doubles" || fail "list doubles: $(grep threshold "$WORK/list")"

# list works and names every registered model and knob
"$CONCBENCH" list >"$WORK/list" && grep -q "thread-pool" "$WORK/list" && grep -q "transform_cost" "$WORK/list" \
  && echo "ok: list" || fail "concbench list"
finish

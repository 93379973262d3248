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

# list works and names every registered model and knob
"$CONCBENCH" list >"$WORK/list" && grep -q "thread-pool" "$WORK/list" && grep -q "transform_cost" "$WORK/list" \
  && echo "ok: list" || fail "concbench list"
finish

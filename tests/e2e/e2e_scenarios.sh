#!/usr/bin/env bash
# Every preset end to end at a reduced size (scale), asserting the
# phenomenon its header promises.
source "$(dirname "$0")/../lib/e2e_lib.sh"

run_preset() { # run_preset NAME SCALE [ARGS...]: runs into $WORK/NAME; returns its exit status
  local name=$1 scale=$2
  shift 2
  "$CONCBENCH" run --scenario "$name" scale="$scale" --out "$WORK/$name" progress=0 "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err"
}

# run_ok NAME SCALE [ARGS...]: the preset must run and verify.
run_ok() {
  local rc=0
  run_preset "$@" || rc=$?
  [ "$rc" -eq 0 ] && echo "ok: $1 ran and verified" || fail "$1 exited $rc: $(tail -3 "$WORK/$1.err")"
}

m() { echo ".runs[] | select(.model == \"$1\")"; }

run_ok quick 1
check "quick: all seven models ran" '[.runs[].model] | unique | length == 7' "$WORK/quick/results.json"

run_ok seed 0.05
r="$WORK/seed/results.json"
check "seed: 500 requests per model" '[.runs[].requests] | all(. == 500)' "$r"
check "seed: the unbounded loop beats the bounded one on wall time" \
  "($(m unbounded-loop).wall_s) < ($(m semaphore-loop).wall_s)" "$r"
check "seed: and has far more requests in flight at the mock API" \
  "($(m unbounded-loop).server.peak_inflight) > 2 * ($(m semaphore-loop).server.peak_inflight)" "$r"

# Under a sanitizer the 50 pool workers' instrumented transforms starve
# the PostgreSQL backends they start until a connect times out (10 s):
# 10 workers there test the same claims with less contention.
cpu_args=()
[ -n "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ] && cpu_args=(concurrency=10)
run_ok cpu-heavy 0.2 "${cpu_args[@]}"
r="$WORK/cpu-heavy/results.json"
# Not "the pools are faster": on a 2-vCPU VM here two CPU-bound
# processes ran only 1.3x faster together than one after the other, and
# PostgreSQL spent ~2.3 CPU-s starting the pools' 50 connections (0.14 s
# for the loop's 4), so the pools came out slower. Who wins depends on
# the machine; that every model paid for the transform does not: 25,000
# rounds cost 5-9 ms of CPU per request here, against 0.1-0.3 ms for a
# whole request with the default transform.
check "cpu-heavy: every model paid the transform (over 1 ms of CPU per request)" \
  "[.runs[] | (.cpu_user_s + .cpu_sys_s) / .requests > 0.001] | all" "$r"
# One thread runs every transform: the loop can never use more than one
# core (0.92-0.97 measured), however busy or idle the machine is.
check "cpu-heavy: the loop runs on one core (CPU at most its wall time)" \
  "($(m unbounded-loop) | (.cpu_user_s + .cpu_sys_s) <= 1.05 * .wall_s)" "$r"

run_ok throttled 0.1
r="$WORK/throttled/results.json"
check "throttled: unbounded-loop is throttled" "($(m unbounded-loop).server.throttled) > 0" "$r"
check "throttled: semaphore-loop never is" "($(m semaphore-loop).server.throttled) == 0" "$r"
check "throttled: nor the pools" "($(m thread-pool).server.throttled) == 0 and ($(m process-pool).server.throttled) == 0" "$r"
check "throttled: unbounded-loop retried" "($(m unbounded-loop).retried) > 0" "$r"

rc=0
run_preset flaky 0.1 || rc=$?
r="$WORK/flaky/results.json"
# A request can exhaust its retries: flaky may fail some requests for good,
# but whatever committed must verify.
[ "$rc" -eq 0 ] && echo "ok: flaky verified" || fail "flaky exited $rc: $(tail -3 "$WORK/flaky.err")"
check "flaky: faults were injected" '[.runs[].server.stats.faults | (.fail + .reset + .hang + .bad_body)] | all(. > 0)' "$r"
check "flaky: every model retried" '[.runs[] | .attempts > .requests] | all' "$r"
check "flaky: failures are counted by class" '[.runs[] | .failed == ([.errors[]] | add)] | all' "$r"

# At half size each process-pool worker still holds ids when 30% are done
# (smaller, they may all have finished their last chunk: nothing to kill).
run_ok crash 0.5
r="$WORK/crash/results.json"
check "crash: process-pool killed one worker and re-queued its ids" \
  "($(m process-pool).crash | .killed == 1 and .requeued > 0)" "$r"
check "crash: stream-workers claimed the dead consumer's entries" \
  "($(m stream-workers).crash | .killed == 1 and .requeued > 0)" "$r"
check "crash: thread-pool says not applicable" "($(m thread-pool).crash.applicable) == false" "$r"
check "crash: all verified" '[.runs[].verified] | all' "$r"

run_ok db-bound 0.1
r="$WORK/db-bound/results.json"
check "db-bound: one connection per thread-pool worker" "($(m thread-pool).db_conns) == 100" "$r"
check "db-bound: the loops funnel through few connections" "($(m semaphore-loop).db_conns) <= 8" "$r"

# ci: a real run compared against itself passes the gate. --allow-invalid:
# on a loaded test machine the runs may not be valid measurements, which
# this check is not about (e2e_validity is).
run_ok ci 0.2
r="$WORK/ci/results.json"
check "ci: three repetitions of every model" '.summary | length == 7 and all(.runs == 3)' "$r"
"$CONCBENCH" compare "$WORK/ci" "$WORK/ci" --allow-invalid >"$WORK/ci-cmp.out" 2>&1 && echo "ok: ci run compared with itself: exit 0" \
  || fail "ci compared with itself: $(tail -3 "$WORK/ci-cmp.out")"
# And the gate can close: the same results against a baseline three times
# as fast (every wall time divided by 3) are a regression.
jq '(.runs[].wall_s) |= (. / 3) | (.summary[].wall_s[]?) |= (if type == "number" then . / 3 else . end)' \
  "$r" >"$WORK/ci-fast.json"
set +e
"$CONCBENCH" compare "$WORK/ci-fast.json" "$WORK/ci" --allow-invalid >"$WORK/ci-cmp2.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q REGRESSION "$WORK/ci-cmp2.out" && echo "ok: ci against a 3x faster baseline: exit 1, REGRESSION" \
  || fail "ci against a 3x faster baseline: exit $rc: $(tail -3 "$WORK/ci-cmp2.out")"
finish

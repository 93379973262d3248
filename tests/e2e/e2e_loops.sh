#!/usr/bin/env bash
# unbounded-loop and semaphore-loop end to end against the real mockapi and a
# private PostgreSQL: every row verified, the in-flight bound honoured (and
# reached, for the unbounded loop), retries with a Retry-After honoured, and
# a PostgreSQL that turns the engine's connections away failing the run
# quickly with one line.
source "$(dirname "$0")/../lib/e2e_lib.sh"
MOCKAPI="$(dirname "$CONCBENCH")/mockapi"
mock=
trap '[ -n "$mock" ] && kill "$mock" 2>/dev/null; rm -rf "$WORK"' EXIT

# start_mock NAME ARGS...: starts our own mockapi on a free port (for knobs
# the harness does not pass on), with the seed the runs below use; sets
# $mock (pid) and $api (its URL).
start_mock() {
  local log="$WORK/mock-$1.log"
  shift
  "$MOCKAPI" --port 0 --seed 42 "$@" >"$log" 2>&1 &
  mock=$!
  api=
  for _ in $(seq 100); do
    api=$(sed -n 's/^mockapi listening on //p' "$log")
    [ -n "$api" ] && return 0
    sleep 0.05
  done
  fail "mockapi did not start: $(cat "$log")"
}
stop_mock() {
  kill "$mock" 2>/dev/null || true
  wait "$mock" 2>/dev/null || true
  mock=
}

run() { # run NAME ARGS...: concbench run into $WORK/NAME, stderr kept
  local name=$1
  shift
  "$CONCBENCH" run --out "$WORK/$name" progress=0 "$@" \
    >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
}

# 1. Both models, 1,000 requests, C = 20 at 20 ms. batch_size 64 leaves a
# partial last batch (1000 = 15 x 64 + 40), which only the flush of partial
# batches can write.
run both --model unbounded-loop,semaphore-loop --requests 1000 --concurrency 20 \
  --latency-ms 20 batch_size=64 || { cat "$WORK/both.stderr"; fail "both: exited $?"; }
r="$WORK/both/results.json"
[ -f "$r" ] || { cat "$WORK/both.stderr"; fail "both: no results.json"; finish; }
check "both: exit 0, complete" '.complete == true and .exit_status == 0' "$r"
for i in 0 1; do
  m=$(jq -r ".runs[$i].model" "$r")
  check "$m: 1000 succeeded, none failed" ".runs[$i].succeeded == 1000 and .runs[$i].failed == 0" "$r"
  check "$m: 1000 rows verified, no duplicates" \
    ".runs[$i].rows == 1000 and .runs[$i].verified == true and .runs[$i].duplicates == 0" "$r"
  check "$m: mockapi served each id once" ".runs[$i].server.served == 1000" "$r"
  check "$m: default pool of 4 PostgreSQL connections" ".runs[$i].db_conns == 4" "$r"
done
check "semaphore-loop: mockapi never saw more than C = 20 in flight" \
  '.runs[1].model == "semaphore-loop" and .runs[1].server.peak_inflight <= 20' "$r"
check "semaphore-loop: and the limit was used" '.runs[1].server.peak_inflight >= 15' "$r"
check "semaphore-loop: client in-flight within C" '.runs[1].client_peak_inflight <= 20' "$r"
# What the API saw: C = 20 binds semaphore-loop only. The client counts a
# request from the moment it goes on the wire to its response read, which
# encloses the server's count of it: never fewer at the peak.
check "unbounded-loop: ignores C, the mock saw more than 20 in flight" \
  '.runs[0].model == "unbounded-loop" and .runs[0].server.peak_inflight > 20' "$r"
check "unbounded-loop: client in-flight (on the wire) at least the mock's, at most N" \
  '.runs[0].client_peak_inflight >= .runs[0].server.peak_inflight and .runs[0].client_peak_inflight <= 1000' "$r"
if grep -qE '^(unbounded|semaphore)-loop:' "$WORK/both.stderr"; then
  fail "both: a model complained: $(grep -E '^(unbounded|semaphore)-loop:' "$WORK/both.stderr")"
else
  echo "ok: both: the models printed nothing"
fi

# 2. That unbounded-loop really has all N in flight at the API, and what it
# does past the open-file limit, is e2e_unbounded.sh's.

# 3. Retries: 25 % of attempts fail (503, reset, bad body), decided per
# (seed, id, attempt) — with 6 retries every request gets through; then a
# server that throttles above 50 in flight with 429 + Retry-After: 1.
start_mock faults --latency-ms 5 --fail-rate 0.15 --reset-rate 0.05 --bad-body-rate 0.05
run faults --model semaphore-loop --requests 500 --concurrency 20 --api "$api" seed=42 \
  retries=6 backoff_ms=5 || { cat "$WORK/faults.stderr"; fail "faults: exited $?"; }
stop_mock
r="$WORK/faults/results.json"
check "faults: every request succeeded after retries" \
  '.runs[0].succeeded == 500 and .runs[0].failed == 0' "$r"
check "faults: 500 rows verified" '.runs[0].rows == 500 and .runs[0].verified == true' "$r"
check "faults: retries happened" '.runs[0].attempts > 550 and .runs[0].retried > 50' "$r"

start_mock 429 --latency-ms 300 --max-inflight 50
run throttled --model unbounded-loop --requests 100 --api "$api" seed=42 retries=3 \
  backoff_ms=5 || { cat "$WORK/throttled.stderr"; fail "throttled: exited $?"; }
stop_mock
r="$WORK/throttled/results.json"
check "throttled: every request succeeded" \
  '.runs[0].succeeded == 100 and .runs[0].rows == 100 and .runs[0].verified == true' "$r"
check "throttled: some were throttled and tried again" \
  '.runs[0].server.throttled >= 1 and .runs[0].attempts == 100 + .runs[0].server.throttled' "$r"
check "throttled: Retry-After (1 s) honoured, not the 5 ms backoff" '.runs[0].wall_s >= 1.0' "$r"

# 4. PostgreSQL turns most of the engine's 20 connections away (the private
# server allows 10): one clear line, exit 2, quickly.
t0=$(date +%s)
rc=0
run nopg --model semaphore-loop --requests 300 --concurrency 10 --latency-ms 5 \
  pg_max_conns=10 db_conns=20 || rc=$?
[ "$rc" -eq 2 ] && echo "ok: nopg: exit 2" || fail "nopg: exit $rc, want 2"
[ $(($(date +%s) - t0)) -lt 20 ] && echo "ok: nopg: quick" || fail "nopg: took too long"
n=$(grep -c '^semaphore-loop: PostgreSQL connection [0-9]*: cannot connect: ' "$WORK/nopg.stderr" || true)
[ "$n" -eq 1 ] && echo "ok: nopg: one clear line" ||
  fail "nopg: want one 'cannot connect' line, got $n: $(cat "$WORK/nopg.stderr")"
r="$WORK/nopg/results.json"
[ -f "$r" ] && check "nopg: run marked incomplete" \
  '.complete == false and .runs[0].model_exit_status == 2' "$r"
finish

#!/usr/bin/env bash
# stream-workers end to end against a real redis-server (started here, so
# the keys a run leaves behind can be inspected), the real mockapi and a
# private PostgreSQL:
#  1. 1,000 requests, every row verified, the stream figures right, and no
#     concbench:* key left in Redis;
#  2. one worker SIGKILLed at 30 %: the others claim its entries
#     (crash.requeued = crash.redelivered > 0) and the run still verifies;
#  3. a `concbench worker` in a second process joins a run that waits for
#     one external worker, does part of the work, and the run verifies;
#  4. an unreachable Redis: one clear line and exit 2, quickly, from both
#     `concbench run` and `concbench worker`.
source "$(dirname "$0")/../lib/e2e_lib.sh"

command -v redis-server >/dev/null || { fail "redis-server not installed"; finish; }
command -v redis-cli >/dev/null || { fail "redis-cli not installed"; finish; }

# A private redis-server on a free port, stopped by PID on exit.
REDIS_PID=
trap '[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null; rm -rf "$WORK"; true' EXIT
for _ in 1 2 3 4 5 6 7 8; do
  # Below the ephemeral range (32768-60999), so no client socket holds it.
  PORT=$((20000 + RANDOM % 12000))
  redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$WORK" >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 100); do
    redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  kill "$REDIS_PID" 2>/dev/null || true # it may have exited already (port taken)
  wait "$REDIS_PID" 2>/dev/null || true
  REDIS_PID=
done
[ -n "$REDIS_PID" ] || { cat "$WORK/redis.log"; fail "cannot start redis-server"; finish; }
REDIS="redis://127.0.0.1:$PORT"
rcli() { redis-cli -p "$PORT" "$@"; }

run() { # run NAME ARGS...: concbench run into $WORK/NAME, stderr kept
  local name=$1
  shift
  "$CONCBENCH" run --model stream-workers --redis "$REDIS" --out "$WORK/$name" progress=0 "$@" \
    >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
}

no_keys_left() { # no_keys_left WHAT
  local left
  left=$(rcli --scan --pattern 'concbench:*' | head -5)
  if [ -z "$left" ]; then
    echo "ok: $1: no concbench:* key left in Redis"
  else
    fail "$1: keys left in Redis: $left"
  fi
}

# 1. A clean run: 4 processes (the default) x 10 consumers.
rc=0
run plain --requests 1000 --concurrency 40 --latency-ms 10 || rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/plain.stderr"; fail "plain run exited $rc"; }
r="$WORK/plain/results.json"
[ -f "$r" ] || { cat "$WORK/plain.stderr"; fail "no results.json"; finish; }
check "plain: exit 0, complete" '.complete == true and .exit_status == 0' "$r"
check "plain: model name" '.runs[0].model == "stream-workers"' "$r"
check "plain: 1000 succeeded, none failed" '.runs[0].succeeded == 1000 and .runs[0].failed == 0' "$r"
check "plain: 1000 rows verified, no duplicates" \
  '.runs[0].rows == 1000 and .runs[0].verified == true and .runs[0].duplicates == 0' "$r"
check "plain: 1000 entries produced and acknowledged" \
  '.runs[0].stream.produced == 1000 and .runs[0].stream.acknowledged == 1000' "$r"
check "plain: nothing claimed without a crash" '.runs[0].stream.redelivered == 0' "$r"
# Each process holds at most 2K = 20 ids: pending never passes 4 x 20.
check "plain: max pending seen, within 2C" \
  '.runs[0].stream.max_pending > 0 and .runs[0].stream.max_pending <= 80' "$r"
check "plain: 4 worker processes" '.runs[0].workers_peak == 4' "$r"
check "plain: client in-flight within C" \
  '.runs[0].client_peak_inflight <= 40 and .runs[0].client_peak_inflight >= 20' "$r"
check "plain: mockapi served each id once" '.runs[0].server.served == 1000' "$r"
check "plain: 2 DB connections per process" '.runs[0].db_conns == 8' "$r"
check "plain: api latency at least the injected 10 ms" '.runs[0].api_ms.p50 >= 10' "$r"
check "plain: no crash requested" '.runs[0].crash == null' "$r"
if grep -q 'stream-workers:' "$WORK/plain.stderr"; then
  fail "plain: the model complained: $(grep 'stream-workers:' "$WORK/plain.stderr")"
else
  echo "ok: plain: the model printed nothing"
fi
no_keys_left plain

# 2. One worker SIGKILLed once 30 % of the requests are final; its pending
# entries go idle and the others claim them after claim_idle_ms.
rc=0
run crash --requests 1000 --concurrency 40 --latency-ms 20 --crash-after 0.3 claim_idle_ms=300 \
  batch_size=10 || rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/crash.stderr"; fail "crash run exited $rc"; }
r="$WORK/crash/results.json"
[ -f "$r" ] || { cat "$WORK/crash.stderr"; fail "no results.json for the crash run"; finish; }
check "crash: exit 0, complete" '.complete == true and .exit_status == 0' "$r"
check "crash: one worker killed" '.runs[0].crash.killed == 1' "$r"
check "crash: its entries were claimed" \
  '.runs[0].crash.requeued > 0 and .runs[0].crash.redelivered == .runs[0].crash.requeued' "$r"
check "crash: claims counted in the stream figures" \
  '.runs[0].stream.redelivered == .runs[0].crash.redelivered' "$r"
check "crash: 1000 succeeded, 1000 rows verified" \
  '.runs[0].succeeded == 1000 and .runs[0].rows == 1000 and .runs[0].verified == true' "$r"
grep -q 'killed by signal 9' "$WORK/crash.stderr" && echo "ok: crash: the death was reported" ||
  fail "crash: no line about the killed worker"
no_keys_left crash

# 3. An external worker. The run waits for it and prints the command line;
# the worker is started from that very line (only the binary swapped), with
# more consumers than the lone local one so it surely gets work.
"$CONCBENCH" run --model stream-workers --redis "$REDIS" --out "$WORK/external" progress=0 \
  --requests 1000 --concurrency 20 --latency-ms 10 --external-workers 1 procs=1 consumers=2 \
  >"$WORK/external.stdout" 2>"$WORK/external.stderr" &
run_pid=$!
line=
for _ in $(seq 300); do
  line=$(grep -m1 '^  concbench worker ' "$WORK/external.stderr" 2>/dev/null || true)
  [ -n "$line" ] && break
  sleep 0.1
done
if [ -z "$line" ]; then
  kill "$run_pid" 2>/dev/null
  cat "$WORK/external.stderr"
  fail "external: the run did not print a worker command line"
else
  echo "ok: external: the run printed: $line"
  wrc=0
  eval "\"\$CONCBENCH\" ${line#*concbench } --consumers 10" 2>"$WORK/worker.stderr" || wrc=$?
  if [ "$wrc" -eq 0 ]; then
    echo "ok: external: worker exited 0"
  else
    cat "$WORK/worker.stderr"
    fail "external: worker exited $wrc"
    kill "$run_pid" 2>/dev/null # the run would wait for a worker that never comes
  fi
  grep -Eq 'the run ended; read [0-9]+ entries, claimed 0, committed [1-9][0-9]*, failed 0' \
    "$WORK/worker.stderr" && echo "ok: external: the worker committed rows" ||
    fail "external: worker summary: $(tail -1 "$WORK/worker.stderr")"
fi
rc=0
wait "$run_pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/external.stderr"; fail "external run exited $rc"; }
r="$WORK/external/results.json"
if [ -f "$r" ]; then
  check "external: 1000 rows verified" \
    '.runs[0].succeeded == 1000 and .runs[0].rows == 1000 and .runs[0].verified == true' "$r"
  check "external: the external worker's outcomes were recorded" \
    '.runs[0].stream.external > 0 and .runs[0].stream.external < 1000' "$r"
  # Its share matches what it says it committed.
  n=$(sed -n 's/.*committed \([0-9]*\),.*/\1/p' "$WORK/worker.stderr" | tail -1)
  check "external: recorded = committed by the worker ($n)" ".runs[0].stream.external == ${n:-0}" "$r"
  check "external: local and external workers counted" '.runs[0].workers_peak == 2' "$r"
else
  fail "external: no results.json"
fi
no_keys_left external

# 4. Unreachable Redis: a clear line, exit 2, quickly.
start=$(date +%s%N)
rc=0
"$CONCBENCH" run --model stream-workers --redis redis://127.0.0.1:1 --requests 100 \
  --out "$WORK/unreach" progress=0 >/dev/null 2>"$WORK/unreach.stderr" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" -eq 2 ] && echo "ok: unreachable: exit 2" || fail "unreachable: exit $rc, want 2"
grep -q 'stream-workers: cannot connect to Redis at 127.0.0.1:1' "$WORK/unreach.stderr" &&
  echo "ok: unreachable: one clear line" || fail "unreachable: stderr: $(cat "$WORK/unreach.stderr")"
# The harness starts PostgreSQL first (a few seconds); the model gives up at once.
[ "$ms" -lt 20000 ] && echo "ok: unreachable: gave up in $ms ms" || fail "unreachable: took $ms ms"
check "unreachable: the model's own run took under a second" \
  '.runs[0].wall_s < 1 and .runs[0].verified == false' "$WORK/unreach/results.json"
rc=0
"$CONCBENCH" worker --redis redis://127.0.0.1:1 --pg 'host=/nonexistent' \
  --api http://127.0.0.1:1 --run nosuchrun 2>"$WORK/wunreach.stderr" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'concbench worker: cannot connect to Redis at 127.0.0.1:1' \
  "$WORK/wunreach.stderr" && echo "ok: worker, unreachable Redis: exit 2 with a clear line" ||
  fail "worker, unreachable Redis: exit $rc: $(cat "$WORK/wunreach.stderr")"
# A run id nobody set up: told so, exit 2.
rc=0
"$CONCBENCH" worker --redis "$REDIS" --pg 'host=/nonexistent' --api http://127.0.0.1:1 \
  --run nosuchrun 2>"$WORK/wnorun.stderr" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'has no run nosuchrun in progress' "$WORK/wnorun.stderr" &&
  echo "ok: worker, unknown run: exit 2 with a clear line" ||
  fail "worker, unknown run: exit $rc: $(cat "$WORK/wnorun.stderr")"
finish

#!/usr/bin/env bash
# External models end to end (docs/external-models.md): in one invocation,
# the Python reference model py-threads and a correct exec: model are run,
# measured and verified like thread-pool beside them; programs that break
# the protocol (a malformed line, exit status 3, a hang, a 10 MB flood),
# and one that writes a wrong row, each end as a clear error for their run
# while the other models still run; an orphaned grandchild's CPU and
# memory are counted in its model's figures.
source "$(dirname "$0")/../lib/e2e_lib.sh"

BROKEN="$(cd "$(dirname "$0")" && pwd)/external/broken.py"
N=200
for mode in ok bad-line exit3 hang flood liar orphan; do
  # $WORK in the arguments marks our processes apart from other runs'.
  printf '#!/bin/sh\nexec /usr/bin/python3 %s %s %s\n' "$BROKEN" "$mode" "$WORK" >"$WORK/$mode"
  chmod +x "$WORK/$mode"
done
models="py-threads,thread-pool"
for mode in ok bad-line exit3 hang flood liar orphan; do models="$models,exec:$WORK/$mode"; done

out="$WORK/ext"
set +e
"$CONCBENCH" run --model "$models" --requests $N --concurrency 10 --latency-ms 5 \
  --stall-timeout-ms 5000 --out "$out" progress=0 >"$WORK/stdout" 2>"$WORK/stderr"
rc=$?
set -e
r="$out/results.json"
[ -f "$r" ] || { cat "$WORK/stderr"; fail "no results.json"; finish; }
[ "$rc" = 2 ] && echo "ok: exit 2 (runs could not complete)" || fail "exit $rc, want 2"
check "every model ran" '(.runs | length) == 9' "$r"

# run MODEL JQ: the expression on the one run of MODEL.
run() { echo "(.runs[] | select(.model == \"$1\")) | $2"; }

for m in py-threads thread-pool exec-ok exec-orphan; do
  check "$m: ok, $N rows verified" "$(run "$m" ".ok and .rows_match and .rows == $N and .succeeded == $N")" "$r"
  check "$m: one attempt per request, as the server saw" "$(run "$m" ".attempts == $N and .server.served == $N")" "$r"
  check "$m: api latency measured" "$(run "$m" ".api_ms.p50 >= 5 and .api_ms.p50 <= .api_ms.max")" "$r"
  check "$m: every request's wait + api <= e2e" "$(run "$m" ".latency_inconsistent == 0")" "$r"
  check "$m: cpu and memory measured" "$(run "$m" "(.cpu_user_s + .cpu_sys_s) > 0 and .peak_mem_bytes > 1000000")" "$r"
done
check "py-threads: one DB connection per thread" "$(run py-threads ".db_conns == 10")" "$r"
check "py-threads: C requests in flight at most" "$(run py-threads ".client_peak_inflight <= 10 and .client_peak_inflight >= 2")" "$r"
check "py-threads: wait measured" "$(run py-threads ".wait_ms.max > 0")" "$r"
# The orphan burned 0.6 s and touched 80 MiB; a correct sequential model
# with no orphan (exec-ok) spends far less.
check "exec-orphan: the orphan's CPU counted" "$(run exec-orphan "(.cpu_user_s + .cpu_sys_s) >= 0.55")" "$r"
check "exec-orphan: the orphan's memory counted" "$(run exec-orphan ".peak_mem_bytes >= 80 * 1048576")" "$r"

for m in bad-line exit3 hang flood; do
  check "exec-$m: incomplete, exit 2, not ok" "$(run "exec-$m" ".model_exit_status == 2 and .ok == false and .complete == false")" "$r"
done
grep -q "exec-bad-line.*report line 2 'take 12x 1': timestamp '12x' is not a decimal number" "$WORK/stderr" &&
  echo "ok: bad line named" || fail "bad line not named: $(grep exec-bad-line "$WORK/stderr")"
grep -q "exec-exit3.*the program exited with status 3" "$WORK/stderr" &&
  echo "ok: exit 3 named" || fail "exit 3 not named"
grep -q "exec-hang.*no report line for 5000 ms (stall_timeout_ms)" "$WORK/stderr" &&
  echo "ok: hang named" || fail "hang not named"
grep -q "exec-flood.*wrote more than 65536 bytes to stdout/stderr" "$WORK/stderr" &&
  echo "ok: flood named" || fail "flood not named"
[ "$(wc -c <"$WORK/stderr")" -lt 200000 ] && echo "ok: the flood stopped at the cap" || fail "stderr holds the flood"
check "exec-liar: its wrong row caught" "$(run exec-liar ".model_exit_status == 0 and .rows_match == false and .verify.wrong == 1 and .ok == false")" "$r"
check "summary lists every model" '(.summary | length) == 9' "$r"
grep -q '^py-threads ' "$WORK/stdout" && echo "ok: table row for py-threads" || fail "no table row"

# Nothing of any model is left running: the adapter kills and reaps the
# whole tree before the run ends.
left=$(ps -eo args= | grep -F "$WORK" | grep -c "[b]roken.py" || true)
[ "$left" = 0 ] && echo "ok: no program left running" ||
  fail "$left broken.py processes left: $(ps -eo pid,stat,args | grep -F "$WORK" | grep "[b]roken.py")"
[ "$FAILS" = 0 ] || tail -30 "$WORK/stderr" >&2

# The conformance scenario: faults on a third of the attempts, the same for
# every model since they are drawn from (seed, id, attempt). A model that
# follows the retry policy fails the same requests with the same classes
# after as many attempts as thread-pool. The Go models are compiled first
# (examples/go/run.sh keeps the binary), so no compile is inside a run.
out2="$WORK/conf"
sh "$(dirname "$0")/../../examples/go/run.sh" --build || fail "examples/go does not compile"
"$CONCBENCH" run --scenario conformance --requests 120 \
  --model py-threads,py-semaphore,py-gather,py-unbounded,py-process-pool,py-streams,go-goroutines,go-pool,go-streams,thread-pool \
  --out "$out2" progress=0 >/dev/null 2>"$WORK/stderr2" || { cat "$WORK/stderr2"; fail "conformance run failed"; }
r2="$out2/results.json"
check "conformance: all ok" '[.runs[].ok] == [true, true, true, true, true, true, true, true, true, true]' "$r2"
check "conformance: faults happened" '.runs[0].retried > 10' "$r2"
check "conformance: py-semaphore's pool has its 4 DB connections" "$(run py-semaphore ".db_conns == 4")" "$r2"
check "conformance: py-process-pool has a DB connection per worker" "$(run py-process-pool ".db_conns == 20")" "$r2"
check "conformance: go-pool holds C requests in flight at most, its 4 writers' connections" \
  "$(run go-pool ".client_peak_inflight <= 20 and .db_conns == 4")" "$r2"
check "conformance: go-goroutines has more than C in flight" "$(run go-goroutines ".client_peak_inflight > 20")" "$r2"
for m in py-threads py-semaphore py-gather py-unbounded py-process-pool py-streams go-goroutines go-pool go-streams; do
  check "conformance: $m fails, retries and classifies like thread-pool" \
    "([.runs[] | select(.model == \"$m\") | [.errors, .attempts, .retried]] ==
      [.runs[] | select(.model == \"thread-pool\") | [.errors, .attempts, .retried]])" "$r2"
done

# asyncio.gather over 300 requests of 200 ms: aiohttp's default connector
# holds at most 100 connections, TCPConnector(limit=0) all of them.
out3="$WORK/gather"
"$CONCBENCH" run --model py-gather,py-unbounded --requests 300 --concurrency 10 \
  --latency-ms 200 --out "$out3" progress=0 >/dev/null 2>"$WORK/stderr3" || { cat "$WORK/stderr3"; fail "gather run failed"; }
check "py-gather: aiohttp's default connector caps it at 100 on the wire" \
  "$(run py-gather ".ok and .server.peak_connections == 100 and .server.peak_inflight == 100")" "$out3/results.json"
# The 200 requests behind the cap wait in aiohttp's queue: that is wait
# (send is reported when aiohttp hands out a connection), not API time.
check "py-gather: the wait in aiohttp's queue counts as wait, not api" \
  "$(run py-gather ".api_ms.p50 < 400 and .wait_ms.max > 300 and .client_peak_inflight == 100")" "$out3/results.json"
check "py-unbounded: more than 100 on the wire at once" \
  "$(run py-unbounded ".ok and .server.peak_inflight > 200")" "$out3/results.json"

# Crash injection: a worker of the Python process pool SIGKILLed (the pool
# is rebuilt, the unfinished chunks taken again) and one of the stream
# workers, in Python and in Go (the others XAUTOCLAIM its entries); every
# row verified.
out4="$WORK/crash"
"$CONCBENCH" run --model py-process-pool,py-streams,go-streams --requests 400 --concurrency 8 --latency-ms 10 \
  --crash-after 0.3 --claim-idle-ms 1000 --out "$out4" progress=0 >/dev/null 2>"$WORK/stderr4" ||
  { cat "$WORK/stderr4"; fail "crash run failed"; }
for m in py-process-pool py-streams go-streams; do
  check "$m: a worker killed, recovered, 400 rows verified" \
    "$(run $m ".ok and .rows == 400 and .crash.applicable and .crash.killed == 1 and (.crash.requeued + .crash.redelivered) > 0")" "$out4/results.json"
done

# An external model in a sweep, like any model: a point per value, a knee.
out5="$WORK/sweep"
# The two points' floors (1.5 s and 0.15 s) differ by far more than the
# single-run noise plus Python's start-up, so the model is not "flat".
"$CONCBENCH" run --model py-threads --requests 60 --latency-ms 50 --sweep concurrency=2,20 \
  --out "$out5" progress=0 >"$WORK/sweep.out" 2>&1 || { tail -5 "$WORK/sweep.out"; fail "sweep failed"; }
[ -f "$out5/point-2-concurrency=20/results.json" ] && grep -q "^  py-threads  *concurrency=" "$WORK/sweep.out" &&
  echo "ok: swept, with a knee" || fail "sweep: no second point or no knee line"

# concbench list shows the model files.
"$CONCBENCH" list >"$WORK/list"
grep -q '^  py-threads ' "$WORK/list" && echo "ok: listed" || fail "py-threads not listed"
set +e
"$CONCBENCH" run --model exec:"$WORK/missing" --out "$WORK/x" >/dev/null 2>"$WORK/err1"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "exec:$WORK/missing: not an executable file" "$WORK/err1" &&
  echo "ok: a missing program is a usage error" || fail "missing program: exit $rc $(cat "$WORK/err1")"
finish

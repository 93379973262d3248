#!/usr/bin/env bash
# A stalled service (SIGSTOP: a frozen VM, a debugger, a stuck disk) never
# hangs the harness:
#   - PostgreSQL stopped in a run: the watchdog (stall_timeout=4) stops the
#     model, says PostgreSQL is stopped, exits 2, runs[].stalled is true;
#   - the same with the default stall_timeout (60 s) and a Ctrl-C: the
#     first SIGINT exits 130 within seconds;
#   - redis-server stopped in a stream-workers run: exit 2 within seconds;
# and in every case no process of the run is left: the stopped servers are
# continued and stopped (or killed), not orphaned. The cases run side by
# side. Every signal goes to a process this script started, by PID.
source "$(dirname "$0")/../lib/e2e_lib.sh"


stall_case() { # NAME MODEL SERVICE WANT SIGNAL|- [knob=value...]
  local name=$1 model=$2 svc=$3 want=$4 sig=$5 cb tree svcpid stopped start ms rc left
  shift 5
  "$CONCBENCH" run --model "$model" --requests 20000 --concurrency 10 --latency-ms 100 \
    --out "$WORK/$name" progress=0 timeout_ms=1000 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  cb=$!
  for _ in $(seq 3000); do
    pgrep -P $cb -x concbench >/dev/null && break
    sleep 0.01
  done
  sleep 1
  tree=$(descendants $cb)
  svcpid=$(pgrep -P $cb -x "$svc" | head -1 || true)
  [ -n "$svcpid" ] || { fail "$name: no $svc"; kill -TERM $cb; wait $cb || true; return; }
  stopped="$svcpid $(descendants "$svcpid")"
  kill -STOP $stopped
  start=$(date +%s%N)
  [ "$sig" != - ] && { sleep 1; kill -s "$sig" $cb; }
  timeout 40 tail --pid=$cb -f /dev/null || true
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if kill -0 $cb 2>/dev/null; then
    fail "$name: the harness hangs 40 s after $svc was stopped"
    kill -CONT $stopped
    kill -KILL $cb
  fi
  set +e
  wait $cb
  rc=$?
  set -e
  [ "$rc" = "$want" ] && [ "$ms" -lt 25000 ] && echo "ok: $name: exit $rc after $ms ms" \
    || fail "$name: exit $rc after $ms ms, want $want within 25 s; $(tail -3 "$WORK/$name.err")"
  sleep 1
  left=$(alive "$tree")
  if [ -z "$left" ]; then
    echo "ok: $name: none of the run's $(echo $tree | wc -w) processes is left"
  else
    fail "$name: left:$left"
    kill -CONT $stopped 2>/dev/null || true
    for p in $left; do kill -KILL "${p%%(*}" 2>/dev/null || true; done # ours: the run's tree
  fi
}

cases=("stall_case pg-watchdog semaphore-loop postgres 2 - stall_timeout=4"
  "stall_case pg-ctrl-c process-pool postgres 130 INT"
  "stall_case redis-watchdog stream-workers redis-server 2 - stall_timeout=4")
run_cases "${cases[@]}"
check "pg-watchdog: the run is marked stalled and incomplete" \
  '(.runs[0].stalled == true) and .complete == false and .exit_status == 2' "$WORK/pg-watchdog/results.json"
grep -q "PostgreSQL (pid [0-9]*) is stopped" "$WORK/pg-watchdog.err" \
  && echo "ok: pg-watchdog: the message names the stopped PostgreSQL" \
  || fail "pg-watchdog: no message naming the stopped PostgreSQL: $(grep -i stall "$WORK/pg-watchdog.err" | head -2)"
finish

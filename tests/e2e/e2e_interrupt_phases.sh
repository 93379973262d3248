#!/usr/bin/env bash
# Interruption outside a model's run, and signals other than SIGINT/SIGTERM:
#   - SIGINT while PostgreSQL starts (in initdb, with pg_cache=0; in the
#     postmaster's start-up, its cluster copied from the template) or while
#     redis-server starts: exit 130, no results.json — an earlier run's one,
#     marked complete, is not left;
#   - SIGINT while the report is drawn (gnuplot running): exit 130, the
#     results.json says complete: false, and gnuplot, in a process group
#     of its own, is not killed by it;
#   - SIGHUP and SIGQUIT in a run: exit 129 and 131, everything stopped.
# Each harness runs under setsid and gets its signal as its process group,
# the way a terminal delivers Ctrl-C, Ctrl-\\ and a hangup: only what the
# harness keeps in its own group gets it too. (A background job of a
# script starts with SIGINT and SIGQUIT ignored; the harness handles both.)
# The cases are independent and run side by side (each its own harness,
# services and folder) to keep the test short. Every signal goes to a
# process this script started, by PID.
source "$(dirname "$0")/../lib/e2e_lib.sh"


# gone_within PIDS S: every one of PIDS has exited (or is a zombie) within
# S seconds; prints those left otherwise.
gone_within() {
  local pids=$1 left="" p st
  for _ in $(seq 1 $(( $2 * 10 ))); do
    left=""
    for p in $pids; do
      st=$(awk '{print $3}' /proc/$p/stat 2>/dev/null || true)
      [ -n "$st" ] && [ "$st" != Z ] && left="$left $p($(cat /proc/$p/comm 2>/dev/null),$st)"
    done
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  echo "$left"
  return 1
}

# finish_run PID: waits for it (at most 30 s) and sets RC to its exit
# status (not in a $(...) subshell: only the parent shell can wait).
finish_run() {
  timeout 30 tail --pid="$1" -f /dev/null || true
  set +e
  wait "$1" 2>/dev/null
  RC=$?
  set -e
}

# ---- SIGINT during start-up ------------------------------------------------
startup_case() { # SERVICE MODEL [KNOB=VALUE...]
  local svc=$1 model=$2 out="$WORK/startup-$1" cb tree left
  shift 2
  mkdir -p "$out"
  echo '{"schema_version": 3, "complete": true, "exit_status": 0, "runs": []}' >"$out/results.json"
  setsid "$CONCBENCH" run --model $model --requests 50 --concurrency 2 --out "$out" progress=0 "$@" \
    >"$WORK/startup-$svc.out" 2>"$WORK/startup-$svc.err" &
  cb=$!
  if ! wait_child $cb $svc; then
    fail "start-up/$svc: no $svc started"
    kill -TERM $cb
    finish_run $cb
    return
  fi
  tree=$(descendants $cb)
  kill -INT -- -$cb || true
  finish_run $cb
  [ "$RC" = 130 ] && echo "ok: start-up/$svc: SIGINT -> exit 130" \
    || fail "start-up/$svc: SIGINT -> exit $RC, want 130; $(tail -2 "$WORK/startup-$svc.err")"
  if [ -f "$out/results.json" ]; then
    check "start-up/$svc: results.json not marked complete" '.complete == false' "$out/results.json"
  else
    echo "ok: start-up/$svc: the earlier complete results.json was removed, none written"
  fi
  grep -q INTERRUPTED "$WORK/startup-$svc.out" && echo "ok: start-up/$svc: says INTERRUPTED" \
    || fail "start-up/$svc: no INTERRUPTED line"
  left=$(gone_within "$tree" 5) && echo "ok: start-up/$svc: nothing left running" \
    || fail "start-up/$svc: left running:$left"
}

# ---- SIGINT while the report is drawn --------------------------------------
report_case() {
  local out="$WORK/report" cb gp pgrp
  setsid "$CONCBENCH" run --model thread-pool --requests 100 --concurrency 4 --out "$out" progress=0 \
    >"$WORK/report.out" 2>"$WORK/report.err" &
  cb=$!
  if ! wait_child $cb gnuplot 60; then
    fail "report: no gnuplot seen"
    finish_run $cb
    return
  fi
  gp=$(pgrep -P $cb -x gnuplot | head -1 || true)
  pgrp=$(awk '{print $5}' /proc/$gp/stat 2>/dev/null || echo gone)
  if [ "$pgrp" = gone ]; then
    echo "ok: report: (gnuplot finished before its group could be read)"
  elif [ "$pgrp" != "$cb" ]; then
    echo "ok: report: gnuplot runs in a process group of its own ($pgrp), not the harness's"
  else
    fail "report: gnuplot is in the harness's process group: a Ctrl-C reaches it"
  fi
  if ! kill -INT -- -$cb 2>/dev/null; then
    # gnuplot was the last chart's and the run ended before the signal.
    echo "note: report: the run ended before the signal; nothing to check"
    finish_run $cb
    return
  fi
  finish_run $cb
  [ "$RC" = 130 ] && echo "ok: report: SIGINT while gnuplot draws -> exit 130" \
    || fail "report: SIGINT while gnuplot draws -> exit $RC, want 130"
  check "report: results.json says incomplete and 130" '.complete == false and .exit_status == 130' \
    "$out/results.json"
  if grep -q "gnuplot died" "$WORK/report.err"; then
    fail "report: the Ctrl-C reached gnuplot: $(grep 'gnuplot died' "$WORK/report.err" | head -1)"
  else
    echo "ok: report: gnuplot was not killed by the interruption"
  fi
}

# ---- SIGHUP and SIGQUIT in a run -------------------------------------------
signal_case() { # SIGNAL STATUS MODEL
  local sig=$1 want=$2 model=$3 out="$WORK/$1" cb tree left
  setsid "$CONCBENCH" run --model $model --requests 20000 --concurrency 10 --latency-ms 200 \
    --out "$out" progress=0 >"$WORK/$sig.out" 2>"$WORK/$sig.err" &
  cb=$!
  wait_child $cb concbench || fail "SIG$sig: the model never started"
  sleep 0.5
  tree=$(descendants $cb)
  kill -s $sig -- -$cb || true
  finish_run $cb
  [ "$RC" = "$want" ] && echo "ok: $model: SIG$sig -> exit $RC" \
    || fail "$model: SIG$sig -> exit $RC, want $want; $(tail -2 "$WORK/$sig.err")"
  check "$model: SIG$sig: results marked incomplete" ".complete == false and .exit_status == $want" \
    "$out/results.json"
  left=$(gone_within "$tree" 5) && echo "ok: $model: SIG$sig: nothing left running" \
    || fail "$model: SIG$sig: left running:$left"
}

# Each case in a subshell of its own, its lines in its own log.
cases=("startup_case initdb thread-pool pg_cache=0" "startup_case postgres semaphore-loop"
  "startup_case redis-server stream-workers"
  "report_case" "signal_case HUP 129 process-pool" "signal_case QUIT 131 semaphore-loop")
run_cases "${cases[@]}"
finish

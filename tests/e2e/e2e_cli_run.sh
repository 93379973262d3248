#!/usr/bin/env bash
# What `concbench run` shows and decides, on one short run of two models:
# the table's rows in the order the models were given whatever order
# --repeat's shuffle ran them in; --progress json, one object per line;
# the labelled progress line with an ETA, coloured on a terminal and not
# with NO_COLOR or --no-color; the absolute limits max_p99_ms and
# max_mem_mib (exit 1, LIMIT lines); a bare `concbench run` runs the
# default scenario and says so (interrupted once it has started).
source "$(dirname "$0")/../lib/e2e_lib.sh"
cd "$WORK"

# (a) Two models, 3 repetitions + a warm-up, progress as JSON; a memory
# limit semaphore-loop cannot keep (1 KiB; thread-pool gets 100 GiB of its
# own) and a p99 limit every model keeps (1 min).
set +e
"$CONCBENCH" run --model semaphore-loop,thread-pool --requests 150 --concurrency 30 --latency-ms 20ms \
  --repeat 3 --warmup 1 --progress json --max-mem-mib thread-pool=102400,0.001 --max-p99-ms 1min --out "$WORK/a" \
  >"$WORK/a.out" 2>"$WORK/a.err"
rc=$?
set -e
r=$WORK/a/results.json
[ "$rc" -eq 1 ] && echo "ok: a limit exceeded exits 1" || fail "limits: exit $rc, want 1: $(tail -3 "$WORK/a.err")"
check "rows_match: the limit is what failed" '[.runs[] | .ok] | all' "$r"
check "results.json exit_status 1" '.exit_status == 1' "$r"
[ "$(grep -c '^LIMIT: ' "$WORK/a.out")" -eq 1 ] &&
  grep -q '^LIMIT: semaphore-loop peak memory .* > 0.001 MiB (max_mem_mib)$' "$WORK/a.out" &&
  echo "ok: one LIMIT line, for the model whose limit it is" || fail "LIMIT lines: $(grep LIMIT "$WORK/a.out")"
grep -q 'p99 latency.*max_p99_ms' "$WORK/a.out" && fail "a kept p99 limit was reported" ||
  echo "ok: the p99 limit kept is not reported"
# Row order: as given, in the table and in runs[], while `ran` shows the
# shuffle did put thread-pool first in some round.
[ "$(grep -oE '^(semaphore-loop|thread-pool) ' "$WORK/a.out" | tr -d ' ' | paste -sd,)" = \
  "semaphore-loop,thread-pool" ] && echo "ok: table rows in --model order" ||
  fail "table order: $(grep -E '^(semaphore|thread)' "$WORK/a.out")"
check "runs[] grouped in --model order" \
  '[.runs[] | .model] == ["semaphore-loop","semaphore-loop","semaphore-loop","thread-pool","thread-pool","thread-pool"]' "$r"
check "the shuffle ran thread-pool first in some round (so the order is not luck)" \
  '[.runs[] | select(.model == "thread-pool") | .ran] as $t | [.runs[] | select(.model == "semaphore-loop") | .ran] as $s | [range(0;3) | $t[.] < $s[.]] | any' "$r"
# --progress json: every progress line parses; each run has a final line.
grep '^{' "$WORK/a.err" >"$WORK/a.jsonl" || true
jq -e -s 'all(.[]; has("model") and has("done") and has("failed") and has("rate") and has("elapsed_s") and has("eta_s"))
  and ([.[] | select(.final)] | length == 8)' "$WORK/a.jsonl" >/dev/null &&
  echo "ok: --progress json: every line an object with the documented keys, a final one per run" ||
  fail "progress json: $(head -c 400 "$WORK/a.jsonl")"
jq -e -s '[.[] | select(.final and .warmup)] | length == 2 and all(.[]; .of == 1)' "$WORK/a.jsonl" >/dev/null &&
  jq -e -s '[.[] | select(.final and (.warmup | not)) | "\(.model) \(.run)/\(.of)"] | sort ==
    ["semaphore-loop 1/3","semaphore-loop 2/3","semaphore-loop 3/3","thread-pool 1/3","thread-pool 2/3","thread-pool 3/3"]' \
    "$WORK/a.jsonl" >/dev/null && echo "ok: progress labels: warm-up 1 of 1, run k of 3" ||
  fail "progress labels: $(jq -c -s '[.[] | select(.final) | [.model,.warmup,.run,.of]]' "$WORK/a.jsonl")"
jq -e -s 'all(.[]; .final == false or (.done + .failed == .requests))' "$WORK/a.jsonl" >/dev/null &&
  echo "ok: a final line counts every request" || fail "final counts"
grep -v '^{' "$WORK/a.err" | grep -q '\[#' && fail "--progress json also drew a bar" || echo "ok: no bar with json"

# (b) The bar on a terminal (script(1) gives the run a pty): labels, an
# ETA, colour; NO_COLOR and --no-color take the colour away.
tty_run() { # NAME ENV... -- ARGS...
  local name=$1
  shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" script -qec "$(printf '%q ' "$CONCBENCH" run --model thread-pool --requests 3000 \
    --concurrency 10 --latency-ms 2ms --out "$WORK/$name" "$@")" /dev/null >"$WORK/$name.tty" 2>&1 || true
}
tty_run tty1 TERM=xterm --
grep -qaE 'thread-pool.*run 1 of 1 .*\[.*\] [0-9]+/3000 .*ETA [0-9.]+s' "$WORK/tty1.tty" &&
  echo "ok: bar with label and ETA on a terminal" || fail "tty bar: $(tr '\r' '\n' <"$WORK/tty1.tty" | grep -a thread-pool | head -3)"
grep -qa $'\033\[32m' "$WORK/tty1.tty" && echo "ok: colour on a terminal" || fail "no colour on a terminal"
tty_run tty2 TERM=xterm NO_COLOR=1 --
grep -qa $'\033\[3[0-9]m' "$WORK/tty2.tty" && fail "NO_COLOR: colour codes printed" || echo "ok: NO_COLOR honoured"
tty_run tty3 TERM=xterm -- --no-color
grep -qa $'\033\[3[0-9]m' "$WORK/tty3.tty" && fail "--no-color: colour codes printed" || echo "ok: --no-color honoured"
grep -qa $'\033\[3[0-9]m' "$WORK/a.err" "$WORK/a.out" && fail "colour in a pipe" || echo "ok: no colour in a pipe"

# (c) A bare `concbench run` says it runs the default scenario, names its
# folder after it. It is then interrupted (its exit status at start-up is
# the interruption tests' business).
"$CONCBENCH" run >"$WORK/bare.out" 2>"$WORK/bare.err" &
pid=$!
for _ in $(seq 1 300); do
  grep -q 'running the default scenario' "$WORK/bare.err" && ls -d results/*-default >/dev/null 2>&1 && break
  sleep 0.1
done
grep -q 'no arguments: running the default scenario' "$WORK/bare.err" && echo "ok: bare run says so" ||
  fail "bare run: $(head -3 "$WORK/bare.err")"
ls -d results/*-default >/dev/null 2>&1 && echo "ok: bare run's folder is named after the default scenario" ||
  fail "bare run folder: $(ls results 2>&1)"
kill -INT "$pid"
wait "$pid" || true
finish

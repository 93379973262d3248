#!/usr/bin/env bash
# Every run checks that its measurement was valid (docs/results.md,
# "Validity"): the mock API on time, the machine's CPU left to the run.
#   (a) the mock API concbench started is frozen (SIGSTOP) for 300 ms while
#       at least 30 requests are in flight at it: those answers leave
#       >= 280 ms late, 1.5% or more of the 2,000 requests, so the p99
#       lateness is far beyond the 2 ms
#       limit of a 20 ms API: the run must be invalid with reason mock_late;
#   (b) busy-looping children of this script, one per core, run beside the
#       model for the whole run: they take far more than a quarter of the
#       machine: every run must be invalid with reason others_cpu.
# What the machine does besides is not under the test's control, so a run
# is never required to be valid: every run (of both) must have reasons
# that agree with its own figures and the documented limits, the table and
# stderr must say what results.json says, and the exit status must stay 0.
#   e2e_validity.sh path/to/concbench
source "$(dirname "$0")/../lib/e2e_lib.sh"

BURNERS=()
cleanup() {
  for p in "${BURNERS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The limits' logic, re-derived from each run's own figures (jq; results.json keeps 6
# significant digits).
consistent() { # FILE
  local f=$1
  check "$f: mock_late exactly when p99 lateness > the limit" \
    '[.runs[] | (.validity.reasons | index("mock_late") != null) == (.validity.mock_late_p99_ms != null and .validity.mock_late_p99_ms > .validity.mock_late_limit_ms)] | all' "$f"
  check "$f: the lateness limit is 10% of the API latency, at most 5 ms, at least 1 ms" \
    '[.runs[].validity | .mock_late_limit_ms == ([([0.1 * .api_latency_ms, 5] | min), 1] | max)] | all' "$f"
  check "$f: others_cpu exactly when the share > 25%" \
    '[.runs[] | (.validity.reasons | index("others_cpu") != null) == (.validity.others_cpu_share != null and .validity.others_cpu_share > 0.25)] | all' "$f"
  check "$f: the share is (others + stolen) / (cores x window)" \
    '[.runs[].validity | select(.others_cpu_share != null) | (.others_cpu_share - (.others_cpu_s + .steal_s) / (.cores * .window_s)) | (. < 1e-4 and . > -1e-4)] | all' "$f"
  check "$f: the run's own CPU holds at least the model's" \
    '[.runs[] | select(.validity.own_cpu_s != null) | .validity.own_cpu_s >= .cpu_user_s + .cpu_sys_s - 1e-4] | all' "$f"
  check "$f: valid exactly when there is no reason" \
    '[.runs[] | .valid == (.validity.reasons | length == 0)] | all' "$f"
  check "$f: the summary counts the invalid runs" \
    '[.summary[] as $s | ($s.invalid_runs == ([.runs[] | select(.model == $s.model and .valid == false)] | length)) and ($s.valid == ($s.invalid_runs == 0))] | all' "$f"
  check "$f: the load average at the start is recorded" \
    '[.runs[].validity.load_avg_start | length == 3 and (.[0] | type == "number")] | all' "$f"
}

# The table and stderr say what results.json says.
reported() { # NAME
  local n=$1 m
  for m in $(jq -r '.summary[] | select(.valid == false) | .model' "$WORK/$n/results.json"); do
    grep -qE "^$m .* INVALID$" "$WORK/$n.out" && echo "ok: $n: the table marks $m INVALID" ||
      fail "$n: no INVALID mark for $m: $(grep "^$m " "$WORK/$n.out")"
    grep -q "^INVALID: $m: " "$WORK/$n.out" && echo "ok: $n: a footer line for $m" || fail "$n: no INVALID footer for $m"
    grep -q "warning: $m run [0-9]* is not a valid measurement" "$WORK/$n.err" &&
      echo "ok: $n: stderr warns about $m" || fail "$n: no warning for $m: $(cat "$WORK/$n.err")"
  done
  for m in $(jq -r '.summary[] | select(.valid == true) | .model' "$WORK/$n/results.json"); do
    grep -q "INVALID: $m:" "$WORK/$n.out" && fail "$n: $m valid but listed INVALID" || echo "ok: $n: $m valid and not marked"
  done
}

# (a) A frozen mock API.
set +e
"$CONCBENCH" run --out "$WORK/late" progress=0 --model semaphore-loop \
  --requests 2000 --concurrency 40 --latency-ms 20 >"$WORK/late.out" 2>"$WORK/late.err" &
CB=$!
# The freeze waits for 30 of the 40 requests to be in flight at the mock
# (its /__stats): only answers pending when it stops are held, and fewer
# than 1% of them would leave p99 untouched (a slow client, under ASan on
# a slow VM, had too few in flight at a freeze timed by answers alone).
mock="" port="" served=0 inflight=0 most=0
for _ in $(seq 600); do
  [ -z "$mock" ] && mock=$(for p in $(descendants $CB); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = mockapi ] && echo "$p"
  done | head -1)
  [ -n "$mock" ] && [ -z "$port" ] &&
    port=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$mock," 'index($0, p) { n = split($4, a, ":"); print a[n]; exit }')
  if [ -n "$port" ]; then
    read -r served inflight < <(curl -s --max-time 1 "http://127.0.0.1:$port/__stats" |
      jq -r '"\(.served // 0) \(.inflight // 0)"' 2>/dev/null || echo "0 0")
    [ "${inflight:-0}" -gt "$most" ] && most=$inflight
  fi
  [ "${served:-0}" -ge 200 ] && [ "${inflight:-0}" -ge 30 ] && break
  kill -0 "$CB" 2>/dev/null || break
  sleep 0.02
done
if [ "${served:-0}" -ge 200 ] && [ "${inflight:-0}" -ge 30 ]; then
  kill -STOP "$mock"
  sleep 0.3
  kill -CONT "$mock"
  echo "ok: mock API $mock frozen for 300 ms after $served answers, $inflight in flight"
else
  fail "no moment with 200 answers served and 30 in flight at the mock below concbench (mock '$mock', port '$port', served '$served', most in flight seen '$most')"
fi
wait $CB
rc=$?
set -e
[ "$rc" -eq 0 ] && echo "ok: an invalid run still exits 0" || fail "late run: exit $rc: $(tail -3 "$WORK/late.err")"
r="$WORK/late/results.json"
check "late: the run is invalid because the mock answered late" \
  '.runs[0].valid == false and (.runs[0].validity.reasons | index("mock_late") != null)' "$r"
check "late: p99 lateness of at least 100 ms recorded (answers held 300 ms)" \
  '.runs[0].validity.mock_late_p99_ms >= 100' "$r"
check "late: the run is still ok (rows right, nothing failed)" '.runs[0].ok == true and .exit_status == 0' "$r"
grep -q "the mock API answered late: p99 [0-9]* ms after the due time > 2 ms" "$WORK/late.err" &&
  echo "ok: stderr names the lateness and its limit" || fail "no lateness warning: $(cat "$WORK/late.err")"
consistent "$r"
reported late
[ "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "valid") c = i } NR == 2 { print $c }' "$WORK/late/results.csv")" = false ] &&
  echo "ok: results.csv says valid false" || fail "results.csv valid column: $(head -2 "$WORK/late/results.csv")"

# (b) A busy loop per core beside the model, from before it starts to after it ends.
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  BURNERS+=($!)
done
set +e
"$CONCBENCH" run --out "$WORK/busy" progress=0 --model thread-pool,semaphore-loop \
  --requests 1000 --concurrency 20 --latency-ms 20 >"$WORK/busy.out" 2>"$WORK/busy.err"
rc=$?
set -e
for p in "${BURNERS[@]}"; do kill "$p" 2>/dev/null || true; done
BURNERS=()
[ "$rc" -eq 0 ] && echo "ok: invalid runs still exit 0" || fail "busy run: exit $rc: $(tail -3 "$WORK/busy.err")"
r="$WORK/busy/results.json"
check "busy: every run invalid with reason others_cpu" \
  '[.runs[] | .valid == false and (.validity.reasons | index("others_cpu") != null)] | all' "$r"
check "busy: the others' share recorded above a quarter" '[.runs[].validity.others_cpu_share > 0.25] | all' "$r"
grep -q "other processes took [0-9]*% of the machine's CPU during the run" "$WORK/busy.err" &&
  echo "ok: stderr names the other processes' share" || fail "no others warning: $(cat "$WORK/busy.err")"
consistent "$r"
reported busy

# The gate: an invalid measurement voids compare's verdict (exit 2, after
# the table) unless --allow-invalid; an invalid baseline is refused.
jq '.runs[].valid = true | .runs[].validity.reasons = []' "$r" >"$WORK/valid-base.json"
set +e
"$CONCBENCH" compare "$WORK/valid-base.json" "$WORK/busy" >"$WORK/cmp.out" 2>"$WORK/cmp.err"
rc=$?
"$CONCBENCH" compare "$WORK/valid-base.json" "$WORK/busy" --allow-invalid >"$WORK/cmp2.out" 2>&1
rc2=$?
"$CONCBENCH" compare "$WORK/busy" "$WORK/valid-base.json" >"$WORK/cmp3.out" 2>"$WORK/cmp3.err"
rc3=$?
set -e
[ "$rc" -eq 2 ] && grep -q "^VOID: " "$WORK/cmp.out" && grep -q "^INVALID: results thread-pool repeat 0: not a valid measurement (.*others_cpu" "$WORK/cmp.out" &&
  echo "ok: compare: an invalid result voids the verdict, exit 2" || fail "compare invalid: exit $rc: $(tail -3 "$WORK/cmp.out") $(cat "$WORK/cmp.err")"
[ "$rc2" -eq 0 ] && grep -q "judged anyway (--allow-invalid)" "$WORK/cmp2.out" &&
  echo "ok: compare --allow-invalid judges them" || fail "compare --allow-invalid: exit $rc2: $(tail -3 "$WORK/cmp2.out")"
[ "$rc3" -eq 2 ] && grep -q "baseline run .* was not a valid measurement" "$WORK/cmp3.err" &&
  echo "ok: compare: an invalid baseline is refused" || fail "invalid baseline: exit $rc3: $(cat "$WORK/cmp3.err")"
# run --baseline refuses an invalid baseline before running anything.
set +e
"$CONCBENCH" run --out "$WORK/rebase" progress=0 --model thread-pool,semaphore-loop \
  --requests 1000 --concurrency 20 --latency-ms 20 --baseline "$r" >"$WORK/rb.out" 2>"$WORK/rb.err"
rc4=$?
set -e
[ "$rc4" -eq 2 ] && grep -q "baseline run .* was not a valid measurement .*(nothing was run)" "$WORK/rb.err" &&
  [ ! -e "$WORK/rebase/results.json" ] && echo "ok: run --baseline: an invalid baseline refused before the run" ||
  fail "run --baseline with an invalid baseline: exit $rc4: $(cat "$WORK/rb.err")"
finish

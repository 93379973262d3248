#!/usr/bin/env bash
# Sweeps: every model at every point, one complete results folder per point,
# the knee named per model, sweep.csv and the sweep chart; a swept mock API
# knob really reaches the mock API (it is restarted per point).
source "$(dirname "$0")/../lib/e2e_lib.sh"

out="$WORK/sweep"
"$CONCBENCH" run --model thread-pool,semaphore-loop --requests 200 --latency-ms 10 \
  --sweep concurrency=5,20,50 --out "$out" progress=0 >"$WORK/out" 2>"$WORK/err" \
  || fail "sweep run exited $?: $(tail -3 "$WORK/err")"
r="$out/results.json"
check "three points" '(.sweep.points | length) == 3 and (.sweep.keys == ["concurrency"])' "$r"
check "every point ran" '[.sweep.points[].ran] | all' "$r"
check "six summary rows, each tagged" '(.summary | length) == 6 and ([.summary[].sweep.concurrency] | sort == [5,5,20,20,50,50])' "$r"
check "a knee per model" '[.sweep.knee[].model] | sort == ["semaphore-loop","thread-pool"]' "$r"
# The knee recomputed from the summary rows (README: the first point, in
# the order given, whose median wall time is within 5% of the model's
# best), not read back from the code that chose it.
check "knee: the first concurrency within 5% of each model's best median wall" \
  '[.summary | group_by(.model)[] | (map(.wall_s.median) | min) as $best
     | (map(select(.wall_s.median <= $best * 1.05)) | min_by(.sweep.concurrency))
     | {model, c: .sweep.concurrency}] as $want
   | [.sweep.knee[] | {model, c: .point.concurrency}] | sort_by(.model) == ($want | sort_by(.model))' "$r"
check "all runs verified" '[.runs[].verified] | all' "$r"
# A knee at the largest value tried says so; a model with no knee is one
# whose wall times all overlap (flat), with no point.
check "at_largest: exactly the knees at concurrency 50" \
  '[.sweep.knee[] | select(.flat | not) | (.at_largest == (.point.concurrency == 50))] | all' "$r"
check "a flat model has no knee point" '[.sweep.knee[] | select(.flat) | .point == null] | all' "$r"
[ -f "$out/report.html" ] && grep -q 'id="knees"' "$out/report.html" &&
  grep -q 'href="point-3-concurrency=50/report.html"' "$out/report.html" &&
  echo "ok: the sweep's report.html with its knees and links" ||
  fail "the sweep's report.html is missing or lacks knees or links"
page_refs_resolve "$out/report.html"
for m in thread-pool semaphore-loop; do
  c=$(jq -r --arg m "$m" '.sweep.knee[] | select(.model == $m) | .point.concurrency // "none"' "$r")
  grep -q "<b>$m</b>: knee at concurrency = $c:" "$out/report.html" ||
    grep -q "<b>$m</b>: no knee" "$out/report.html" ||
    fail "report.html's knee for $m is not results.json's ($c)"
done
for p in point-1-concurrency=5 point-2-concurrency=20 point-3-concurrency=50; do
  [ -f "$out/$p/results.json" ] && [ -f "$out/$p/report.html" ] && echo "ok: $p has its own results and report" \
    || fail "$p folder incomplete"
done
check "a point's own config has its value" '.config.concurrency == 50' "$out/point-3-concurrency=50/results.json"
[ "$(wc -l <"$out/sweep.csv")" -eq 7 ] && echo "ok: sweep.csv has 6 rows" || fail "sweep.csv rows: $(wc -l <"$out/sweep.csv")"
if command -v gnuplot >/dev/null; then
  [ -s "$out/chart-sweep.png" ] && [ -s "$out/chart-sweep.svg" ] && echo "ok: sweep chart drawn" || fail "no sweep chart"
fi
grep -q "Knee per model" "$WORK/out" && echo "ok: knee printed" || fail "knee not printed"

# A swept mock knob restarts the mock API with it: latency shows in p50.
out2="$WORK/sweep-lat"
"$CONCBENCH" run --model semaphore-loop --requests 100 --concurrency 10 \
  --sweep latency_ms=5,60 --out "$out2" progress=0 >/dev/null 2>"$WORK/err2" || fail "latency sweep exited $?"
check "latency reaches the mock API" \
  '(.summary[0].api_p50_ms.median < 40) and (.summary[1].api_p50_ms.median >= 60)' "$out2/results.json"

# Errors: a string knob, an unknown knob, a bad value, and --api with a mock knob.
set +e
"$CONCBENCH" run --sweep model=a,b --out "$WORK/x" 2>"$WORK/e1"; r1=$?
"$CONCBENCH" run --sweep nosuch=1,2 --out "$WORK/x" 2>"$WORK/e2"; r2=$?
"$CONCBENCH" run --sweep concurrency=10,0 --out "$WORK/x" 2>"$WORK/e3"; r3=$?
"$CONCBENCH" run --sweep latency_ms=1,2 --api http://127.0.0.1:1 --out "$WORK/x" 2>"$WORK/e4"; r4=$?
set -e
[ $r1 -eq 2 ] && grep -q "only numeric knobs" "$WORK/e1" && echo "ok: string knob refused" || fail "string knob: $r1 $(cat "$WORK/e1")"
[ $r2 -eq 2 ] && grep -q "unknown knob 'nosuch'" "$WORK/e2" && echo "ok: unknown knob refused" || fail "unknown knob: $r2"
[ $r3 -eq 2 ] && grep -q "concurrency: 0 is out of range" "$WORK/e3" && echo "ok: bad value refused before running" || fail "bad value: $r3"
[ $r4 -eq 2 ] && grep -q "omit --api" "$WORK/e4" && echo "ok: mock sweep with --api refused" || fail "api sweep: $r4"
finish

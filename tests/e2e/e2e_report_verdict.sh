#!/usr/bin/env bash
# The verdict of a small crash run (process-pool and thread-pool, 400
# requests): results.json carries the scenario file's question and
# expectation as written in its header; the terminal, summary.md and
# report.html print the same verdict sentences; the numbers in them are
# results.json's (summary[] medians, and the crash's killed / re-delivered
# summed from runs[] here); thread-pool, which was never crashed, is "not
# applicable", compared on nothing and starred nowhere. Where chromium is installed,
# report.html rendered at 700 px still has its verdict.
source "$(dirname "$0")/../lib/e2e_lib.sh"
SCEN=$(dirname "$0")/../../scenarios/crash.conf

"$CONCBENCH" run --scenario crash --model process-pool,thread-pool --requests 400 \
  --out "$WORK/r" progress=0 >"$WORK/out" 2>"$WORK/err" ||
  fail "the run failed: $(tail -3 "$WORK/err")"
J=$WORK/r/results.json

# The header as a reader sees it: the leading '#' lines joined, "crash — "
# dropped, split at "Expect:".
header=$(awk '!/^#/ { exit } { sub(/^# ?/, ""); printf "%s%s", (NR > 1 ? " " : ""), $0 }' "$SCEN")
header=${header#crash — }
want_q=$(echo "${header%%Expect:*}" | sed 's/ *$//')
want_e=$(echo "${header#*Expect:}" | sed 's/^ *//')
[ "$(jq -r .scenario_header.question "$J")" = "$want_q" ] && echo "ok: question from the header" ||
  fail "scenario_header.question is '$(jq -r .scenario_header.question "$J")', want '$want_q'"
[ "$(jq -r .scenario_header.expect "$J")" = "$want_e" ] && echo "ok: expectation from the header" ||
  fail "scenario_header.expect is '$(jq -r .scenario_header.expect "$J")', want '$want_e'"

H=$WORK/r/report.html
# The page's text with the few entities html_esc writes turned back.
sed -e 's/<[^>]*>//g' -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' "$H" \
  >"$WORK/page.txt"
grep -q '<section id="verdict">' "$H" && echo "ok: report.html has the verdict" ||
  fail "report.html has no verdict section"
grep -qF "$want_q" "$WORK/page.txt" && grep -qF "$want_e" "$WORK/page.txt" &&
  echo "ok: report.html shows the question and the expectation" ||
  fail "report.html lacks the scenario's question or expectation"

# One aspect's sentence in each of the three outputs.
line() { grep -m1 "^ *\(- \)\?$1:" "$2" | sed 's/^ *\(- \)\?//'; }
for aspect in "wall time" "peak memory" "crash"; do
  t=$(line "$aspect" "$WORK/out")
  m=$(line "$aspect" "$WORK/r/summary.md")
  h=$(line "$aspect" "$WORK/page.txt")
  [ -n "$t" ] && [ "$t" = "$m" ] && [ "$t" = "$h" ] && echo "ok: '$aspect' the same in all three" ||
    fail "'$aspect' differs: terminal '$t' / summary.md '$m' / report.html '$h'"
done

# The numbers: each model's medians as results.json has them; process-pool
# (crashed) in the aspects' sentences, thread-pool (not crashed: compared
# with nobody) in its own pick line.
wall=$(line "wall time" "$WORK/out")
mem=$(line "peak memory" "$WORK/out")
tp=$(grep -m1 '^ *thread-pool: not crashed' "$WORK/out" || true)
for model in process-pool thread-pool; do
  w=$(jq -r --arg m "$model" '.summary[] | select(.model == $m) | .wall_s.median' "$J")
  mib=$(jq -r --arg m "$model" '.summary[] | select(.model == $m) | .peak_mem_bytes.median' "$J")
  w=$(printf '%.2f s' "$w")
  mib=$(awk -v b="$mib" 'BEGIN { printf "%.1f MiB", b / 1048576 }')
  [ "$model" = thread-pool ] && wall=$tp && mem=$tp
  case "$wall" in *"$model"*"$w"*) echo "ok: $model's wall $w in the verdict" ;;
  *) fail "wall sentence lacks $model $w: $wall" ;; esac
  case "$mem" in *"$model"*"$mib"*) echo "ok: $model's memory $mib in the verdict" ;;
  *) fail "memory sentence lacks $model $mib: $mem" ;; esac
done
case "$(line "wall time" "$WORK/out")" in *thread-pool*) fail "thread-pool compared on wall time" ;;
*) echo "ok: thread-pool, not crashed, not compared on wall time" ;; esac
crash=$(line "crash" "$WORK/out")
killed=$(jq '[.runs[] | select(.model == "process-pool") | .crash.killed] | add' "$J")
redel=$(jq '[.runs[] | select(.model == "process-pool") | .crash.redelivered] | add' "$J")
[ "$killed" -ge 1 ] || fail "no process-pool worker was killed ($killed)"
case "$crash" in *"process-pool: $killed worker(s) killed"*"$redel re-delivered"*)
  echo "ok: crash sentence says $killed killed, $redel re-delivered" ;;
*) fail "crash sentence does not match runs[] (killed $killed, re-delivered $redel): $crash" ;; esac
case "$crash" in *"not applicable, 0 killed: thread-pool"*) echo "ok: thread-pool not applicable" ;;
*) fail "crash sentence does not call thread-pool not applicable: $crash" ;; esac
row=$(grep -m1 -E '^thread-pool +(ok|NOT OK)' "$WORK/out" || true)
[ -n "$row" ] && [[ "$row" != *"*"* ]] && echo "ok: thread-pool has no star in the table" ||
  fail "thread-pool's table row is missing or starred: $row"

# The summary table highlights what the verdict says: one "best" cell per
# figure of the table that a model leads beyond the noise.
leads=$(grep -cE '^ *(wall time|CPU per request|peak memory|API p99|errors): .* leads with ' \
  "$WORK/out" || true)
best=$(awk '/<table id="summary"/ { t = 1 } t { n += gsub(/class="best"/, "") } t && /<\/table>/ { t = 0 }
            END { print n + 0 }' "$H")
[ "$leads" -eq "$best" ] && echo "ok: $best best cell(s), as many as the verdict's leads" ||
  fail "summary table has $best best cell(s), the verdict $leads lead(s)"

# A scenario header with terminal escapes, a C1 CSI and bytes that are not
# UTF-8: the verdict prints none of them raw, results.json stays valid.
printf '# hostile \xe2\x80\x94 \x1b[31mred\x1b[0m \xc2\x9b2J \xff ok\n# Expect: fine\nmodel = semaphore-loop\nrequests = 50\nconcurrency = 5\nlatency_ms = 2\n' \
  >"$WORK/hostile.conf"
"$CONCBENCH" run --scenario "$WORK/hostile.conf" --out "$WORK/h" progress=0 >"$WORK/h.out" \
  2>"$WORK/h.err" || fail "the hostile-header run failed: $(tail -2 "$WORK/h.err")"
if grep -q $'\x1b' "$WORK/h.out" || grep -qa $'\xc2\x9b' "$WORK/h.out"; then
  fail "the verdict printed the header's escapes raw"
else
  echo "ok: no escape from the scenario header reaches the terminal"
fi
[ "$(jq -r .scenario_header.question "$WORK/h/results.json")" = "[31mred [0m   2J ? ok" ] &&
  echo "ok: the header stored with controls as spaces and a bad byte as ?" ||
  fail "scenario_header.question: $(jq -c .scenario_header "$WORK/h/results.json")"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --user-data-dir="$WORK/profile" --window-size=700,1600 --dump-dom "file://$H" \
    >"$WORK/dom.html" 2>"$WORK/chromium.log" || fail "chromium could not load report.html"
  grep -q 'id="verdict-picks"' "$WORK/dom.html" && echo "ok: rendered at 700 px with the verdict" ||
    fail "the page chromium rendered has no verdict"
else
  echo "note: chromium not installed: the rendered page is not checked"
fi
# Memory over time: every run has memory-<model>-<repeat>.csv, whose
# samples never exceed the run's peak (the kernel's peak, or the sampled
# one), at most 1,024 windows (a run shorter than a tick may have none;
# some run here has some); report.html draws it.
any_rows=0
for run in $(jq -r '.runs[] | "\(.model):\(.repeat):\(.peak_mem_bytes)"' "$J"); do
  IFS=: read -r m rep peak <<<"$run"
  f=$WORK/r/memory-$m-$rep.csv
  [ -f "$f" ] || { fail "no memory-$m-$rep.csv"; continue; }
  rows=$(($(wc -l <"$f") - 1))
  top=$(awk -F, 'NR > 1 && $3 > max { max = $3 } END { printf "%.0f", max + 0 }' "$f")
  [ "$rows" -gt 0 ] && any_rows=1
  [ "$rows" -le 1024 ] && [ "$top" -le "$peak" ] &&
    echo "ok: $m $rep memory over time: $rows windows, top $top <= peak $peak" ||
    fail "memory-$m-$rep.csv: $rows windows, top $top, peak $peak"
done
[ "$any_rows" = 1 ] && echo "ok: memory sampled over time" || fail "no run has a memory sample"
# The wait spectrum's data: latency-<model>-<repeat>.csv's wait_ms column
# is ascending and its nearest-rank p50 and p99 (awk, here) are
# results.json's wait_ms; the latency chart has the wait panel.
for run in $(jq -r '.runs[] | "\(.model):\(.repeat):\(.wait_ms.p50):\(.wait_ms.p99)"' "$J"); do
  IFS=: read -r m rep p50 p99 <<<"$run"
  got=$(awk -F, 'NR == 1 { ok = $3 == "wait_ms"; next } { w[NR - 1] = $3; if ($3 + 0 < prev) ok = 0; prev = $3 + 0 }
                 END { n = NR - 1; r50 = int(0.5 * n - 1e-9) + 1; r99 = int(0.99 * n - 1e-9) + 1
                       if (0.5 * n == int(0.5 * n)) r50 = 0.5 * n
                       if (0.99 * n == int(0.99 * n)) r99 = 0.99 * n
                       printf "%d %s %s", ok, w[r50], w[r99] }' "$WORK/r/latency-$m-$rep.csv")
  awk -v g="$got" -v a="$p50" -v b="$p99" 'BEGIN { split(g, x, " "); d1 = x[2] - a; d2 = x[3] - b
      exit !(x[1] == 1 && d1 * d1 < 1e-6 && d2 * d2 < 1e-6) }' &&
    echo "ok: $m $rep wait column: p50 $p50, p99 $p99 as results.json" ||
    fail "latency-$m-$rep.csv wait_ms (ascending, p50, p99) = $got, results.json $p50 $p99"
done
awk '/<figure id="chart-latency">/ { f = 1 } f && /Wait by percentile/ { ok = 1 } f && /<\/figure>/ { f = 0 } END { exit !ok }' "$H" &&
  echo "ok: the latency chart has the wait panel" || fail "the latency chart has no wait panel"
awk '/<figure id="chart-memory-time">/ { f = 1 } f && /<svg/ { ok = 1 } f && /<\/figure>/ { f = 0 } END { exit !ok }' "$H" &&
  echo "ok: report.html draws memory over time" || fail "report.html has no memory-over-time chart"
finish

#!/usr/bin/env bash
# `concbench compare` as CI calls it: exit statuses, the table naming the
# regressed model and metric, one-line errors. No services needed.
#   test_compare.sh path/to/concbench tests/data/compare
source "$(dirname "$0")/../lib/e2e_lib.sh"
DATA=${2:?usage: $0 path/to/concbench tests/data/compare}

# expect DESCRIPTION EXIT STREAM PATTERN -- ARGS...: exit status, and
# PATTERN (grep -E) in stdout (STREAM=out) or stderr (STREAM=err).
expect() {
  local desc=$1 want=$2 stream=$3 pattern=$4
  shift 5
  set +e
  "$CONCBENCH" compare "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  set -e
  if [ "$rc" -ne "$want" ]; then
    fail "$desc: exit $rc, want $want; stderr: $(head -c 300 "$WORK/err")"
  elif ! grep -qE -- "$pattern" "$WORK/$stream"; then
    fail "$desc: $stream does not match /$pattern/: $(head -c 600 "$WORK/$stream")"
  else
    echo "ok: $desc"
  fi
}

B=$DATA/baseline.json
expect "identical" 0 out "^OK: no metric worse" -- "$B" "$B"
expect "30% slower, tight repetitions" 1 out "^thread-pool +wall s .* worse" -- "$B" "$DATA/slower-tight.json"
grep -q "^WORSE: thread-pool wall" "$WORK/out" && echo "ok: regression named" || fail "no WORSE line"
grep -q "^WORSE: process-pool" "$WORK/out" && fail "process-pool did not change" || echo "ok: only the changed model"
expect "30% slower, overlapping repetitions" 0 out "^thread-pool +wall s .* noisy" -- "$B" "$DATA/slower-noisy.json"
expect "within a 50% threshold" 0 out "^thread-pool +wall s .* same" -- "$B" "$DATA/slower-tight.json" --threshold 50%

# Single runs on each side (repeat 0 only): the minimum noise decides, and
# the output says so. Two runs of one commit 1.48x apart in p99 (measured
# on this machine) are noisy, not a regression; 1.7x is beyond the noise.
jq '.runs |= map(select(.repeat == 0))' "$B" >"$WORK/b1.json"
jq '.runs |= map(if .model == "thread-pool" then .latency_ms.p99 *= 1.48 else . end)' "$WORK/b1.json" >"$WORK/p148.json"
jq '.runs |= map(if .model == "thread-pool" then .latency_ms.p99 *= 1.7 else . end)' "$WORK/b1.json" >"$WORK/p170.json"
expect "single runs, p99 1.48x" 0 out "^thread-pool +api p99 ms +1/1 .* 1.48x .* noisy$" -- "$WORK/b1.json" "$WORK/p148.json"
grep -q "^note: a model with fewer than 3 runs on a side cannot measure its noise.*p99 +/-25%" "$WORK/out" &&
  echo "ok: says the minimum noise was used" || fail "no minimum-noise note: $(cat "$WORK/out")"
grep -q "REGRESSION" "$WORK/out" && fail "1.48x single-run p99 called a regression" || echo "ok: no regression"
expect "single runs, p99 1.7x" 1 out "^WORSE: thread-pool p99 .*beyond the minimum noise \(fewer than 3 runs on a side\)" -- "$WORK/b1.json" "$WORK/p170.json"
# One run against three: the three keep their own spread (60 ms in every
# run of the baseline), only the single run gets the band: 88.8 x 0.75 > 60.
expect "three runs against one, p99 1.48x" 1 out "^thread-pool +api p99 ms +3/1 .* worse  <<<$" -- "$B" "$WORK/p148.json"
grep -q "^note: a model with fewer than 3 runs" "$WORK/out" && echo "ok: note with one side short" || fail "no note for 3/1"
expect "three runs a side: no note" 0 out "^OK: no metric worse" -- "$B" "$B"
grep -q "^note: a model with fewer" "$WORK/out" && fail "minimum-noise note with 3 runs a side" || echo "ok: no note at 3/3"

# A folder holding a results.json, with the workload changed by jq.
mkdir -p "$WORK/cur"
jq '.config.requests = 300' "$B" >"$WORK/cur/results.json"
expect "different workload" 2 err "^concbench compare: different workload.*requests is 200 in the baseline, 300 in the results" -- "$B" "$WORK/cur"
[ "$(wc -l <"$WORK/err")" -eq 1 ] && echo "ok: one line" || fail "more than one line on stderr"
[ ! -s "$WORK/out" ] && echo "ok: no table when incomparable" || fail "table printed on exit 2"
jq '.runs |= map(select(.model != "process-pool"))' "$B" >"$WORK/cur/results.json"
expect "missing model" 2 err "model process-pool is in the baseline but not in the results" -- "$B" "$WORK/cur"
jq '.runs[1].verified = false' "$B" >"$WORK/cur/results.json"
expect "unverified run" 1 out "^UNVERIFIED: process-pool repeat 0" -- "$B" "$WORK/cur"
printf '{"schema_version": 1,' >"$WORK/cur/results.json"
expect "malformed file" 2 err "^concbench compare: results .*/results.json: line 1:" -- "$B" "$WORK/cur"
expect "missing file" 2 err "^concbench compare: baseline /nonexistent/x.json: unable to open" -- /nonexistent/x.json "$B"
expect "malformed threshold" 2 err "--threshold: 'ten%' is not a fraction" -- "$B" "$B" --threshold ten%
expect "unknown metric" 2 err "unknown metric 'latency'" -- "$B" "$B" --metric wall,latency
expect "one file" 2 err "want two files" -- "$B"
# --html: the page says what the terminal says (the same verdict line, the
# same regressions, the worse row highlighted), every <img> resolves, the
# chart is inline and nothing refers outside the page.
# page_check PAGE: the checks every page passes.
page_check() {
  local page=$1
  [ -s "$page" ] || { fail "--html wrote no page"; return; }
  grep -q '<section id="verdict">' "$page" && echo "ok: page has a verdict" || fail "page has no verdict section"
  sed -n '/<section id="verdict">/,/<\/section>/p' "$page" >"$WORK/verdict.html"
  grep -qF "$(tail -n 1 "$WORK/out" | sed 's/&/\&amp;/g')" "$WORK/verdict.html" &&
    echo "ok: page ends on the terminal's verdict" || fail "page lacks the terminal's verdict line: $(tail -n 1 "$WORK/out")"
  page_refs_resolve "$page"
  ! grep -Eo '(src|href)="[^"#][^"]*"|https?://[^"]*' "$page" | grep -qv -E '^https?://www\.w3\.org/' &&
    echo "ok: page self-contained" || fail "page refers to something outside itself"
  if command -v gnuplot >/dev/null; then
    grep -q '<figure id="chart-compare">' "$page" && grep -q '<svg role="img"' "$page" &&
      echo "ok: chart inline" || fail "page has no inline chart: $(grep -o 'Not drawn[^<]*' "$page")"
  fi
}
expect "html: regression" 1 out "^REGRESSION" -- "$B" "$DATA/slower-tight.json" --html "$WORK/page.html"
page_check "$WORK/page.html"
want=$(grep -c '^WORSE: ' "$WORK/out")
got=$(grep -c '<tr class="worse">' "$WORK/page.html" || true)
[ "$got" -eq "$want" ] && echo "ok: $got worse row(s) highlighted" || fail "page highlights $got row(s), the terminal names $want"
grep -q '<li class="regression">WORSE: thread-pool wall s: ' "$WORK/page.html" &&
  echo "ok: page names the regression" || fail "page does not name thread-pool wall"
grep -q '<li class="regression">WORSE: process-pool' "$WORK/page.html" && fail "page names process-pool" || true
expect "html: no regression" 0 out "^OK: no metric worse" -- "$B" "$DATA/slower-noisy.json" --html "$WORK/ok.html"
page_check "$WORK/ok.html"
grep -q 'class="regression"' "$WORK/ok.html" && fail "OK page lists a regression" || echo "ok: OK page lists none"
# A model name that would be code in a double-quoted gnuplot string.
evil="x'\`touch $WORK/pwned\`\"<b>"
jq --arg m "$evil" '.runs |= map(if .model == "thread-pool" then .model = $m else . end)' "$B" >"$WORK/eb.json"
jq --arg m "$evil" '.runs |= map(if .model == "thread-pool" then .model = $m else . end)' "$DATA/slower-tight.json" >"$WORK/ec.json"
expect "html: hostile model name" 1 out "^REGRESSION" -- "$WORK/eb.json" "$WORK/ec.json" --html "$WORK/evil.html"
page_check "$WORK/evil.html"
[ ! -e "$WORK/pwned" ] && echo "ok: model name not run" || fail "a model name ran as a command in gnuplot"
grep -q '<b>' "$WORK/evil.html" && fail "model name not escaped in the page" || echo "ok: name escaped"
# Two results folders with latency-<model>-0.csv: the page draws each
# model's spectra, baseline and current; two bare files cannot.
mkdir -p "$WORK/fb" "$WORK/fc"
cp "$B" "$WORK/fb/results.json"
cp "$DATA/slower-tight.json" "$WORK/fc/results.json"
for side in fb fc; do
  for m in thread-pool process-pool; do
    awk 'BEGIN { print "api_ms,cdf,wait_ms"; for (k = 1; k <= 200; k++) printf "%.3f,%.6f,%.3f\n", 50 + 10 * (k / 200) ^ 8, k / 200, k * 0.1 }' \
      >"$WORK/$side/latency-$m-0.csv"
  done
done
expect "html: two folders" 1 out "^REGRESSION" -- "$WORK/fb" "$WORK/fc" --html "$WORK/folders.html"
page_check "$WORK/folders.html"
if command -v gnuplot >/dev/null; then
  awk '/<figure id="chart-compare-latency">/ { f = 1 } f && /<svg/ { ok = 1 } f && /<\/figure>/ { f = 0 } END { exit !ok }' "$WORK/folders.html" &&
    echo "ok: latency spectra of both sides drawn" || fail "no latency spectra: $(grep -o 'Latency spectra not drawn[^<]*' "$WORK/folders.html")"
  grep -q 'Latency spectra not drawn: no model has latency-' "$WORK/page.html" &&
    echo "ok: bare files: the page says why there are no spectra" || fail "bare files: no note on the missing spectra"
fi
expect "html without a baseline" 2 err "^concbench compare: --html compares two results" -- "$B" --max-error-rate 5% --html "$WORK/x.html"
expect "html into a missing folder" 2 err "^concbench compare: cannot write /nonexistent/" -- "$B" "$B" --html /nonexistent/p.html
expect "help" 0 out "^usage: concbench compare" -- --help
finish

#!/usr/bin/env bash
# `concbench plot DIR` on a stored results folder (tests/data/plot-sample,
# synthetic: see its README): summary files, every chart as PNG and SVG,
# report.html with the table and every chart inline; a clear exit 2 for a
# missing or malformed folder; without gnuplot, exit 0 with one line and a
# page without charts.
#   test_plot.sh CONCBENCH SAMPLE_DIR             the checks above
#   test_plot.sh CONCBENCH SAMPLE_DIR --chromium  loads report.html in
#       headless Chromium and checks the rendered page; exits 77 (skipped)
#       when chromium is not installed.
set -euo pipefail

CONCBENCH=${1:?usage: test_plot.sh CONCBENCH SAMPLE_DIR [--chromium]}
SAMPLE=${2:?usage: test_plot.sh CONCBENCH SAMPLE_DIR [--chromium]}
MODE=${3:-}
CHARTS=(chart-wall chart-cpu chart-memory chart-errors chart-latency chart-throughput chart-memory-time)

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# figure_has_svg FILE CHART: FILE has <figure id="CHART"> holding an <svg>.
figure_has_svg() {
    awk -v open="<figure id=\"$2\">" '
        index($0, open) { inside = 1 }
        inside && /<svg/ { found = 1 }
        inside && /<\/figure>/ { inside = 0 }
        END { exit !found }' "$1"
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/results
cp -r "$SAMPLE" "$OUT"
rm -f "$OUT/README.md"
NMODELS=$(jq '.summary | length' "$OUT/results.json")
[ "$NMODELS" -ge 2 ] || fail "the sample must have several models (has $NMODELS)"

if [ "$MODE" = --chromium ]; then
    CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$CHROMIUM" ]; then
        echo "SKIP: chromium not installed (apt-get install chromium to run this check)"
        exit 77
    fi
    "$CONCBENCH" plot "$OUT" >/dev/null
    # --dump-dom prints the DOM after the page loaded: what a browser shows.
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --user-data-dir="$TMP/profile" \
        --dump-dom "file://$OUT/report.html" >"$TMP/dom.html" 2>"$TMP/chromium.log" ||
        fail "chromium could not load report.html: $(tail -n 3 "$TMP/chromium.log")"
    grep -q '<table id="summary"' "$TMP/dom.html" || fail "rendered page has no summary table"
    rows=$(awk '/<table id="summary"/ { t = 1 } t { n += gsub(/<tr/, "") } t && /<\/table>/ { t = 0 }
                END { print n + 0 }' "$TMP/dom.html")
    [ "$rows" -eq $((NMODELS + 1)) ] || fail "rendered summary table has $rows rows, want $((NMODELS + 1))"
    for c in "${CHARTS[@]}"; do
        figure_has_svg "$TMP/dom.html" "$c" || fail "rendered page lacks $c or its inline <svg>"
    done
    grep -q '<section id="verdict">' "$TMP/dom.html" || fail "rendered page has no verdict section"
    # Every <img> and every link of the rendered page resolves: a data:
    # URL, an anchor that exists in the page, or a file in the folder.
    refs=$(grep -Eo '<img [^>]*src="[^"]*"|<a [^>]*href="[^"]*"' "$TMP/dom.html" |
        sed -E 's/.*(src|href)="//; s/"$//' || true)
    for ref in $refs; do
        case $ref in
        data:*) ;;
        http://www.w3.org/* | https://www.w3.org/*) ;;
        \#*) grep -q " id=\"${ref#\#}\"" "$TMP/dom.html" || fail "link $ref: no such id in the page" ;;
        *://*) fail "the page refers outside itself: $ref" ;;
        *) [ -e "$OUT/${ref%%#*}" ] || fail "<img>/link $ref does not resolve in the folder" ;;
        esac
    done
    echo "ok: $(echo "$refs" | grep -c . || true) <img>/link(s) resolve"
    echo "PASS (chromium)"
    exit 0
fi

command -v gnuplot >/dev/null || fail "gnuplot is needed for this test (scripts/install-deps.sh installs gnuplot-nox)"

# 1. A full plot.
"$CONCBENCH" plot "$OUT" >"$TMP/out" 2>"$TMP/err" || fail "concbench plot exited $?: $(cat "$TMP/err")"
[ ! -s "$TMP/err" ] || fail "concbench plot printed on stderr: $(cat "$TMP/err")"
for c in "${CHARTS[@]}"; do
    [ -s "$OUT/$c.png" ] || fail "$c.png missing or empty"
    [ "$(head -c 4 "$OUT/$c.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] || fail "$c.png is not a PNG"
    [ -s "$OUT/$c.svg" ] && grep -q '<svg' "$OUT/$c.svg" || fail "$c.svg missing or not SVG"
    [ -s "$OUT/$c.gp" ] || fail "$c.gp was not copied into the folder"
done

# summary.csv: a header and one row per model, figures as in results.json.
[ "$(wc -l <"$OUT/summary.csv")" -eq $((NMODELS + 1)) ] || fail "summary.csv has $(wc -l <"$OUT/summary.csv") lines, want $((NMODELS + 1))"
for m in $(jq -r '.summary[].model' "$OUT/results.json"); do
    want=$(jq -r --arg m "$m" '.summary[] | select(.model == $m) | .wall_s.median' "$OUT/results.json")
    got=$(awk -F, -v m="$m" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
                           $1 == m { print $col["wall_s_median"] }' "$OUT/summary.csv")
    awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(b != "" && (d < 0 ? -d : d) <= 1e-5 * a) }' ||
        fail "summary.csv wall_s_median of $m is '$got', results.json says $want"
    unverified=$(jq -r --arg m "$m" '.summary[] | select(.model == $m) | .verified | not' "$OUT/results.json")
    if [ "$unverified" = true ]; then
        grep -q "^$m,[0-9]*,NO," "$OUT/summary.csv" || fail "summary.csv does not mark $m NO"
        grep -q "^| $m | \*\*NO\*\* |" "$OUT/summary.md" || fail "summary.md does not mark $m NO"
        grep -q "UNVERIFIED: $m" "$OUT/report.html" || fail "report.html has no UNVERIFIED banner for $m"
    else
        grep -q "^$m,[0-9]*,yes," "$OUT/summary.csv" || fail "summary.csv does not mark $m verified"
    fi
done
jq -e '[.summary[] | select(.verified | not)] | length > 0' "$OUT/results.json" >/dev/null ||
    fail "the sample must have an unverified model"

# report.html: the table, one inline SVG per chart, nothing external.
H=$OUT/report.html
grep -q '<table id="summary"' "$H" || fail "report.html has no summary table"
[ "$(grep -o '<svg' "$H" | wc -l)" -eq ${#CHARTS[@]} ] || fail "report.html has $(grep -o '<svg' "$H" | wc -l) <svg, want ${#CHARTS[@]}"
for c in "${CHARTS[@]}"; do
    figure_has_svg "$H" "$c" || fail "report.html lacks $c or its inline <svg>"
done
# (The only URLs allowed are the SVG/XLink namespace names, never fetched.)
external=$(grep -Eo '(src|href)="[^"#][^"]*"|https?://[^"]*' "$H" | grep -v -E '^https?://www\.w3\.org/' || true)
[ -z "$external" ] || fail "report.html refers to something outside itself: $(echo "$external" | head -n 1)"
dups=$(grep -Eo " id=[\"'][^\"']*[\"']" "$H" | sort | uniq -d || true)
[ -z "$dups" ] || fail "report.html repeats ids (the charts' SVG ids must be made unique): $(echo $dups | cut -c1-120)"

# The verdict, from the sample's summary[]: the peak-memory leader is the
# ok model with the lowest median (semaphore-loop's 14.2 MiB lies clear of
# process-pool's 95.3 MiB even with the +/-8% minimum noise); the
# unverified model is not compared; and the table's green cells are as many
# as the verdict's leads among the table's figures.
grep -q '<section id="verdict">' "$H" || fail "report.html has no verdict"
lowest=$(jq -r '[.summary[] | select(.ok // .verified)] | min_by(.peak_mem_bytes.median) | .model' "$OUT/results.json")
grep -q "^- peak memory: $lowest leads with" "$OUT/summary.md" ||
    fail "summary.md's verdict does not give peak memory to $lowest: $(grep -m1 'peak memory:' "$OUT/summary.md")"
for m in $(jq -r '.summary[] | select(.verified | not) | .model' "$OUT/results.json"); do
    grep -q "^- not compared: $m" "$OUT/summary.md" || fail "summary.md compares unverified $m"
done
leads=$(grep -cE '^- (wall time|CPU per request|peak memory|API p99|errors): .* leads with ' \
    "$OUT/summary.md" || true)
best=$(awk '/<table id="summary"/ { t = 1 } t { n += gsub(/class="best"/, "") } t && /<\/table>/ { t = 0 }
            END { print n + 0 }' "$H")
[ "$leads" -ge 1 ] && [ "$leads" -eq "$best" ] ||
    fail "summary table has $best best cell(s), the verdict $leads lead(s)"

# The folder is re-plottable by hand with the copied scripts.
rm "$OUT/chart-wall.png"
(cd "$OUT" && gnuplot chart-wall.gp) || fail "gnuplot chart-wall.gp failed inside the folder"
[ -s "$OUT/chart-wall.png" ] || fail "gnuplot chart-wall.gp did not redraw chart-wall.png"

# 2. Clear failures: missing folder, malformed results.json.
rc=0
"$CONCBENCH" plot /nonexistent/concbench-results 2>"$TMP/err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "plot of a missing folder exited $rc, want 2"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q '/nonexistent/concbench-results' "$TMP/err" ||
    fail "plot of a missing folder should print one line naming it, got: $(cat "$TMP/err")"
BAD=$TMP/bad
mkdir "$BAD"
printf '{"schema_version": 1, "runs": [' >"$BAD/results.json"
rc=0
"$CONCBENCH" plot "$BAD" 2>"$TMP/err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] && grep -q 'malformed' "$TMP/err" || fail "malformed results.json: exit $rc, stderr: $(cat "$TMP/err")"

# 3. Without gnuplot: exit 0, one line saying so, everything but the charts.
NOGP=$TMP/nogp
cp -r "$SAMPLE" "$NOGP"
mkdir "$TMP/emptybin"
PATH=$TMP/emptybin "$CONCBENCH" plot "$NOGP" >/dev/null 2>"$TMP/err" || fail "plot without gnuplot exited $?"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q 'gnuplot not found: charts skipped; install gnuplot-nox' "$TMP/err" ||
    fail "plot without gnuplot should print one line, got: $(cat "$TMP/err")"
for f in summary.csv summary.md report.html bars.dat errors.dat cdf.dat throughput.dat plotvars.gp common.gp chart-wall.gp; do
    [ -s "$NOGP/$f" ] || fail "without gnuplot, $f was not written"
done
! ls "$NOGP"/chart-*.png "$NOGP"/chart-*.svg >/dev/null 2>&1 || fail "without gnuplot, charts exist"
grep -q 'id="charts-note"' "$NOGP/report.html" && ! grep -q '<svg' "$NOGP/report.html" ||
    fail "without gnuplot, report.html should say charts were skipped and hold none"
grep -q '<table id="summary"' "$NOGP/report.html" || fail "without gnuplot, report.html lacks the summary table"

# 4. A gnuplot that fails: exit 2 with its error line, no half-drawn chart,
#    and the page says why each chart is missing.
FAILGP=$TMP/failgp
cp -r "$SAMPLE" "$FAILGP"
mkdir "$TMP/failbin"
printf '#!/bin/sh\necho "warning: noise" >&2\necho "\\"$1\\" line 3: deliberate failure" >&2\nexit 1\n' >"$TMP/failbin/gnuplot"
chmod +x "$TMP/failbin/gnuplot"
rc=0
PATH=$TMP/failbin:$PATH "$CONCBENCH" plot "$FAILGP" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'chart-wall.gp" line 3: deliberate failure' "$TMP/err" ||
    fail "failing gnuplot: exit $rc, stderr: $(cat "$TMP/err")"
! ls "$FAILGP"/chart-*.png "$FAILGP"/chart-*.svg >/dev/null 2>&1 || fail "failing gnuplot left charts behind"
grep -q 'Not drawn: gnuplot failed on' "$FAILGP/report.html" || fail "failing gnuplot: report.html does not say why"

# 5. One chart of several fails (charts draw side by side, one per core):
#    that chart alone is missing, its own error is the one told, and every
#    other chart is drawn whole.
ONEGP=$TMP/onegp
cp -r "$SAMPLE" "$ONEGP"
rm -f "$ONEGP"/chart-*.png "$ONEGP"/chart-*.svg
mkdir "$TMP/onebin"
cat >"$TMP/onebin/gnuplot" <<EOF
#!/bin/sh
[ "\$1" = chart-cpu.gp ] || exec $(command -v gnuplot) "\$@"
echo "\$1 line 7: only this one" >&2
exit 1
EOF
chmod +x "$TMP/onebin/gnuplot"
rc=0
PATH=$TMP/onebin:$PATH "$CONCBENCH" plot "$ONEGP" >/dev/null 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q 'chart-cpu.gp line 7: only this one' "$TMP/err" ||
    fail "one failing chart: exit $rc, stderr: $(cat "$TMP/err")"
! ls "$ONEGP"/chart-cpu.* 2>/dev/null | grep -q '\.png\|\.svg' || fail "one failing chart: chart-cpu was left behind"
for c in "${CHARTS[@]}"; do
    [ "$c" = chart-cpu ] && continue
    [ -s "$ONEGP/$c.png" ] && [ -s "$ONEGP/$c.svg" ] && figure_has_svg "$ONEGP/report.html" "$c" ||
        fail "one failing chart: $c was not drawn"
done
figure_has_svg "$ONEGP/report.html" chart-cpu && fail "one failing chart: chart-cpu is on the page"
grep -q 'Not drawn: gnuplot failed on chart-cpu.gp' "$ONEGP/report.html" ||
    fail "one failing chart: report.html does not say why chart-cpu is missing"

echo PASS

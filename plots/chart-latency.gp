# API latency percentile spectrum per model, every repetition (one line
# each): for each percentile p on the x axis, the API latency (request on
# the wire to response complete, final attempt; docs/results.md; a
# schema-1 folder's latency: first attempt to the end of the transform)
# that a fraction p of the succeeded requests stayed at or below. x is
# 1 / (1 - p) on a log scale, as in HdrHistogram's plots, so p90, p99,
# p99.9 and p99.99 are a decade apart each and the tail gets as much room
# as the median. Inputs: plotvars.gp, cdf.dat (one block per model, one
# line per repetition).
# Below it, the same spectrum of the wait (the model took the id -> its
# first request on the wire: slot, queue, backlog), so what the API took and
# what the model made each request wait before it are told apart: two
# panels, each with its own log scale. A folder recorded before wait_ms
# was kept in latency-<model>-*.csv shows the API panel only.
load "plotvars.gp"
load "common.gp"
chart = "chart-latency"

# A fraction p at 1 / (1 - p); the last point (p = 1) has no place.
spectrum(p) = p < 1 ? 1 / (1 - p) : 1/0
set logscale x 10
set xrange [1:10000]
set xtics ("p0" 1, "p50" 2, "p90" 10, "p99" 100, "p99.9" 1000, "p99.99" 10000) nomirror
set logscale y 10
set format y "%g"
any_wait = 0
do for [i=1:nmodels] { any_wait = any_wait + wait_data[i] }
# A log y axis with ticks fitted to the data's decades, from the stats of
# log10 of the column plotted; none when it has no positive value.
# (stats filters by the axes' ranges and log scales: lifted meanwhile.)
fit_y(col) = sprintf("undefine STATS_*; unset logscale xy; set xrange [*:*]; set yrange [*:*]; " . \
    "stats 'cdf.dat' using ($%d > 0 ? log10($%d) : 1/0) nooutput; set logscale xy 10; set xrange [1:10000]; " . \
    "if (exists('STATS_max')) { decades = STATS_max - STATS_min; " . \
    "set yrange [10**(STATS_min - 0.05 - decades * 0.05):10**(STATS_max + 0.05 + decades * 0.05)]; " . \
    "set ytics () nomirror; do for [k=floor(STATS_min)-1:ceil(STATS_max)] { " . \
    "do for [m in (decades < 1.3 ? '1 1.5 2 3 5 7' : decades < 3 ? '1 2 5' : '1')] { set ytics add (m * 10.0**k) } } } " . \
    "else { set yrange [0.1:10] }", col, col)
set grid xtics ytics lc rgb "#DDDDDD"
set xlabel "percentile of succeeded requests (log scale of 1 / (1 - p))"
set key top left

do for [fmt in formats] {
    eval cb_term(fmt, 960, any_wait ? 960 : 560)
    if (any_wait) { set multiplot layout 2, 1 }
    eval fit_y(1)
    set ylabel "API latency: request on the wire to response (ms, log scale)"
    set title sprintf("API latency by percentile (every repetition)\n%s", title_suffix)
    plot for [i=1:nmodels] "cdf.dat" index (i-1) using (spectrum($2)):1 with lines lw 2.5 \
         dt 1+(1-verified[i]) lc rgb color[i] title keytitle(i).(latency_data[i] ? "" : " (no data)")
    if (any_wait) {
        eval fit_y(3)
        set ylabel "wait: id taken to first request on the wire (ms, log scale)"
        set title "Wait by percentile (every repetition): what the model made each request wait before the API (0 ms left out)"
        plot for [i=1:nmodels] "cdf.dat" index (i-1) using (spectrum($2)):($3 > 0 ? $3 : 1/0) with lines lw 2.5 \
             dt 1+(1-verified[i]) lc rgb color[i] title keytitle(i).(wait_data[i] ? "" : " (no wait data)")
        unset multiplot
    }
    unset output
}

# API latency percentile spectrum per model, every repetition (one line
# each): for each percentile p on the x axis, the API latency (request on
# the wire to response complete, final attempt; docs/results.md; a
# schema-1 folder's latency: first attempt to the end of the transform)
# that a fraction p of the succeeded requests stayed at or below. x is
# 1 / (1 - p) on a log scale, as in HdrHistogram's plots, so p90, p99,
# p99.9 and p99.99 are a decade apart each and the tail gets as much room
# as the median. Inputs: plotvars.gp, cdf.dat (one block per model, one
# line per repetition).
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
stats "cdf.dat" using (log10($1)) nooutput
decades = STATS_max - STATS_min
set yrange [10**(STATS_min - 0.05 - decades * 0.05):10**(STATS_max + 0.05 + decades * 0.05)]
set ytics () nomirror
do for [k=floor(STATS_min)-1:ceil(STATS_max)] {
    do for [m in (decades < 1.3 ? "1 1.5 2 3 5 7" : decades < 3 ? "1 2 5" : "1")] {
        set ytics add (m * 10.0**k)
    }
}
set grid xtics ytics lc rgb "#DDDDDD"
set xlabel "percentile of succeeded requests (log scale of 1 / (1 - p))"
set ylabel "API latency: request on the wire to response (ms, log scale)"
set key top left
set title sprintf("API latency by percentile (every repetition)\n%s", title_suffix)

do for [fmt in formats] {
    eval cb_term(fmt, 960, 560)
    plot for [i=1:nmodels] "cdf.dat" index (i-1) using (spectrum($2)):1 with lines lw 2.5 \
         dt 1+(1-verified[i]) lc rgb color[i] title keytitle(i).(latency_data[i] ? "" : " (no data)")
    unset output
}

# API latency CDF per model (repetition 0): for each latency on the log x
# axis, the fraction of succeeded requests whose final attempt took at most
# that long from its request on the wire to its response complete
# (docs/results.md; a schema-1 folder's latency: first attempt to the end
# of the transform). Dotted lines
# mark p50 and p99. Inputs: plotvars.gp, cdf.dat (one block per model).
load "plotvars.gp"
load "common.gp"
chart = "chart-latency"

set logscale x 10
set format x "%g"
# Labelled ticks dense enough for the range the data spans: 1-1.5-2-3-5-7
# within about a decade, 1-2-5 within three, one per decade beyond.
stats "cdf.dat" using (log10($1)) nooutput
decades = STATS_max - STATS_min
set xrange [10**(STATS_min - 0.02 - decades * 0.02):10**(STATS_max + 0.02 + decades * 0.02)]
set xtics () nomirror
do for [k=floor(STATS_min)-1:ceil(STATS_max)] {
    do for [m in (decades < 1.3 ? "1 1.5 2 3 5 7" : decades < 3 ? "1 2 5" : "1")] {
        set xtics add (m * 10.0**k)
    }
}
set mxtics 10
set grid xtics mxtics ytics lc rgb "#DDDDDD"
set xlabel "API latency: request on the wire to response complete (ms, log scale)"
set ylabel "fraction of succeeded requests at or below"
set yrange [0:1.02]
set ytics 0.1
set key bottom right
set title sprintf("API latency CDF (repetition 0)\n%s", title_suffix)
do for [q in "0.5 0.99"] {
    set arrow from graph 0, first q+0 to graph 1, first q+0 nohead dt 3 lc rgb "#888888" back
}
set rmargin 6
set label 1 "p50" at graph 1, first 0.5 offset 0.6,0 textcolor rgb cb_note
set label 2 "p99" at graph 1, first 0.99 offset 0.6,0 textcolor rgb cb_note

do for [fmt in formats] {
    eval cb_term(fmt, 960, 560)
    plot for [i=1:nmodels] "cdf.dat" index (i-1) using 1:2 with lines lw 2.5 dt 1+(1-verified[i]) \
         lc rgb color[i] title keytitle(i).(latency_data[i] ? "" : " (no data)")
    unset output
}

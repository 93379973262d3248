# `concbench compare --html` with two results folders: each model's API
# latency by percentile in repetition 0, the baseline dashed and the
# current solid, one panel per model. x is 1 / (1 - p) on a log scale, as
# in chart-latency: p90, p99, p99.9 a decade apart.
# Inputs: comparevars.gp (nmodels, model[], color[]), comparelat.gp
# (lat_data[]: both sides have the file) and comparelat.dat (per model
# two blocks, baseline then current: api cdf wait).
load "comparevars.gp"
load "comparelat.gp"
load "common.gp"
chart = "chart-compare-latency"

spectrum(p) = p < 1 ? 1 / (1 - p) : 1/0
rows = int((nmodels + 1) / 2)
set logscale xy 10
set xrange [1:10000]
set xtics ("p0" 1, "p50" 2, "p90" 10, "p99" 100, "p99.9" 1000, "p99.99" 10000) nomirror
set format y "%g"
set grid xtics ytics lc rgb "#DDDDDD"
set ylabel "API latency (ms)"
set key top left

do for [fmt in formats] {
    eval cb_term(fmt, 1200, 330 * rows + 60)
    set multiplot layout rows,2 title "API latency by percentile, repetition 0: baseline dashed, current solid"
    do for [i=1:nmodels] {
        set title model[i].(lat_data[i] ? "" : " (no latency file on a side)")
        plot "comparelat.dat" index (2*i-2) using (spectrum($2)):1 with lines lw 2 dt 2 lc rgb color[i] title "baseline", \
             "comparelat.dat" index (2*i-1) using (spectrum($2)):1 with lines lw 2.5 lc rgb color[i] title "current"
    }
    unset multiplot
    unset output
}

# Requests that failed for good (after retries) as a share of N: bar at
# the median, whiskers min to max, median printed above. results.json and
# report.html break failures down by class.
# Inputs: plotvars.gp, bars.dat (columns listed at its top).
load "plotvars.gp"
load "common.gp"
chart = "chart-errors"

eval cb_bars_axes
stats "bars.dat" using 16 nooutput
set yrange [0:(STATS_max > 0 ? STATS_max * 1.25 : 1)]
# Nothing failed: say so across the frame rather than leave it empty.
if (STATS_max <= 0) {
    set label 9 "No errors: no request failed for good in any model" at graph 0.5, graph 0.6 \
        center font ",16" textcolor rgb cb_ink front
}
set ylabel "failed requests (% of N)"
set title sprintf("Error rate per model (%s)\n%s", runs_note, title_suffix)

do for [fmt in formats] {
    eval cb_term(fmt, 960, 540)
    plot for [i=1:nmodels] "bars.dat" every ::(i-1)::(i-1) using 1:14 with boxes fs @cb_bar_fill lc rgb color[i], \
         "bars.dat" using 1:($18 != 0 ? 1/0 : $14) with boxes fs transparent pattern 4 noborder lc rgb cb_red \
             title (any_unverified ? cb_unverified : ""), \
         "bars.dat" using 1:(cb_whisker_lo($15, $16)):(0):($16 - $15) with vectors @cb_whisker, \
         "bars.dat" using 1:16:(sprintf("%.2f%%", $14)) with labels offset 0,0.8 textcolor rgb cb_ink, \
         "bars.dat" using 1:16:($18 != 0 ? "" : "UNVERIFIED") with labels offset 0,2 textcolor rgb cb_red
    unset output
}

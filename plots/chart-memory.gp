# Peak memory of each model's whole process tree (by the method results.json
# names): bar at the median, whiskers min to max, median printed above.
# Inputs: plotvars.gp, bars.dat (columns listed at its top).
load "plotvars.gp"
load "common.gp"
chart = "chart-memory"

eval cb_bars_axes
stats "bars.dat" using 7 nooutput
set yrange [0:(STATS_max > 0 ? STATS_max * 1.2 : 1)]
set ylabel "peak memory of the process tree (MiB)"
set title sprintf("Peak memory per model (%s)\n%s\n%s", runs_note, title_suffix, mem_method)

do for [fmt in formats] {
    eval cb_term(fmt, 960, 540)
    plot for [i=1:nmodels] "bars.dat" every ::(i-1)::(i-1) using 1:5 with boxes fs @cb_bar_fill lc rgb color[i], \
         "bars.dat" using 1:($18 != 0 ? 1/0 : $5) with boxes fs transparent pattern 4 noborder lc rgb cb_red \
             title (any_unverified ? cb_unverified : ""), \
         "bars.dat" using 1:(cb_whisker_lo($6, $7)):(0):($7 - $6) with vectors @cb_whisker, \
         "bars.dat" using 1:7:(sprintf("%.1f MiB", $5)) with labels offset 0,0.8 textcolor rgb cb_ink, \
         "bars.dat" using 1:7:($18 != 0 ? "" : "UNVERIFIED") with labels offset 0,2 textcolor rgb cb_red
    unset output
}

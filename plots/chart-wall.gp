# Wall time per model: the bar is the median over the measured runs, the
# whiskers span min to max, the median is printed above. The dashed line is
# the floor ceil(N/C) × latency: the least time any model bounded by C can
# take. Inputs: plotvars.gp, bars.dat (columns listed at its top).
load "plotvars.gp"
load "common.gp"
chart = "chart-wall"

eval cb_bars_axes
stats "bars.dat" using 4 nooutput
ymax = (STATS_max > floor_s ? STATS_max : floor_s)
set yrange [0:(ymax > 0 ? ymax * 1.2 : 1)]
set ylabel "wall time (s)"
set title sprintf("Wall time per model (%s)\n%s", runs_note, title_suffix)

do for [fmt in formats] {
    eval cb_term(fmt, 960, 540)
    plot for [i=1:nmodels] "bars.dat" every ::(i-1)::(i-1) using 1:2 with boxes fs @cb_bar_fill lc rgb color[i], \
         "bars.dat" using 1:($18 != 0 ? 1/0 : $2) with boxes fs transparent pattern 4 noborder lc rgb cb_red \
             title (any_unverified ? cb_unverified : ""), \
         "bars.dat" using 1:(cb_whisker_lo($3, $4)):(0):($4 - $3) with vectors @cb_whisker, \
         "bars.dat" using 1:4:(sprintf("%.2f s", $2)) with labels offset 0,0.8 textcolor rgb cb_ink, \
         (floor_s > 0 ? floor_s : 1/0) with lines dt 2 lw 2 lc rgb cb_note \
             title (floor_s > 0 ? sprintf("floor ceil(N/C) × latency = %.2f s", floor_s) : ""), \
         "bars.dat" using 1:4:($18 != 0 ? "" : "UNVERIFIED") with labels offset 0,2 textcolor rgb cb_red
    unset output
}

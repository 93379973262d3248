# Requests that failed for good (after retries) as a share of N, stacked by
# class (errors.dat: cumulative, mean per run, in outcome.h's class order),
# with whiskers from the min to the max of the runs' error rate and the
# total printed above. When nothing failed the frame says so.
# Inputs: plotvars.gp, bars.dat and errors.dat (columns listed at their top).
load "plotvars.gp"
load "common.gp"
chart = "chart-errors"

eval cb_bars_axes
# ncls and cls_name[] (the classes' names) come from plotvars.gp.
array cls_color[9] = ["#E69F00", "#F0E442", "#C00000", "#7F3C8D", "#0072B2", "#D55E00", "#999999", "#000000", "#BBBBBB"]
stats "bars.dat" using 16 nooutput
top = STATS_max
stats "errors.dat" using (column(ncls+1)) nooutput
top = STATS_max > top ? STATS_max : top
set yrange [0:(top > 0 ? top * 1.3 : 1)]
set ylabel "failed requests (% of N)"
set key top left
set title sprintf("Failed for good, by class (%s)\n%s", runs_note, title_suffix)
if (top <= 0) {
    set label 9 "No errors: no request failed for good in any model" at graph 0.5, graph 0.6 \
        center font ",16" textcolor rgb cb_ink front
}
# A class is in the key only when some model had it: the column's
# increase over the previous one.
stats "errors.dat" using 2 nooutput
array cls_any[ncls]
cls_any[1] = STATS_max > 0
do for [k=2:ncls] {
    stats "errors.dat" using (column(k+1) - column(k)) nooutput
    cls_any[k] = STATS_max > 0
}

do for [fmt in formats] {
    eval cb_term(fmt, 960, 540)
    plot for [k=ncls:1:-1] "errors.dat" using 1:(column(k+1)) with boxes fs solid 0.9 border lc rgb '#333333' \
             lc rgb cls_color[(k-1)%9+1] title (cls_any[k] ? cls_name[k] : ""), \
         "bars.dat" using 1:(cb_whisker_lo($15, $16)):(0):($16 - $15) with vectors @cb_whisker, \
         "errors.dat" using 1:(column(ncls+1)):(sprintf("%.2f%%", column(ncls+1))) with labels offset 0,0.8 textcolor rgb cb_ink notitle, \
         "bars.dat" using 1:16:($18 != 0 ? "" : "UNVERIFIED") with labels offset 0,2 textcolor rgb cb_red notitle
    unset output
}

# `concbench compare --html`: the baseline against the current results, one
# panel per compared metric, two bars per model: the baseline pale on the
# left, the current figure solid on the right, red when compare judged it
# worse (beyond the threshold and the noise). Bars are medians, whiskers
# min–max of the repetitions; lower is better everywhere.
# Inputs: comparevars.gp (nmodels, model[], color[], nmetrics, mlabel[]) and
# compare.dat (one block per metric: x, baseline median, min, max, current
# median, min, max, worse 0/1).
load "comparevars.gp"
load "common.gp"
chart = "chart-compare"

rows = int((nmetrics + 1) / 2)
set xrange [0.4:nmodels+0.6]
set xtics () scale 0
do for [i=1:nmodels] { set xtics add (model[i] i) }
set boxwidth 0.36
set key off
bw = 0.19

do for [fmt in formats] {
    eval cb_term(fmt, 1200, 330 * rows + 60)
    set multiplot layout rows,2 title "baseline (pale, left) against current (solid, right); red: worse beyond the threshold and the noise"
    do for [k=1:nmetrics] {
        set yrange [*:*]
        stats "compare.dat" index (k-1) using 1:($4 > $7 ? $4 : $7) nooutput
        set yrange [0:(STATS_max_y > 0 ? STATS_max_y * 1.25 : 1)]
        set title mlabel[k]
        if (STATS_max_y > 0) { unset label 2 } else { set label 2 "0 for every model on both sides" at graph 0.5, graph 0.5 center textcolor rgb cb_note }
        plot for [i=1:nmodels] "compare.dat" index (k-1) every ::(i-1)::(i-1) using ($1-bw):2 \
                 with boxes fs transparent solid 0.35 border lc rgb cb_ink lc rgb color[i], \
             for [i=1:nmodels] "compare.dat" index (k-1) every ::(i-1)::(i-1) using ($1+bw):5 \
                 with boxes fs @cb_bar_fill lc rgb color[i], \
             "compare.dat" index (k-1) using ($1+bw):($8 > 0 ? $5 : 1/0) with boxes fs @cb_bar_fill lc rgb cb_red, \
             "compare.dat" index (k-1) using ($1-bw):(cb_whisker_lo($3, $4)):(0):($4 - $3) with vectors @cb_whisker, \
             "compare.dat" index (k-1) using ($1+bw):(cb_whisker_lo($6, $7)):(0):($7 - $6) with vectors @cb_whisker, \
             "compare.dat" index (k-1) using ($1+bw):7:($8 > 0 ? "worse" : "") with labels offset 0,0.8 textcolor rgb cb_red
    }
    unset multiplot
    unset output
}

# Throughput over time, one panel per model (repetition 0): per second, in
# each 100 ms window since the model started, the requests that completed
# (row committed, so a model that commits in batches completes in steps;
# line, left axis) and those that failed for good (red bars, right axis,
# only in the panel of a model that had any).
# The dashed line is C / latency, the most a model bounded by C can sustain.
# Inputs: plotvars.gp, throughput.dat (one block per model).
load "plotvars.gp"
load "common.gp"
chart = "chart-throughput"

stats "throughput.dat" using 1 nooutput
set xrange [0:STATS_max]
set ytics nomirror
set ylabel "completed / s"
unset key
set lmargin 11
set rmargin 11
if (ceiling_rps > 0) {
    set arrow 1 from graph 0, first ceiling_rps to graph 1, first ceiling_rps nohead dt 2 lw 1.5 lc rgb cb_note back
    set label 1 sprintf("C / latency = %.0f/s", ceiling_rps) at graph 0.99, first ceiling_rps right offset 0,0.6 textcolor rgb cb_note
}

# Each panel has its own y scales (rate_max[], fail_rate_max[] from
# plotvars.gp): a model that commits in large batches peaks far above the
# steady rate of one that commits often. (`stats` inside this loop trips an
# internal error in gnuplot 5.4, hence the precomputed maxima.)
do for [fmt in formats] {
    eval cb_term(fmt, 960, 130 + 190 * nmodels)
    set multiplot layout nmodels, 1 title sprintf("Throughput over time (repetition 0, 100 ms windows)\n%s", title_suffix)
    do for [i=1:nmodels] {
        set title keytitle(i).(timeline_data[i] ? "" : " (no data)") textcolor rgb (verified[i] ? "#111111" : cb_red)
        if (i == nmodels) { set xlabel "time since the model started (s)" } else { unset xlabel }
        ymax = rate_max[i] > ceiling_rps ? rate_max[i] : ceiling_rps
        set yrange [0:(ymax > 0 ? ymax * 1.25 : 1)]
        if (fail_rate_max[i] > 0) {
            set y2tics nomirror textcolor rgb cb_red
            set y2label "failed / s" textcolor rgb cb_red
            set border 11 lc rgb cb_ink
            set y2range [0:fail_rate_max[i] * 1.3]
            plot "throughput.dat" index (i-1) using 1:2 with lines lw 2 lc rgb color[i], \
                 "throughput.dat" index (i-1) using 1:($3 > 0 ? $3 : 1/0) axes x1y2 with impulses lw 3 lc rgb cb_red
        } else {
            unset y2tics
            unset y2label
            set border 3 lc rgb cb_ink
            plot "throughput.dat" index (i-1) using 1:2 with lines lw 2 lc rgb color[i]
        }
    }
    unset multiplot
    unset output
}

# Stage occupancy over time, one panel per staged model (hybrid, pipeline;
# repetition 0): every 20 ms, how full each stage was in % of its width
# (solid: fetch = requests on the wire of C, transform = workers busy of
# cpu_workers, write = writers busy of db_conns) and each bounded queue in %
# of its bound (dashed). A stage at 100% with a full queue before it is the
# bottleneck; a fetch stage under 100% with a full transform queue is
# back-pressure at work. Models that are not staged have no panel.
# Inputs: plotvars.gp, stages.dat (one block per model, NaN for the others).
load "plotvars.gp"
load "common.gp"
chart = "chart-stages"

nstaged = 0
do for [i=1:nmodels] { nstaged = nstaged + stages_data[i] }
set yrange [0:110]
set ylabel "% of width or bound"
set key outside right top vertical
set border 3 lc rgb cb_ink
set lmargin 11
do for [fmt in formats] {
    eval cb_term(fmt, 960, 130 + 220 * nstaged)
    set multiplot layout nstaged, 1 title sprintf("Stages over time (repetition 0, 20 ms samples)\n%s", title_suffix)
    do for [i=1:nmodels] {
        if (stages_data[i]) {
            set title keytitle(i) textcolor rgb (verified[i] ? "#111111" : cb_red)
            set xlabel "time since the model started (s)"
            plot "stages.dat" index (i-1) using 1:2 with lines lw 2 lc rgb "#1f77b4" title "fetch", \
                 "stages.dat" index (i-1) using 1:3 with lines lw 2 lc rgb "#d62728" title "transform", \
                 "stages.dat" index (i-1) using 1:4 with lines lw 2 lc rgb "#2ca02c" title "write", \
                 "stages.dat" index (i-1) using 1:5 with lines lw 1.5 dt 2 lc rgb "#d62728" title "transform queue", \
                 "stages.dat" index (i-1) using 1:6 with lines lw 1.5 dt 2 lc rgb "#2ca02c" title "write queue"
        }
    }
    unset multiplot
    unset output
}

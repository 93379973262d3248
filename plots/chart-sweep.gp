# Sweep: each model's median wall time (with the min-max of its
# repetitions), peak memory, CPU and API p99 latency against the swept knob.
# Every swept value is a labelled tick; memory, CPU and p99 start at zero;
# one legend (under the first panel); each model's knee is circled on the
# wall time panel, "try larger" where it is the largest value tried (a
# model whose wall time the knob does not change has none: sweep.knee[]).
# Inputs: sweepvars.gp and sweep.dat (one block per model), written by
# concbench for a sweep over one knob.
load "sweepvars.gp"
load "common.gp"
chart = "chart-sweep"

if (sweep_logx) { set logscale x 10; set format x "%g" }
eval sweep_xtics
set xtics nomirror
set xlabel sweep_key

do for [fmt in formats] {
    eval cb_term(fmt, 1100, 800)
    set multiplot layout 2,2 title sprintf("Sweep of %s\n%s", sweep_key, title_suffix)
    # The smallest setting is often many times slower than the rest: a log
    # scale keeps the knee readable.
    set logscale y 10
    set format y "%g"
    set yrange [*:*]
    set ylabel "wall time (s, log scale)"
    set title "wall time (median, min-max); circled: the knee"
    set key top right
    do for [i=1:nmodels] {
        if (knee_x[i] == knee_x[i]) {
            tag = 10 + i
            ktext = knee_far[i] ? "knee: try larger" : "knee"
            kc = color[i]
            set label tag ktext at knee_x[i], knee_wall[i] right offset -1.5,0.2+1.2*i point pt 6 ps 3 lc rgb kc textcolor rgb kc front
        }
    }
    plot for [i=1:nmodels] "sweep.dat" index (i-1) using 1:2 with linespoints lw 2 pt 7 lc rgb color[i] title model[i], \
         for [i=1:nmodels] "sweep.dat" index (i-1) using 1:2:3:4 with yerrorbars lc rgb color[i] pt -1 notitle
    do for [i=1:nmodels] { tag = 10 + i; unset label tag }
    unset key
    unset logscale y
    set yrange [0:*]
    set ylabel "peak memory (MiB)"
    set title "peak memory of the whole tree"
    plot for [i=1:nmodels] "sweep.dat" index (i-1) using 1:6 with linespoints lw 2 pt 7 lc rgb color[i] notitle
    set ylabel "CPU (s)"
    set title "CPU of the model (user + sys)"
    plot for [i=1:nmodels] "sweep.dat" index (i-1) using 1:5 with linespoints lw 2 pt 7 lc rgb color[i] notitle
    set ylabel "API p99 latency (ms)"
    set title "API p99: request on the wire to response"
    plot for [i=1:nmodels] "sweep.dat" index (i-1) using 1:7 with linespoints lw 2 pt 7 lc rgb color[i] notitle
    unset multiplot
    unset output
}

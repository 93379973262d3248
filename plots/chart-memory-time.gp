# Memory over time, one panel per model (repetition 0), to read beside
# chart-throughput: the most memory of the model's whole process tree
# sampled in each window since the model started (MiB; the run's memory
# method, e.g. cgroup memory.current or the summed PSS). A long run's
# windows are merged in pairs (keeping the larger) so a file holds at most
# 1,024 of them.
# Inputs: plotvars.gp (memory_data[], mem_max[], mem_end[]), memtime.dat
# (one block per model).
load "plotvars.gp"
load "common.gp"
chart = "chart-memory-time"

xmax = 0
do for [i=1:nmodels] { if (mem_end[i] > xmax) { xmax = mem_end[i] } }
set xrange [0:(xmax > 0 ? xmax : 1)]
set ylabel "memory (MiB)"
unset key
set lmargin 11
set rmargin 11

do for [fmt in formats] {
    eval cb_term(fmt, 960, 130 + 190 * nmodels)
    set multiplot layout nmodels, 1 title sprintf("Memory over time (repetition 0)\n%s", title_suffix)
    do for [i=1:nmodels] {
        set title keytitle(i).(memory_data[i] ? "" : " (no data)") textcolor rgb (verified[i] ? "#111111" : cb_red)
        if (i == nmodels) { set xlabel "time since the model started (s)" } else { unset xlabel }
        set yrange [0:(mem_max[i] > 0 ? mem_max[i] * 1.25 : 1)]
        plot "memtime.dat" index (i-1) using 1:2 with lines lw 2 lc rgb color[i]
    }
    unset multiplot
    unset output
}

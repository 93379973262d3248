# CPU seconds per model, stacked: the model's whole process tree (user +
# sys) at the bottom, then what the mock API, PostgreSQL and Redis spent
# while it ran (a service concbench did not start is not measured and shows
# as 0, as its legend says). Medians over the measured runs, so the stack
# is a sum of medians. Inputs: plotvars.gp, bars.dat (columns at its top).
load "plotvars.gp"
load "common.gp"
chart = "chart-cpu"

c_model = "#33415C"
array c_infra[3] = ["#8FB8DE", "#9BD39B", "#F4A582"]
total(m, a, b, c) = m + a + b + c

eval cb_bars_axes
stats "bars.dat" using (total($8, $11, $12, $13)) nooutput
set yrange [0:(STATS_max > 0 ? STATS_max * 1.3 : 1)]
set ylabel "CPU time (s)"
set title sprintf("CPU per model and the services it used (medians)\n%s", title_suffix)

do for [fmt in formats] {
    eval cb_term(fmt, 960, 540)
    plot "bars.dat" using 1:(total($8, $11, $12, $13)) with boxes fs @cb_bar_fill lc rgb c_infra[3] title infra_label[3], \
         "bars.dat" using 1:(total($8, $11, $12, 0)) with boxes fs @cb_bar_fill lc rgb c_infra[2] title infra_label[2], \
         "bars.dat" using 1:(total($8, $11, 0, 0)) with boxes fs @cb_bar_fill lc rgb c_infra[1] title infra_label[1], \
         "bars.dat" using 1:8 with boxes fs @cb_bar_fill lc rgb c_model title "the model's process tree (user + sys)", \
         "bars.dat" using 1:($18 != 0 ? 1/0 : total($8, $11, $12, $13)) with boxes fs transparent pattern 4 noborder lc rgb cb_red \
             title (any_unverified ? cb_unverified : ""), \
         "bars.dat" using 1:(total($8, $11, $12, $13)):(sprintf("%.2f s (model %.2f s)", total($8, $11, $12, $13), $8)) \
             with labels offset 0,0.8 textcolor rgb cb_ink, \
         "bars.dat" using 1:(total($8, $11, $12, $13)):($18 != 0 ? "" : "UNVERIFIED") with labels offset 0,2 textcolor rgb cb_red
    unset output
}

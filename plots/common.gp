# The look shared by every concbench chart. Each chart-*.gp loads
# plotvars.gp (written by `concbench plot`) and then this file, sets
# `chart` (its file stem) and draws itself once per entry of `formats`,
# opening each output with `eval cb_term(fmt, width, height)`.
# To redraw by hand, in a results folder:  gnuplot chart-wall.gp

set encoding utf8
formats = "png svg"
cb_font = "DejaVu Sans,11"
cb_term(fmt, w, h) = (fmt eq "png") \
    ? sprintf("set terminal pngcairo size %d,%d font '%s' noenhanced; set output '%s.png'", \
              w, h, cb_font, chart) \
    : sprintf("set terminal svg size %d,%d font '%s' noenhanced background '#ffffff'; set output '%s.svg'", \
              w, h, cb_font, chart)

cb_red = "#C00000"
cb_ink = "#333333"
cb_note = "#666666"

set border 3 lc rgb cb_ink
set tics nomirror textcolor rgb cb_ink
set grid ytics lc rgb "#CCCCCC" lw 1 dt 1
set grid noxtics
set key noautotitle textcolor rgb cb_ink
set title textcolor rgb "#111111"

# A model whose rows did not verify is marked wherever it appears, so its
# figures are not read as valid: hatched in red with a red UNVERIFIED over
# its bar, "(UNVERIFIED)" and a dashed line in line charts.
keytitle(i) = verified[i] ? model[i] : model[i]." (UNVERIFIED)"

# Bar charts: one bar per model at x = 1..nmodels, named on the x axis.
cb_bars_axes = "set xrange [0.4:nmodels+0.6]; set boxwidth 0.62; set xtics () scale 0; " . \
               "do for [i=1:nmodels] { set xtics add (model[i] i) }; " . \
               "set key below horizontal"
cb_bar_fill = "solid 0.9 border lc rgb '#333333'"
# Whiskers from min to max, drawn as a vector with flat heads: plot
#   using x:(cb_whisker_lo(min, max)):(0):(max - min) with vectors @cb_whisker
# (nothing when min == max, i.e. one run or no spread).
cb_whisker_lo(lo, hi) = hi > lo ? lo : 1/0
cb_whisker = "heads size screen 0.008,90 lw 1.5 lc rgb cb_ink"
cb_unverified = "UNVERIFIED: rows did not match what the model reported"

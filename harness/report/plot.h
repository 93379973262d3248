/* harness/plot.h */
#ifndef CONCBENCH_PLOT_H
#define CONCBENCH_PLOT_H

#include <stddef.h>

/* Regenerates everything derived from a results folder: summary.csv, summary.md, the .gp-driven
 * charts (PNG + SVG) and report.html. Returns 0 on success; 0 too when gnuplot is missing (prints
 * one line saying so on stderr, still writes summary.csv/summary.md/the gnuplot data it needs and
 * report.html without charts); -1 with a one-line reason in err when the folder cannot be read or
 * written. */
int plot_results_dir(const char *dir, char *err, size_t errlen);

/* The colour a model has in every chart ("#rrggbb"). */
const char *plot_model_color(const char *model);

/* Copies plots/SCRIPT and common.gp into dir and runs gnuplot on SCRIPT
 * there. Returns 0; 1 when gnuplot is missing (said on stderr); -1 with
 * gnuplot's error in err. */
int plot_script_run(const char *dir, const char *script, char *err, size_t errlen);

#endif

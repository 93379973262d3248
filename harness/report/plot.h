/* `concbench plot`'s engine: everything people read that is derived from a
 * results folder, regenerated from results.json and the per-run CSVs. The
 * command's arguments are parsed in harness/cli/plot_cmd.c. */
#ifndef CONCBENCH_PLOT_H
#define CONCBENCH_PLOT_H

#include <stddef.h>

/* Regenerates everything derived from a results folder: summary.csv, summary.md, the .gp-driven
 * charts (PNG + SVG) and report.html; for a sweep's folder, every point's folder and then the
 * sweep's own files. Returns 0 on success; 0 too when gnuplot is missing (prints one line saying
 * so on stderr, still writes summary.csv/summary.md/the gnuplot data it needs and report.html
 * without charts); -1 with a one-line reason in err when the folder cannot be read or written. */
int plot_results_dir(const char *dir, char *err, size_t errlen);

#endif

/* The files `concbench plot` derives from a results folder's model table
 * without gnuplot: summary.csv, summary.md and the charts' data
 * (plotvars.gp, bars.dat, cdf.dat, throughput.dat), whose formats the
 * scripts in plots/ read. Each is written whole through atomic_file_write. */
#ifndef CONCBENCH_PLOT_DATA_H
#define CONCBENCH_PLOT_DATA_H

#include <stddef.h>

#include "harness/report/plot_results.h"

/* Writes summary.csv, summary.md, cdf.dat, throughput.dat, plotvars.gp and
 * bars.dat into r->dir, and fills each model's latency/timeline fields.
 * Returns 0, or -1 with a one-line reason in err (a file could not be
 * read or written). A model without latency or timeline CSV is not an
 * error: its block holds one NaN row. */
int plot_data_write(plot_results_t *r, char *err, size_t errlen);

#endif

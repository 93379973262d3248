/* The files `concbench plot` derives from a results folder's model table
 * without gnuplot: summary.csv, summary.md and the charts' data
 * (plotvars.gp, bars.dat, cdf.dat, throughput.dat), whose formats the
 * scripts in plots/ read. Each is written whole through atomic_file_write. */
#ifndef CONCBENCH_PLOT_DATA_H
#define CONCBENCH_PLOT_DATA_H

#include <stddef.h>
#include <stdio.h>

#include "harness/report/plot_results.h"

/* Writes summary.csv, summary.md, cdf.dat, throughput.dat, plotvars.gp and
 * bars.dat into r->dir, and fills each model's latency/timeline fields.
 * Returns 0, or -1 with a one-line reason in err (a file could not be
 * read or written). A model without latency or timeline CSV is not an
 * error: its block holds one NaN row. */
int plot_data_write(plot_results_t *r, char *err, size_t errlen);

/* Copies a latency-<model>-<repeat>.csv (api_ms,cdf[,wait_ms]) from in to
 * out as "api cdf wait" rows (wait NaN when absent), thinned to what a
 * chart can show: a point is kept when the fraction moved by 0.002 or the
 * latency by 0.5% since the last kept one, and the last point always is.
 * So a 100,000-request run draws a few thousand points at most, and the
 * tail, where points are far apart, is kept whole. Adds the rows that had
 * a wait to *wait_rows. Returns the points kept. */
int plot_cdf_thin(FILE *in, FILE *out, int *wait_rows);

#endif

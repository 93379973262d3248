/* `concbench compare --html FILE`: the comparison as one self-contained
 * page. It renders what compare.c judged (the rows, their verdicts and the
 * terminal's own text), so the page and the terminal never disagree; the
 * charts (plots/chart-compare.gp: per metric, each model's baseline beside
 * its current figure, a regression in red; plots/chart-compare-latency.gp:
 * each model's API latency spectra of both sides) are drawn by gnuplot in
 * a private folder (chart.h) and inlined as SVG. */
#ifndef CONCBENCH_REPORT_COMPARE_HTML_H
#define CONCBENCH_REPORT_COMPARE_HTML_H

#include <stddef.h>

#include "harness/report/summary.h"

/* One row of compare's table, as judged. Figures are in the printed unit
 * (MiB for peak memory). */
typedef struct compare_html_row {
    const char *model;
    const char *metric;    /* table label with its unit: "wall s" */
    const char *verdict;   /* "same", "better", "worse", "noisy", "n/a" */
    summary_spread_t base; /* scaled to the printed unit */
    summary_spread_t cur;
    char base_text[112], cur_text[112], ratio[16];
} compare_html_row_t;

typedef struct compare_html {
    const char *path; /* the page to write */
    const char *base_env, *cur_env;
    const compare_html_row_t *rows;
    size_t nrows;
    const char *verdict;  /* the terminal's closing line (REGRESSION, OK, VOID) */
    int failed;           /* the verdict is a failure (exit 1 or 2) */
    const char *terminal; /* everything the terminal printed */
    /* The two results folders, or NULL: each model's latency-<model>-0.csv
     * on both sides draws the latency spectra chart. */
    const char *base_dir, *cur_dir;
} compare_html_t;

/* Draws the chart (skipped with one line on stderr when gnuplot is
 * missing; the page then says so) and writes the page atomically.
 * Returns 0, or -1 with one line in err. */
int compare_html_write(const compare_html_t *h, char *err, size_t errlen);

#endif

/* What every chart concbench draws shares, whether of one results folder
 * (plot.c) or of a sweep (sweep.c): each model's colour and place, and
 * running a script of the source tree's plots/ folder with the gnuplot
 * found in PATH. The scripts are copied into the results folder first, so
 * the folder stays self-contained and can be redrawn by hand. */
#ifndef CONCBENCH_REPORT_CHART_H
#define CONCBENCH_REPORT_CHART_H

#include <stddef.h>

/* The script every chart script loads (styles, terminals): copied beside
 * them into every folder charts are drawn in. */
#define CHART_COMMON_SCRIPT "common.gp"

/* A model's place in the charts: the five known models in the design's
 * order (0..4), every other model after them (5). */
int chart_model_rank(const char *model);

/* The colour a model has in every chart ("#rrggbb"). A model that is not
 * one of the known five takes the extra colours in turn: *extra counts
 * the ones handed out so far (NULL: always the first extra colour). */
const char *chart_model_color(const char *model, int *extra);

/* Reads dir/name whole. Returns malloc'd text, NUL-terminated, with its
 * length in *len; NULL with errno set when it cannot be read. */
char *chart_file_read(const char *dir, const char *name, size_t *len);

/* Copies plots/NAME into dir. Returns 0, or -1 with the reason in err. */
int chart_script_copy(const char *dir, const char *name, char *err, size_t errlen);

/* Looks gnuplot up in PATH (as execvp would). Returns 0 with its path in
 * out, or -1 after saying once on stderr that the charts are skipped and
 * how to install it. */
int chart_gnuplot_find(char *out, size_t cap);

/* Runs `gnuplot SCRIPT` in dir. Returns 0, or -1 with the last line gnuplot
 * printed on stderr (its error) in err. Its warnings are dropped when it
 * succeeds. */
int chart_gnuplot_run(const char *gnuplot, const char *dir, const char *script, char *err,
                      size_t errlen);

/* Copies plots/SCRIPT and common.gp into dir and runs gnuplot on SCRIPT
 * there. Returns 0; 1 when gnuplot is missing (said on stderr); -1 with
 * the reason in err. */
int chart_script_run(const char *dir, const char *script, char *err, size_t errlen);

#endif

/* What every chart concbench draws shares, whether of one results folder
 * (plot.c) or of a sweep (sweep.c): each model's colour and place, and
 * running a script of the source tree's plots/ folder with the gnuplot
 * found in PATH. The scripts are copied into the results folder first, so
 * the folder stays self-contained and can be redrawn by hand. */
#ifndef CONCBENCH_REPORT_CHART_H
#define CONCBENCH_REPORT_CHART_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

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

/* Runs `gnuplot SCRIPT` in dir (chart_work_t's private folder). Returns 0, or -1 with the last line
 * gnuplot printed on stderr (its error) in err. Its warnings are dropped when it succeeds. */
int chart_gnuplot_run(const char *gnuplot, const char *dir, const char *script, char *err,
                      size_t errlen);

/* chart_gnuplot_run in two halves, so that several charts draw at once:
 * start forks gnuplot (its stderr on a pipe, p->fd), finish reads that to
 * its end, reaps it and reports as chart_gnuplot_run does. A gnuplot that
 * is started must be finished. Both return 0, or -1 with err. */
typedef struct chart_proc {
    pid_t pid;
    int fd;
    char script[160];
} chart_proc_t;
int chart_gnuplot_start(const char *gnuplot, const char *dir, const char *script, chart_proc_t *p,
                        char *err, size_t errlen);
int chart_gnuplot_finish(chart_proc_t *p, char *err, size_t errlen);

/* Writes s as a gnuplot string literal: single-quoted, where gnuplot
 * substitutes nothing (a double-quoted string runs `backquoted` shell
 * commands and expands escapes); a newline becomes "\n" joined with '.',
 * other control characters a space. Text from a results.json is never
 * code in a chart script. */
void chart_gp_string(FILE *f, const char *s);

/* A private folder (mkdtemp, mode 0700) where gnuplot runs: common.gp and
 * the chart scripts come from the source tree's plots/, the inputs are
 * copied from the results folder src, and each chart is moved into src
 * whole (written under a temporary name and renamed) once gnuplot is done.
 * Nobody else can swap what gnuplot loads, and a chart gnuplot could not
 * finish (a full disk) never appears in src. */
typedef struct chart_work {
    char dir[PATH_MAX];
    const char *src;
} chart_work_t;

/* Creates the folder and copies common.gp and src/inputs[...] (a
 * NULL-terminated list of names) into it. Returns 0, or -1 with the reason
 * in err; chart_work_close must be called either way. */
int chart_work_open(chart_work_t *w, const char *src, const char *const *inputs, char *err,
                    size_t errlen);
/* Runs plots/STEM.gp there and moves STEM.png and STEM.svg into src.
 * Returns 0, or -1 with the reason in err (gnuplot's last line, or the
 * write that failed); src then has no STEM.png or STEM.svg. */
int chart_work_draw(chart_work_t *w, const char *gnuplot, const char *stem, char *err,
                    size_t errlen);
/* chart_work_draw in two halves (chart_gnuplot_start and _finish): start
 * copies the script and starts gnuplot, finish waits for it and moves the
 * chart into src. A chart that is started must be finished. */
int chart_work_start(chart_work_t *w, const char *gnuplot, const char *stem, chart_proc_t *p,
                     char *err, size_t errlen);
int chart_work_finish(chart_work_t *w, const char *stem, chart_proc_t *p, char *err, size_t errlen);
/* Removes the folder. Safe after a failed open. */
void chart_work_close(chart_work_t *w);

/* Copies plots/SCRIPT and common.gp into dir (to redraw by hand) and draws
 * SCRIPT from a private folder holding dir's inputs (NULL-terminated).
 * Returns 0; 1 when gnuplot is missing (said on stderr); -1 with the
 * reason in err. */
int chart_script_run(const char *dir, const char *script, const char *const *inputs, char *err,
                     size_t errlen);

#endif

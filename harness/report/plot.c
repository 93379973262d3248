/* concbench plot: regenerates everything people read that is derived from
 * a results folder — summary.csv, summary.md, the charts' data and gnuplot
 * scripts, the charts (PNG and SVG, drawn by the gnuplot found in PATH) and
 * report.html — from results.json and the per-run CSVs. plot_results.c
 * reads results.json into the model table, plot_data.c writes the data
 * files, chart.c copies the scripts and runs gnuplot, html_report.c
 * renders the page; this file puts them in order. The folder stays
 * self-contained: `gnuplot chart-wall.gp` inside it redraws one chart by
 * hand, and a folder copied from another machine can be re-plotted. A
 * sweep's folder is re-plotted point by point, then its own chart
 * (sweep.c). */
#include "harness/report/plot.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "harness/report/chart.h"
#include "harness/report/html_report.h"
#include "harness/report/plot_data.h"
#include "harness/report/sweep.h"

/* The charts, in the order report.html shows them. Each is drawn by
 * plots/<name>.gp into <name>.png and <name>.svg. needs_latency and
 * needs_timeline: the chart is skipped when no model has that data. */
typedef struct plot_chart_def {
    const char *name;
    const char *caption;
    int needs_latency, needs_timeline;
    int needs_stages;  /* skipped when no model is staged */
    int needs_memtime; /* skipped when no model has memory-<model>-0.csv rows */
} plot_chart_def_t;

static const plot_chart_def_t plot_charts[] = {
    {"chart-wall",
     "Wall time per model: median, whiskers min–max; the dashed line is the floor "
     "ceil(N/C) × latency.",
     0, 0, 0, 0},
    {"chart-cpu",
     "CPU seconds of the model's process tree, stacked with what the mock API, PostgreSQL and "
     "Redis spent serving it (medians).",
     0, 0, 0, 0},
    {"chart-memory", "Peak memory of the model's whole process tree: median, whiskers min–max.", 0,
     0, 0, 0},
    {"chart-errors",
     "Requests that failed for good (after retries), as a share of N, stacked by class (mean "
     "per run); whiskers: the min–max of the runs' error rate.",
     0, 0, 0, 0},
    {"chart-latency",
     "API latency (request on the wire to response) by percentile of the succeeded requests, one "
     "line per repetition: x is 1 / (1 − p) on a log scale, so p90, p99, p99.9 and p99.99 are a "
     "decade apart and the tail is as visible as the median. Below, on its own scale, the wait "
     "(id taken to its first request on the wire: slot, queue, backlog) by percentile, so what "
     "the API took and what the model made each request wait are told apart.",
     1, 0, 0, 0},
    {"chart-throughput",
     "Requests that reached their final outcome per second, in 100 ms windows of repetition 0: "
     "completed (row committed; a model that commits in batches completes in steps) and, in red "
     "on the right axis of a model that had any, failed for good.",
     0, 1, 0, 0},
    {"chart-memory-time",
     "Memory of the model's whole process tree over time, repetition 0, beside throughput over "
     "time: the most sampled in each window (as many windows as the run's first 1,024 ticks; "
     "a longer run merges neighbours, keeping the larger), from the same start. The peak "
     "memory chart's figure can be higher: it is the kernel's peak, samples can miss it.",
     0, 0, 0, 1},
    {"chart-stages",
     "Staged models (hybrid, pipeline), repetition 0: how full each stage (solid: fetch = "
     "requests on the wire of C, transform = workers busy, write = writers busy) and each queue "
     "(dashed: bodies before the transform, rows before the writers) was, in % of its width or "
     "bound, every 20 ms. The stage at 100% with a full queue before it is the bottleneck.",
     0, 0, 1, 0},
};
#define PLOT_NCHARTS ((int)(sizeof plot_charts / sizeof plot_charts[0]))

/* Copies the chart scripts from the source tree into dir, so the folder can
 * be re-plotted by hand. */
static int plot_copy_scripts(const plot_results_t *c, char *err, size_t errlen)
{
    char name[128];
    if (chart_script_copy(c->dir, CHART_COMMON_SCRIPT, err, errlen))
        return -1;
    for (int k = 0; k < PLOT_NCHARTS; k++) {
        snprintf(name, sizeof name, "%s.gp", plot_charts[k].name);
        if (chart_script_copy(c->dir, name, err, errlen))
            return -1;
    }
    return 0;
}

/* What the chart scripts read, besides common.gp (plot_data.c writes
 * them into the results folder). */
static const char *const plot_chart_inputs[] = {
    "plotvars.gp",    "bars.dat",   "errors.dat",  "cdf.dat",
    "throughput.dat", "stages.dat", "memtime.dat", NULL};

/* Records chart k's failure: its message on the page, and in err when it
 * is the first. */
static void plot_chart_failed(html_chart_t *charts, int k, const char *msg, int *rc, char *err,
                              size_t errlen)
{
    snprintf(charts[k].missing, sizeof charts[k].missing, "%.390s", msg);
    if (*rc == 0)
        snprintf(err, errlen, "%s", msg);
    *rc = -1;
}

/* Waits for chart k's gnuplot and loads its SVG for the page. */
static void plot_chart_finish(chart_work_t *w, html_chart_t *charts, int k, chart_proc_t *p,
                              int *rc, char *err, size_t errlen)
{
    char name[128], msg[1024];
    size_t len;
    if (chart_work_finish(w, plot_charts[k].name, p, msg, sizeof msg)) {
        plot_chart_failed(charts, k, msg, rc, err, errlen);
        return;
    }
    snprintf(name, sizeof name, "%s.svg", plot_charts[k].name);
    charts[k].svg = chart_file_read(w->dir, name, &len);
    if (!charts[k].svg) {
        snprintf(msg, sizeof msg, "gnuplot did not write %s", name);
        plot_chart_failed(charts, k, msg, rc, err, errlen);
    }
}

/* Draws every chart that has data with gnuplot, from a private folder
 * (chart_work_t), and loads its SVG for the page. gnuplot runs on one
 * core, so as many charts as there are cores draw at once (0.65 s for
 * seven one after the other on the machines CI runs on). Returns 0, or -1
 * with the first failure in err (the other charts are still drawn). */
static int plot_charts_draw(const plot_results_t *c, const char *gnuplot, html_chart_t *charts,
                            char *err, size_t errlen)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int width = cores < 1 ? 1 : cores > PLOT_NCHARTS ? PLOT_NCHARTS : (int)cores;
    int queue[PLOT_NCHARTS], head = 0, tail = 0, rc = 0;
    chart_proc_t proc[PLOT_NCHARTS];
    char msg[1024];
    chart_work_t w;
    if (chart_work_open(&w, c->dir, plot_chart_inputs, err, errlen)) {
        chart_work_close(&w);
        return -1;
    }
    for (int k = 0; k < PLOT_NCHARTS; k++) {
        const plot_chart_def_t *d = &plot_charts[k];
        if (d->needs_stages && !c->has_stages) {
            snprintf(charts[k].missing, sizeof charts[k].missing,
                     "no staged model (hybrid, pipeline) in these results.");
            continue;
        }
        if (d->needs_memtime && !c->has_memtime) {
            snprintf(charts[k].missing, sizeof charts[k].missing,
                     "no model has memory-<model>-0.csv (results recorded before memory over time "
                     "was).");
            continue;
        }
        if ((d->needs_latency && !c->has_latency) || (d->needs_timeline && !c->has_timeline)) {
            snprintf(charts[k].missing, sizeof charts[k].missing,
                     "no model has the %s data this chart needs.",
                     d->needs_latency ? "latency-<model>-0.csv" : "timeline-<model>-0.csv");
            continue;
        }
        if (chart_work_start(&w, gnuplot, d->name, &proc[k], msg, sizeof msg)) {
            plot_chart_failed(charts, k, msg, &rc, err, errlen);
            continue;
        }
        queue[tail++] = k;
        if (tail - head == width) {
            plot_chart_finish(&w, charts, queue[head], &proc[queue[head]], &rc, err, errlen);
            head++;
        }
    }
    for (; head < tail; head++)
        plot_chart_finish(&w, charts, queue[head], &proc[queue[head]], &rc, err, errlen);
    chart_work_close(&w);
    return rc;
}

static int plot_write_html(const plot_results_t *c, const html_chart_t *charts, const char *note,
                           char *err, size_t errlen)
{
    html_report_t r = {c->doc, c->scenario, c->floor_s,   c->models,
                       c->n,   charts,      PLOT_NCHARTS, note};
    size_t len;
    char *text = html_report_render(&r, &len);
    int rc;
    if (!text) {
        snprintf(err, errlen, "out of memory rendering report.html");
        return -1;
    }
    rc = atomic_file_write(c->dir, "report.html", text, len, err, errlen);
    free(text);
    return rc;
}

/* A sweep's folder: redo every point's folder, then the sweep's own files.
 * Returns 1 when dir is not a sweep, else 0 or -1. */
static int plot_sweep_dir(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    json_error_t je;
    json_t *doc, *points, *pt;
    size_t i;
    int rc = 0;
    snprintf(path, sizeof path, "%s/results.json", dir);
    doc = json_load_file(path, 0, &je);
    if (!doc || !json_object_get(doc, "sweep")) {
        json_decref(doc);
        return 1;
    }
    points = json_object_get(json_object_get(doc, "sweep"), "points");
    json_array_foreach(points, i, pt)
    {
        if (!json_is_true(json_object_get(pt, "ran")))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, json_string_value(json_object_get(pt, "dir")));
        if (plot_results_dir(path, err, errlen))
            rc = -1;
    }
    if (rc == 0 && sweep_write_outputs(dir, doc, err, errlen))
        rc = -1;
    json_decref(doc);
    return rc;
}

int plot_results_dir(const char *dir, char *err, size_t errlen)
{
    plot_results_t c = {.dir = dir};
    html_chart_t charts[PLOT_NCHARTS];
    char gnuplot[PATH_MAX], name[PATH_MAX], draw_err[1024] = "";
    const char *note = NULL;
    int rc = -1, drawn = 0;

    if ((rc = plot_sweep_dir(dir, err, errlen)) != 1)
        return rc;
    rc = -1;
    memset(charts, 0, sizeof charts);
    for (int k = 0; k < PLOT_NCHARTS; k++) {
        charts[k].name = plot_charts[k].name;
        charts[k].caption = plot_charts[k].caption;
    }
    if (plot_results_load(&c, err, errlen) || plot_data_write(&c, err, errlen) ||
        plot_copy_scripts(&c, err, errlen))
        goto out;
    /* Charts and a page from an earlier `concbench plot` would no longer
     * match the data: every chart present after this call, and
     * report.html, were written by it. */
    snprintf(name, sizeof name, "%s/report.html", dir);
    if (unlink(name) && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove the old %s: %s", name, strerror(errno));
        goto out;
    }
    for (int k = 0; k < PLOT_NCHARTS; k++)
        for (int e = 0; e < 2; e++) {
            snprintf(name, sizeof name, "%s/%s.%s", dir, plot_charts[k].name, e ? "svg" : "png");
            if (unlink(name) && errno != ENOENT) {
                snprintf(err, errlen, "cannot remove the old chart %s: %s", name, strerror(errno));
                goto out;
            }
        }
    if (c.n == 0) {
        note = "No measured runs in results.json: nothing to chart.";
    } else if (chart_gnuplot_find(gnuplot, sizeof gnuplot)) {
        note = "Charts skipped: gnuplot was not found in PATH when this page was written. "
               "Install gnuplot-nox (scripts/install-deps.sh) and run `concbench plot` on this "
               "folder again.";
    } else {
        drawn = plot_charts_draw(&c, gnuplot, charts, draw_err, sizeof draw_err) == 0;
    }
    if (plot_write_html(&c, charts, note, err, errlen))
        goto out;
    if (!note && !drawn) {
        snprintf(err, errlen, "%s", draw_err);
        goto out;
    }
    rc = 0;
out:
    for (int k = 0; k < PLOT_NCHARTS; k++)
        free((char *)charts[k].svg);
    plot_results_free(&c);
    return rc;
}

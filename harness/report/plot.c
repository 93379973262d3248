/* concbench plot: regenerates everything people read that is derived from
 * a results folder — summary.csv, summary.md, the charts' data and gnuplot
 * scripts, the charts (PNG and SVG, drawn by the gnuplot found in PATH) and
 * report.html — from results.json and the per-run CSVs. This file reads
 * results.json into the model table, copies the scripts, runs gnuplot and
 * writes the page; plot_data.c writes the data files. The folder stays
 * self-contained: `gnuplot chart-wall.gp` inside it redraws one chart by
 * hand, and a folder copied from another machine can be re-plotted. A sweep
 * chart can be added later as one more script and data file keyed by the
 * same model table. */
#include "harness/report/plot.h"
#include "harness/report/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/stats.h"
#include "harness/report/html_report.h"
#include "harness/report/plot_data.h"

#ifndef CONCBENCH_PLOTS_DIR
#error "CONCBENCH_PLOTS_DIR must name the source tree's plots/ folder"
#endif

/* The charts, in the order report.html shows them. Each is drawn by
 * plots/<name>.gp into <name>.png and <name>.svg. needs_latency and
 * needs_timeline: the chart is skipped when no model has that data. */
typedef struct plot_chart_def {
    const char *name;
    const char *caption;
    int needs_latency, needs_timeline;
} plot_chart_def_t;

static const plot_chart_def_t plot_charts[] = {
    {"chart-wall",
     "Wall time per model: median, whiskers min–max; the dashed line is the floor "
     "ceil(N/C) × latency.",
     0, 0},
    {"chart-cpu",
     "CPU seconds of the model's process tree, stacked with what the mock API, PostgreSQL and "
     "Redis spent serving it (medians).",
     0, 0},
    {"chart-memory", "Peak memory of the model's whole process tree: median, whiskers min–max.", 0,
     0},
    {"chart-errors",
     "Requests that failed for good (after retries), as a share of N: median, whiskers min–max.", 0,
     0},
    {"chart-latency",
     "Latency CDF of the succeeded requests of repetition 0 (log scale): first attempt to the end "
     "of the transform.",
     1, 0},
    {"chart-throughput",
     "Requests that reached their final outcome per second, in 100 ms windows of repetition 0: "
     "completed (row committed; a model that commits in batches completes in steps) and, in red "
     "on the right axis, failed for good.",
     0, 1},
};
#define PLOT_NCHARTS ((int)(sizeof plot_charts / sizeof plot_charts[0]))
static const char *const plot_common_script = "common.gp";

/* Fixed colours for the five models (colour-blind-safe Okabe–Ito hues), so
 * a model looks the same in every chart and every results folder; other
 * models take the extra colours in turn. */
static const struct {
    const char *name, *color;
} plot_known_models[] = {
    {"unbounded-loop", "#E69F00"}, {"semaphore-loop", "#56B4E9"}, {"process-pool", "#009E73"},
    {"thread-pool", "#0072B2"},    {"stream-workers", "#CC79A7"},
};
#define PLOT_NKNOWN ((int)(sizeof plot_known_models / sizeof plot_known_models[0]))

static const char *const plot_extra_colors[] = {"#7F7F7F", "#8C564B", "#000000", "#BCBD22"};

static double plot_json_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static plot_figure_t plot_figure_get(json_t *row, const char *key, double scale)
{
    json_t *o = json_object_get(row, key);
    plot_figure_t f = {plot_json_num(o, "median") * scale, plot_json_num(o, "min") * scale,
                       plot_json_num(o, "max") * scale};
    return f;
}

static int plot_model_rank(const char *name)
{
    for (int k = 0; k < PLOT_NKNOWN; k++)
        if (strcmp(plot_known_models[k].name, name) == 0)
            return k;
    return PLOT_NKNOWN;
}

/* Orders the models (stable: the known ones in the design's order, then
 * the others as results.json lists them) and gives each its colour. */
static void plot_models_order(plot_model_t *m, int n)
{
    int extra = 0;
    for (int i = 1; i < n; i++) {
        plot_model_t t = m[i];
        int j = i;
        for (; j > 0 && plot_model_rank(m[j - 1].name) > plot_model_rank(t.name); j--)
            m[j] = m[j - 1];
        m[j] = t;
    }
    for (int i = 0; i < n; i++) {
        int r = plot_model_rank(m[i].name);
        m[i].color = r < PLOT_NKNOWN ? plot_known_models[r].color
                                     : plot_extra_colors[extra++ % (sizeof plot_extra_colors /
                                                                    sizeof *plot_extra_colors)];
    }
}

/* Fills the services' CPU of model m from runs[]: the median over its
 * runs of each service's figure; a null in any run sets infra_missing. */
static int plot_model_infra_fill(plot_results_t *c, plot_model_t *m)
{
    size_t nruns = json_array_size(c->runs), i;
    double *v = calloc(nruns + 1, sizeof *v);
    json_t *run;
    if (!v)
        return -1;
    for (int k = 0; k < PLOT_INFRA_N; k++) {
        int n = 0;
        json_array_foreach(c->runs, i, run)
        {
            json_t *infra = json_object_get(run, "infra_cpu_s");
            double x = plot_json_num(infra, plot_infra_keys[k]);
            if (!json_is_string(json_object_get(run, "model")) ||
                strcmp(json_string_value(json_object_get(run, "model")), m->name) != 0)
                continue;
            if (isnan(x))
                m->infra_missing[k] = 1;
            else
                v[n++] = x;
        }
        m->infra_cpu_s[k] = stats_median(v, n);
    }
    free(v);
    return 0;
}

/* Notes the memory method of the runs ("mixed methods" when they differ). */
static void plot_runs_scan(plot_results_t *c)
{
    size_t i;
    json_t *run;
    json_array_foreach(c->runs, i, run)
    {
        const char *method = json_string_value(json_object_get(run, "memory_method"));
        if (method && !c->mem_method[0])
            snprintf(c->mem_method, sizeof c->mem_method, "%s", method);
        else if (method && strcmp(method, c->mem_method) != 0)
            snprintf(c->mem_method, sizeof c->mem_method, "mixed methods");
    }
}

/* Reads and checks DIR/results.json and builds the model table. */
static int plot_load(plot_results_t *c, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    json_error_t je;
    json_t *summary, *row, *ver;
    size_t i;
    double n, conc, lat, cores;
    const char *cpu;
    char machine[320];

    if (stat(c->dir, &st)) {
        snprintf(err, errlen, "cannot read results folder %s: %s", c->dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a folder (give the folder concbench run wrote)", c->dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/results.json", c->dir);
    if (access(path, R_OK)) {
        snprintf(err, errlen, "cannot read %s: %s (is %s a concbench results folder?)", path,
                 strerror(errno), c->dir);
        return -1;
    }
    c->doc = json_load_file(path, 0, &je);
    if (!c->doc) {
        snprintf(err, errlen, "%s is malformed: line %d: %s", path, je.line, je.text);
        return -1;
    }
    ver = json_object_get(c->doc, "schema_version");
    c->runs = json_object_get(c->doc, "runs");
    summary = json_object_get(c->doc, "summary");
    c->config = json_object_get(c->doc, "config");
    c->env = json_object_get(c->doc, "env");
    if (!json_is_integer(ver) || !json_is_array(c->runs) || !json_is_array(summary)) {
        snprintf(err, errlen,
                 "%s is not a concbench results file (no schema_version, runs[] or summary[])",
                 path);
        return -1;
    }
    if (json_integer_value(ver) != 1) {
        snprintf(err, errlen, "%s has schema_version %lld; this concbench reads version 1", path,
                 (long long)json_integer_value(ver));
        return -1;
    }
    c->models = calloc(json_array_size(summary) + 1, sizeof *c->models);
    if (!c->models) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_array_foreach(summary, i, row)
    {
        plot_model_t *m = &c->models[c->n];
        m->name = json_string_value(json_object_get(row, "model"));
        if (!m->name) {
            snprintf(err, errlen, "%s: summary[%zu] has no model name", path, i);
            return -1;
        }
        m->runs = (int)json_integer_value(json_object_get(row, "runs"));
        m->verified = json_is_true(json_object_get(row, "verified"));
        m->wall_s = plot_figure_get(row, "wall_s", 1);
        m->cpu_s = plot_figure_get(row, "cpu_s", 1);
        m->peak_mb = plot_figure_get(row, "peak_rss_bytes", 1.0 / 1048576);
        m->p50_ms = plot_figure_get(row, "latency_p50_ms", 1);
        m->p99_ms = plot_figure_get(row, "latency_p99_ms", 1);
        m->error_rate = plot_figure_get(row, "error_rate", 1);
        m->efficiency = plot_figure_get(row, "efficiency", 1);
        if (plot_model_infra_fill(c, m)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->n++;
    }
    plot_models_order(c->models, c->n);
    plot_runs_scan(c);

    c->scenario = json_string_value(json_object_get(c->config, "scenario"));
    if (!c->scenario || !c->scenario[0])
        c->scenario = "custom";
    n = plot_json_num(c->config, "requests");
    conc = plot_json_num(c->config, "concurrency");
    lat = plot_json_num(c->config, "latency_ms");
    c->floor_s = plot_json_num(json_array_get(c->runs, 0), "floor_s");
    if (isnan(c->floor_s))
        c->floor_s = conc > 0 && lat >= 0 ? ceil(n / conc) * lat / 1000 : 0;
    c->ceiling_rps = lat > 0 ? conc * 1000 / lat : 0;
    cpu = json_string_value(json_object_get(c->env, "cpu_model"));
    cores = plot_json_num(c->env, "cores");
    snprintf(machine, sizeof machine, "%.200s", cpu && cpu[0] ? cpu : "unknown CPU");
    if (!isnan(cores))
        snprintf(machine + strlen(machine), sizeof machine - strlen(machine), ", %.0f cores",
                 cores);
    snprintf(c->title_suffix, sizeof c->title_suffix,
             "scenario %.100s · N = %.0f · C = %.0f · API latency %.0f ms · %s", c->scenario, n,
             conc, lat, machine);
    return 0;
}

static char *plot_file_read(const char *dir, const char *name, size_t *len)
{
    char path[PATH_MAX];
    FILE *f;
    char *buf = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "re");
    if (!f)
        return NULL;
    *len = 0;
    for (;;) {
        if (*len + 4096 + 1 > cap) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t r = fread(buf + *len, 1, cap - *len - 1, f);
        *len += r;
        if (r == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    } else {
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Copies the chart scripts from the source tree into dir, so the folder can
 * be re-plotted by hand. */
static int plot_copy_scripts(const plot_results_t *c, char *err, size_t errlen)
{
    char name[128];
    for (int k = -1; k < PLOT_NCHARTS; k++) {
        size_t len;
        char *text;
        int rc;
        snprintf(name, sizeof name, "%s%s", k < 0 ? plot_common_script : plot_charts[k].name,
                 k < 0 ? "" : ".gp");
        text = plot_file_read(CONCBENCH_PLOTS_DIR, name, &len);
        if (!text) {
            snprintf(err, errlen, "cannot read the chart script %s/%s: %s", CONCBENCH_PLOTS_DIR,
                     name, strerror(errno));
            return -1;
        }
        rc = plot_file_write(c->dir, name, text, len, err, errlen);
        free(text);
        if (rc)
            return -1;
    }
    return 0;
}

/* Looks gnuplot up in PATH (as execvp would). Returns 0 with its path. */
static int plot_gnuplot_find(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        struct stat st;
        snprintf(out, cap, "%.*s/gnuplot", n ? (int)n : 1, n ? path : ".");
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        path += n + (path[n] == ':');
    }
    return -1;
}

/* Runs `gnuplot SCRIPT` in dir. Returns 0, or -1 with the last line gnuplot
 * printed on stderr (its error) in err. Its warnings are dropped when it
 * succeeds. */
static int plot_gnuplot_run(const char *gnuplot, const char *dir, const char *script, char *err,
                            size_t errlen)
{
    char tail[2048], chunk[1024], *line;
    size_t used = 0;
    int pfd[2], status = 0;
    pid_t pid;
    if (pipe2(pfd, O_CLOEXEC)) {
        snprintf(err, errlen, "cannot run gnuplot: pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot run gnuplot: fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        static const char fail[] = "cannot start gnuplot\n";
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || chdir(dir) || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(pfd[1], 2) < 0)
            _exit(127);
        execl(gnuplot, "gnuplot", script, (char *)NULL);
        if (write(2, fail, sizeof fail - 1) < 0)
            _exit(127);
        _exit(127);
    }
    close(pfd[1]);
    for (;;) {
        ssize_t r = read(pfd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        /* Keep the last sizeof tail - 1 bytes: the error is at the end. */
        if (used + (size_t)r > sizeof tail - 1) {
            size_t drop = used + (size_t)r - (sizeof tail - 1);
            drop = drop > used ? used : drop;
            memmove(tail, tail + drop, used - drop);
            used -= drop;
        }
        memcpy(tail + used, chunk, (size_t)r);
        used += (size_t)r;
    }
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    tail[used] = '\0';
    while (used && (tail[used - 1] == '\n' || tail[used - 1] == ' '))
        tail[--used] = '\0';
    line = strrchr(tail, '\n');
    if (WIFSIGNALED(status))
        snprintf(err, errlen, "gnuplot died of signal %d on %s/%s", WTERMSIG(status), dir, script);
    else
        snprintf(err, errlen, "gnuplot failed on %s/%s: %.300s", dir, script,
                 used ? (line ? line + 1 : tail) : "no message");
    return -1;
}

const char *plot_model_color(const char *model)
{
    for (int i = 0; i < PLOT_NKNOWN; i++)
        if (strcmp(plot_known_models[i].name, model) == 0)
            return plot_known_models[i].color;
    return plot_extra_colors[0];
}

int plot_script_run(const char *dir, const char *script, char *err, size_t errlen)
{
    char gnuplot[PATH_MAX];
    const char *names[2] = {plot_common_script, script};
    for (int k = 0; k < 2; k++) {
        size_t len;
        char *text = plot_file_read(CONCBENCH_PLOTS_DIR, names[k], &len);
        int rc;
        if (!text) {
            snprintf(err, errlen, "cannot read the chart script %s/%s: %s", CONCBENCH_PLOTS_DIR,
                     names[k], strerror(errno));
            return -1;
        }
        rc = plot_file_write(dir, names[k], text, len, err, errlen);
        free(text);
        if (rc)
            return -1;
    }
    if (plot_gnuplot_find(gnuplot, sizeof gnuplot)) {
        fprintf(stderr, "concbench: gnuplot not found: charts skipped; install gnuplot-nox "
                        "(scripts/install-deps.sh)\n");
        return 1;
    }
    return plot_gnuplot_run(gnuplot, dir, script, err, errlen);
}

/* Draws every chart that has data with gnuplot and loads its SVG for the
 * page. Returns 0, or -1 with the first failure in err (the other charts
 * are still drawn). */
static int plot_charts_draw(const plot_results_t *c, const char *gnuplot, html_chart_t *charts,
                            char *err, size_t errlen)
{
    char name[128], path[PATH_MAX], msg[1024];
    int rc = 0;
    for (int k = 0; k < PLOT_NCHARTS; k++) {
        const plot_chart_def_t *d = &plot_charts[k];
        size_t len;
        if ((d->needs_latency && !c->has_latency) || (d->needs_timeline && !c->has_timeline)) {
            snprintf(charts[k].missing, sizeof charts[k].missing,
                     "no model has the %s data this chart needs.",
                     d->needs_latency ? "latency-<model>-0.csv" : "timeline-<model>-0.csv");
            continue;
        }
        snprintf(name, sizeof name, "%s.gp", d->name);
        if (plot_gnuplot_run(gnuplot, c->dir, name, msg, sizeof msg)) {
            if (rc == 0)
                snprintf(err, errlen, "%s", msg);
            snprintf(charts[k].missing, sizeof charts[k].missing, "%.390s", msg);
            rc = -1;
            /* No half-drawn chart is left behind. */
            for (int e = 0; e < 2; e++) {
                snprintf(path, sizeof path, "%s/%s.%s", c->dir, d->name, e ? "svg" : "png");
                unlink(path);
            }
            continue;
        }
        snprintf(name, sizeof name, "%s.svg", d->name);
        charts[k].svg = plot_file_read(c->dir, name, &len);
        if (!charts[k].svg) {
            snprintf(msg, sizeof msg, "gnuplot did not write %s/%s", c->dir, name);
            snprintf(charts[k].missing, sizeof charts[k].missing, "%.390s", msg);
            if (rc == 0)
                snprintf(err, errlen, "%s", msg);
            rc = -1;
        }
    }
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
    rc = plot_file_write(c->dir, "report.html", text, len, err, errlen);
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
    char gnuplot[PATH_MAX], name[160], draw_err[1024] = "";
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
    if (plot_load(&c, err, errlen) || plot_data_write(&c, err, errlen) ||
        plot_copy_scripts(&c, err, errlen))
        goto out;
    /* Charts from an earlier `concbench plot` would no longer match the
     * data: every chart present after this call was drawn by it. */
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
    } else if (plot_gnuplot_find(gnuplot, sizeof gnuplot)) {
        fprintf(stderr, "concbench: gnuplot not found: charts skipped; install gnuplot-nox "
                        "(scripts/install-deps.sh)\n");
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
    free(c.models);
    json_decref(c.doc);
    return rc;
}

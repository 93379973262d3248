#include "harness/report/plot_data.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "harness/report/chart.h"
#include "harness/report/verdict.h"

static void plot_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* ",median,min,max" times scale; empty fields for a figure results.json
 * lacks. */
static void plot_csv_figure(FILE *f, const summary_spread_t *x, double scale)
{
    const double v[3] = {x->median * scale, x->min * scale, x->max * scale};
    for (int k = 0; k < 3; k++)
        if (isnan(v[k]))
            fputc(',', f);
        else
            fprintf(f, ",%.6g", v[k]);
}

static int plot_write_summary_csv(const plot_results_t *c, char *err, size_t errlen)
{
    /* The columns, in summary_t's figures and units. */
    static const struct {
        const char *name;
        int fig;
        double scale;
    } figs[] = {
        {"wall_s", SUMMARY_WALL, 1},
        {"wall_over_floor", SUMMARY_WALL_FLOOR, 1},
        {"cpu_s", SUMMARY_CPU, 1},
        {"cpu_per_request_us", SUMMARY_CPU_REQ, 1},
        {"peak_mib", SUMMARY_MEM, 1.0 / 1048576},
        {"api_p50_ms", SUMMARY_API_P50, 1},
        {"api_p99_ms", SUMMARY_API_P99, 1},
        {"wait_p50_ms", SUMMARY_WAIT_P50, 1},
        {"wait_p99_ms", SUMMARY_WAIT_P99, 1},
        {"e2e_p50_ms", SUMMARY_E2E_P50, 1},
        {"e2e_p99_ms", SUMMARY_E2E_P99, 1},
        {"error_rate", SUMMARY_ERROR_RATE, 1},
    };
    atomic_text_t m;
    if (atomic_text_open(&m, err, errlen))
        return -1;
    fputs("model,runs,verified", m.f);
    for (size_t k = 0; k < sizeof figs / sizeof *figs; k++)
        fprintf(m.f, ",%s_median,%s_min,%s_max", figs[k].name, figs[k].name, figs[k].name);
    for (int k = 0; k < PLOT_INFRA_N; k++)
        fprintf(m.f, ",%s_cpu_s", plot_infra_keys[k]);
    fputc('\n', m.f);
    for (int i = 0; i < c->n; i++) {
        const plot_model_t *p = &c->models[i];
        plot_csv_field(m.f, p->s.name);
        fprintf(m.f, ",%d,%s", p->s.runs, p->s.verified ? "yes" : "NO");
        for (size_t k = 0; k < sizeof figs / sizeof *figs; k++)
            plot_csv_figure(m.f, &p->s.fig[figs[k].fig], figs[k].scale);
        for (int k = 0; k < PLOT_INFRA_N; k++)
            if (p->infra_missing[k])
                fputc(',', m.f);
            else
                fprintf(m.f, ",%.6g", p->infra_cpu_s[k]);
        fputc('\n', m.f);
    }
    return atomic_text_commit(&m, c->dir, "summary.csv", err, errlen);
}

static int plot_write_summary_md(const plot_results_t *c, char *err, size_t errlen)
{
    const char *started = json_string_value(json_object_get(c->doc, "started_at"));
    atomic_text_t m;
    /* The columns after model, verified and runs. */
    static const struct {
        const char *head, *fmt, *suffix;
        int fig;
        double scale;
    } cols[] = {
        {"wall s", "%.2f", "", SUMMARY_WALL, 1},
        {"wall/floor", "%.2f", "", SUMMARY_WALL_FLOOR, 1},
        {"CPU µs/request", "%.0f", "", SUMMARY_CPU_REQ, 1},
        {"peak MiB", "%.1f", "", SUMMARY_MEM, 1.0 / 1048576},
        {"api p50 ms", "%.1f", "", SUMMARY_API_P50, 1},
        {"api p99 ms", "%.1f", "", SUMMARY_API_P99, 1},
        {"wait p50 ms", "%.1f", "", SUMMARY_WAIT_P50, 1},
        {"wait p99 ms", "%.1f", "", SUMMARY_WAIT_P99, 1},
        {"e2e p99 ms", "%.1f", "", SUMMARY_E2E_P99, 1},
        {"errors", "%.2f", "%", SUMMARY_ERROR_RATE, 100},
    };
    char cell[96];
    if (atomic_text_open(&m, err, errlen))
        return -1;
    fprintf(m.f, "# concbench summary: scenario %s\n\n", c->scenario);
    fprintf(m.f, "%s.  \n", c->title_suffix);
    fprintf(m.f,
            "Floor %.2f s (ceil(N/C) × latency); wall/floor = wall time / floor (1.00 is the "
            "floor). api: request on the wire → response complete; wait: the model took the id → "
            "its request on the wire; e2e: run start → row committed (docs/results.md). Figures "
            "are medians over each model's measured runs, (min–max) when it has several. Peak "
            "memory: the model's whole process tree (%s).%s%s%s\n\n",
            c->floor_s, c->mem_method[0] ? c->mem_method : "method unknown",
            started ? " Started " : "", started ? started : "", started ? "." : "");
    if (!json_is_true(json_object_get(c->doc, "complete")))
        fprintf(m.f, "**INCOMPLETE**: the run was interrupted or a model could not finish; the "
                     "figures are partial.\n\n");
    for (int i = 0; i < c->n; i++)
        if (!c->models[i].s.verified)
            fprintf(m.f,
                    "**UNVERIFIED: %s**: its rows in PostgreSQL did not match what it reported; "
                    "do not trust its figures (see report.html for the first problem found).\n\n",
                    c->models[i].s.name);
    for (int i = 0; i < c->n; i++)
        if (c->models[i].s.invalid_runs)
            fprintf(m.f,
                    "**NOT VALID: %s**: %d of %d runs were not valid measurements (the mock API "
                    "answered late, or other processes took the machine): its figures measure the "
                    "machine as much as the model (runs[].validity in results.json).\n\n",
                    c->models[i].s.name, c->models[i].s.invalid_runs, c->models[i].s.runs);
    {
        verdict_t v;
        summary_model_t *rows;
        int nrows;
        if (verdict_from_results(c->doc, &v, &rows, &nrows) == 0) {
            verdict_write_text(m.f, c->doc, &v, rows, 1);
            verdict_free(&v);
            free(rows);
        }
    }
    fputs("## Figures\n\n| model | verified | runs |", m.f);
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
        fprintf(m.f, " %s |", cols[k].head);
    fputs("\n|---|---|--:|", m.f);
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
        fputs("--:|", m.f);
    fputc('\n', m.f);
    for (int i = 0; i < c->n; i++) {
        const plot_model_t *p = &c->models[i];
        fprintf(m.f, "| %s | %s | %d%s%s |", p->s.name, p->s.verified ? "yes" : "**NO**", p->s.runs,
                p->s.runs == 1 ? " (single run)" : "", p->s.noisy ? " noisy" : "");
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
            summary_spread_format(&p->s.fig[cols[k].fig], p->s.runs, cols[k].fmt, cols[k].scale,
                                  cols[k].suffix, cell, sizeof cell);
            fprintf(m.f, " %s |", cell);
        }
        fputc('\n', m.f);
    }
    return atomic_text_commit(&m, c->dir, "summary.md", err, errlen);
}

/* plotvars.gp: what the chart scripts need besides the .dat files. */
static int plot_write_vars(const plot_results_t *c, char *err, size_t errlen)
{
    int any_unverified = 0, several = 0;
    atomic_text_t m;
    if (atomic_text_open(&m, err, errlen))
        return -1;
    for (int i = 0; i < c->n; i++) {
        any_unverified |= !c->models[i].s.verified;
        several |= c->models[i].s.runs > 1;
    }
    fputs("# Written by `concbench plot` from results.json for the chart-*.gp scripts,\n"
          "# with bars.dat, errors.dat, cdf.dat and throughput.dat. Regenerated by every\n"
          "# `concbench plot`; edit a copy to restyle a chart by hand.\n",
          m.f);
    fputs("title_suffix = ", m.f);
    chart_gp_string(m.f, c->title_suffix);
    fprintf(m.f, "\nruns_note = \"%s\"\n",
            several ? "median of the runs, whiskers min–max" : "one run per model");
    fprintf(m.f, "floor_s = %.6g\n", c->floor_s);
    fprintf(m.f, "# C / latency: the most completions per second a model bounded by C can "
                 "sustain (0: no API latency)\n");
    fprintf(m.f, "ceiling_rps = %.6g\n", c->ceiling_rps);
    fputs("mem_method = ", m.f);
    chart_gp_string(m.f, c->mem_method[0] ? c->mem_method : "method unknown");
    fprintf(m.f, "\nany_unverified = %d\nnmodels = %d\n", any_unverified, c->n);
    if (c->n == 0) /* gnuplot has no empty arrays; there is nothing to chart */
        return atomic_text_commit(&m, c->dir, "plotvars.gp", err, errlen);
    fprintf(m.f, "array model[%d] = [", c->n);
    for (int i = 0; i < c->n; i++) {
        fputs(i ? ", " : "", m.f);
        chart_gp_string(m.f, c->models[i].s.name);
    }
    fprintf(m.f, "]\narray color[%d] = [", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s\"%s\"", i ? ", " : "", c->models[i].color);
    fprintf(m.f, "]\narray verified[%d] = [", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%d", i ? ", " : "", c->models[i].s.verified);
    fprintf(m.f,
            "]\n# 1: latency-<model>-0.csv / timeline-<model>-0.csv had data\n"
            "array latency_data[%d] = [",
            c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%d", i ? ", " : "", c->models[i].latency_points > 0);
    fprintf(m.f, "]\n# 1: a staged model with stages-<model>-0.csv\narray stages_data[%d] = [",
            c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%d", i ? ", " : "", c->models[i].stages_points > 0);
    fprintf(m.f, "]\n# 1: latency-<model>-*.csv had wait_ms\narray wait_data[%d] = [", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%d", i ? ", " : "", c->models[i].wait_points > 0);
    fprintf(m.f, "]\narray timeline_data[%d] = [", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%d", i ? ", " : "", c->models[i].timeline_points > 0);
    fprintf(m.f,
            "]\n# highest completions/s and failures/s in each model's timeline\n"
            "array rate_max[%d] = [",
            c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%.6g", i ? ", " : "", c->models[i].rate_max);
    fprintf(m.f, "]\narray fail_rate_max[%d] = [", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%.6g", i ? ", " : "", c->models[i].fail_rate_max);
    fprintf(m.f,
            "]\n# memory-<model>-0.csv: windows, the most MiB, the last window's end (s)\n"
            "array memory_data[%d] = [",
            c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%d", i ? ", " : "", c->models[i].memory_points > 0);
    fprintf(m.f, "]\narray mem_max[%d] = [", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%.6g", i ? ", " : "", c->models[i].mem_max_mib);
    fprintf(m.f, "]\narray mem_end[%d] = [", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(m.f, "%s%.6g", i ? ", " : "", c->models[i].mem_end_s);
    fprintf(
        m.f,
        "]\n# the failure classes of errors.dat's columns 2..\nncls = %d\narray cls_name[%d] = [",
        ERR__COUNT, ERR__COUNT);
    for (int k = 1; k < ERR__COUNT; k++)
        fprintf(m.f, "%s\"%s\"", k > 1 ? ", " : "", err_class_name((err_class_t)k));
    fputs(", \"not classified (older results)\"", m.f);
    fprintf(m.f, "]\narray infra_label[%d] = [", PLOT_INFRA_N);
    for (int k = 0; k < PLOT_INFRA_N; k++) {
        int missing = 0;
        for (int i = 0; i < c->n; i++)
            missing |= c->models[i].infra_missing[k];
        fprintf(m.f, "%s\"%s%s\"", k ? ", " : "", plot_infra_labels[k],
                missing ? " (not measured: shown as 0)" : "");
    }
    fputs("]\n", m.f);
    return atomic_text_commit(&m, c->dir, "plotvars.gp", err, errlen);
}

static void plot_dat_figure(FILE *f, const summary_spread_t *x, double scale)
{
    fprintf(f, " %.6g %.6g %.6g", x->median * scale, x->min * scale, x->max * scale);
}

/* bars.dat: one row per model, in plotvars.gp's order. */
static int plot_write_bars(const plot_results_t *c, char *err, size_t errlen)
{
    atomic_text_t m;
    if (atomic_text_open(&m, err, errlen))
        return -1;
    fputs("# concbench plot data: one row per model, in the order of model[] in plotvars.gp.\n"
          "# Figures: median, min and max over the model's measured runs; services' CPU:\n"
          "# medians (0 when not measured); NaN: not in results.json.\n"
          "# 1:x 2-4:wall_s 5-7:peak_mib 8-10:cpu_s 11:mockapi_cpu_s 12:postgres_cpu_s\n"
          "# 13:redis_cpu_s 14-16:error_pct 17:wall_over_floor 18:verified\n",
          m.f);
    for (int i = 0; i < c->n; i++) {
        const plot_model_t *p = &c->models[i];
        fprintf(m.f, "# %s\n%d", p->s.name, i + 1);
        plot_dat_figure(m.f, &p->s.fig[SUMMARY_WALL], 1);
        plot_dat_figure(m.f, &p->s.fig[SUMMARY_MEM], 1.0 / 1048576);
        plot_dat_figure(m.f, &p->s.fig[SUMMARY_CPU], 1);
        for (int k = 0; k < PLOT_INFRA_N; k++)
            fprintf(m.f, " %.6g", p->infra_cpu_s[k]);
        plot_dat_figure(m.f, &p->s.fig[SUMMARY_ERROR_RATE], 100);
        fprintf(m.f, " %.6g %d\n", p->s.fig[SUMMARY_WALL_FLOOR].median, p->s.verified);
    }
    return atomic_text_commit(&m, c->dir, "bars.dat", err, errlen);
}

/* errors.dat: one row per model (plotvars.gp's order): x, then for each
 * failure class (outcome.h, in its order) the cumulative share of N that
 * failed for good up to and including it, mean per run (summary[]'s
 * errors_by_class / runs / N), then a last "not classified" class: the
 * median error rate of results written before errors_by_class existed.
 * The last column is the total. A stacked bar draws the classes from the
 * largest cumulative down. */
static int plot_write_errors(const plot_results_t *c, char *err, size_t errlen)
{
    atomic_text_t m;
    double n = json_number_value(json_object_get(c->config, "requests"));
    if (atomic_text_open(&m, err, errlen))
        return -1;
    fputs("# concbench plot data: failed for good by class, % of N, mean per run, cumulative\n#",
          m.f);
    for (int k = 1; k < ERR__COUNT; k++)
        fprintf(m.f, " %d:%s", k + 1, err_class_name((err_class_t)k));
    fprintf(m.f, " %d:not_classified\n", ERR__COUNT + 1);
    for (int i = 0; i < c->n; i++) {
        const plot_model_t *p = &c->models[i];
        double cum = 0, per = p->s.runs > 0 && n > 0 ? 100.0 / (p->s.runs * n) : 0;
        fprintf(m.f, "%d", i + 1);
        for (int k = 1; k < ERR__COUNT; k++) {
            cum += (double)p->s.errors[k] * per;
            fprintf(m.f, " %.6g", cum);
        }
        if (cum == 0 && p->s.fig[SUMMARY_ERROR_RATE].median > 0)
            cum = 100 * p->s.fig[SUMMARY_ERROR_RATE].median;
        fprintf(m.f, " %.6g\n", cum);
    }
    return atomic_text_commit(&m, c->dir, "errors.dat", err, errlen);
}

/* Opens DIR/<kind>-<model>-<repeat>.csv. Returns the stream, or NULL with
 * *gone set when the file does not exist (no data: not an error). */
static FILE *plot_run_csv_open(const plot_results_t *c, const char *kind, const char *model,
                               int repeat, int *gone, char *err, size_t errlen)
{
    char path[PATH_MAX];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s-%s-%d.csv", c->dir, kind, model, repeat);
    f = fopen(path, "re");
    *gone = !f && errno == ENOENT;
    if (!f && !*gone)
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    return f;
}

int plot_cdf_thin(FILE *in, FILE *out, int *wait_rows)
{
    char line[128];
    int kept = 0, pending = 0;
    double kx = 0, ky = -1, px = 0, py = 0, pw = NAN;
    while (fgets(line, sizeof line, in)) {
        char *end;
        double x = strtod(line, &end), y, w = NAN;
        if (end == line || *end != ',')
            continue; /* the header */
        y = strtod(end + 1, &end);
        if (*end == ',')
            w = strtod(end + 1, NULL); /* wait_ms: absent before it was recorded */
        *wait_rows += !isnan(w);
        if (ky < 0 || y - ky >= 0.002 || x >= kx * 1.005) {
            fprintf(out, "%.6g %.6g %.6g\n", x, y, w);
            kx = x;
            ky = y;
            kept++;
            pending = 0;
        } else {
            px = x;
            py = y;
            pw = w;
            pending = 1;
        }
    }
    if (pending) {
        fprintf(out, "%.6g %.6g %.6g\n", px, py, pw);
        kept++;
    }
    return kept;
}

/* One repetition's part of a cdf.dat block, from
 * latency-<model>-<repeat>.csv, thinned (plot_cdf_thin). Returns points
 * kept (0: no file), or -1. */
static int plot_cdf_repeat(const plot_results_t *c, plot_model_t *model, int repeat, FILE *out,
                           char *err, size_t errlen)
{
    int gone, kept;
    FILE *f = plot_run_csv_open(c, "latency", model->s.name, repeat, &gone, err, errlen);
    if (!f)
        return gone ? 0 : -1;
    kept = plot_cdf_thin(f, out, &model->wait_points);
    fclose(f);
    return kept;
}

/* One block of cdf.dat: every measured repetition of the model, each a
 * line of its own (separated by one blank line, which gnuplot draws as a
 * new line of the same block). Returns points kept, or -1. */
static int plot_cdf_block(const plot_results_t *c, plot_model_t *model, FILE *out, char *err,
                          size_t errlen)
{
    int kept = 0;
    for (int rep = 0; rep < (model->s.runs > 0 ? model->s.runs : 1); rep++) {
        int n;
        if (kept)
            fputc('\n', out);
        n = plot_cdf_repeat(c, model, rep, out, err, errlen);
        if (n < 0)
            return -1;
        kept += n;
    }
    model->latency_points = kept;
    return kept;
}

/* One block of throughput.dat from timeline-<model>-0.csv: the window's
 * end, completions per second and failures per second in it. Returns
 * windows, or -1. */
static int plot_throughput_block(const plot_results_t *c, plot_model_t *model, FILE *out, char *err,
                                 size_t errlen)
{
    char line[128];
    int gone, rows = 0;
    double prev = 0;
    FILE *f = plot_run_csv_open(c, "timeline", model->s.name, 0, &gone, err, errlen);
    if (!f)
        return gone ? 0 : -1;
    while (fgets(line, sizeof line, f)) {
        double t, done, failed;
        if (sscanf(line, "%lf,%lf,%lf", &t, &done, &failed) != 3 || t <= prev)
            continue; /* the header */
        done /= t - prev;
        failed /= t - prev;
        fprintf(out, "%.6g %.6g %.6g\n", t, done, failed);
        model->rate_max = done > model->rate_max ? done : model->rate_max;
        model->fail_rate_max = failed > model->fail_rate_max ? failed : model->fail_rate_max;
        prev = t;
        rows++;
    }
    fclose(f);
    model->timeline_points = rows;
    return rows;
}

/* One block of memtime.dat from memory-<model>-0.csv: each window as two
 * points, its start and its end, at the most memory sampled in it (MiB),
 * so a line draws the window's whole width. Returns windows, or -1. */
static int plot_memtime_block(const plot_results_t *c, plot_model_t *model, FILE *out, char *err,
                              size_t errlen)
{
    char line[128];
    int gone, rows = 0;
    FILE *f = plot_run_csv_open(c, "memory", model->s.name, 0, &gone, err, errlen);
    if (!f)
        return gone ? 0 : -1;
    while (fgets(line, sizeof line, f)) {
        double t, width, bytes;
        if (sscanf(line, "%lf,%lf,%lf", &t, &width, &bytes) != 3)
            continue; /* the header */
        fprintf(out, "%.6g %.6g\n%.6g %.6g\n", t - width, bytes / 1048576.0, t, bytes / 1048576.0);
        model->mem_max_mib =
            bytes / 1048576.0 > model->mem_max_mib ? bytes / 1048576.0 : model->mem_max_mib;
        model->mem_end_s = t;
        rows++;
    }
    fclose(f);
    model->memory_points = rows;
    return rows;
}

/* 100 x part / whole, or NaN when the model has no such stage or queue. */
static double plot_pct(double part, double whole)
{
    return whole > 0 ? 100 * part / whole : NAN;
}

/* One block of stages.dat from stages-<model>-0.csv (staged models): the
 * sample's time, then how full each stage and queue was in % of its width
 * or bound: fetch, transform, write, transform queue, write queue. Returns
 * samples, or -1. */
static int plot_stages_block(const plot_results_t *c, plot_model_t *model, FILE *out, char *err,
                             size_t errlen)
{
    char line[256];
    int gone, rows = 0;
    FILE *f = plot_run_csv_open(c, "stages", model->s.name, 0, &gone, err, errlen);
    if (!f)
        return gone ? 0 : -1;
    while (fgets(line, sizeof line, f)) {
        double t, v[10];
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &t, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) != 11)
            continue; /* the header */
        fprintf(out, "%.6g %.6g %.6g %.6g %.6g %.6g\n", t, plot_pct(v[0], v[1]),
                plot_pct(v[2], v[3]), plot_pct(v[6], v[7]), plot_pct(v[4], v[5]),
                plot_pct(v[8], v[9]));
        rows++;
    }
    fclose(f);
    model->stages_points = rows;
    return rows;
}

/* cdf.dat or throughput.dat: one block per model (gnuplot `index i-1`),
 * a NaN row for a model without data so the blocks stay aligned. */
static int plot_write_blocks(plot_results_t *c, const char *name, const char *header,
                             int (*block)(const plot_results_t *, plot_model_t *, FILE *, char *,
                                          size_t),
                             int *any, char *err, size_t errlen)
{
    atomic_text_t m;
    if (atomic_text_open(&m, err, errlen))
        return -1;
    fprintf(m.f, "# concbench plot data: %s\n", header);
    for (int i = 0; i < c->n; i++) {
        int rows;
        fprintf(m.f, "%s# model %s\n", i ? "\n\n" : "", c->models[i].s.name);
        rows = block(c, &c->models[i], m.f, err, errlen);
        if (rows < 0) {
            fclose(m.f);
            free(m.buf);
            return -1;
        }
        if (rows == 0)
            fputs("NaN NaN NaN\n", m.f);
        *any |= rows > 0;
    }
    return atomic_text_commit(&m, c->dir, name, err, errlen);
}

int plot_data_write(plot_results_t *r, char *err, size_t errlen)
{
    /* The blocks first: plotvars.gp records which models have data. */
    if (plot_write_summary_csv(r, err, errlen) || plot_write_summary_md(r, err, errlen) ||
        plot_write_blocks(
            r, "cdf.dat",
            "API latency CDF of every repetition per model (api_ms fraction_at_or_below "
            "wait_ms: the wait of the same rank, NaN where not recorded; latency_ms in "
            "schema-1 folders; one line per repetition), thinned from "
            "latency-<model>-<repeat>.csv",
            plot_cdf_block, &r->has_latency, err, errlen) ||
        plot_write_blocks(r, "throughput.dat",
                          "per model, from timeline-<model>-0.csv: window end (s), completions/s, "
                          "failures/s",
                          plot_throughput_block, &r->has_timeline, err, errlen) ||
        plot_write_blocks(r, "memtime.dat",
                          "per model, from memory-<model>-0.csv: time (s), the most memory sampled "
                          "in the window (MiB); each window as its start and its end",
                          plot_memtime_block, &r->has_memtime, err, errlen) ||
        plot_write_blocks(r, "stages.dat",
                          "per staged model, from stages-<model>-0.csv: time (s), then % of width "
                          "or bound: fetch, transform, write, transform queue, write queue",
                          plot_stages_block, &r->has_stages, err, errlen) ||
        plot_write_vars(r, err, errlen) || plot_write_bars(r, err, errlen) ||
        plot_write_errors(r, err, errlen))
        return -1;
    return 0;
}

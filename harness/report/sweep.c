#include "harness/report/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/limits.h"
#include "common/log.h"
#include "harness/report/chart.h"
#include "harness/report/html_report.h"
#include "harness/report/noise.h"
#include "harness/report/report.h"
#include "harness/report/summary.h"

int sweep_parse(const char *spec, const config_t *base, sweep_t *s, char *err, size_t errlen)
{
    char *copy = strdup(spec), *save = NULL, msg[300], canon[64];
    config_t scratch = *base; /* numeric knobs only: nothing it owns is freed */

    memset(s, 0, sizeof *s);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(part, '='), *vsave = NULL;
        const knob_t *k;
        int ki = s->nkeys;
        if (!eq || eq == part) {
            snprintf(err, errlen, "sweep '%s': expected key=v1,v2,...", part);
            goto fail;
        }
        *eq = '\0';
        for (char *p = part; *p; p++)
            if (*p == '-')
                *p = '_';
        k = config_knob_find(part);
        if (!k) {
            snprintf(err, errlen, "sweep: unknown knob '%s' (concbench list shows them all)", part);
            goto fail;
        }
        if (k->type == KNOB_STR || k->type == KNOB_CHOICE) {
            snprintf(err, errlen, "sweep: %s is not a number; only numeric knobs can be swept",
                     part);
            goto fail;
        }
        for (int i = 0; i < s->nkeys; i++)
            if (s->keys[i] == k) {
                snprintf(err, errlen, "sweep: %s is swept twice", part);
                goto fail;
            }
        if (ki == SWEEP_MAX_KEYS) {
            snprintf(err, errlen, "sweep: at most %d knobs at once", SWEEP_MAX_KEYS);
            goto fail;
        }
        s->keys[ki] = k;
        s->nkeys++;
        for (char *v = strtok_r(eq + 1, ",", &vsave); v; v = strtok_r(NULL, ",", &vsave)) {
            if (s->nvalues[ki] == SWEEP_MAX_VALUES) {
                snprintf(err, errlen, "sweep: at most %d values per knob", SWEEP_MAX_VALUES);
                goto fail;
            }
            if (config_set(&scratch, k->name, v, msg, sizeof msg)) {
                snprintf(err, errlen, "sweep: %s", msg);
                goto fail;
            }
            /* Kept as the knob prints it, so "2s", "10%" and "2000" are one
             * value (2000, 0.1), named and recorded as a number. */
            config_format(&scratch, k, canon, sizeof canon);
            s->values[ki][s->nvalues[ki]++] = strdup(canon);
        }
        if (s->nvalues[ki] == 0) {
            snprintf(err, errlen, "sweep: %s has no values", k->name);
            goto fail;
        }
    }
    free(copy);
    return 0;
fail:
    free(copy);
    sweep_free(s);
    return -1;
}

void sweep_free(sweep_t *s)
{
    for (int k = 0; k < SWEEP_MAX_KEYS; k++)
        for (int v = 0; v < s->nvalues[k]; v++)
            free(s->values[k][v]);
    memset(s, 0, sizeof *s);
}

int sweep_npoints(const sweep_t *s)
{
    int n = 1;
    for (int k = 0; k < s->nkeys; k++)
        n *= s->nvalues[k];
    return n;
}

/* Point p's value index for each key: the first key varies slowest. */
static void sweep_indices(const sweep_t *s, int p, int idx[SWEEP_MAX_KEYS])
{
    for (int k = s->nkeys - 1; k >= 0; k--) {
        idx[k] = p % s->nvalues[k];
        p /= s->nvalues[k];
    }
}

int sweep_apply(const sweep_t *s, int p, config_t *c, char *name, size_t cap)
{
    int idx[SWEEP_MAX_KEYS];
    size_t len;
    char err[300];
    sweep_indices(s, p, idx);
    len = (size_t)snprintf(name, cap, "point-%d", p + 1);
    for (int k = 0; k < s->nkeys; k++) {
        if (config_set(c, s->keys[k]->name, s->values[k][idx[k]], err, sizeof err))
            return -1;
        if (len < cap)
            len += (size_t)snprintf(name + len, cap - len, "-%s=%s", s->keys[k]->name,
                                    s->values[k][idx[k]]);
    }
    return 0;
}

int sweep_touches_mock(const sweep_t *s)
{
    for (int k = 0; k < s->nkeys; k++)
        if (s->keys[k]->flags & KNOB_MOCK)
            return 1;
    return 0;
}

static json_t *sweep_point_values(const sweep_t *s, int p)
{
    int idx[SWEEP_MAX_KEYS];
    json_t *o = json_object();
    sweep_indices(s, p, idx);
    for (int k = 0; k < s->nkeys; k++)
        json_object_set_new(o, s->keys[k]->name, json_real(strtod(s->values[k][idx[k]], NULL)));
    return o;
}

/* One figure of a summary[] row: its median, min or max (0 when absent). */
static double sweep_figure(json_t *row, int fig, const char *which)
{
    return json_number_value(
        json_object_get(json_object_get(row, summary_figure_keys[fig]), which));
}

/* A summary[] row's wall time as the noise rule sees it (noise.h). */
static noise_interval_t sweep_wall_interval(json_t *row)
{
    summary_model_t m;
    noise_interval_t none = {NAN, NAN, 0};
    if (summary_model_from_json(row, &m))
        return none;
    return noise_interval(&m.fig[SUMMARY_WALL], NOISE_WALL);
}

/* The value of the first swept key at a summary[] row's point. */
static double sweep_x(json_t *row)
{
    json_t *pt = json_object_get(row, "sweep");
    const char *key;
    json_t *v;
    json_object_foreach(pt, key, v) return json_number_value(v);
    return NAN;
}

/* Per model: the best median wall time over the points, and the first
 * point within SWEEP_KNEE_WITHIN of it. A model whose wall times at every
 * point lie within the noise of each other (noise.h: no point's interval
 * clear of another's) has no knee: the swept knob does not change it
 * (unbounded-loop ignores concurrency), so "flat" is said instead. A knee
 * at the largest value of the (first) swept knob is "at_largest": the
 * sweep may not have gone far enough. */
static json_t *sweep_knees(json_t *summary)
{
    json_t *knees = json_array(), *row;
    size_t i;
    json_array_foreach(summary, i, row)
    {
        const char *model = json_string_value(json_object_get(row, "model"));
        json_t *other, *third, *knee = NULL, *o;
        double best = INFINITY, xmax = -INFINITY;
        size_t j, k;
        int seen = 0, apart = 0, points = 0;
        for (k = 0; k < i; k++)
            seen |= strcmp(json_string_value(json_object_get(json_array_get(summary, k), "model")),
                           model) == 0;
        if (seen)
            continue;
        json_array_foreach(summary, j, other)
        {
            if (strcmp(json_string_value(json_object_get(other, "model")), model) != 0 ||
                !json_is_true(json_object_get(other, "verified")))
                continue;
            points++;
            if (sweep_x(other) > xmax)
                xmax = sweep_x(other);
            if (sweep_figure(other, SUMMARY_WALL, "median") < best)
                best = sweep_figure(other, SUMMARY_WALL, "median");
            json_array_foreach(summary, k, third)
            {
                if (strcmp(json_string_value(json_object_get(third, "model")), model) == 0 &&
                    json_is_true(json_object_get(third, "verified")) &&
                    noise_below(sweep_wall_interval(other), sweep_wall_interval(third)))
                    apart = 1;
            }
        }
        json_array_foreach(summary, j, other)
        {
            if (strcmp(json_string_value(json_object_get(other, "model")), model) == 0 &&
                json_is_true(json_object_get(other, "verified")) &&
                sweep_figure(other, SUMMARY_WALL, "median") <= best * (1 + SWEEP_KNEE_WITHIN)) {
                knee = other;
                break;
            }
        }
        if (!knee)
            continue;
        o = json_object();
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "flat", json_boolean(points > 1 && !apart));
        if (points > 1 && !apart) {
            json_object_set_new(o, "point", json_null());
            json_object_set_new(o, "dir", json_null());
            json_object_set_new(o, "wall_s", json_null());
            json_object_set_new(o, "at_largest", json_false());
        } else {
            json_object_set(o, "point", json_object_get(knee, "sweep"));
            json_object_set(o, "dir", json_object_get(knee, "dir"));
            json_object_set_new(o, "wall_s", json_real(sweep_figure(knee, SUMMARY_WALL, "median")));
            json_object_set_new(o, "at_largest", json_boolean(points > 1 && sweep_x(knee) >= xmax));
        }
        json_object_set_new(o, "best_wall_s", json_real(best));
        json_array_append_new(knees, o);
    }
    return knees;
}

json_t *sweep_results_json(const sweep_t *s, json_t *const *docs, const char *const *names,
                           int npoints, int complete, int exit_status)
{
    json_t *doc = json_object(), *sw = json_object(), *keys = json_array(), *points = json_array();
    json_t *runs = json_array(), *summary = json_array();
    for (int k = 0; k < s->nkeys; k++)
        json_array_append_new(keys, json_string(s->keys[k]->name));
    for (int p = 0; p < npoints; p++) {
        json_t *pt = json_object(), *row;
        size_t i;
        json_object_set_new(pt, "dir", json_string(names[p]));
        json_object_set_new(pt, "values", sweep_point_values(s, p));
        json_object_set_new(pt, "ran", json_boolean(docs[p] != NULL));
        json_array_append_new(points, pt);
        if (!docs[p])
            continue;
        if (!json_object_get(doc, "config")) {
            json_object_set(doc, "config", json_object_get(docs[p], "config"));
            json_object_set(doc, "env", json_object_get(docs[p], "env"));
        }
        json_array_foreach(json_object_get(docs[p], "runs"), i, row)
        {
            json_t *r = json_deep_copy(row);
            json_object_set_new(r, "sweep", sweep_point_values(s, p));
            json_array_append_new(runs, r);
        }
        json_array_foreach(json_object_get(docs[p], "summary"), i, row)
        {
            json_t *r = json_deep_copy(row);
            json_object_set_new(r, "sweep", sweep_point_values(s, p));
            json_object_set_new(r, "dir", json_string(names[p]));
            json_array_append_new(summary, r);
        }
    }
    json_object_set_new(sw, "keys", keys);
    json_object_set_new(sw, "points", points);
    json_object_set_new(sw, "knee_within", json_real(SWEEP_KNEE_WITHIN));
    json_object_set_new(sw, "knee", sweep_knees(summary));
    json_object_set_new(doc, "schema_version", json_integer(RESULTS_SCHEMA_VERSION));
    json_object_set_new(doc, "tool", json_string("concbench"));
    json_object_set_new(doc, "complete", json_boolean(complete));
    json_object_set_new(doc, "exit_status", json_integer(exit_status));
    json_object_set_new(doc, "sweep", sw);
    json_object_set_new(doc, "runs", runs);
    json_object_set_new(doc, "summary", summary);
    return doc;
}

/* sweep.csv: one row per model and point. Notes the models in models[]
 * (at most LIMIT_SWEEP_CHART_MODELS, in order of appearance). Returns 0 or -1. */
static int sweep_csv_write(const char *dir, json_t *doc, const char **models, int *nmodels,
                           char *err, size_t errlen)
{
    json_t *keys = json_object_get(json_object_get(doc, "sweep"), "keys");
    json_t *summary = json_object_get(doc, "summary"), *row, *key;
    size_t i, k;
    atomic_text_t m;
    if (atomic_text_open(&m, err, errlen))
        return -1;
    fprintf(m.f, "model");
    json_array_foreach(keys, k, key) fprintf(m.f, ",%s", json_string_value(key));
    fprintf(m.f, ",wall_s_median,wall_s_min,wall_s_max,cpu_s_median,cpu_per_request_us_median,"
                 "peak_mib_median,api_p99_ms_median,wait_p99_ms_median,error_rate_median,"
                 "wall_over_floor_median,verified,dir\n");
    json_array_foreach(summary, i, row)
    {
        const char *model = json_string_value(json_object_get(row, "model"));
        int seen = 0;
        fprintf(m.f, "%s", model);
        json_array_foreach(keys, k, key)
            fprintf(m.f, ",%g",
                    json_number_value(
                        json_object_get(json_object_get(row, "sweep"), json_string_value(key))));
        fprintf(m.f, ",%.6f,%.6f,%.6f,%.6f,%.1f,%.3f,%.3f,%.3f,%.6f,%.4f,%s,%s\n",
                sweep_figure(row, SUMMARY_WALL, "median"), sweep_figure(row, SUMMARY_WALL, "min"),
                sweep_figure(row, SUMMARY_WALL, "max"), sweep_figure(row, SUMMARY_CPU, "median"),
                sweep_figure(row, SUMMARY_CPU_REQ, "median"),
                sweep_figure(row, SUMMARY_MEM, "median") / 1048576.0,
                sweep_figure(row, SUMMARY_API_P99, "median"),
                sweep_figure(row, SUMMARY_WAIT_P99, "median"),
                sweep_figure(row, SUMMARY_ERROR_RATE, "median"),
                sweep_figure(row, SUMMARY_WALL_FLOOR, "median"),
                json_is_true(json_object_get(row, "verified")) ? "true" : "false",
                json_string_value(json_object_get(row, "dir")));
        for (int n = 0; n < *nmodels; n++)
            seen |= strcmp(models[n], model) == 0;
        if (!seen && *nmodels < LIMIT_SWEEP_CHART_MODELS)
            models[(*nmodels)++] = model;
    }
    return atomic_text_commit(&m, dir, "sweep.csv", err, errlen);
}

/* sweep.dat: the one swept knob on x, one data block per model (in the
 * order of models[]). Sets *lo and *hi to the range of x. */
static void sweep_dat_print(FILE *f, json_t *doc, const char *kname, const char **models,
                            int nmodels, double *lo, double *hi)
{
    json_t *summary = json_object_get(doc, "summary"), *row;
    size_t i;
    *lo = INFINITY;
    *hi = 0;
    for (int m = 0; m < nmodels; m++) {
        fprintf(f, "%s# %s\n", m ? "\n\n" : "", models[m]);
        json_array_foreach(summary, i, row)
        {
            double x = json_number_value(json_object_get(json_object_get(row, "sweep"), kname));
            if (strcmp(json_string_value(json_object_get(row, "model")), models[m]) != 0)
                continue;
            *lo = x < *lo ? x : *lo;
            *hi = x > *hi ? x : *hi;
            fprintf(f, "%g %.6f %.6f %.6f %.6f %.3f %.3f\n", x,
                    sweep_figure(row, SUMMARY_WALL, "median"),
                    sweep_figure(row, SUMMARY_WALL, "min"), sweep_figure(row, SUMMARY_WALL, "max"),
                    sweep_figure(row, SUMMARY_CPU, "median"),
                    sweep_figure(row, SUMMARY_MEM, "median") / 1048576.0,
                    sweep_figure(row, SUMMARY_API_P99, "median"));
        }
    }
}

/* The knee object of a model in sweep.knee[], or NULL. */
static json_t *sweep_knee_of(json_t *doc, const char *model)
{
    json_t *kn;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(doc, "sweep"), "knee"), i, kn)
    {
        if (strcmp(json_string_value(json_object_get(kn, "model")), model) == 0)
            return kn;
    }
    return NULL;
}

/* sweepvars.gp: what chart-sweep.gp needs besides sweep.dat: the models,
 * their colours and knees (knee_x NaN when none, knee_far when it is at
 * the largest value tried), and every swept value as an x tick. */
static void sweep_vars_print(FILE *f, json_t *doc, const char *kname, const char **models,
                             int nmodels, double lo, double hi)
{
    json_t *cfg = json_object_get(doc, "config"), *env = json_object_get(doc, "env"), *pt;
    const char *cpu = json_string_value(json_object_get(env, "cpu_model"));
    char suffix[512];
    size_t i;
    int n = 0;
    fprintf(f, "nmodels = %d\narray model[%d]\narray color[%d]\n", nmodels, nmodels, nmodels);
    fprintf(f, "array knee_x[%d]\narray knee_wall[%d]\narray knee_far[%d]\n", nmodels, nmodels,
            nmodels);
    for (int m = 0; m < nmodels; m++) {
        json_t *kn = sweep_knee_of(doc, models[m]);
        double kx = kn && json_is_object(json_object_get(kn, "point"))
                        ? json_number_value(json_object_get(json_object_get(kn, "point"), kname))
                        : NAN;
        fprintf(f, "model[%d] = ", m + 1);
        chart_gp_string(f, models[m]);
        fprintf(f, "\ncolor[%d] = \"%s\"\n", m + 1, chart_model_color(models[m], NULL));
        if (isnan(kx))
            fprintf(f, "knee_x[%d] = NaN\n", m + 1);
        else
            fprintf(f, "knee_x[%d] = %.17g\n", m + 1, kx);
        fprintf(f, "knee_wall[%d] = %.6g\nknee_far[%d] = %d\n", m + 1,
                kn ? json_number_value(json_object_get(kn, "wall_s")) : 0, m + 1,
                kn && json_is_true(json_object_get(kn, "at_largest")));
    }
    fputs("sweep_key = ", f);
    chart_gp_string(f, kname);
    fprintf(f, "\nsweep_logx = %d\nsweep_xtics = \"set xtics (", lo > 0 && hi / lo >= 10);
    json_array_foreach(json_object_get(json_object_get(doc, "sweep"), "points"), i, pt)
    {
        double x = json_number_value(json_object_get(json_object_get(pt, "values"), kname));
        fprintf(f, "%s'%g' %.17g", n++ ? ", " : "", x, x);
    }
    fputs(")\"\n", f);
    snprintf(suffix, sizeof suffix, "N = %lld · latency %lld ms · %s, %lld cores",
             (long long)json_integer_value(json_object_get(cfg, "requests")),
             (long long)json_number_value(json_object_get(cfg, "latency_ms")), cpu ? cpu : "",
             (long long)json_integer_value(json_object_get(env, "cores")));
    fputs("title_suffix = ", f);
    chart_gp_string(f, suffix);
    fputc('\n', f);
}

/* DIR/report.html: the sweep's own page, with the chart when it was
 * drawn. Returns 0, or -1 with the reason in err. */
static int sweep_write_html(const char *dir, json_t *doc, char *err, size_t errlen)
{
    size_t svg_len, len;
    char *svg = chart_file_read(dir, "chart-sweep.svg", &svg_len);
    char *text = html_sweep_render(doc, svg, &len);
    int rc;
    free(svg);
    if (!text) {
        snprintf(err, errlen, "out of memory rendering the sweep's report.html");
        return -1;
    }
    rc = atomic_file_write(dir, "report.html", text, len, err, errlen);
    free(text);
    return rc;
}

int sweep_write_outputs(const char *dir, json_t *doc, char *err, size_t errlen)
{
    json_t *keys = json_object_get(json_object_get(doc, "sweep"), "keys");
    static const char *const inputs[] = {"sweepvars.gp", "sweep.dat", NULL};
    const char *models[LIMIT_SWEEP_CHART_MODELS], *kname;
    int nmodels = 0;
    double lo, hi;
    atomic_text_t dat, vars;

    if (sweep_csv_write(dir, doc, models, &nmodels, err, errlen))
        return -1;
    if (json_array_size(keys) != 1) {
        log_warn("sweep charts are drawn for one swept knob; %s/sweep.csv has the whole grid", dir);
        return sweep_write_html(dir, doc, err, errlen);
    }
    kname = json_string_value(json_array_get(keys, 0));
    if (atomic_text_open(&dat, err, errlen))
        return -1;
    if (atomic_text_open(&vars, err, errlen)) {
        fclose(dat.f);
        free(dat.buf);
        return -1;
    }
    sweep_dat_print(dat.f, doc, kname, models, nmodels, &lo, &hi);
    sweep_vars_print(vars.f, doc, kname, models, nmodels, lo, hi);
    if (atomic_text_commit(&dat, dir, "sweep.dat", err, errlen)) {
        fclose(vars.f);
        free(vars.buf);
        return -1;
    }
    if (atomic_text_commit(&vars, dir, "sweepvars.gp", err, errlen) ||
        chart_script_run(dir, "chart-sweep.gp", inputs, err, errlen) < 0)
        return -1;
    return sweep_write_html(dir, doc, err, errlen);
}

void sweep_print_knees(FILE *f, json_t *doc)
{
    json_t *knees = json_object_get(json_object_get(doc, "sweep"), "knee"), *kn;
    size_t i;
    fprintf(f, "\nKnee per model (the first setting within %.0f%% of its best wall time):\n",
            100 * SWEEP_KNEE_WITHIN);
    json_array_foreach(knees, i, kn)
    {
        const char *key;
        json_t *v;
        char point[256] = "";
        size_t len = 0;
        json_object_foreach(json_object_get(kn, "point"), key, v)
        {
            if (len < sizeof point)
                len += (size_t)snprintf(point + len, sizeof point - len, "%s%s=%g", len ? " " : "",
                                        key, json_number_value(v));
        }
        if (json_is_true(json_object_get(kn, "flat"))) {
            fprintf(f,
                    "  %-16s no knee: its wall time is the same within the noise at every "
                    "point (best %.2f s): the swept knob does not change it\n",
                    json_string_value(json_object_get(kn, "model")),
                    json_number_value(json_object_get(kn, "best_wall_s")));
            continue;
        }
        fprintf(f, "  %-16s %-28s %.2f s (best %.2f s)%s\n",
                json_string_value(json_object_get(kn, "model")), point,
                json_number_value(json_object_get(kn, "wall_s")),
                json_number_value(json_object_get(kn, "best_wall_s")),
                json_is_true(json_object_get(kn, "at_largest"))
                    ? "  knee at the largest value tried: try larger values"
                    : "");
    }
}

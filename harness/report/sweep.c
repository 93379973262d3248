#include "harness/report/sweep.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/plot.h"

int sweep_parse(const char *spec, const config_t *base, sweep_t *s, char *err, size_t errlen)
{
    char *copy = strdup(spec), *save = NULL, msg[300];
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
        if (k->type == KNOB_STR) {
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
            s->values[ki][s->nvalues[ki]++] = strdup(v);
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
        if (s->keys[k]->mock_flag)
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

static double median_of(json_t *row, const char *figure)
{
    return json_number_value(json_object_get(json_object_get(row, figure), "median"));
}

/* Per model: the best median wall time over the points, and the first
 * point within SWEEP_KNEE_WITHIN of it. */
static json_t *sweep_knees(json_t *summary)
{
    json_t *knees = json_array(), *row;
    size_t i;
    json_array_foreach(summary, i, row)
    {
        const char *model = json_string_value(json_object_get(row, "model"));
        json_t *other, *knee = NULL;
        double best = INFINITY;
        size_t j;
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(json_string_value(json_object_get(json_array_get(summary, k), "model")),
                           model) == 0;
        if (seen)
            continue;
        json_array_foreach(summary, j, other)
        {
            if (strcmp(json_string_value(json_object_get(other, "model")), model) == 0 &&
                json_is_true(json_object_get(other, "verified")) &&
                median_of(other, "wall_s") < best)
                best = median_of(other, "wall_s");
        }
        json_array_foreach(summary, j, other)
        {
            if (strcmp(json_string_value(json_object_get(other, "model")), model) == 0 &&
                json_is_true(json_object_get(other, "verified")) &&
                median_of(other, "wall_s") <= best * (1 + SWEEP_KNEE_WITHIN)) {
                knee = other;
                break;
            }
        }
        if (!knee)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "model", json_string(model));
        json_object_set(o, "point", json_object_get(knee, "sweep"));
        json_object_set(o, "dir", json_object_get(knee, "dir"));
        json_object_set_new(o, "wall_s", json_real(median_of(knee, "wall_s")));
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
    json_object_set_new(doc, "schema_version", json_integer(1));
    json_object_set_new(doc, "tool", json_string("concbench"));
    json_object_set_new(doc, "complete", json_boolean(complete));
    json_object_set_new(doc, "exit_status", json_integer(exit_status));
    json_object_set_new(doc, "sweep", sw);
    json_object_set_new(doc, "runs", runs);
    json_object_set_new(doc, "summary", summary);
    return doc;
}

/* Writes text to dir/name. Returns 0 or -1 with err. */
static int sweep_write_file(const char *dir, const char *name, const char *text, char *err,
                            size_t errlen)
{
    char path[1200];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "we");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int sweep_write_outputs(const char *dir, json_t *doc, char *err, size_t errlen)
{
    json_t *sw = json_object_get(doc, "sweep"), *keys = json_object_get(sw, "keys");
    json_t *summary = json_object_get(doc, "summary"), *row, *key;
    char *csv = NULL, *dat = NULL, *vars = NULL;
    size_t csv_len = 0, dat_len = 0, vars_len = 0, i, k;
    FILE *fc = open_memstream(&csv, &csv_len), *fd = open_memstream(&dat, &dat_len);
    FILE *fv = open_memstream(&vars, &vars_len);
    const char *models[64];
    int nmodels = 0, rc = 0;
    double lo = INFINITY, hi = 0;

    if (!fc || !fd || !fv) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto out;
    }
    fprintf(fc, "model");
    json_array_foreach(keys, k, key) fprintf(fc, ",%s", json_string_value(key));
    fprintf(fc, ",wall_s_median,wall_s_min,wall_s_max,cpu_s_median,peak_mb_median,"
                "latency_p99_ms_median,error_rate_median,efficiency_median,verified,dir\n");
    json_array_foreach(summary, i, row)
    {
        const char *model = json_string_value(json_object_get(row, "model"));
        int seen = 0;
        fprintf(fc, "%s", model);
        json_array_foreach(keys, k, key)
            fprintf(fc, ",%g",
                    json_number_value(
                        json_object_get(json_object_get(row, "sweep"), json_string_value(key))));
        fprintf(fc, ",%.6f,%.6f,%.6f,%.6f,%.3f,%.3f,%.6f,%.4f,%s,%s\n", median_of(row, "wall_s"),
                json_number_value(json_object_get(json_object_get(row, "wall_s"), "min")),
                json_number_value(json_object_get(json_object_get(row, "wall_s"), "max")),
                median_of(row, "cpu_s"), median_of(row, "peak_rss_bytes") / 1048576.0,
                median_of(row, "latency_p99_ms"), median_of(row, "error_rate"),
                median_of(row, "efficiency"),
                json_is_true(json_object_get(row, "verified")) ? "true" : "false",
                json_string_value(json_object_get(row, "dir")));
        for (int m = 0; m < nmodels; m++)
            seen |= strcmp(models[m], model) == 0;
        if (!seen && nmodels < 64)
            models[nmodels++] = model;
    }
    /* The chart: one swept knob on x, one line per model (one data block
     * each, in the order of models[]). */
    if (json_array_size(keys) == 1) {
        const char *kname = json_string_value(json_array_get(keys, 0));
        for (int m = 0; m < nmodels; m++) {
            fprintf(fd, "%s# %s\n", m ? "\n\n" : "", models[m]);
            json_array_foreach(summary, i, row)
            {
                double x = json_number_value(json_object_get(json_object_get(row, "sweep"), kname));
                if (strcmp(json_string_value(json_object_get(row, "model")), models[m]) != 0)
                    continue;
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
                fprintf(fd, "%g %.6f %.6f %.6f %.6f %.3f %.3f\n", x, median_of(row, "wall_s"),
                        json_number_value(json_object_get(json_object_get(row, "wall_s"), "min")),
                        json_number_value(json_object_get(json_object_get(row, "wall_s"), "max")),
                        median_of(row, "cpu_s"), median_of(row, "peak_rss_bytes") / 1048576.0,
                        median_of(row, "latency_p99_ms"));
            }
        }
        json_t *cfg = json_object_get(doc, "config"), *env = json_object_get(doc, "env");
        fprintf(fv, "nmodels = %d\narray model[%d]\narray color[%d]\n", nmodels, nmodels, nmodels);
        for (int m = 0; m < nmodels; m++)
            fprintf(fv, "model[%d] = \"%s\"\ncolor[%d] = \"%s\"\n", m + 1, models[m], m + 1,
                    plot_model_color(models[m]));
        fprintf(fv, "sweep_key = \"%s\"\nsweep_logx = %d\n", kname, lo > 0 && hi / lo >= 10);
        fprintf(fv, "title_suffix = \"N = %lld · latency %lld ms · %s, %lld cores\"\n",
                (long long)json_integer_value(json_object_get(cfg, "requests")),
                (long long)json_integer_value(json_object_get(cfg, "latency_ms")),
                json_string_value(json_object_get(env, "cpu_model"))
                    ? json_string_value(json_object_get(env, "cpu_model"))
                    : "",
                (long long)json_integer_value(json_object_get(env, "cores")));
    }
    fclose(fc);
    fclose(fd);
    fclose(fv);
    fc = fd = fv = NULL;
    if (sweep_write_file(dir, "sweep.csv", csv, err, errlen)) {
        rc = -1;
        goto out;
    }
    if (json_array_size(keys) == 1) {
        if (sweep_write_file(dir, "sweep.dat", dat, err, errlen) ||
            sweep_write_file(dir, "sweepvars.gp", vars, err, errlen) ||
            plot_script_run(dir, "chart-sweep.gp", err, errlen) < 0)
            rc = -1;
    } else {
        fprintf(stderr,
                "concbench: sweep charts are drawn for one swept knob; %s/sweep.csv has "
                "the whole grid\n",
                dir);
    }
out:
    if (fc)
        fclose(fc);
    if (fd)
        fclose(fd);
    if (fv)
        fclose(fv);
    free(csv);
    free(dat);
    free(vars);
    return rc;
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
        fprintf(f, "  %-16s %-28s %.2f s (best %.2f s)\n",
                json_string_value(json_object_get(kn, "model")), point,
                json_number_value(json_object_get(kn, "wall_s")),
                json_number_value(json_object_get(kn, "best_wall_s")));
    }
}

#include "harness/report/plot_results.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report/chart.h"
#include "harness/report/report.h"

const char *const plot_infra_keys[PLOT_INFRA_N] = {"mockapi", "postgres", "redis"};
const char *const plot_infra_labels[PLOT_INFRA_N] = {"mock API", "PostgreSQL", "Redis"};

static double plot_json_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Orders the models (stable: the known ones in the design's order, then
 * the others as results.json lists them) and gives each its colour. */
static void plot_models_order(plot_model_t *m, int n)
{
    int extra = 0;
    for (int i = 1; i < n; i++) {
        plot_model_t t = m[i];
        int j = i;
        for (; j > 0 && chart_model_rank(m[j - 1].s.name) > chart_model_rank(t.s.name); j--)
            m[j] = m[j - 1];
        m[j] = t;
    }
    for (int i = 0; i < n; i++)
        m[i].color = chart_model_color(m[i].s.name, &extra);
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
                strcmp(json_string_value(json_object_get(run, "model")), m->s.name) != 0)
                continue;
            if (isnan(x))
                m->infra_missing[k] = 1;
            else
                v[n++] = x;
        }
        m->infra_cpu_s[k] = summary_spread(v, n).median;
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

/* Reads c->dir/results.json into c->doc and checks it is one this
 * concbench reads. Returns 0, or -1 with err. */
static int plot_results_open(plot_results_t *c, const char *path, char *err, size_t errlen)
{
    struct stat st;
    json_error_t je;
    json_t *ver;

    if (stat(c->dir, &st)) {
        snprintf(err, errlen, "cannot read results folder %s: %s", c->dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a folder (give the folder concbench run wrote)", c->dir);
        return -1;
    }
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
    c->config = json_object_get(c->doc, "config");
    c->env = json_object_get(c->doc, "env");
    if (!json_is_integer(ver) || !json_is_array(c->runs) ||
        !json_is_array(json_object_get(c->doc, "summary"))) {
        snprintf(err, errlen,
                 "%s is not a concbench results file (no schema_version, runs[] or summary[])",
                 path);
        return -1;
    }
    if (json_integer_value(ver) < 1 || json_integer_value(ver) > RESULTS_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s has schema_version %lld; this concbench reads versions 1 to %d",
                 path, (long long)json_integer_value(ver), RESULTS_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

/* The model table from summary[] and runs[]. Returns 0, or -1 with err. */
static int plot_results_models(plot_results_t *c, const char *path, char *err, size_t errlen)
{
    json_t *summary = json_object_get(c->doc, "summary"), *row;
    size_t i;
    c->models = calloc(json_array_size(summary) + 1, sizeof *c->models);
    if (!c->models) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_array_foreach(summary, i, row)
    {
        plot_model_t *m = &c->models[c->n];
        if (summary_model_from_json(row, &m->s)) {
            snprintf(err, errlen, "%s: summary[%zu] has no model name", path, i);
            return -1;
        }
        if (plot_model_infra_fill(c, m)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->n++;
    }
    plot_models_order(c->models, c->n);
    plot_runs_scan(c);
    return 0;
}

/* The scenario, the floor, the rate ceiling and the charts' title line. */
static void plot_results_title(plot_results_t *c)
{
    double n, conc, lat, cores;
    const char *cpu;
    char machine[320];

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
}

int plot_results_load(plot_results_t *c, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/results.json", c->dir);
    if (plot_results_open(c, path, err, errlen) || plot_results_models(c, path, err, errlen))
        return -1;
    plot_results_title(c);
    return 0;
}

void plot_results_free(plot_results_t *c)
{
    free(c->models);
    c->models = NULL;
    json_decref(c->doc);
    c->doc = NULL;
}

#include "harness/report/summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/stats.h"

const char *const summary_figure_keys[SUMMARY__N] = {
    "wall_s",         "wall_over_floor", "cpu_s",      "cpu_per_request_us",
    "peak_mem_bytes", "api_p50_ms",      "api_p99_ms", "wait_p50_ms",
    "wait_p99_ms",    "e2e_p50_ms",      "e2e_p99_ms", "error_rate",
    "retried",        "db_conns"};

/* Where a schema-1 row kept a figure: its key, and whether the value is
 * the reciprocal of today's (efficiency = 1 / wall_over_floor). */
static const struct {
    int fig;
    const char *key;
    int reciprocal;
} summary_v1_keys[] = {
    {SUMMARY_MEM, "peak_rss_bytes", 0},
    {SUMMARY_API_P50, "latency_p50_ms", 0},
    {SUMMARY_API_P99, "latency_p99_ms", 0},
    {SUMMARY_WALL_FLOOR, "efficiency", 1},
};

summary_spread_t summary_spread(double *v, int n)
{
    summary_spread_t s = {0, 0, 0, 0, n};
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            s.median = s.min = s.max = s.mad = NAN;
            return s;
        }
        if (i == 0 || v[i] < s.min)
            s.min = v[i];
        if (i == 0 || v[i] > s.max)
            s.max = v[i];
    }
    s.median = stats_median(v, n);
    /* The figures are no longer needed: v holds the deviations. */
    for (int i = 0; i < n; i++)
        v[i] = fabs(v[i] - s.median);
    s.mad = stats_median(v, n);
    return s;
}

/* Whether a model's wall time varied from run to run more than a
 * comparison between models can ignore. */
static int summary_spread_noisy(const summary_spread_t *s)
{
    return s->n > 1 && ((s->min > 0 && s->max / s->min > LIMIT_NOISY_MAX_OVER_MIN) ||
                        (s->median > 0 && s->mad / s->median > LIMIT_NOISY_MAD_OVER_MEDIAN));
}

double summary_floor_s(const config_t *cfg)
{
    uint32_t c = cfg->job.concurrency ? cfg->job.concurrency : 1;
    return (double)((cfg->job.requests + c - 1) / c) * cfg->mock.latency_ms / 1000.0;
}

double summary_cpu_per_request_us(const config_t *cfg, const run_result_t *r)
{
    return cfg->job.requests ? 1e6 * (r->cpu_user_s + r->cpu_sys_s) / cfg->job.requests : NAN;
}

/* One measured run's figures, in summary_figure_keys' order. */
static void summary_run_figures(const config_t *cfg, double floor_s, const run_result_t *r,
                                double out[SUMMARY__N])
{
    out[SUMMARY_WALL] = r->wall_s;
    out[SUMMARY_WALL_FLOOR] = floor_s > 0 ? r->wall_s / floor_s : NAN;
    out[SUMMARY_CPU] = r->cpu_user_s + r->cpu_sys_s;
    out[SUMMARY_CPU_REQ] = summary_cpu_per_request_us(cfg, r);
    out[SUMMARY_MEM] = (double)r->peak_mem_bytes;
    out[SUMMARY_API_P50] = r->iv.api_ms[IV_P50];
    out[SUMMARY_API_P99] = r->iv.api_ms[IV_P99];
    out[SUMMARY_WAIT_P50] = r->iv.wait_ms[IV_P50];
    out[SUMMARY_WAIT_P99] = r->iv.wait_ms[IV_P99];
    out[SUMMARY_E2E_P50] = r->iv.e2e_ms[IV_P50];
    out[SUMMARY_E2E_P99] = r->iv.e2e_ms[IV_P99];
    out[SUMMARY_ERROR_RATE] = cfg->job.requests ? (double)r->failed / cfg->job.requests : 0;
    out[SUMMARY_RETRIED] = (double)r->retried;
    out[SUMMARY_DB_CONNS] = (double)r->db_conns;
}

/* Fills m (named already) from its measured runs; v is scratch for
 * SUMMARY__N x nruns doubles. */
static void summary_model_fill(const config_t *cfg, const run_result_t *runs, int nruns,
                               summary_model_t *m, double *v)
{
    double floor_s = summary_floor_s(cfg), one[SUMMARY__N];
    m->verified = 1;
    m->ok = 1;
    m->crash = cfg->crash_after > 0 ? SUMMARY_CRASH_NA : SUMMARY_CRASH_NONE;
    for (int i = 0; i < nruns; i++) {
        const run_result_t *r = &runs[i];
        if (r->repeat < 0 || strcmp(r->model->name, m->name) != 0)
            continue;
        summary_run_figures(cfg, floor_s, r, one);
        for (int f = 0; f < SUMMARY__N; f++)
            v[f * nruns + m->runs] = one[f];
        if (r->verify_error || !r->verify.rows_match || !r->complete || r->interrupted)
            m->verified = 0;
        if (!r->ok)
            m->ok = 0;
        m->description = r->model->summary;
        for (int c = 0; c < ERR__COUNT; c++)
            m->errors[c] += r->errors[c];
        if (cfg->crash_after > 0 && r->crash_applicable)
            m->crash = SUMMARY_CRASH_APPLIED;
        m->crash_na = r->model->crash_na;
        m->killed += r->crash_killed;
        m->requeued += r->requeued;
        m->redelivered += r->redelivered;
        if (!r->valid) {
            m->invalid_runs++;
            m->invalid_reasons |= r->validity.reasons;
        }
        m->runs++;
    }
    for (int f = 0; f < SUMMARY__N; f++)
        m->fig[f] = summary_spread(v + f * nruns, m->runs);
    m->noisy = summary_spread_noisy(&m->fig[SUMMARY_WALL]);
}

summary_model_t *summary_models(const config_t *cfg, const run_result_t *runs, int nruns, int *n)
{
    summary_model_t *m = calloc((size_t)nruns + 1, sizeof *m);
    double *v = calloc((size_t)nruns * SUMMARY__N + 1, sizeof *v);
    *n = 0;
    if (!m || !v || nruns <= 0) {
        free(m);
        free(v);
        return NULL;
    }
    for (int i = 0; i < nruns; i++) {
        int k = 0;
        while (k < *n && strcmp(m[k].name, runs[i].model->name) != 0)
            k++;
        if (k == *n)
            m[(*n)++].name = runs[i].model->name;
    }
    for (int k = 0; k < *n; k++)
        summary_model_fill(cfg, runs, nruns, &m[k], v);
    free(v);
    return m;
}

static json_t *summary_spread_json(const summary_spread_t *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "median", json_real(s->median));
    json_object_set_new(o, "min", json_real(s->min));
    json_object_set_new(o, "max", json_real(s->max));
    json_object_set_new(o, "mad", json_real(s->mad));
    return o;
}

/* The reasons' codes, in validity.h's order. */
static json_t *summary_reasons_json(unsigned reasons)
{
    json_t *a = json_array();
    for (unsigned bit = 1; bit <= VALIDITY_LAST; bit <<= 1)
        if (reasons & bit)
            json_array_append_new(a, json_string(validity_reason_name(bit)));
    return a;
}

/* Failures for good by class, every class named (0 included). */
static json_t *summary_errors_json(const uint64_t errors[ERR__COUNT])
{
    json_t *o = json_object();
    for (int c = 1; c < ERR__COUNT; c++)
        json_object_set_new(o, err_class_name((err_class_t)c), json_integer((json_int_t)errors[c]));
    return o;
}

/* summary[].crash: null without --crash-after; else applicable, with
 * reason (why not) or killed / requeued / redelivered summed over the
 * runs. */
static json_t *summary_crash_json(const summary_model_t *m)
{
    json_t *c;
    if (m->crash == SUMMARY_CRASH_NONE)
        return json_null();
    c = json_object();
    json_object_set_new(c, "applicable", json_boolean(m->crash == SUMMARY_CRASH_APPLIED));
    json_object_set_new(c, "killed", json_integer(m->killed));
    json_object_set_new(c, "requeued", json_integer(m->requeued));
    json_object_set_new(c, "redelivered", json_integer(m->redelivered));
    json_object_set_new(c, "reason",
                        m->crash == SUMMARY_CRASH_NA && m->crash_na ? json_string(m->crash_na)
                                                                    : json_null());
    return c;
}

json_t *summary_models_json(const summary_model_t *m, int n)
{
    json_t *arr = json_array();
    for (int k = 0; k < n; k++) {
        json_t *o = json_object();
        json_object_set_new(o, "model", json_string(m[k].name));
        json_object_set_new(o, "runs", json_integer(m[k].runs));
        json_object_set_new(o, "verified", json_boolean(m[k].runs > 0 && m[k].verified));
        json_object_set_new(o, "ok", json_boolean(m[k].runs > 0 && m[k].ok));
        json_object_set_new(o, "valid", json_boolean(m[k].invalid_runs == 0));
        json_object_set_new(o, "invalid_runs", json_integer(m[k].invalid_runs));
        json_object_set_new(o, "invalid_reasons", summary_reasons_json(m[k].invalid_reasons));
        for (int f = 0; f < SUMMARY__N; f++) {
            json_object_set_new(o, summary_figure_keys[f], summary_spread_json(&m[k].fig[f]));
            if (f == SUMMARY_WALL)
                json_object_set_new(o, "noisy", json_boolean(m[k].noisy));
        }
        json_object_set_new(o, "description",
                            m[k].description ? json_string(m[k].description) : json_null());
        json_object_set_new(o, "errors_by_class", summary_errors_json(m[k].errors));
        json_object_set_new(o, "crash", summary_crash_json(&m[k]));
        json_array_append_new(arr, o);
    }
    return arr;
}

static double summary_json_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int summary_model_from_json(json_t *row, summary_model_t *m)
{
    size_t i;
    json_t *v;
    memset(m, 0, sizeof *m);
    m->name = json_string_value(json_object_get(row, "model"));
    if (!m->name)
        return -1;
    m->runs = (int)json_integer_value(json_object_get(row, "runs"));
    m->verified = json_is_true(json_object_get(row, "verified"));
    m->ok = json_object_get(row, "ok") ? json_is_true(json_object_get(row, "ok")) : m->verified;
    m->noisy = json_is_true(json_object_get(row, "noisy"));
    m->invalid_runs = (int)json_integer_value(json_object_get(row, "invalid_runs"));
    json_array_foreach(json_object_get(row, "invalid_reasons"), i, v)
    {
        for (unsigned bit = 1; bit <= VALIDITY_LAST; bit <<= 1)
            if (json_is_string(v) && strcmp(json_string_value(v), validity_reason_name(bit)) == 0)
                m->invalid_reasons |= bit;
    }
    for (int f = 0; f < SUMMARY__N; f++) {
        json_t *o = json_object_get(row, summary_figure_keys[f]);
        summary_spread_t *s = &m->fig[f];
        s->median = summary_json_num(o, "median");
        s->min = summary_json_num(o, "min");
        s->max = summary_json_num(o, "max");
        s->mad = summary_json_num(o, "mad");
        s->n = m->runs;
    }
    m->description = json_string_value(json_object_get(row, "description"));
    for (int c = 1; c < ERR__COUNT; c++) {
        json_t *e = json_object_get(json_object_get(row, "errors_by_class"),
                                    err_class_name((err_class_t)c));
        m->errors[c] = json_is_integer(e) ? (uint64_t)json_integer_value(e) : 0;
    }
    v = json_object_get(row, "crash");
    m->crash = !json_is_object(v)                               ? SUMMARY_CRASH_NONE
               : json_is_true(json_object_get(v, "applicable")) ? SUMMARY_CRASH_APPLIED
                                                                : SUMMARY_CRASH_NA;
    m->crash_na = json_string_value(json_object_get(v, "reason"));
    m->killed = json_integer_value(json_object_get(v, "killed"));
    m->requeued = json_integer_value(json_object_get(v, "requeued"));
    m->redelivered = json_integer_value(json_object_get(v, "redelivered"));
    for (size_t k = 0; k < sizeof summary_v1_keys / sizeof summary_v1_keys[0]; k++) {
        json_t *o = json_object_get(row, summary_v1_keys[k].key);
        summary_spread_t *s = &m->fig[summary_v1_keys[k].fig];
        if (!o || json_object_get(row, summary_figure_keys[summary_v1_keys[k].fig]))
            continue;
        s->median = summary_json_num(o, "median");
        s->min = summary_json_num(o, "min");
        s->max = summary_json_num(o, "max");
        s->mad = summary_json_num(o, "mad");
        if (summary_v1_keys[k].reciprocal) {
            double lo = s->min;
            s->median = 1 / s->median;
            s->min = 1 / s->max; /* the order turns over */
            s->max = 1 / lo;
            s->mad = NAN; /* not the reciprocal's */
        }
    }
    return 0;
}

void summary_spread_format(const summary_spread_t *f, int runs, const char *fmt, double scale,
                           const char *suffix, char *buf, size_t cap)
{
    char med[48], lo[48], hi[48];
    if (isnan(f->median)) {
        snprintf(buf, cap, "–");
        return;
    }
    snprintf(med, sizeof med, fmt, f->median * scale);
    if (runs < 2 || isnan(f->min) || isnan(f->max)) {
        snprintf(buf, cap, "%s%s", med, suffix);
        return;
    }
    snprintf(lo, sizeof lo, fmt, f->min * scale);
    snprintf(hi, sizeof hi, fmt, f->max * scale);
    if (strcmp(lo, hi) == 0) /* no spread at this precision */
        snprintf(buf, cap, "%s%s", med, suffix);
    else
        snprintf(buf, cap, "%s%s (%s–%s%s)", med, suffix, lo, hi, suffix);
}

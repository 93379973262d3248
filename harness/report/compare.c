/* concbench compare: two results.json documents in, a table and an exit
 * status out. Validation (schema, workload, models, baseline health) comes
 * first and prints nothing, so an input that cannot be compared yields one
 * line and exit 2, never half a table. docs/ci.md is the user-facing
 * statement of every rule below. */
#include "harness/report/compare.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/exitcode.h"
#include "harness/report/report.h"
#include "harness/report/summary.h"

/* M_x is the bit position of COMPARE_M_x. */
enum { M_WALL, M_CPU, M_RSS, M_ERRORS, M_P99, M__N };
_Static_assert((1u << M_WALL) == COMPARE_M_WALL && (1u << M_CPU) == COMPARE_M_CPU &&
                   (1u << M_RSS) == COMPARE_M_RSS && (1u << M_ERRORS) == COMPARE_M_ERRORS &&
                   (1u << M_P99) == COMPARE_M_P99 && (1u << M__N) - 1 == COMPARE_M_ALL,
               "metric indices and COMPARE_M_* bits disagree");

typedef struct metric_info {
    const char *name;  /* --metric spelling */
    const char *label; /* table row label, with the unit */
    const char *unit;  /* of the raw figure as printed */
    const char *norm;  /* what the normalised figure is */
} metric_info_t;

static const metric_info_t metric_info[M__N] = {
    {"wall", "wall s", "s", "efficiency"},      {"cpu", "cpu s", "s", "cpu ms/request"},
    {"rss", "rss MiB", "MiB", "KiB/in-flight"}, {"errors", "failed", "failed", "error rate"},
    {"p99", "p99 ms", "ms", "p99/API latency"},
};

/* One measured run, reduced to the figures compared. */
typedef struct cmp_run {
    const char *model;
    long long repeat;
    int verified;
    const char *problem;    /* verify.problem, or NULL */
    const char *mem_method; /* or NULL when absent */
    double raw[M__N];
    double norm[M__N]; /* NAN when undefined (no floor, zero latency) */
} cmp_run_t;

typedef struct cmp_side {
    const char *label; /* "baseline" or "results" */
    json_t *doc, *config;
    cmp_run_t *runs;
    size_t nruns;
} cmp_side_t;

typedef enum verdict { V_SAME, V_BETTER, V_WORSE, V_NOISY, V_NA } verdict_t;

static const char *const verdict_names[] = {"same", "better", "worse", "noisy", "n/a"};

static int json_num(json_t *o, const char *key, double *v)
{
    json_t *j = json_object_get(o, key);
    if (!json_is_number(j))
        return -1;
    *v = json_number_value(j);
    return 0;
}

/* Reads runs[i] of side s into r. Returns 0, or -1 naming the missing key. */
static int cmp_run_parse(const cmp_side_t *s, size_t i, json_t *j, double latency_ms, cmp_run_t *r,
                         char *err, size_t errlen)
{
    enum { WALL, USER, SYS, FAILED, RSS, REQUESTS, CONC, NEED };
    static const char *const need[NEED] = {"wall_s",         "cpu_user_s", "cpu_sys_s",  "failed",
                                           "peak_rss_bytes", "requests",   "concurrency"};
    double v[NEED], floor_s, p99;
    json_t *model = json_object_get(j, "model"), *ver, *lat, *verify;

    if (!json_is_object(j) || !json_is_string(model)) {
        snprintf(err, errlen, "%s: runs[%zu] has no model name: not a concbench results.json",
                 s->label, i);
        return -1;
    }
    r->model = json_string_value(model);
    for (int k = 0; k < NEED; k++) {
        if (json_num(j, need[k], &v[k]) || v[k] < 0) {
            snprintf(err, errlen, "%s: runs[%zu] (%s) has no number '%s' (or a negative one)",
                     s->label, i, r->model, need[k]);
            return -1;
        }
    }
    lat = json_object_get(j, "latency_ms");
    if (json_num(lat, "p99", &p99)) {
        snprintf(err, errlen, "%s: runs[%zu] (%s) has no number 'latency_ms.p99'", s->label, i,
                 r->model);
        return -1;
    }
    ver = json_object_get(j, "verified");
    if (!json_is_boolean(ver)) {
        snprintf(err, errlen, "%s: runs[%zu] (%s) has no boolean 'verified'", s->label, i,
                 r->model);
        return -1;
    }
    r->verified = json_is_true(ver);
    r->repeat = json_integer_value(json_object_get(j, "repeat"));
    verify = json_object_get(j, "verify");
    r->problem = json_string_value(json_object_get(verify, "problem"));
    r->mem_method = json_string_value(json_object_get(j, "memory_method"));

    r->raw[M_WALL] = v[WALL];
    r->raw[M_CPU] = v[USER] + v[SYS];
    r->raw[M_RSS] = v[RSS];
    r->raw[M_ERRORS] = v[FAILED];
    r->raw[M_P99] = p99;
    /* floor_s is optional (not in the contract's minimum): no efficiency
     * without it. */
    r->norm[M_WALL] = json_num(j, "floor_s", &floor_s) == 0 && floor_s > 0 && v[WALL] > 0
                          ? floor_s / v[WALL]
                          : NAN;
    r->norm[M_CPU] = v[REQUESTS] > 0 ? 1000.0 * r->raw[M_CPU] / v[REQUESTS] : NAN;
    r->norm[M_RSS] = v[CONC] > 0 ? v[RSS] / v[CONC] / 1024.0 : NAN;
    r->norm[M_ERRORS] = v[REQUESTS] > 0 ? v[FAILED] / v[REQUESTS] : NAN;
    r->norm[M_P99] = latency_ms > 0 ? p99 / latency_ms : NAN;
    return 0;
}

/* Checks the document's shape and reads its runs. Returns 0, or -1 with
 * err; s->runs is freed by cmp_side_free either way. */
static int cmp_side_load(cmp_side_t *s, const char *label, json_t *doc, char *err, size_t errlen)
{
    json_t *tool, *runs, *complete;
    double latency_ms;

    memset(s, 0, sizeof *s);
    s->label = label;
    s->doc = doc;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "%s is not a results.json document (not a JSON object)", label);
        return -1;
    }
    tool = json_object_get(doc, "tool");
    if (tool && (!json_is_string(tool) || strcmp(json_string_value(tool), "concbench") != 0)) {
        snprintf(err, errlen, "%s is not a concbench results.json (tool is not \"concbench\")",
                 label);
        return -1;
    }
    if (!json_is_integer(json_object_get(doc, "schema_version"))) {
        snprintf(err, errlen, "%s has no integer schema_version: not a concbench results.json",
                 label);
        return -1;
    }
    s->config = json_object_get(doc, "config");
    runs = json_object_get(doc, "runs");
    if (!json_is_object(s->config) || !json_is_array(runs)) {
        snprintf(err, errlen, "%s has no 'config' object or no 'runs' array", label);
        return -1;
    }
    complete = json_object_get(doc, "complete");
    if (json_is_false(complete)) {
        snprintf(err, errlen,
                 "%s is incomplete (complete: false): a run was interrupted or a model could "
                 "not finish, so its figures are partial",
                 label);
        return -1;
    }
    if (json_array_size(runs) == 0) {
        snprintf(err, errlen, "%s has no runs", label);
        return -1;
    }
    if (json_num(s->config, "latency_ms", &latency_ms))
        latency_ms = 0;
    s->runs = calloc(json_array_size(runs), sizeof *s->runs);
    if (!s->runs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(runs); i++) {
        if (cmp_run_parse(s, i, json_array_get(runs, i), latency_ms, &s->runs[i], err, errlen))
            return -1;
        s->nruns++;
    }
    return 0;
}

static void cmp_side_free(cmp_side_t *s)
{
    free(s->runs);
    s->runs = NULL;
}

static int cmp_side_has_model(const cmp_side_t *s, const char *model)
{
    for (size_t i = 0; i < s->nruns; i++)
        if (strcmp(s->runs[i].model, model) == 0)
            return 1;
    return 0;
}

/* Index of the first run of each distinct model, in order of appearance.
 * Returns how many; first must hold s->nruns entries. */
static size_t cmp_side_models(const cmp_side_t *s, size_t *first)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nruns; i++) {
        size_t k = 0;
        while (k < n && strcmp(s->runs[first[k]].model, s->runs[i].model) != 0)
            k++;
        if (k == n)
            first[n++] = i;
    }
    return n;
}

/* One figure over a model's runs on side s (summary_spread: any undefined
 * (NAN) figure makes the spread NAN); scratch holds s->nruns doubles. */
static summary_spread_t cmp_spread(const cmp_side_t *s, const char *model, int metric, int norm,
                                   double *scratch)
{
    int n = 0;
    for (size_t i = 0; i < s->nruns; i++)
        if (strcmp(s->runs[i].model, model) == 0)
            scratch[n++] = norm ? s->runs[i].norm[metric] : s->runs[i].raw[metric];
    return summary_spread(scratch, n);
}

/* The memory method a model's runs used on side s; "mixed" when they
 * disagree, NULL when not recorded. */
static const char *cmp_mem_method(const cmp_side_t *s, const char *model)
{
    const char *m = NULL;
    int seen = 0;
    for (size_t i = 0; i < s->nruns; i++) {
        const cmp_run_t *r = &s->runs[i];
        if (strcmp(r->model, model) != 0)
            continue;
        if (seen && (!m != !r->mem_method || (m && strcmp(m, r->mem_method) != 0)))
            return "mixed";
        m = r->mem_method;
        seen = 1;
    }
    return m;
}

/* All figures compared are lower-is-better. errors is a count of failed
 * requests: usually zero, so a ratio means nothing; it is worse when it
 * grows by at least one request and by more than threshold x the
 * baseline's count. The others are worse when the median exceeds the
 * baseline's by more than the threshold. Then the noise: with repetitions
 * on either side the change must also clear the two [min, max] intervals
 * (a single run's interval is its value); without, the threshold alone
 * decides. A change beyond the threshold that the intervals do not clear,
 * in either direction, is noisy. */
static verdict_t cmp_verdict(int metric, summary_spread_t b, summary_spread_t c, double t)
{
    int up, down, reps = b.n > 1 || c.n > 1;
    if (metric == M_ERRORS) {
        up = c.median - b.median >= 1 && c.median - b.median > t * b.median;
        down = b.median - c.median >= 1 && b.median - c.median > t * b.median;
    } else {
        up = c.median > b.median * (1 + t);
        down = c.median < b.median * (1 - t);
    }
    if (!up && !down)
        return V_SAME;
    if (!reps)
        return up ? V_WORSE : V_BETTER;
    if (up)
        return c.min > b.max ? V_WORSE : V_NOISY;
    return c.max < b.min ? V_BETTER : V_NOISY;
}

static double cmp_scale(int metric, double v)
{
    return metric == M_RSS ? v / 1048576.0 : v;
}

/* "median" or "median [min, max]" in the metric's unit. */
static void cmp_format_spread(int metric, summary_spread_t sp, int show_range, char *buf,
                              size_t cap)
{
    const char *fmt = metric == M_ERRORS                   ? "%.0f"
                      : metric == M_RSS || metric == M_P99 ? "%.1f"
                                                           : "%.3f";
    char a[32], lo[32], hi[32];
    snprintf(a, sizeof a, fmt, cmp_scale(metric, sp.median));
    if (!show_range) {
        snprintf(buf, cap, "%s", a);
        return;
    }
    snprintf(lo, sizeof lo, fmt, cmp_scale(metric, sp.min));
    snprintf(hi, sizeof hi, fmt, cmp_scale(metric, sp.max));
    snprintf(buf, cap, "%s [%s, %s]", a, lo, hi);
}

static void cmp_format_norm(int metric, double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (metric == M_WALL)
        snprintf(buf, cap, "%.3f", v);
    else if (metric == M_ERRORS)
        snprintf(buf, cap, "%.2f%%", 100 * v);
    else if (metric == M_P99)
        snprintf(buf, cap, "%.2fx", v);
    else if (metric == M_CPU)
        snprintf(buf, cap, "%.3f", v);
    else
        snprintf(buf, cap, "%.1f", v);
}

/* current / baseline, or the difference in requests for errors. */
static void cmp_format_ratio(int metric, summary_spread_t b, summary_spread_t c, char *buf,
                             size_t cap)
{
    if (metric == M_ERRORS)
        snprintf(buf, cap, "%+.0f", c.median - b.median);
    else if (b.median > 0)
        snprintf(buf, cap, "%.2fx", c.median / b.median);
    else
        snprintf(buf, cap, "%s", c.median > 0 ? "inf" : "1.00x");
}

static int cmp_values_equal(json_t *a, json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

static void cmp_value_text(json_t *v, char *buf, size_t cap)
{
    if (json_is_number(v)) {
        snprintf(buf, cap, "%.15g", json_number_value(v));
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(buf, cap, "%s", s ? s : "?");
        free(s);
    }
}

/* Whether config key defines the workload, so two results can be compared
 * only when it is equal on both sides. The keys that do not change the
 * work being measured are listed: which models, where the output goes,
 * where the services are, how many repetitions, and how the harness
 * samples. Every other key of `config` — present and future (mock API
 * latency shape, throttling, faults) — defines the workload. This list is
 * the one place that decides it (a flag on the knob table can replace it). */
static int cmp_key_defines_workload(const char *key)
{
    static const char *const not_workload[] = {
        "model",         "out",          "scenario",  "api",       "pg",
        "redis",         "repeat",       "warmup",    "sample_ms", "pss_check_ms",
        "memory_method", "pg_max_conns", "keep_rows", "progress",  "baseline",
        "save_baseline", "threshold",    "sweep",     "scale",     NULL,
    };
    for (int i = 0; not_workload[i]; i++)
        if (strcmp(key, not_workload[i]) == 0)
            return 0;
    return 1;
}

/* Every workload key present on both sides must be equal. Returns 0, or -1
 * with every difference listed on one line in err. A key on one side only
 * comes from another concbench version (new keys appear without a schema
 * bump) and is reported by cmp_print_header instead. */
static int cmp_workload_check(const cmp_side_t *b, const cmp_side_t *c, char *err, size_t errlen)
{
    const char *key;
    json_t *bv;
    size_t len;
    int ndiff = 0;

    len = (size_t)snprintf(err, errlen, "different workload (refresh the baseline):");
    json_object_foreach(b->config, key, bv)
    {
        json_t *cv = json_object_get(c->config, key);
        char bt[128], ct[128];
        if (!cv || !cmp_key_defines_workload(key) || cmp_values_equal(bv, cv))
            continue;
        cmp_value_text(bv, bt, sizeof bt);
        cmp_value_text(cv, ct, sizeof ct);
        if (len < errlen)
            len += (size_t)snprintf(err + len, errlen - len,
                                    "%s %s is %s in the baseline, %s in the results",
                                    ndiff ? ";" : "", key, bt, ct);
        ndiff++;
    }
    return ndiff ? -1 : 0;
}

/* Everything that makes the two documents incomparable, checked before a
 * line is printed. Returns 0 or -1 with err. */
static int cmp_validate(const cmp_side_t *b, const cmp_side_t *c, char *err, size_t errlen)
{
    json_int_t bv = json_integer_value(json_object_get(b->doc, "schema_version"));
    json_int_t cv = json_integer_value(json_object_get(c->doc, "schema_version"));

    if (bv != cv) {
        snprintf(err, errlen,
                 "schema_version differs: %lld in the baseline, %lld in the results (refresh the "
                 "baseline)",
                 (long long)bv, (long long)cv);
        return -1;
    }
    if (bv != RESULTS_SCHEMA_VERSION) {
        snprintf(err, errlen, "schema_version %lld is not the one this concbench reads (%d)",
                 (long long)bv, RESULTS_SCHEMA_VERSION);
        return -1;
    }
    if (cmp_workload_check(b, c, err, errlen))
        return -1;
    for (size_t i = 0; i < b->nruns; i++) {
        const cmp_run_t *r = &b->runs[i];
        if (!r->verified) {
            snprintf(err, errlen,
                     "baseline run %s repeat %lld is not verified (%s): a baseline must be a "
                     "correct run",
                     r->model, r->repeat, r->problem ? r->problem : "no detail");
            return -1;
        }
        if (!cmp_side_has_model(c, r->model)) {
            snprintf(err, errlen,
                     "model %s is in the baseline but not in the results: run it, or refresh the "
                     "baseline",
                     r->model);
            return -1;
        }
    }
    return 0;
}

static const char *cmp_env_text(json_t *doc, char *buf, size_t cap)
{
    json_t *env = json_object_get(doc, "env");
    const char *cpu = json_string_value(json_object_get(env, "cpu_model"));
    const char *git = json_string_value(json_object_get(env, "git_commit"));
    const char *at = json_string_value(json_object_get(doc, "started_at"));
    snprintf(buf, cap, "%s, %lld cores, commit %s, %s", cpu ? cpu : "unknown CPU",
             (long long)json_integer_value(json_object_get(env, "cores")), git ? git : "unknown",
             at ? at : "undated");
    return buf;
}

static void cmp_print_header(FILE *out, const cmp_side_t *b, const cmp_side_t *c,
                             const compare_opts_t *o)
{
    char bt[320], ct[320], v[128];
    const char *key;
    json_t *val, *be = json_object_get(b->doc, "env"), *ce = json_object_get(c->doc, "env");
    int first = 1;

    fprintf(out, "baseline: %s\nresults:  %s\n", cmp_env_text(b->doc, bt, sizeof bt),
            cmp_env_text(c->doc, ct, sizeof ct));
    if (!cmp_values_equal(json_object_get(be, "cpu_model"), json_object_get(ce, "cpu_model")) ||
        !cmp_values_equal(json_object_get(be, "cores"), json_object_get(ce, "cores")))
        fprintf(out, "note: different machines; the normalised figures (efficiency, per request, "
                     "per in-flight request) travel between machines better than seconds and "
                     "bytes\n");
    fprintf(out, "workload:");
    json_object_foreach(b->config, key, val)
    {
        if (!cmp_key_defines_workload(key) || !json_object_get(c->config, key))
            continue;
        cmp_value_text(val, v, sizeof v);
        fprintf(out, " %s=%s", key, v);
    }
    fprintf(out, "\n");
    json_object_foreach(b->config, key, val)
    {
        if (cmp_key_defines_workload(key) && !json_object_get(c->config, key)) {
            cmp_value_text(val, v, sizeof v);
            fprintf(out, "note: config key %s (= %s) is only in the baseline; not compared\n", key,
                    v);
        }
    }
    json_object_foreach(c->config, key, val)
    {
        if (cmp_key_defines_workload(key) && !json_object_get(b->config, key)) {
            cmp_value_text(val, v, sizeof v);
            fprintf(out, "note: config key %s (= %s) is only in the results; not compared\n", key,
                    v);
        }
    }
    fprintf(out, "threshold %g%%, metrics:", 100 * o->threshold);
    for (int m = 0; m < M__N; m++)
        if (o->metrics & (1u << m)) {
            fprintf(out, "%s%s", first ? " " : ",", metric_info[m].name);
            first = 0;
        }
    fprintf(out, "\n\n%-16s %-8s %5s %-24s %-24s %7s  %-34s %s\n", "model", "metric", "runs",
            "baseline [min, max]", "current [min, max]", "ratio", "normalised: baseline -> current",
            "verdict");
}

/* One row of the table: a model's metric on both sides, judged. */
typedef struct cmp_row {
    summary_spread_t base, cur; /* raw figures */
    double base_norm, cur_norm; /* medians of the normalised figures */
    verdict_t verdict;
    const char *base_mem, *cur_mem; /* memory methods, for M_RSS */
} cmp_row_t;

static cmp_row_t cmp_row_judge(const cmp_side_t *b, const cmp_side_t *c, const char *model, int m,
                               double threshold, double *scratch)
{
    cmp_row_t row;
    row.base = cmp_spread(b, model, m, 0, scratch);
    row.cur = cmp_spread(c, model, m, 0, scratch);
    row.base_norm = cmp_spread(b, model, m, 1, scratch).median;
    row.cur_norm = cmp_spread(c, model, m, 1, scratch).median;
    row.verdict = cmp_verdict(m, row.base, row.cur, threshold);
    row.base_mem = cmp_mem_method(b, model);
    row.cur_mem = cmp_mem_method(c, model);
    /* Peak memory by cgroup and by summed PSS are different quantities:
     * never judge one against the other. */
    if (m == M_RSS && (!row.base_mem || !row.cur_mem || strcmp(row.base_mem, row.cur_mem) != 0 ||
                       strcmp(row.base_mem, "mixed") == 0))
        row.verdict = V_NA;
    return row;
}

static void cmp_row_print(FILE *out, const char *model, int m, const cmp_row_t *row)
{
    char bt[112], ct[112], ratio[16], bn[24], cn[24], norm[64], runs[24];
    int range = row->base.n > 1 || row->cur.n > 1;

    cmp_format_spread(m, row->base, range, bt, sizeof bt);
    cmp_format_spread(m, row->cur, range, ct, sizeof ct);
    cmp_format_ratio(m, row->base, row->cur, ratio, sizeof ratio);
    cmp_format_norm(m, row->base_norm, bn, sizeof bn);
    cmp_format_norm(m, row->cur_norm, cn, sizeof cn);
    snprintf(norm, sizeof norm, "%s %s -> %s", metric_info[m].norm, bn, cn);
    snprintf(runs, sizeof runs, "%d/%d", row->base.n, row->cur.n);
    fprintf(out, "%-16s %-8s %5s %-24s %-24s %7s  %-34s %s%s\n", model, metric_info[m].label, runs,
            bt, ct, ratio, norm, verdict_names[row->verdict],
            row->verdict == V_WORSE ? "  <<<" : "");
    if (row->verdict == V_NA)
        fprintf(out,
                "%-16s %-8s %5s not compared: peak memory measured by %s in the baseline, %s "
                "in the results\n",
                "", "", "", row->base_mem ? row->base_mem : "an unrecorded method",
                row->cur_mem ? row->cur_mem : "an unrecorded method");
}

/* The table: every baseline model's selected metrics, judged, then the
 * models only the results have. Returns the number of noisy rows. */
static int cmp_print_table(FILE *out, const cmp_side_t *b, const cmp_side_t *c,
                           const compare_opts_t *o, size_t *first, double *scratch)
{
    size_t nmodels = cmp_side_models(b, first);
    int nnoisy = 0;
    for (size_t k = 0; k < nmodels; k++) {
        const char *model = b->runs[first[k]].model;
        for (int m = 0; m < M__N; m++) {
            if (!(o->metrics & (1u << m)))
                continue;
            cmp_row_t row = cmp_row_judge(b, c, model, m, o->threshold, scratch);
            cmp_row_print(out, model, m, &row);
            nnoisy += row.verdict == V_NOISY;
        }
    }
    nmodels = cmp_side_models(c, first);
    for (size_t k = 0; k < nmodels; k++)
        if (!cmp_side_has_model(b, c->runs[first[k]].model))
            fprintf(out, "%-16s not in the baseline: not compared\n", c->runs[first[k]].model);
    return nnoisy;
}

/* The verdicts again, as one line per failure for a CI log: every worse
 * metric, then every unverified run of the results. Adds to *nworse and
 * *nunverified. */
static void cmp_print_failures(FILE *out, const cmp_side_t *b, const cmp_side_t *c,
                               const compare_opts_t *o, size_t *first, double *scratch, int *nworse,
                               int *nunverified)
{
    size_t nmodels = cmp_side_models(b, first);
    fprintf(out, "\n");
    for (size_t k = 0; k < nmodels; k++) {
        const char *model = b->runs[first[k]].model;
        for (int m = 0; m < M__N; m++) {
            char bt[112], ct[112], ratio[16];
            if (!(o->metrics & (1u << m)))
                continue;
            cmp_row_t row = cmp_row_judge(b, c, model, m, o->threshold, scratch);
            if (row.verdict != V_WORSE)
                continue;
            cmp_format_spread(m, row.base, 0, bt, sizeof bt);
            cmp_format_spread(m, row.cur, 0, ct, sizeof ct);
            cmp_format_ratio(m, row.base, row.cur, ratio, sizeof ratio);
            fprintf(out, "WORSE: %s %s %s -> %s %s (%s)%s\n", model, metric_info[m].name, bt, ct,
                    metric_info[m].unit, ratio,
                    row.base.n > 1 || row.cur.n > 1 ? ", outside the spread of the repetitions"
                                                    : ", single runs: the threshold alone decides");
            (*nworse)++;
        }
    }
    for (size_t i = 0; i < c->nruns; i++) {
        const cmp_run_t *r = &c->runs[i];
        if (r->verified)
            continue;
        fprintf(out, "UNVERIFIED: %s repeat %lld: %s\n", r->model, r->repeat,
                r->problem ? r->problem : "its rows do not match what it reported");
        (*nunverified)++;
    }
}

int compare_results(json_t *base, json_t *cur, const compare_opts_t *o, FILE *out, char *err,
                    size_t errlen)
{
    cmp_side_t b, c;
    size_t *first = NULL;
    double *scratch = NULL;
    int nworse = 0, nnoisy, nunverified = 0, rc = CB_EXIT_USAGE;

    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    if (!(o->metrics & COMPARE_M_ALL) || !(o->threshold >= 0)) {
        snprintf(err, errlen, "no metric selected, or a threshold below zero");
        return CB_EXIT_USAGE;
    }
    if (json_object_get(base, "sweep") || json_object_get(cur, "sweep")) {
        snprintf(err, errlen,
                 "a sweep's results hold one workload per point: compare the "
                 "results.json of one point's folder instead");
        return CB_EXIT_USAGE;
    }
    if (cmp_side_load(&b, "baseline", base, err, errlen) ||
        cmp_side_load(&c, "results", cur, err, errlen) || cmp_validate(&b, &c, err, errlen))
        goto out;
    first = calloc(b.nruns + c.nruns, sizeof *first);
    scratch = calloc(b.nruns + c.nruns, sizeof *scratch);
    if (!first || !scratch) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }

    cmp_print_header(out, &b, &c, o);
    nnoisy = cmp_print_table(out, &b, &c, o, first, scratch);
    cmp_print_failures(out, &b, &c, o, first, scratch, &nworse, &nunverified);
    rc = nworse || nunverified ? CB_EXIT_FAILED : CB_EXIT_OK;
    if (rc == CB_EXIT_FAILED)
        fprintf(out,
                "REGRESSION: %d metric(s) worse beyond the %g%% threshold and the noise, %d "
                "unverified run(s)\n",
                nworse, 100 * o->threshold, nunverified);
    else
        fprintf(out, "OK: no metric worse beyond the %g%% threshold and the noise%s\n",
                100 * o->threshold,
                nnoisy ? "; noisy rows moved more than the threshold but within the spread of "
                         "the repetitions"
                       : "");
out:
    free(first);
    free(scratch);
    cmp_side_free(&b);
    cmp_side_free(&c);
    return rc;
}

int compare_metrics_parse(const char *s, unsigned *mask, char *err, size_t errlen)
{
    const char *p = s;
    *mask = 0;
    for (;;) {
        size_t n = strcspn(p, ",");
        int found = 0;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            *mask |= COMPARE_M_ALL;
            found = 1;
        }
        for (int m = 0; m < M__N && !found; m++) {
            if (strlen(metric_info[m].name) == n && strncmp(p, metric_info[m].name, n) == 0) {
                *mask |= 1u << m;
                found = 1;
            }
        }
        if (!found) {
            snprintf(err, errlen,
                     "unknown metric '%.*s' in '%s' (metrics: wall, cpu, rss, "
                     "errors, p99, all)",
                     (int)n, p, s);
            return -1;
        }
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/* Loads a results.json, or DIR/results.json when path is a folder. */
json_t *compare_load(const char *label, const char *path, char *err, size_t errlen)
{
    char file[4096];
    struct stat st;
    json_error_t jerr;
    json_t *doc;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(file, sizeof file, "%s/results.json", path);
    else
        snprintf(file, sizeof file, "%s", path);
    doc = json_load_file(file, 0, &jerr);
    if (!doc) {
        if (jerr.line > 0)
            snprintf(err, errlen, "%s %s: line %d: %s", label, file, jerr.line, jerr.text);
        else
            snprintf(err, errlen, "%s %s: %s", label, file, jerr.text);
    }
    return doc;
}

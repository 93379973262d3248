#include "harness/report/compare_side.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/config/config.h"
#include "harness/report/report.h"

static int json_num(json_t *o, const char *key, double *v)
{
    json_t *j = json_object_get(o, key);
    if (!json_is_number(j))
        return -1;
    *v = json_number_value(j);
    return 0;
}

/* Where a run keeps a figure in the document's schema: the peak memory
 * and the p99 compared (schema 1: peak_rss_bytes and latency_ms, from the
 * first attempt's start; schema 2: peak_mem_bytes and api_ms). */
static void cmp_schema_keys(json_int_t version, const char **mem, const char **lat)
{
    *mem = version == 1 ? "peak_rss_bytes" : "peak_mem_bytes";
    *lat = version == 1 ? "latency_ms" : "api_ms";
}

/* Reads runs[i] of side s into r. Returns 0, or -1 naming the missing key. */
static int cmp_run_parse(const compare_side_t *s, size_t i, json_t *j, double latency_ms,
                         compare_run_t *r, char *err, size_t errlen)
{
    enum { WALL, USER, SYS, FAILED, MEM, REQUESTS, CONC, NEED };
    const char *need[NEED] = {"wall_s", "cpu_user_s", "cpu_sys_s",  "failed",
                              NULL,     "requests",   "concurrency"};
    const char *lat_key;
    double v[NEED], floor_s, p99;
    json_t *model = json_object_get(j, "model"), *ver, *lat, *verify;

    cmp_schema_keys(json_integer_value(json_object_get(s->doc, "schema_version")), &need[MEM],
                    &lat_key);
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
    lat = json_object_get(j, lat_key);
    if (json_num(lat, "p99", &p99)) {
        snprintf(err, errlen, "%s: runs[%zu] (%s) has no number '%s.p99'", s->label, i, r->model,
                 lat_key);
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
    r->valid = !json_is_false(json_object_get(j, "valid"));
    r->reasons = json_object_get(json_object_get(j, "validity"), "reasons");

    r->raw[CMP_M_WALL] = v[WALL];
    r->raw[CMP_M_CPU] = v[USER] + v[SYS];
    r->raw[CMP_M_RSS] = v[MEM];
    r->raw[CMP_M_ERRORS] = v[FAILED];
    r->raw[CMP_M_P99] = p99;
    /* floor_s is optional (not in the contract's minimum): no wall/floor
     * without it. */
    r->norm[CMP_M_WALL] =
        json_num(j, "floor_s", &floor_s) == 0 && floor_s > 0 ? v[WALL] / floor_s : NAN;
    r->norm[CMP_M_CPU] = v[REQUESTS] > 0 ? 1e6 * r->raw[CMP_M_CPU] / v[REQUESTS] : NAN;
    r->norm[CMP_M_RSS] = v[CONC] > 0 ? v[MEM] / v[CONC] / 1024.0 : NAN;
    r->norm[CMP_M_ERRORS] = v[REQUESTS] > 0 ? v[FAILED] / v[REQUESTS] : NAN;
    r->norm[CMP_M_P99] = latency_ms > 0 ? p99 / latency_ms : NAN;
    return 0;
}

/* Checks the document's shape and reads its runs. Returns 0, or -1 with
 * err; s->runs is freed by compare_side_free either way. */
int compare_side_load(compare_side_t *s, const char *label, json_t *doc, char *err, size_t errlen)
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

void compare_side_free(compare_side_t *s)
{
    free(s->runs);
    s->runs = NULL;
}

int compare_side_has_model(const compare_side_t *s, const char *model)
{
    for (size_t i = 0; i < s->nruns; i++)
        if (strcmp(s->runs[i].model, model) == 0)
            return 1;
    return 0;
}

/* Index of the first run of each distinct model, in order of appearance.
 * Returns how many; first must hold s->nruns entries. */
size_t compare_side_models(const compare_side_t *s, size_t *first)
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
summary_spread_t compare_side_spread(const compare_side_t *s, const char *model, int metric,
                                     int norm, double *scratch)
{
    int n = 0;
    for (size_t i = 0; i < s->nruns; i++)
        if (strcmp(s->runs[i].model, model) == 0)
            scratch[n++] = norm ? s->runs[i].norm[metric] : s->runs[i].raw[metric];
    return summary_spread(scratch, n);
}

/* The memory method a model's runs used on side s; "mixed" when they
 * disagree, NULL when not recorded. */
const char *compare_side_mem_method(const compare_side_t *s, const char *model)
{
    const char *m = NULL;
    int seen = 0;
    for (size_t i = 0; i < s->nruns; i++) {
        const compare_run_t *r = &s->runs[i];
        if (strcmp(r->model, model) != 0)
            continue;
        if (seen && (!m != !r->mem_method || (m && strcmp(m, r->mem_method) != 0)))
            return "mixed";
        m = r->mem_method;
        seen = 1;
    }
    return m;
}

int compare_json_equal(json_t *a, json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

void compare_json_text(json_t *v, char *buf, size_t cap)
{
    if (json_is_number(v)) {
        snprintf(buf, cap, "%.15g", json_number_value(v));
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(buf, cap, "%s", s ? s : "?");
        free(s);
    }
}

/* Whether a config key of results.json defines the workload, so that two
 * results with different values cannot be compared: the knob table's
 * KNOB_WORKLOAD flag decides. A key the table does not know comes from
 * another concbench version and counts as workload: comparing across an
 * unknown setting could only mislead. */
int compare_key_defines_workload(const char *key)
{
    return config_knob_find(key) ? config_knob_defines_workload(key) : 1;
}

/* Every workload key present on both sides must be equal. Returns 0, or -1
 * with every difference listed on one line in err. A key on one side only
 * comes from another concbench version (new keys appear without a schema
 * bump) and is reported by cmp_print_header instead. */
static int cmp_workload_check(const compare_side_t *b, const compare_side_t *c, char *err,
                              size_t errlen)
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
        if (!cv || !compare_key_defines_workload(key) || compare_json_equal(bv, cv))
            continue;
        compare_json_text(bv, bt, sizeof bt);
        compare_json_text(cv, ct, sizeof ct);
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
/* The baseline's own conditions: every run verified, and every model of
 * it among the models of the other side (has_model). */
static int cmp_baseline_usable(const compare_side_t *b,
                               int (*has_model)(const void *, const char *), const void *other,
                               char *err, size_t errlen)
{
    for (size_t i = 0; i < b->nruns; i++) {
        const compare_run_t *r = &b->runs[i];
        if (!r->verified) {
            snprintf(err, errlen,
                     "baseline run %s repeat %lld is not verified (%s): a baseline must be a "
                     "correct run",
                     r->model, r->repeat, r->problem ? r->problem : "no detail");
            return -1;
        }
        if (!has_model(other, r->model)) {
            snprintf(err, errlen,
                     "model %s is in the baseline but not in the results: run it, or refresh the "
                     "baseline",
                     r->model);
            return -1;
        }
    }
    return 0;
}

static int cmp_schema_check(json_int_t bv, json_int_t cv, char *err, size_t errlen)
{
    if (bv != cv) {
        snprintf(err, errlen,
                 "schema_version differs: %lld in the baseline, %lld in the results (refresh the "
                 "baseline)",
                 (long long)bv, (long long)cv);
        return -1;
    }
    if (bv < 1 || bv > RESULTS_SCHEMA_VERSION) {
        snprintf(err, errlen, "schema_version %lld is not one this concbench reads (1..%d)",
                 (long long)bv, RESULTS_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

static int cmp_side_has_model(const void *side, const char *model)
{
    return compare_side_has_model(side, model);
}

/* Everything that makes the two documents incomparable, checked before a
 * line is printed. Returns 0 or -1 with err. */
int compare_sides_check(const compare_side_t *b, const compare_side_t *c, char *err, size_t errlen)
{
    if (cmp_schema_check(json_integer_value(json_object_get(b->doc, "schema_version")),
                         json_integer_value(json_object_get(c->doc, "schema_version")), err,
                         errlen) ||
        cmp_workload_check(b, c, err, errlen))
        return -1;
    return cmp_baseline_usable(b, cmp_side_has_model, c, err, errlen);
}

/* The model names about to run, for cmp_baseline_usable. */
struct cmp_names {
    const char *const *names;
    size_t n;
};

static int cmp_names_have(const void *names, const char *model)
{
    const struct cmp_names *m = names;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->names[i], model) == 0)
            return 1;
    return 0;
}

void compare_run_reasons(const compare_run_t *r, char *buf, size_t cap)
{
    size_t k, len = 0;
    json_t *v;
    buf[0] = '\0';
    json_array_foreach(r->reasons, k, v)
    {
        if (json_is_string(v) && len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "",
                                    json_string_value(v));
    }
    if (!buf[0])
        snprintf(buf, cap, "no reason recorded");
}

int compare_baseline_valid(const compare_side_t *b, int allow_invalid, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->nruns && !allow_invalid; i++) {
        char why[128];
        if (b->runs[i].valid)
            continue;
        compare_run_reasons(&b->runs[i], why, sizeof why);
        snprintf(err, errlen,
                 "baseline run %s repeat %lld was not a valid measurement (%s): record the "
                 "baseline again on a quieter machine, or pass --allow-invalid",
                 b->runs[i].model, b->runs[i].repeat, why);
        return -1;
    }
    return 0;
}

int compare_baseline_precheck(json_t *base, json_t *config, const char *const *models,
                              size_t nmodels, int allow_invalid, char *err, size_t errlen)
{
    compare_side_t b, c = {.label = "results", .config = config};
    struct cmp_names names = {models, nmodels};
    int rc;

    rc = compare_side_load(&b, "baseline", base, err, errlen) ||
                 cmp_schema_check(json_integer_value(json_object_get(base, "schema_version")),
                                  RESULTS_SCHEMA_VERSION, err, errlen) ||
                 cmp_workload_check(&b, &c, err, errlen) ||
                 cmp_baseline_usable(&b, cmp_names_have, &names, err, errlen) ||
                 compare_baseline_valid(&b, allow_invalid, err, errlen)
             ? -1
             : 0;
    compare_side_free(&b);
    return rc;
}

/* `concbench compare`: the verdict rules (threshold, noise, errors, memory
 * method), what makes two results incomparable, and the argument errors.
 * Inputs are the hand-written results in tests/data/compare (argv[1]),
 * some altered here so each test states the one thing it changes. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/cli/compare_cmd.h"
#include "harness/report/compare.h"
#include "harness/config/limit_spec.h"
#include "harness/report/compare_side.h"
#include "harness/report/limits.h"

static const char *data_dir;

static json_t *load(const char *name)
{
    char path[1024];
    json_error_t jerr;
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc)
        fail_msg("cannot load %s: %s", path, jerr.text);
    return doc;
}

/* Sets key of every run of model, in order, to vals[0], vals[1], ...; a
 * key "outer.inner" sets inner of the run's object outer. */
static void set_runs(json_t *doc, const char *model, const char *key, const double *vals)
{
    size_t i, k = 0;
    const char *dot = strchr(key, '.');
    char outer[64];
    json_t *r;
    snprintf(outer, sizeof outer, "%.*s", dot ? (int)(dot - key) : 0, key);
    json_array_foreach(json_object_get(doc, "runs"), i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "model")), model) == 0)
            json_object_set_new(dot ? json_object_get(r, outer) : r, dot ? dot + 1 : key,
                                json_real(vals[k++]));
    }
    assert_true(k > 0);
}

/* Keeps the first `keep` runs of every model (a single-run document). */
static void keep_runs(json_t *doc, int keep)
{
    json_t *runs = json_object_get(doc, "runs"), *r;
    size_t i;
    json_array_foreach(runs, i, r)
    {
        if (json_integer_value(json_object_get(r, "repeat")) >= keep) {
            json_array_remove(runs, i);
            i--;
        }
    }
}

typedef struct result {
    int rc;
    char *out;
    char err[512];
} result_t;

static result_t run_compare_opts(json_t *base, json_t *cur, compare_opts_t o)
{
    result_t r;
    size_t len = 0;
    FILE *out = open_memstream(&r.out, &len);
    assert_non_null(out);
    r.err[0] = '\0';
    r.rc = compare_results(base, cur, &o, out, r.err, sizeof r.err);
    fclose(out);
    return r;
}

static result_t run_compare(json_t *base, json_t *cur, double threshold, unsigned metrics)
{
    compare_opts_t o = {threshold, metrics, 0, NULL, NULL, NULL};
    return run_compare_opts(base, cur, o);
}

/* The table row of model and metric label ("wall s"), or NULL. */
static const char *row_of(const result_t *r, const char *model, const char *label)
{
    static char line[512];
    const char *p = r->out;
    while (p && *p) {
        size_t n = strcspn(p, "\n");
        snprintf(line, sizeof line, "%.*s", (int)n, p);
        if (strncmp(line, model, strlen(model)) == 0 && line[strlen(model)] == ' ' &&
            strstr(line, label))
            return line;
        p += n + (p[n] ? 1 : 0);
    }
    return NULL;
}

/* A schema-1 test document under schema 2's keys for the figures compare
 * reads (peak_rss_bytes -> peak_mem_bytes, latency_ms -> api_ms). */
static json_t *load_as_schema2(const char *name)
{
    json_t *c = load(name), *run;
    size_t k;
    json_object_set_new(c, "schema_version", json_integer(2));
    json_array_foreach(json_object_get(c, "runs"), k, run)
    {
        json_object_set(run, "peak_mem_bytes", json_object_get(run, "peak_rss_bytes"));
        json_object_set(run, "api_ms", json_object_get(run, "latency_ms"));
        json_object_del(run, "peak_rss_bytes");
        json_object_del(run, "latency_ms");
    }
    return c;
}

static void assert_row_verdict(const result_t *r, const char *model, const char *label,
                               const char *verdict)
{
    const char *line = row_of(r, model, label);
    if (!line)
        fail_msg("no row %s %s in:\n%s", model, label, r->out);
    if (!strstr(line, verdict))
        fail_msg("row %s %s is not '%s': %s", model, label, verdict, line);
}

static void test_identical_is_same(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_null(strstr(r.out, "<<<"));
    assert_null(strstr(r.out, "WORSE"));
    assert_null(strstr(r.out, "noisy"));
    assert_row_verdict(&r, "thread-pool", "wall s", "same");
    assert_row_verdict(&r, "process-pool", "p99 ms", "same");
    assert_non_null(strstr(r.out, "OK: no metric worse"));
    free(r.out);
    json_decref(b);
    json_decref(c);
}

static void test_slower_tight_is_worse(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("slower-tight.json");
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 1);
    assert_row_verdict(&r, "thread-pool", "wall s", "worse");
    assert_row_verdict(&r, "thread-pool", "wall s", "1.30x");
    /* the normalised figure: wall/floor 1.0 / 0.5 -> 1.3 / 0.5 */
    assert_row_verdict(&r, "thread-pool", "wall s", "wall/floor 2.000 -> 2.600");
    assert_row_verdict(&r, "thread-pool", "cpu s", "same");
    assert_row_verdict(&r, "process-pool", "wall s", "same");
    assert_non_null(strstr(r.out, "WORSE: thread-pool wall 1.000 -> 1.300 s"));
    assert_null(strstr(r.out, "WORSE: process-pool"));
    free(r.out);

    /* the same change under a 50% threshold, or judging only cpu: passes */
    r = run_compare(b, c, 0.50, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "wall s", "same");
    free(r.out);
    r = run_compare(b, c, 0.10, COMPARE_M_CPU | COMPARE_M_RSS);
    assert_int_equal(r.rc, 0);
    assert_null(row_of(&r, "thread-pool", "wall s"));
    assert_non_null(row_of(&r, "thread-pool", "cpu s"));
    free(r.out);
    json_decref(b);
    json_decref(c);
}

static void test_slower_overlapping_is_noisy(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("slower-noisy.json");
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "wall s", "noisy");
    assert_row_verdict(&r, "thread-pool", "wall s", "1.30x");
    assert_null(strstr(r.out, "WORSE"));
    free(r.out);
    json_decref(b);
    json_decref(c);
}

static void test_faster_is_better(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    const double fast[3] = {0.70, 0.71, 0.69}, fast_noisy[3] = {0.70, 1.21, 0.60};
    set_runs(c, "process-pool", "wall_s", fast);
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "process-pool", "wall s", "better");
    free(r.out);
    set_runs(c, "process-pool", "wall_s", fast_noisy);
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "process-pool", "wall s", "noisy");
    free(r.out);
    json_decref(b);
    json_decref(c);
}

/* Fewer than 3 runs on a side cannot measure their own noise: each side is
 * taken to lie within the metric's minimum noise around its median (wall
 * +/-22%, p99 +/-25%, docs/results.md), so the change must clear both
 * bands. The numbers are chosen on either side of those bands. */
static void test_single_runs_minimum_noise(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    const double b1[1] = {1.0}, up15[1] = {1.15}, up60[1] = {1.60}, down[1] = {0.6};
    const double p60[1] = {60}, p148[1] = {60 * 1.48}, p170[1] = {60 * 1.70};
    keep_runs(b, 1);
    keep_runs(c, 1);
    set_runs(b, "thread-pool", "wall_s", b1);

    /* 1.15x: beyond the 10% threshold, but 1.0 x 1.22 >= 1.15 x 0.78 */
    set_runs(c, "thread-pool", "wall_s", up15);
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "wall s", "noisy");
    assert_non_null(strstr(r.out, "note: a model with fewer than 3 runs on a side cannot measure"));
    assert_non_null(strstr(r.out, "wall +/-22%"));
    assert_non_null(strstr(r.out, "p99 +/-25%"));
    free(r.out);

    /* 1.60x: 1.0 x 1.22 < 1.60 x 0.78 */
    set_runs(c, "thread-pool", "wall_s", up60);
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 1);
    assert_row_verdict(&r, "thread-pool", "wall s", "worse");
    assert_non_null(strstr(r.out, "WORSE: thread-pool wall 1.000 -> 1.600 s (1.60x), beyond the "
                                  "minimum noise (fewer than 3 runs on a side)"));
    free(r.out);

    /* 0.6 x 1.22 < 1.0 x 0.78 */
    set_runs(c, "thread-pool", "wall_s", down);
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "wall s", "better");
    free(r.out);

    /* the case: two single runs of one commit, p99 1.48x apart */
    json_decref(c);
    c = json_deep_copy(b);
    set_runs(b, "thread-pool", "latency_ms.p99", p60);
    set_runs(c, "thread-pool", "latency_ms.p99", p148);
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "p99 ms", "noisy");
    assert_row_verdict(&r, "thread-pool", "p99 ms", "1.48x");
    assert_null(strstr(r.out, "REGRESSION"));
    free(r.out);
    /* 60 x 1.25 < 102 x 0.75 */
    set_runs(c, "thread-pool", "latency_ms.p99", p170);
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 1);
    assert_row_verdict(&r, "thread-pool", "p99 ms", "worse");
    free(r.out);
    json_decref(b);
    json_decref(c);
}

/* A measured side (3 runs) keeps its own [min, max]; only the side with
 * fewer runs takes the minimum noise, and two runs are still too few. */
static void test_mixed_run_counts(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    const double up35[1] = {1.35}, up30[1] = {1.30}, two[2] = {1.60, 1.61};
    const double two_b[2] = {1.0, 1.01};
    /* baseline thread-pool 0.98, 1.00, 1.02 (3 runs); current one run */
    keep_runs(c, 1);
    set_runs(c, "thread-pool", "wall_s", up35);
    result_t r = run_compare(b, c, 0.10, COMPARE_M_WALL);
    /* 1.35 x 0.78 = 1.053 > 1.02, the baseline's max */
    assert_int_equal(r.rc, 1);
    assert_row_verdict(&r, "thread-pool", "wall s", "worse");
    free(r.out);
    set_runs(c, "thread-pool", "wall_s", up30);
    r = run_compare(b, c, 0.10, COMPARE_M_WALL);
    /* 1.30 x 0.78 = 1.014 <= 1.02 */
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "wall s", "noisy");
    free(r.out);
    json_decref(c);

    /* two runs a side, tight, 1.6x apart: the bands still decide:
     * 1.005 x 1.22 = 1.2261 < 1.605 x 0.78 = 1.2519 */
    c = load("baseline.json");
    keep_runs(b, 2);
    keep_runs(c, 2);
    set_runs(b, "thread-pool", "wall_s", two_b);
    set_runs(c, "thread-pool", "wall_s", two);
    r = run_compare(b, c, 0.10, COMPARE_M_WALL);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.out, "beyond the minimum noise"));
    free(r.out);
    json_decref(b);
    json_decref(c);
}

/* errors: failed requests, judged by the difference (at least one request
 * and more than threshold x the baseline's count). */
static void test_errors_rule(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    const double zero[3] = {0, 0, 0}, some[3] = {2, 3, 2}, one_rep[3] = {0, 0, 5};
    const double ten[3] = {10, 10, 10}, eleven[3] = {11, 11, 11}, twelve[3] = {12, 12, 12};

    set_runs(c, "thread-pool", "failed", some);
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ERRORS);
    assert_int_equal(r.rc, 1);
    assert_row_verdict(&r, "thread-pool", "failed", "worse");
    assert_row_verdict(&r, "thread-pool", "failed", "+2");
    assert_row_verdict(&r, "thread-pool", "failed", "error rate 0.00% -> 1.00%");
    free(r.out);

    /* failures in one repetition only: the median did not move */
    set_runs(c, "thread-pool", "failed", one_rep);
    r = run_compare(b, c, 0.10, COMPARE_M_ERRORS);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "failed", "same");
    free(r.out);

    /* 10 -> 11 is within 10% of 10; 10 -> 12 is not */
    set_runs(b, "thread-pool", "failed", ten);
    set_runs(c, "thread-pool", "failed", eleven);
    r = run_compare(b, c, 0.10, COMPARE_M_ERRORS);
    assert_int_equal(r.rc, 0);
    free(r.out);
    set_runs(c, "thread-pool", "failed", twelve);
    r = run_compare(b, c, 0.10, COMPARE_M_ERRORS);
    assert_int_equal(r.rc, 1);
    free(r.out);
    set_runs(c, "thread-pool", "failed", zero);
    r = run_compare(b, c, 0.10, COMPARE_M_ERRORS);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "failed", "better");
    free(r.out);

    /* two repetitions: 2,2 -> 2,3 moves the median by half a request,
     * which is less than one failed request */
    const double two[3] = {2, 2}, two_three[3] = {2, 3};
    keep_runs(b, 2);
    keep_runs(c, 2);
    set_runs(b, "thread-pool", "failed", two);
    set_runs(c, "thread-pool", "failed", two_three);
    r = run_compare(b, c, 0.10, COMPARE_M_ERRORS);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "failed", "same");
    free(r.out);
    json_decref(b);
    json_decref(c);
}

/* Peak memory by cgroup and by PSS sampling are different quantities. */
static void test_memory_method_mismatch_not_judged(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json"), *r;
    const double big[3] = {50e6, 50e6, 50e6};
    size_t i;
    set_runs(c, "thread-pool", "peak_rss_bytes", big);
    result_t res = run_compare(b, c, 0.10, COMPARE_M_RSS);
    assert_int_equal(res.rc, 1);
    free(res.out);
    json_array_foreach(json_object_get(c, "runs"), i, r)
        json_object_set_new(r, "memory_method", json_string("proc-pss"));
    res = run_compare(b, c, 0.10, COMPARE_M_RSS);
    assert_int_equal(res.rc, 0);
    assert_row_verdict(&res, "thread-pool", "peak MiB", "n/a");
    assert_non_null(strstr(res.out, "cgroup-v2 in the baseline, proc-pss in the results"));
    free(res.out);
    json_decref(b);
    json_decref(c);
}

static void test_unverified_run_fails(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    json_t *run = json_array_get(json_object_get(c, "runs"), 3); /* process-pool repeat 1 */
    json_object_set_new(run, "verified", json_false());
    json_object_set_new(json_object_get(run, "verify"), "problem",
                        json_string("id 17: total_cents 10 in the row, 12 expected"));
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.out, "UNVERIFIED: process-pool repeat 1: id 17: total_cents"));
    free(r.out);
    /* an unverified baseline cannot be compared against */
    r = run_compare(c, b, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "baseline run process-pool repeat 1 is not verified"));
    assert_string_equal(r.out, "");
    free(r.out);
    json_decref(b);
    json_decref(c);
}

/* Marks runs[i] not a valid measurement for reason. */
static void set_invalid(json_t *doc, size_t i, const char *reason)
{
    json_t *run = json_array_get(json_object_get(doc, "runs"), i);
    json_object_set_new(run, "valid", json_false());
    json_object_set_new(run, "validity", json_pack("{s:[s]}", "reasons", reason));
}

/* A run that was not a valid measurement voids the verdict, unless
 * --allow-invalid; results without the key (older files) are valid. */
static void test_invalid_runs(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    compare_opts_t allow = {0.10, COMPARE_M_ALL, 1, NULL, NULL, NULL};
    result_t r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0); /* no "valid" key anywhere */
    assert_null(strstr(r.out, "INVALID"));
    free(r.out);

    set_invalid(c, 3, "mock_late"); /* process-pool repeat 1 */
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(row_of(&r, "thread-pool", "wall s")); /* the table is there */
    assert_non_null(strstr(
        r.out, "INVALID: results process-pool repeat 1: not a valid measurement (mock_late)"));
    assert_non_null(strstr(r.out, "VOID: 1 run(s)"));
    assert_null(strstr(r.out, "OK: no metric worse"));
    assert_non_null(strstr(r.err, "rerun on a quieter machine, or pass --allow-invalid"));
    free(r.out);

    r = run_compare_opts(b, c, allow);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "INVALID: results process-pool repeat 1"));
    assert_non_null(strstr(r.out, "judged anyway (--allow-invalid)"));
    assert_non_null(strstr(r.out, "OK: no metric worse"));
    free(r.out);

    /* an invalid baseline cannot be compared against */
    json_decref(c);
    c = load("baseline.json");
    set_invalid(b, 0, "others_cpu");
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(
        r.err, "baseline run thread-pool repeat 0 was not a valid measurement (others_cpu)"));
    free(r.out);
    r = run_compare_opts(b, c, allow);
    assert_int_equal(r.rc, 0);
    free(r.out);
    json_decref(b);
    json_decref(c);
}

static void test_incomparable_inputs(void **state)
{
    (void)state;
    json_t *b = load("baseline.json"), *c = load("baseline.json");
    json_t *conf = json_object_get(c, "config");
    result_t r;

    /* workload keys differ: every difference on the one line */
    json_object_set_new(conf, "requests", json_integer(300));
    json_object_set_new(conf, "transform_cost", json_integer(5));
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "different workload"));
    assert_non_null(strstr(r.err, "requests is 200 in the baseline, 300 in the results"));
    assert_non_null(strstr(r.err, "transform_cost is 1 in the baseline, 5 in the results"));
    assert_null(strchr(r.err, '\n'));
    assert_string_equal(r.out, "");
    free(r.out);
    json_object_set_new(conf, "requests", json_integer(200));
    json_object_set_new(conf, "transform_cost", json_integer(1));

    /* keys that are not the workload may differ; a key on one side only
     * (another concbench version) is noted, not compared */
    json_object_set_new(conf, "repeat", json_integer(5));
    json_object_set_new(conf, "pg", json_string("host=db"));
    json_object_set_new(conf, "memory_method", json_string("proc-pss"));
    json_object_set_new(json_object_get(b, "config"), "memory_method", json_string("auto"));
    json_object_set_new(conf, "latency_dist", json_string("fixed"));
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "note: config key latency_dist"));
    free(r.out);
    json_object_set_new(conf, "crash_after", json_real(0.5));
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "crash_after is 0 in the baseline, 0.5 in the results"));
    free(r.out);
    json_object_set_new(conf, "crash_after", json_real(0));

    /* a model of the baseline missing from the results */
    json_t *runs = json_object_get(c, "runs"), *run;
    size_t i;
    json_array_foreach(runs, i, run)
    {
        if (strcmp(json_string_value(json_object_get(run, "model")), "process-pool") == 0) {
            json_array_remove(runs, i);
            i--;
        }
    }
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "model process-pool is in the baseline but not in the results"));
    free(r.out);
    /* the other way round a model is only new: not compared, not a failure
     * (and the list of models run is not part of the workload) */
    json_object_set_new(conf, "model", json_string("thread-pool"));
    r = run_compare(c, b, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "process-pool     not in the baseline"));
    free(r.out);
    json_decref(c);

    /* schema versions */
    c = load_as_schema2("baseline.json");
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "schema_version differs: 1 in the baseline, 2 in the results"));
    free(r.out);
    json_object_set_new(c, "schema_version", json_integer(3));
    r = run_compare(c, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "schema_version 3 is not one this concbench reads (1..2)"));
    free(r.out);
    json_decref(c);

    /* schema 2 reads its own keys (peak_mem_bytes, api_ms); the same
     * document still under schema 1's keys is refused by name */
    c = load("baseline.json");
    json_object_set_new(c, "schema_version", json_integer(2));
    r = run_compare(c, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "has no number 'peak_mem_bytes'"));
    free(r.out);
    json_decref(c);
    c = load_as_schema2("baseline.json");
    r = run_compare(c, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 0);
    assert_row_verdict(&r, "thread-pool", "peak MiB", "same");
    assert_row_verdict(&r, "thread-pool", "api p99 ms", "same");
    free(r.out);
    json_decref(c);

    /* incomplete results: partial figures */
    c = load("baseline.json");
    json_object_set_new(c, "complete", json_false());
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "results is incomplete"));
    free(r.out);
    json_decref(c);

    /* malformed: a run without its wall time, a document of another kind */
    c = load("baseline.json");
    json_object_del(json_array_get(json_object_get(c, "runs"), 2), "wall_s");
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "results: runs[2] (thread-pool) has no number 'wall_s'"));
    free(r.out);
    json_decref(c);
    c = json_pack("{s:s, s:i}", "tool", "hyperfine", "schema_version", 1);
    r = run_compare(c, b, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "baseline is not a concbench results.json"));
    free(r.out);
    json_decref(c);
    c = json_array();
    r = run_compare(b, c, 0.10, COMPARE_M_ALL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "results is not a results.json document"));
    free(r.out);
    json_decref(c);
    json_decref(b);
}

/* Runs compare_cmd with stdout and stderr captured into files. */
static int run_cmd(char *err, size_t cap, int argc, ...)
{
    char *argv[16];
    va_list ap;
    FILE *ef = tmpfile(), *of = tmpfile();
    int saved_out = dup(1), saved_err = dup(2), rc;
    size_t n;
    assert_true(argc < 16 && ef && of && saved_out >= 0 && saved_err >= 0);
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    dup2(fileno(of), 1);
    dup2(fileno(ef), 2);
    rc = compare_cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    rewind(ef);
    n = fread(err, 1, cap - 1, ef);
    err[n] = '\0';
    fclose(ef);
    fclose(of);
    return rc;
}

/* Limits from their spec texts ("" none), as the options give them. */
static limits_t lim(const char *error_rate, const char *p99_ms, const char *mem_mib)
{
    limits_t l;
    char err[256];
    limits_init(&l);
    assert_int_equal(
        limit_spec_parse("e", LIMIT_KIND_FRACTION, error_rate, &l.error_rate, err, sizeof err), 0);
    assert_int_equal(
        limit_spec_parse("p", LIMIT_KIND_DURATION_MS, p99_ms, &l.p99_ms, err, sizeof err), 0);
    assert_int_equal(limit_spec_parse("m", LIMIT_KIND_MIB, mem_mib, &l.mem_mib, err, sizeof err),
                     0);
    return l;
}

/* limits_check on RESULTS alone: its LIMIT lines and their count. */
static int limits_run(json_t *doc, limits_t l, char **out)
{
    char err[256];
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    int n;
    assert_non_null(f);
    n = limits_check(doc, &l, f, err, sizeof err);
    fclose(f);
    return n;
}

/* The absolute limits: every run's error rate; each model's median p99 and
 * peak memory (values set here: thread-pool p99 10, 50, 20 ms -> median
 * 20, process-pool 5; process-pool peak 24 MiB in every run). */
static void test_absolute_limits(void **state)
{
    json_t *doc = load("baseline.json");
    const double p99[3] = {10, 50, 20}, failed[3] = {0, 90, 0};
    char *out = NULL;
    (void)state;
    json_t *r;
    size_t i;
    json_array_foreach(json_object_get(doc, "runs"), i, r)
    {
        json_t *lat = json_object_get(r, "latency_ms");
        int tp = strcmp(json_string_value(json_object_get(r, "model")), "thread-pool") == 0;
        /* process-pool's p99 stays under every limit tried: 5 ms */
        json_object_set_new(
            lat, "p99", json_real(tp ? p99[json_integer_value(json_object_get(r, "repeat"))] : 5));
    }
    set_runs(doc, "process-pool", "failed", failed);
    set_runs(doc, "process-pool", "peak_rss_bytes", (const double[]){25165824, 25165824, 25165824});

    assert_int_equal(limits_run(doc, lim("", "20", ""), &out), 0);
    free(out);
    assert_int_equal(limits_run(doc, lim("", "19.9", ""), &out), 1);
    assert_non_null(strstr(out, "LIMIT: thread-pool api p99 latency 20.0 ms (median of its runs) > "
                                "19.9 ms (max_p99_ms)"));
    free(out);
    /* 90 of 200 failed: 45%, in the one run that had them */
    assert_int_equal(limits_run(doc, lim("5%", "", ""), &out), 1);
    assert_non_null(strstr(out, "LIMIT: process-pool repeat 1 error rate 45.00% > 5%"));
    free(out);
    assert_int_equal(limits_run(doc, lim("0.45", "", ""), &out), 0);
    free(out);
    assert_int_equal(limits_run(doc, lim("", "", "24"), &out), 0);
    free(out);
    assert_int_equal(limits_run(doc, lim("", "", "23.5"), &out), 1);
    assert_non_null(strstr(out, "LIMIT: process-pool peak memory 24.0 MiB"));
    free(out);
    /* per model: process-pool's own p99 limit (4 ms, its median is 5) and
     * 20 ms for every other model (thread-pool's median is 20) */
    assert_int_equal(limits_run(doc, lim("", "process-pool=4,20", ""), &out), 1);
    assert_non_null(
        strstr(out, "LIMIT: process-pool api p99 latency 5.0 ms (median of its runs) > 4 ms"));
    free(out);
    assert_int_equal(limits_run(doc, lim("", "thread-pool=20ms", "process-pool=100,1"), &out), 1);
    assert_non_null(strstr(out, "LIMIT: thread-pool peak memory 8.0 MiB"));
    free(out);
    assert_int_equal(limits_run(doc, lim("thread-pool=0%", "", ""), &out), 0);
    free(out);
    assert_int_equal(limits_run(doc, lim("process-pool=0%", "", ""), &out), 1);
    free(out);
    /* a model the results lack: an error, not a limit silently kept */
    assert_int_equal(limits_run(doc, lim("", "unbounded-loop=1s", ""), &out), -1);
    free(out);
    json_decref(doc);
}

static void test_cmd_arguments(void **state)
{
    (void)state;
    char base[1024], tight[1024], err[2048], link[1100], target[PATH_MAX];
    char bad[] = "/tmp/concbench-compare-XXXXXX", dir[] = "/tmp/concbench-compare-XXXXXX";
    int fd;
    snprintf(base, sizeof base, "%s/baseline.json", data_dir);
    snprintf(tight, sizeof tight, "%s/slower-tight.json", data_dir);

    assert_int_equal(run_cmd(err, sizeof err, 2, base, base), 0);
    assert_string_equal(err, "");
    assert_int_equal(run_cmd(err, sizeof err, 2, base, tight), 1);
    assert_int_equal(run_cmd(err, sizeof err, 3, base, tight, "--threshold=50%"), 0);
    assert_int_equal(run_cmd(err, sizeof err, 4, "--threshold", "0.5", base, tight), 0);
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--metric", "cpu,rss"), 0);
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--metric", "all"), 1);
    /* a folder stands for the results.json inside it */
    assert_non_null(mkdtemp(dir));
    snprintf(link, sizeof link, "%s/results.json", dir);
    assert_non_null(realpath(tight, target));
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(run_cmd(err, sizeof err, 2, base, dir), 1);
    unlink(link);
    rmdir(dir);

    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--threshold", "ten%"), 2);
    assert_string_equal(err, "concbench compare: --threshold: 'ten%' is not a fraction: write a "
                             "percentage like 10% or a fraction like 0.1, in [0.1%, 1000%]\n");
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--threshold", "10"), 2);
    assert_non_null(strstr(err, "--threshold: '10' is ambiguous: write 10% for a percentage"));
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--threshold", "-5%"), 2);
    assert_non_null(strstr(err, "--threshold: '-5%' is not a fraction"));
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--threshold", "2000%"), 2);
    assert_non_null(strstr(err, "--threshold: 2000% is out of range [0.1%, 1000%]"));
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--threshold", "10%%"), 2);
    assert_int_equal(run_cmd(err, sizeof err, 3, base, tight, "--threshold"), 2);
    assert_non_null(strstr(err, "option '--threshold' needs a value"));
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--metric", "wall,latency"), 2);
    assert_non_null(strstr(err, "unknown metric 'latency' in 'wall,latency'"));
    assert_int_equal(run_cmd(err, sizeof err, 4, base, tight, "--metric", "wall,"), 2);
    assert_non_null(strstr(err, "unknown metric ''"));
    assert_int_equal(run_cmd(err, sizeof err, 3, base, tight, "--frobnicate"), 2);
    assert_non_null(strstr(err, "unknown option '--frobnicate'"));
    assert_int_equal(run_cmd(err, sizeof err, 1, base), 2);
    assert_non_null(strstr(err, "want two files"));
    assert_int_equal(run_cmd(err, sizeof err, 3, base, tight, base), 2);
    assert_non_null(strstr(err, "unexpected argument"));
    /* one file with a limit: only the limits are checked */
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-p99-ms", "60ms"), 0);
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-p99-ms", "59ms"), 1);
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "24"), 0);
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "23"), 1);
    /* a limit exceeded fails a comparison that found no regression */
    assert_int_equal(run_cmd(err, sizeof err, 4, base, base, "--max-mem-mib", "23"), 1);
    assert_int_equal(run_cmd(err, sizeof err, 4, base, base, "--max-error-rate", "0%"), 0);
    assert_int_equal(run_cmd(err, sizeof err, 4, base, base, "--max-error-rate", "45"), 2);
    assert_non_null(strstr(err, "--max-error-rate: '45' is ambiguous"));
    assert_int_equal(run_cmd(err, sizeof err, 4, base, base, "--max-p99-ms", "2h"), 2);
    assert_non_null(strstr(err, "--max-p99-ms: '2h' is not a duration"));
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "process-pool=23,30"), 1);
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "process-pool=24,7"), 1);
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "process-pool=24,8"), 0);
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "nope=1"), 2);
    assert_non_null(strstr(err, "max_mem_mib names model nope, which the results do not have"));
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "8,9"), 2);
    assert_non_null(strstr(err, "--max-mem-mib: '8,9' gives two limits for every model"));
    assert_int_equal(run_cmd(err, sizeof err, 3, tight, "--max-mem-mib", "a=1,a=2"), 2);
    assert_non_null(strstr(err, "--max-mem-mib: model a is named twice"));
    assert_int_equal(run_cmd(err, sizeof err, 2, base, "/nonexistent/results.json"), 2);
    assert_non_null(strstr(err, "results /nonexistent/results.json: unable to open"));
    assert_int_equal(run_cmd(err, sizeof err, 2, "/nonexistent", base), 2);
    assert_non_null(strstr(err, "baseline /nonexistent"));

    fd = mkstemp(bad);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"schema_version\": 1,\n\"runs\": [", 30), 30);
    close(fd);
    assert_int_equal(run_cmd(err, sizeof err, 2, base, bad), 2);
    assert_non_null(strstr(err, "line 2:"));
    assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1); /* one line */
    unlink(bad);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_is_same),
        cmocka_unit_test(test_slower_tight_is_worse),
        cmocka_unit_test(test_slower_overlapping_is_noisy),
        cmocka_unit_test(test_faster_is_better),
        cmocka_unit_test(test_single_runs_minimum_noise),
        cmocka_unit_test(test_mixed_run_counts),
        cmocka_unit_test(test_errors_rule),
        cmocka_unit_test(test_memory_method_mismatch_not_judged),
        cmocka_unit_test(test_unverified_run_fails),
        cmocka_unit_test(test_invalid_runs),
        cmocka_unit_test(test_incomparable_inputs),
        cmocka_unit_test(test_absolute_limits),
        cmocka_unit_test(test_cmd_arguments),
    };
    if (argc != 2) {
        fprintf(stderr, "usage: %s tests/data/compare\n", argv[0]);
        return 2;
    }
    data_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}

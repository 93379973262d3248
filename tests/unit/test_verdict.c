/* The verdict (harness/report/verdict.h) on hand-made summary rows: a
 * clear winner, a tie within the noise, a model with no success, a crash
 * that does not apply to one model, the expectation's check, and the same
 * sentences from results.json's summary[] as from the rows themselves.
 * The minimum noise is the documented one (wall +/-22% for fewer than 3
 * runs, no minimum for counts); the expected ranks and ratios below are
 * worked out by hand from the figures given. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness/config/config.h"
#include "harness/report/sweep.h"
#include "harness/report/verdict.h"

/* A model with every figure at v (n runs, no spread; no errors, no
 * floor), ok and verified. */
static summary_model_t row(const char *name, int n, double v)
{
    summary_model_t m;
    memset(&m, 0, sizeof m);
    m.name = name;
    m.runs = n;
    m.ok = m.verified = 1;
    m.crash = SUMMARY_CRASH_NONE;
    for (int f = 0; f < SUMMARY__N; f++) {
        summary_spread_t s = {v, v, v, 0, n};
        m.fig[f] = s;
    }
    /* no floor: wall times print without their multiple of it */
    m.fig[SUMMARY_WALL_FLOOR].median = NAN;
    m.fig[SUMMARY_ERROR_RATE].median = m.fig[SUMMARY_ERROR_RATE].min =
        m.fig[SUMMARY_ERROR_RATE].max = 0;
    return m;
}

static void set(summary_model_t *m, int fig, double median, double min, double max)
{
    m->fig[fig].median = median;
    m->fig[fig].min = min;
    m->fig[fig].max = max;
}

static void has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("'%s' not in '%s'", want, text);
}

static void lacks(const char *text, const char *unwanted)
{
    if (strstr(text, unwanted))
        fail_msg("'%s' unexpectedly in '%s'", unwanted, text);
}

/* Three runs each: A's wall times [1.0, 1.1] lie below B's [2.0, 2.2] and
 * C's [3.0, 3.2]: A leads, 2.10 / 1.05 = 2.00x to the next, 3.10 / 1.05 =
 * 2.95x to the most. */
static void test_clear_winner(void **state)
{
    (void)state;
    summary_model_t m[3] = {row("A", 3, 1), row("B", 3, 1), row("C", 3, 1)};
    verdict_t v;
    set(&m[0], SUMMARY_WALL, 1.05, 1.0, 1.1);
    set(&m[1], SUMMARY_WALL, 2.10, 2.0, 2.2);
    set(&m[2], SUMMARY_WALL, 3.10, 3.0, 3.2);
    assert_int_equal(verdict_build(&v, m, 3, NULL, 0), 0);
    assert_int_equal(v.rank[VERDICT_WALL][0], VERDICT_LEADS);
    assert_int_equal(v.rank[VERDICT_WALL][1], VERDICT_BEHIND);
    assert_int_equal(v.rank[VERDICT_WALL][2], VERDICT_WORST);
    has(v.aspect[VERDICT_WALL], "A leads with 1.05 s");
    has(v.aspect[VERDICT_WALL], "next B at 2.10 s");
    has(v.aspect[VERDICT_WALL], "(2.00x)");
    has(v.aspect[VERDICT_WALL], "most C at 3.10 s");
    has(v.aspect[VERDICT_WALL], "(2.95x)");
    has(v.pick[0], "A: pick it for wall time: 1.05 s against B at 2.10 s");
    has(v.pick[2], "It costs the most wall time: 3.10 s against A at 1.05 s");
    /* every other figure is the same in all three: ties, nobody leads */
    assert_int_equal(v.rank[VERDICT_MEM][0], VERDICT_TIED_BEST);
    has(v.aspect[VERDICT_MEM], "tie within the noise");
    /* no expectation: nothing to check */
    assert_string_equal(v.expect_check, "");
    verdict_free(&v);
}

/* Single runs 1.20x apart: 1.0 +/- 22% = [0.78, 1.22] overlaps 1.2 +/-
 * 22% = [0.936, 1.464]: a tie, said as one. At 1.60x ([1.248, 1.952])
 * they are apart. */
static void test_tie_within_noise(void **state)
{
    (void)state;
    summary_model_t m[2] = {row("A", 1, 1), row("B", 1, 1)};
    verdict_t v;
    set(&m[0], SUMMARY_WALL, 1.0, 1.0, 1.0);
    set(&m[1], SUMMARY_WALL, 1.2, 1.2, 1.2);
    assert_int_equal(verdict_build(&v, m, 2, NULL, 0), 0);
    assert_int_equal(v.rank[VERDICT_WALL][0], VERDICT_TIED_BEST);
    assert_int_equal(v.rank[VERDICT_WALL][1], VERDICT_TIED_BEST);
    has(v.aspect[VERDICT_WALL], "A 1.00 s");
    has(v.aspect[VERDICT_WALL], "B 1.20 s tie within the noise");
    lacks(v.aspect[VERDICT_WALL], "leads");
    lacks(v.pick[0], "pick it for wall time");
    verdict_free(&v);

    set(&m[1], SUMMARY_WALL, 1.6, 1.6, 1.6);
    assert_int_equal(verdict_build(&v, m, 2, NULL, 0), 0);
    assert_int_equal(v.rank[VERDICT_WALL][0], VERDICT_LEADS);
    has(v.aspect[VERDICT_WALL], "(1.60x)");
    verdict_free(&v);
}

/* B failed every request in its run: its latencies are 0, not fast; it is
 * compared on nothing and the verdict says not to pick it. With A alone
 * left, A is "only compared", never a leader. */
static void test_no_success(void **state)
{
    (void)state;
    summary_model_t m[2] = {row("A", 1, 5), row("B", 1, 0)};
    verdict_t v;
    m[1].ok = 0;
    set(&m[1], SUMMARY_ERROR_RATE, 1, 1, 1);
    m[1].errors[ERR_HTTP_5XX] = 100;
    assert_int_equal(verdict_build(&v, m, 2, NULL, 0.05), 0);
    for (int a = 0; a < VERDICT__FIGURES; a++) {
        assert_int_equal(v.rank[a][1], VERDICT_NOT_COMPARED);
        assert_int_not_equal(v.rank[a][0], VERDICT_LEADS);
    }
    has(v.aspect[VERDICT_API_P99], "only A is compared, at 5.0 ms");
    has(v.pick[1], "B: do not pick it from this run: B failed every request in a run (100%)");
    has(v.excluded, "not compared: B failed every request");
    verdict_free(&v);
}

/* A crash that applies to A (1 killed, 12 re-delivered, 12 retried) and C
 * (30) and not to B (0 retried: it was never crashed). B must not lead on
 * retries, or anything, for not having faced the crash, and its pick
 * says not applicable. */
static void test_fault_not_applicable(void **state)
{
    (void)state;
    summary_model_t m[3] = {row("A", 1, 1), row("B", 1, 1), row("C", 1, 1)};
    verdict_t v;
    const char *expect = "A re-delivers the dead worker's ids; B reports not applicable.";
    m[0].crash = m[2].crash = SUMMARY_CRASH_APPLIED;
    m[0].killed = m[2].killed = 1;
    m[0].redelivered = m[0].requeued = 12;
    m[2].redelivered = m[2].requeued = 30;
    set(&m[0], SUMMARY_RETRIED, 12, 12, 12);
    set(&m[2], SUMMARY_RETRIED, 30, 30, 30);
    m[1].crash = SUMMARY_CRASH_NA;
    m[1].crash_na = "one process";
    set(&m[1], SUMMARY_RETRIED, 0, 0, 0);
    assert_int_equal(verdict_build(&v, m, 3, expect, 0), 0);
    /* B ran without the fault: compared on nothing, whatever its figures */
    for (int a = 0; a < VERDICT__FIGURES; a++)
        assert_int_equal(v.rank[a][1], VERDICT_NOT_COMPARED);
    /* counts have no minimum noise: 12 < 30 is a lead */
    assert_int_equal(v.rank[VERDICT_RETRIED][0], VERDICT_LEADS);
    has(v.excluded, "B was not crashed (not applicable)");
    assert_true(v.has_aspect[VERDICT_CRASH]);
    has(v.aspect[VERDICT_CRASH], "A: 1 worker(s) killed, 12 id(s) re-queued, 12 re-delivered");
    has(v.aspect[VERDICT_CRASH], "not applicable, 0 killed: B (one process)");
    has(v.pick[1], "not applicable");
    lacks(v.pick[1], "retried");
    /* the expectation names re-delivery: a worker was killed in both */
    assert_int_equal(v.expect_held, 1);
    has(v.expect_check, "a worker was killed in 2 of the 2 models the crash applies to");
    verdict_free(&v);

    /* no worker killed in C: the expectation did not hold */
    m[2].killed = 0;
    assert_int_equal(verdict_build(&v, m, 3, expect, 0), 0);
    assert_int_equal(v.expect_held, 0);
    verdict_free(&v);
    /* nor does it when a model's rows did not verify */
    m[2].killed = 1;
    m[2].verified = 0;
    assert_int_equal(verdict_build(&v, m, 3, expect, 0), 0);
    assert_int_equal(v.expect_held, 0);
    has(v.expect_check, "rows verified in 2 of 3 models");
    verdict_free(&v);
}

/* results.json's summary[] read back gives the same sentences as the
 * rows it was written from: the terminal, summary.md and report.html say
 * the same. */
static void test_same_from_json(void **state)
{
    (void)state;
    summary_model_t m[2] = {row("A", 3, 1), row("B", 3, 1)}, *back;
    verdict_t v, w;
    json_t *doc = json_object(), *hdr = json_object(), *conf = json_object();
    int n;
    set(&m[0], SUMMARY_MEM, 10 * 1048576.0, 9.5 * 1048576.0, 10.5 * 1048576.0);
    set(&m[1], SUMMARY_MEM, 140 * 1048576.0, 139 * 1048576.0, 141 * 1048576.0);
    m[0].description = "one loop";
    json_object_set_new(doc, "summary", summary_models_json(m, 2));
    json_object_set_new(hdr, "expect", json_string("A has the least memory."));
    json_object_set_new(doc, "scenario_header", hdr);
    json_object_set_new(conf, "max_error_rate", json_real(0));
    json_object_set_new(doc, "config", conf);
    assert_int_equal(verdict_build(&v, m, 2, "A has the least memory.", 0), 0);
    assert_int_equal(verdict_from_results(doc, &w, &back, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(back[0].description, "one loop");
    has(v.aspect[VERDICT_MEM], "A leads with 10.0 MiB; next B at 140.0 MiB (14.00x)");
    for (int a = 0; a < VERDICT__N; a++)
        assert_string_equal(v.aspect[a], w.aspect[a]);
    for (int i = 0; i < 2; i++)
        assert_string_equal(v.pick[i], w.pick[i]);
    assert_string_equal(v.expect_check, w.expect_check);
    has(w.expect_check, "peak memory: A 10.0 MiB, B 140.0 MiB");
    verdict_free(&v);
    verdict_free(&w);
    free(back);
    json_decref(doc);
}

/* A sweep's knees from hand-made points: A's wall times fall from 4 s to
 * 1 s (apart beyond the noise of 3 runs each), so it has a knee, at the
 * largest value tried; B's stay within [0.95, 1.05] at every point (all
 * intervals overlap), so it has none ("flat"), whatever its best median. */
static void test_sweep_knees(void **state)
{
    (void)state;
    config_t cfg;
    sweep_t sw;
    char err[256];
    const double a_wall[3] = {4, 2, 1}, b_wall[3] = {1.0, 0.97, 1.02};
    json_t *docs[3], *doc, *kn;
    const char *names[3] = {"p1", "p2", "p3"};
    size_t i;
    assert_int_equal(config_init(&cfg), 0);
    assert_int_equal(sweep_parse("concurrency=5,20,50", &cfg, &sw, err, sizeof err), 0);
    for (int p = 0; p < 3; p++) {
        summary_model_t m[2] = {row("A", 3, 1), row("B", 3, 1)};
        set(&m[0], SUMMARY_WALL, a_wall[p], a_wall[p] * 0.98, a_wall[p] * 1.02);
        set(&m[1], SUMMARY_WALL, b_wall[p], 0.95, 1.05);
        docs[p] = json_object();
        json_object_set_new(docs[p], "summary", summary_models_json(m, 2));
        json_object_set_new(docs[p], "runs", json_array());
    }
    doc = sweep_results_json(&sw, docs, names, 3, 1, 0);
    json_array_foreach(json_object_get(json_object_get(doc, "sweep"), "knee"), i, kn)
    {
        const char *model = json_string_value(json_object_get(kn, "model"));
        if (strcmp(model, "A") == 0) {
            assert_false(json_is_true(json_object_get(kn, "flat")));
            assert_true(json_is_true(json_object_get(kn, "at_largest")));
            assert_int_equal(
                json_number_value(json_object_get(json_object_get(kn, "point"), "concurrency")),
                50);
        } else {
            assert_true(json_is_true(json_object_get(kn, "flat")));
            assert_true(json_is_null(json_object_get(kn, "point")));
        }
    }
    assert_int_equal(i, 2);
    for (int p = 0; p < 3; p++)
        json_decref(docs[p]);
    json_decref(doc);
    sweep_free(&sw);
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_winner),   cmocka_unit_test(test_tie_within_noise),
        cmocka_unit_test(test_no_success),     cmocka_unit_test(test_fault_not_applicable),
        cmocka_unit_test(test_same_from_json), cmocka_unit_test(test_sweep_knees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

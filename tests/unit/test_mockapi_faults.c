/* Unit tests of mockapi's per-request decisions (mock_server/faults.c):
 * latency distributions, fault rates, determinism, and the token bucket. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mock_server/faults.h"

#define DRAWS 20000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct summary {
    double mean, sd, min, max, p50, p90, p99;
} summary_t;

/* Draws DRAWS latencies for ids 1..DRAWS (attempt 0) and summarises them. */
static summary_t draw(const latency_cfg_t *cfg, uint64_t seed)
{
    double *v = malloc(DRAWS * sizeof *v);
    double sum = 0, sq = 0;
    summary_t s;

    assert_non_null(v);
    for (int i = 0; i < DRAWS; i++) {
        v[i] = faults_latency_ms(cfg, seed, (uint64_t)i + 1, 0);
        assert_true(v[i] >= 0 && isfinite(v[i]));
        sum += v[i];
    }
    s.mean = sum / DRAWS;
    for (int i = 0; i < DRAWS; i++)
        sq += (v[i] - s.mean) * (v[i] - s.mean);
    s.sd = sqrt(sq / (DRAWS - 1));
    qsort(v, DRAWS, sizeof *v, cmp_double);
    s.min = v[0];
    s.max = v[DRAWS - 1];
    s.p50 = v[DRAWS / 2];
    s.p90 = v[DRAWS * 90 / 100];
    s.p99 = v[DRAWS * 99 / 100];
    free(v);
    return s;
}

static void test_fixed(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_FIXED, .ms = 200};
    summary_t s = draw(&c, 42);

    (void)state;
    assert_true(s.min == 200 && s.max == 200);
    c.ms = 0;
    s = draw(&c, 42);
    assert_true(s.max == 0);
}

static void test_uniform(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_UNIFORM, .min_ms = 10, .max_ms = 30};
    summary_t s = draw(&c, 42);

    (void)state;
    assert_true(s.min >= 10 && s.max <= 30);
    assert_true(s.min < 10.1 && s.max > 29.9);
    assert_true(fabs(s.mean - 20) < 0.3);
    assert_true(fabs(s.p50 - 20) < 0.5);
    assert_true(fabs(s.p90 - 28) < 0.5);
    /* sd of U(10,30) is 20/sqrt(12) = 5.77 */
    assert_true(fabs(s.sd - 5.774) < 0.2);
}

static void test_normal(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_NORMAL, .ms = 100, .sd_ms = 10};
    summary_t s = draw(&c, 7);

    (void)state;
    assert_true(fabs(s.mean - 100) < 0.5);
    assert_true(fabs(s.sd - 10) < 0.4);
    assert_true(fabs(s.p50 - 100) < 0.5);
    assert_true(fabs(s.p90 - 112.82) < 0.8); /* mean + 1.2816 sd */
    assert_true(fabs(s.p99 - 123.26) < 1.5); /* mean + 2.3263 sd */
}

static void test_normal_clamped(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_NORMAL, .ms = 5, .sd_ms = 10};
    int zeros = 0;

    (void)state;
    for (int i = 1; i <= DRAWS; i++) {
        double ms = faults_latency_ms(&c, 42, (uint64_t)i, 0);
        assert_true(ms >= 0);
        zeros += ms == 0;
    }
    /* P(N(5,10) < 0) = Phi(-0.5) = 0.3085 */
    assert_true(fabs((double)zeros / DRAWS - 0.3085) < 0.015);
}

static void test_lognormal(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_LOGNORMAL, .ms = 50, .sigma = 0.5};
    summary_t s = draw(&c, 42);

    (void)state;
    assert_true(s.min > 0);
    assert_true(fabs(s.p50 - 50) < 1.2);
    assert_true(fabs(s.mean - 50 * exp(0.125)) < 1.0);     /* 56.66 */
    assert_true(fabs(s.p99 - 50 * exp(0.5 * 2.3263)) < 5); /* 159.9 */
}

static void test_exponential(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_EXPONENTIAL, .ms = 20};
    summary_t s = draw(&c, 42);

    (void)state;
    assert_true(fabs(s.mean - 20) < 0.6);
    assert_true(fabs(s.p50 - 20 * log(2.0)) < 0.6);
    assert_true(fabs(s.p99 - 20 * log(100.0)) < 4); /* 92.1 */
}

static void test_tail(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_FIXED, .ms = 10, .tail_pct = 5, .tail_ms = 1000};
    int slow = 0;

    (void)state;
    for (int i = 1; i <= DRAWS; i++) {
        double ms = faults_latency_ms(&c, 42, (uint64_t)i, 0);
        assert_true(ms == 10 || ms == 1010);
        slow += ms == 1010;
    }
    assert_true(fabs((double)slow / DRAWS - 0.05) < 0.006);
}

/* Same (seed, id, attempt) gives the same draw; another attempt or seed a
 * different one. */
static void test_latency_deterministic(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_LOGNORMAL, .ms = 50, .sigma = 1};
    int same_attempt = 0, same_seed = 0;

    (void)state;
    for (uint64_t id = 1; id <= 1000; id++) {
        double a = faults_latency_ms(&c, 1, id, 0);
        assert_true(a == faults_latency_ms(&c, 1, id, 0));
        same_attempt += a == faults_latency_ms(&c, 1, id, 1);
        same_seed += a == faults_latency_ms(&c, 2, id, 0);
    }
    assert_true(same_attempt < 5);
    assert_true(same_seed < 5);
}

static void test_fault_rates(void **state)
{
    fault_cfg_t c = {
        .fail_rate = 0.10, .reset_rate = 0.05, .hang_rate = 0.02, .bad_body_rate = 0.20};
    int count[FAULT_KINDS] = {0};
    int truncated = 0;

    (void)state;
    for (uint64_t id = 1; id <= DRAWS; id++) {
        fault_kind_t k = faults_decide(&c, 42, id, 0);
        assert_true(k >= FAULT_NONE && k < FAULT_KINDS);
        count[k]++;
        if (k == FAULT_BAD_BODY)
            truncated += faults_bad_body_kind(42, id, 0) == BAD_BODY_TRUNCATED;
    }
    /* Tolerances are about 4 standard deviations of a binomial(20000, p). */
    assert_true(fabs(count[FAULT_FAIL] / (double)DRAWS - 0.10) < 0.009);
    assert_true(fabs(count[FAULT_RESET] / (double)DRAWS - 0.05) < 0.007);
    assert_true(fabs(count[FAULT_HANG] / (double)DRAWS - 0.02) < 0.004);
    assert_true(fabs(count[FAULT_BAD_BODY] / (double)DRAWS - 0.20) < 0.012);
    assert_true(fabs(count[FAULT_NONE] / (double)DRAWS - 0.63) < 0.015);
    assert_true(fabs(truncated / (double)count[FAULT_BAD_BODY] - 0.5) < 0.05);
    assert_string_equal(faults_kind_name(FAULT_BAD_BODY), "bad_body");
}

static void test_fault_extremes(void **state)
{
    fault_cfg_t none = {0};
    fault_cfg_t all = {.fail_rate = 1};

    (void)state;
    for (uint64_t id = 1; id <= 1000; id++) {
        assert_int_equal(faults_decide(&none, 42, id, 0), FAULT_NONE);
        assert_int_equal(faults_decide(&all, 42, id, 3), FAULT_FAIL);
    }
}

static void test_fault_deterministic(void **state)
{
    fault_cfg_t c = {.fail_rate = 0.3, .reset_rate = 0.1};
    int diff_attempt = 0, diff_seed = 0;

    (void)state;
    for (uint64_t id = 1; id <= DRAWS; id++) {
        fault_kind_t a = faults_decide(&c, 42, id, 0);
        assert_int_equal(a, faults_decide(&c, 42, id, 0));
        diff_attempt += a != faults_decide(&c, 42, id, 1);
        diff_seed += a != faults_decide(&c, 43, id, 0);
    }
    /* Independent draws differ with probability 1 - (0.3^2 + 0.1^2 + 0.6^2) = 0.54. */
    assert_true(fabs(diff_attempt / (double)DRAWS - 0.54) < 0.02);
    assert_true(fabs(diff_seed / (double)DRAWS - 0.54) < 0.02);
}

/* A fault rate must not move the latency draws of the same requests. */
static void test_streams_independent(void **state)
{
    latency_cfg_t c = {.dist = LATENCY_UNIFORM, .min_ms = 0, .max_ms = 100};
    fault_cfg_t f = {.fail_rate = 0.5};
    int fail_and_low = 0, fails = 0;

    (void)state;
    for (uint64_t id = 1; id <= DRAWS; id++) {
        if (faults_decide(&f, 42, id, 0) == FAULT_FAIL) {
            fails++;
            fail_and_low += faults_latency_ms(&c, 42, id, 0) < 50;
        }
    }
    assert_true(fabs(fail_and_low / (double)fails - 0.5) < 0.03);
}

static void test_gcra(void **state)
{
    const uint64_t sec = 1000000000ULL;
    const uint64_t interval = sec / 10; /* 10 per second */
    uint64_t tat = 0, t0 = 5 * sec, next;
    int admitted = 0;

    (void)state;
    /* A full bucket of 5 admits 5 at once, then nothing. */
    for (int i = 0; i < 8; i++) {
        if (faults_gcra_admit(tat, t0, interval, 5, &next)) {
            tat = next;
            admitted++;
        }
    }
    assert_int_equal(admitted, 5);
    /* One interval later, exactly one more. */
    assert_false(faults_gcra_admit(tat, t0 + interval - 1, interval, 5, &next));
    assert_true(faults_gcra_admit(tat, t0 + interval, interval, 5, &next));
    tat = next;
    assert_false(faults_gcra_admit(tat, t0 + interval, interval, 5, &next));
    /* Over 10 s at a steady 100 attempts/s, about 10/s get through. */
    admitted = 0;
    for (uint64_t t = t0 + 2 * sec; t < t0 + 12 * sec; t += sec / 100) {
        if (faults_gcra_admit(tat, t, interval, 5, &next)) {
            tat = next;
            admitted++;
        }
    }
    assert_true(admitted >= 100 && admitted <= 106);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_normal_clamped),
        cmocka_unit_test(test_lognormal),
        cmocka_unit_test(test_exponential),
        cmocka_unit_test(test_tail),
        cmocka_unit_test(test_latency_deterministic),
        cmocka_unit_test(test_fault_rates),
        cmocka_unit_test(test_fault_extremes),
        cmocka_unit_test(test_fault_deterministic),
        cmocka_unit_test(test_streams_independent),
        cmocka_unit_test(test_gcra),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

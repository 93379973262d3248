/* The validity checks' arithmetic and thresholds (harness/run/validity.h)
 * on hand-made readings, so that what makes a run invalid is tested
 * without depending on how busy the machine running the tests is. The
 * limits are the documented ones (docs/results.md, "Validity"): lateness
 * p99 above 10% of the API latency, at most 5 ms, never below 1 ms;
 * other processes above 25% of cores x the run's time. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/run/validity.h"

static void assert_near(double a, double b)
{
    if (fabs(a - b) > 1e-9)
        fail_msg("%.12g != %.12g", a, b);
}

static void test_proc_stat_parse(void **state)
{
    (void)state;
    validity_cpu_t c;
    /* user nice system idle iowait irq softirq steal: busy is user + nice
     * + system; irq and softirq belong to no process and are left out */
    assert_int_equal(
        validity_cpu_parse("cpu  42331 1186 21882 88305 1556 7 1765 18 0 0\n", 100, &c), 0);
    assert_near(c.busy_s, (42331 + 1186 + 21882) / 100.0);
    assert_near(c.steal_s, 0.18);
    /* a kernel without the steal column */
    assert_int_equal(validity_cpu_parse("cpu 100 0 50 1000 0 0 0\n", 100, &c), 0);
    assert_near(c.busy_s, 1.5);
    assert_near(c.steal_s, 0);
    /* one core's line, or not a cpu line at all */
    assert_int_equal(validity_cpu_parse("cpu0 20729 581 10149 46033 269 0 694 7 0 0\n", 100, &c),
                     -1);
    assert_int_equal(validity_cpu_parse("intr 12345\n", 100, &c), -1);
    assert_int_equal(validity_cpu_parse("cpu 1 2\n", 100, &c), -1);
}

/* A reading judged on its lateness alone. */
static unsigned late(double p99_ms, double latency_ms, double *limit)
{
    validity_t v = {.late_p99_ms = p99_ms, .api_latency_ms = latency_ms, .others_cpu_s = -1};
    validity_judge(&v);
    *limit = v.late_limit_ms;
    return v.reasons;
}

static void test_lateness_threshold(void **state)
{
    (void)state;
    double limit;
    /* 50 ms: 10% is 5 ms */
    assert_int_equal(late(5, 50, &limit), 0);
    assert_near(limit, 5);
    assert_int_equal(late(6, 50, &limit), VALIDITY_MOCK_LATE);
    /* 20 ms: 2 ms */
    assert_int_equal(late(2, 20, &limit), 0);
    assert_near(limit, 2);
    assert_int_equal(late(3, 20, &limit), VALIDITY_MOCK_LATE);
    /* 200 ms: 10% would be 20 ms; 5 ms at most */
    assert_int_equal(late(6, 200, &limit), VALIDITY_MOCK_LATE);
    assert_near(limit, 5);
    /* 0 ms (answer at once): never below the 1 ms resolution */
    assert_int_equal(late(1, 0, &limit), 0);
    assert_near(limit, 1);
    assert_int_equal(late(2, 0, &limit), VALIDITY_MOCK_LATE);
    /* unknown (a server without late_ms): not a reason */
    assert_int_equal(late(-1, 50, &limit), 0);
}

/* A reading judged on other processes' CPU alone. */
static validity_t others(double others_s, double steal_s, int cores, double window_s)
{
    validity_t v = {.late_p99_ms = -1,
                    .others_cpu_s = others_s,
                    .steal_s = steal_s,
                    .cores = cores,
                    .window_s = window_s};
    validity_judge(&v);
    return v;
}

static void test_others_cpu_threshold(void **state)
{
    (void)state;
    validity_t v = others(0.4, 0, 2, 1.0); /* 0.4 of 2 core-seconds */
    assert_near(v.others_share, 0.2);
    assert_int_equal(v.reasons, 0);
    v = others(0.5, 0, 2, 1.0); /* exactly 25%: not above */
    assert_int_equal(v.reasons, 0);
    v = others(0.4, 0.2, 2, 1.0); /* stolen time counts */
    assert_near(v.others_share, 0.3);
    assert_int_equal(v.reasons, VALIDITY_OTHERS_CPU);
    v = others(1.1, 0, 4, 1.0); /* a quarter of 4 cores is 1.0 */
    assert_int_equal(v.reasons, VALIDITY_OTHERS_CPU);
    v = others(-1, -1, 2, 1.0); /* unknown */
    assert_int_equal(v.reasons, 0);
    assert_true(v.others_share < 0);
}

/* From two readings, the run's own CPU and the mock API's stats. */
static void test_measure(void **state)
{
    (void)state;
    validity_cpu_t c0 = {
        .at_ns = 1000000000, .busy_s = 10, .steal_s = 1, .kernel_s = 1, .self_s = 5};
    validity_cpu_t c1 = {
        .at_ns = 2000000000, .busy_s = 12, .steal_s = 1, .kernel_s = 1.2, .self_s = 5.1};
    json_t *stats = json_pack("{s:{s:i}, s:{s:s, s:f, s:f, s:f}}", "late_ms", "p99", 7, "config",
                              "latency_dist", "uniform", "latency_ms", 0.0, "latency_min_ms", 20.0,
                              "latency_max_ms", 60.0);
    validity_t v;
    char text[512];
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(&v, 0, sizeof v);
    /* busy 2 s, of which the kernel's threads 0.2, the harness 0.1 and
     * the model with its services 0.9: 0.8 s someone else's */
    validity_measure(&v, &c0, &c1, 0.9, stats, 50);
    assert_near(v.window_s, 1.0);
    assert_near(v.others_cpu_s, 0.8);
    assert_near(v.own_cpu_s, 1.0);
    assert_near(v.kernel_cpu_s, 0.2);
    assert_near(v.steal_s, 0);
    assert_int_equal(v.cores, cores);
    assert_near(v.others_share, 0.8 / (double)cores);
    /* uniform 20..60 ms: 40 ms on average, so 4 ms; 7 is late */
    assert_near(v.api_latency_ms, 40);
    assert_near(v.late_limit_ms, 4);
    assert_true(v.reasons & VALIDITY_MOCK_LATE);
    assert_int_equal(!!(v.reasons & VALIDITY_OTHERS_CPU), 0.8 / (double)cores > 0.25);
    validity_describe(&v, text, sizeof text);
    assert_non_null(strstr(text, "the mock API answered late: p99 7 ms after the due time > 4 ms"));

    /* the run spent more than the ticks show: nobody else's, never negative */
    validity_measure(&v, &c0, &c1, 5.0, NULL, 50);
    assert_near(v.others_cpu_s, 0);
    assert_true(v.late_p99_ms < 0);
    assert_near(v.late_limit_ms, 5); /* the knob's 50 ms without stats */
    assert_int_equal(v.reasons, 0);
    validity_describe(&v, text, sizeof text);
    assert_string_equal(text, "");

    /* no reading at the start (/proc/stat unreadable): unknown */
    c0.busy_s = 0;
    validity_measure(&v, &c0, &c1, 0.9, NULL, 50);
    assert_true(v.others_cpu_s < 0);
    assert_int_equal(v.reasons, 0);
    json_decref(stats);
}

static void test_json(void **state)
{
    (void)state;
    validity_t v = {.late_p99_ms = 9,
                    .api_latency_ms = 50,
                    .others_cpu_s = 1.0,
                    .steal_s = 0,
                    .cores = 2,
                    .window_s = 1.0,
                    .load_start = {0.5, -1, 0.25}};
    validity_judge(&v);
    json_t *o = validity_json(&v), *r = json_object_get(o, "reasons");
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(json_string_value(json_array_get(r, 0)), "mock_late");
    assert_string_equal(json_string_value(json_array_get(r, 1)), "others_cpu");
    assert_near(json_number_value(json_object_get(o, "others_cpu_share")), 0.5);
    assert_near(json_number_value(json_object_get(o, "mock_late_limit_ms")), 5);
    assert_true(json_is_null(json_array_get(json_object_get(o, "load_avg_start"), 1)));
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proc_stat_parse),
        cmocka_unit_test(test_lateness_threshold),
        cmocka_unit_test(test_others_cpu_threshold),
        cmocka_unit_test(test_measure),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

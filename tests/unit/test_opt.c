/* The one number syntax (common/opt.h): whole numbers, numbers, durations
 * and fractions, against answers worked out by hand (1.5min is 90,000 ms;
 * 12.5% is 0.125), and the messages that name what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/opt.h"
#include "harness/config/config.h"
#include "harness/report/sweep.h"

static char err[512];

static double ms_ok(const char *text, int whole)
{
    double v = -1;
    err[0] = '\0';
    assert_int_equal(opt_parse_ms("d", text, 0, 3600000, whole, &v, err, sizeof err), 0);
    return v;
}

static void ms_bad(const char *text, int whole, const char *want)
{
    double v = 12345;
    assert_int_equal(opt_parse_ms("d", text, 1, 600000, whole, &v, err, sizeof err), -1);
    assert_true(v == 12345); /* untouched */
    if (!strstr(err, want))
        fail_msg("'%s': error '%s' lacks '%s'", text, err, want);
}

static void test_durations(void **state)
{
    (void)state;
    assert_true(ms_ok("50", 1) == 50);
    assert_true(ms_ok("50ms", 1) == 50);
    assert_true(ms_ok("2s", 1) == 2000);
    assert_true(ms_ok("1.1s", 1) == 1100);
    assert_true(ms_ok("1.5min", 1) == 90000);
    assert_true(ms_ok("500us", 0) == 0.5);
    assert_true(ms_ok("1.5", 0) == 1.5);
    assert_true(ms_ok(".5s", 1) == 500);
    assert_true(ms_ok("0", 1) == 0);
    ms_bad("1.5ms", 1, "'1.5ms' is not a whole number of milliseconds");
    ms_bad("500us", 1, "not a whole number of milliseconds");
    ms_bad("2h", 1, "'2h' is not a duration: write e.g. 50ms, 2s");
    ms_bad("s", 1, "not a duration");
    ms_bad("-5ms", 1, "not a duration");
    ms_bad("5 ms", 1, "not a duration");
    ms_bad("1e3", 1, "not a duration");
    ms_bad("", 1, "not a duration");
    ms_bad("11min", 1, "11min is out of range [1, 600000] ms");
    ms_bad("0ms", 1, "out of range");
}

static double frac_ok(const char *text)
{
    double v = -1;
    assert_int_equal(opt_parse_fraction("f", text, 0, 10, &v, err, sizeof err), 0);
    return v;
}

static void frac_bad(const char *text, double hi, const char *want)
{
    double v = 7;
    assert_int_equal(opt_parse_fraction("f", text, 0, hi, &v, err, sizeof err), -1);
    assert_true(v == 7);
    if (!strstr(err, want))
        fail_msg("'%s': error '%s' lacks '%s'", text, err, want);
}

static void test_fractions(void **state)
{
    (void)state;
    assert_true(frac_ok("0.1") == 0.1);
    assert_true(frac_ok("10%") == 0.1);
    assert_true(frac_ok("12.5%") == 0.125);
    assert_true(frac_ok("1") == 1);
    assert_true(frac_ok("0") == 0);
    assert_true(frac_ok("200%") == 2);
    frac_bad("10", 10, "'10' is ambiguous: write 10% for a percentage");
    frac_bad("1.5", 10, "ambiguous");
    frac_bad("ten%", 10, "'ten%' is not a fraction");
    frac_bad("10%%", 10, "not a fraction");
    frac_bad("-1%", 10, "not a fraction");
    frac_bad("150%", 1, "150% is out of range [0%, 100%]");
}

static void test_numbers(void **state)
{
    double d = -1;
    uint64_t u = 0;
    (void)state;
    assert_int_equal(opt_parse_double("n", "0.25", 0, 1, &d, err, sizeof err), 0);
    assert_true(d == 0.25);
    assert_int_equal(opt_parse_double("n", "1e3", 0, 1e9, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "n: '1e3' is not a number in [0, 1e+09]"));
    assert_int_equal(opt_parse_double("n", "inf", 0, 1e9, &d, err, sizeof err), -1);
    assert_int_equal(opt_parse_double("n", "0x10", 0, 1e9, &d, err, sizeof err), -1);
    assert_int_equal(opt_parse_double("n", " 1", 0, 1e9, &d, err, sizeof err), -1);
    assert_int_equal(opt_parse_u64("n", "1000", 1, 2000, &u, err, sizeof err), 0);
    assert_true(u == 1000);
    assert_int_equal(opt_parse_u64("n", "1e3", 1, 2000, &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a whole number in [1, 2000]"));
}

/* The knobs take the same syntax: a duration knob its units, a fraction
 * knob its '%', and `run --threshold 10` is refused, not 1000%. */
static void test_knobs(void **state)
{
    config_t c;
    (void)state;
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(config_set(&c, "timeout_ms", "2s", err, sizeof err), 0);
    assert_int_equal(c.job.timeout_ms, 2000);
    assert_int_equal(config_set(&c, "latency_ms", "1.5", err, sizeof err), 0);
    assert_true(c.mock.latency_ms == 1.5);
    assert_int_equal(config_set(&c, "latency_ms", "250us", err, sizeof err), 0);
    assert_true(c.mock.latency_ms == 0.25);
    assert_int_equal(config_set(&c, "backoff_ms", "2.5ms", err, sizeof err), -1);
    assert_non_null(strstr(err, "backoff_ms: '2.5ms' is not a whole number of milliseconds"));
    assert_int_equal(config_set(&c, "max_error_rate", "5%", err, sizeof err), 0);
    assert_true(c.max_error_rate == 0.05);
    assert_int_equal(config_set(&c, "fail_rate", "50%", err, sizeof err), 0);
    assert_true(c.mock.fail_rate == 0.5);
    assert_int_equal(config_set(&c, "threshold", "10%", err, sizeof err), 0);
    assert_true(c.threshold == 0.1);
    assert_int_equal(config_set(&c, "threshold", "0.25", err, sizeof err), 0);
    assert_true(c.threshold == 0.25);
    assert_int_equal(config_set(&c, "threshold", "10", err, sizeof err), -1);
    assert_non_null(strstr(err, "threshold: '10' is ambiguous"));
    assert_true(c.threshold == 0.25);
    config_free(&c);
}

/* A sweep reads its values with the same syntax and keeps them as the
 * knob prints them: 2s is 2000 (ms), 10% is 0.1. */
static void test_sweep_values(void **state)
{
    config_t c;
    sweep_t sw;
    (void)state;
    memset(&sw, 0, sizeof sw);
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(sweep_parse("timeout_ms=500,2s;fail_rate=0,10%", &c, &sw, err, sizeof err), 0);
    assert_int_equal(sw.nkeys, 2);
    assert_string_equal(sw.values[0][0], "500");
    assert_string_equal(sw.values[0][1], "2000");
    assert_string_equal(sw.values[1][1], "0.1");
    sweep_free(&sw);
    memset(&sw, 0, sizeof sw);
    assert_int_equal(sweep_parse("fail_rate=10", &c, &sw, err, sizeof err), -1);
    assert_non_null(strstr(err, "sweep: fail_rate: '10' is ambiguous"));
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),    cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_numbers),      cmocka_unit_test(test_knobs),
        cmocka_unit_test(test_sweep_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

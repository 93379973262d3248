/* Unit tests of mockapi's command line (mock_server/options.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mock_server/options.h"

#define ARGV(...)                                                                                  \
    (char *[])                                                                                     \
    {                                                                                              \
        "mockapi", __VA_ARGS__, NULL                                                               \
    }
#define ARGC(...) ((int)(sizeof((char *[]){"mockapi", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof err)

static void test_defaults(void **state)
{
    mockapi_options_t o;
    char err[256];
    char *argv[] = {"mockapi", NULL};

    (void)state;
    assert_int_equal(options_parse(1, argv, &o, err, sizeof err), OPTIONS_OK);
    assert_string_equal(o.host, "127.0.0.1");
    assert_int_equal(o.port, 8080);
    assert_int_equal(o.threads, 1);
    assert_int_equal(o.seed, 42);
    assert_int_equal(o.items, 10);
    assert_int_equal(o.max_id, 10000000);
    assert_int_equal(o.latency.dist, LATENCY_FIXED);
    assert_true(o.latency.ms == 0);
    assert_int_equal(o.max_inflight, 0);
    assert_true(o.rate == 0);
    assert_int_equal(o.header_timeout_ms, 10000);
}

static void test_values(void **state)
{
    mockapi_options_t o;
    char err[256];

    (void)state;
    assert_int_equal(PARSE(&o, err, "--host", "::1", "--port=0", "--latency-ms", "12.5", "--seed",
                           "18446744073709551615", "--items=3", "--max-inflight", "7", "--rate",
                           "2.5", "--fail-rate", "0.25", "--threads", "2"),
                     OPTIONS_OK);
    assert_string_equal(o.host, "::1");
    assert_int_equal(o.port, 0);
    assert_true(o.latency.ms == 12.5);
    assert_true(o.seed == UINT64_MAX);
    assert_int_equal(o.items, 3);
    assert_int_equal(o.max_inflight, 7);
    assert_int_equal(o.burst, 3); /* default burst: ceil(rate) */
    assert_true(o.faults.fail_rate == 0.25);
    assert_int_equal(o.threads, 2);
    assert_int_equal(PARSE(&o, err, "--latency-dist", "uniform", "--latency-min-ms", "5",
                           "--latency-max-ms", "9", "--tail-pct", "1", "--tail-ms", "500"),
                     OPTIONS_OK);
    assert_int_equal(o.latency.dist, LATENCY_UNIFORM);
    assert_true(o.latency.min_ms == 5 && o.latency.max_ms == 9);
    assert_true(o.latency.tail_pct == 1 && o.latency.tail_ms == 500);
    assert_int_equal(PARSE(&o, err, "--help"), OPTIONS_HELP);
    assert_non_null(strstr(options_usage(), "--latency-dist"));
}

static void test_errors(void **state)
{
    mockapi_options_t o;
    char err[256];

    (void)state;
    assert_int_equal(PARSE(&o, err, "--bogus"), OPTIONS_ERROR);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    assert_int_equal(PARSE(&o, err, "--port"), OPTIONS_ERROR);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(PARSE(&o, err, "--port", "70000"), OPTIONS_ERROR);
    assert_non_null(strstr(err, "--port"));
    assert_int_equal(PARSE(&o, err, "--port", "-1"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--latency-ms", "abc"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--latency-ms", "nan"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--latency-ms", "-5"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--items", "0"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--fail-rate", "1.5"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--latency-dist", "pareto"), OPTIONS_ERROR);
    assert_null(strchr(err, '\n'));
}

/* Every knob given must do something: ones the setup ignores are refused. */
static void test_inconsistent(void **state)
{
    mockapi_options_t o;
    char err[256];

    (void)state;
    assert_int_equal(PARSE(&o, err, "--latency-sd-ms", "5"), OPTIONS_ERROR);
    assert_non_null(strstr(err, "normal"));
    assert_int_equal(PARSE(&o, err, "--latency-dist", "normal", "--latency-sd-ms", "5"),
                     OPTIONS_OK);
    assert_int_equal(PARSE(&o, err, "--latency-sigma", "1"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--latency-max-ms", "9"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--latency-dist", "uniform"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--latency-dist", "uniform", "--latency-min-ms", "10",
                           "--latency-max-ms", "5"),
                     OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--tail-pct", "5"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--burst", "5"), OPTIONS_ERROR);
    assert_int_equal(PARSE(&o, err, "--fail-rate", "0.6", "--hang-rate", "0.6"), OPTIONS_ERROR);
    assert_non_null(strstr(err, "must not exceed 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_inconsistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

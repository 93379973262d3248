/* Unit tests of mockapi's counters (mock_server/stats.c, attempts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mock_server/attempts.h"
#include "mock_server/stats.h"

#define SEC 1000000000ULL

static json_int_t get_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_counters_and_peaks(void **state)
{
    static stats_t s;
    json_t *o;

    (void)state;
    assert_int_equal(stats_init(&s, 100 * SEC), 0);
    stats_conn_open(&s);
    stats_conn_open(&s);
    stats_conn_close(&s);
    assert_true(stats_request_enter(&s, 2));
    assert_true(stats_request_enter(&s, 2));
    assert_false(stats_request_enter(&s, 2)); /* third over max 2: throttled */
    stats_request_throttled(&s, STATS_THROTTLE_RATE);
    stats_inflight_leave(&s);
    stats_response(&s, 200, true);
    stats_response(&s, 429, false);
    stats_fault(&s, FAULT_HANG);
    o = stats_to_json(&s, 100 * SEC + SEC / 2);
    assert_non_null(o);
    assert_int_equal(get_int(o, "connections"), 1);
    assert_int_equal(get_int(o, "peak_connections"), 2);
    assert_int_equal(get_int(o, "inflight"), 1);
    assert_int_equal(get_int(o, "peak_inflight"), 2);
    assert_int_equal(get_int(o, "throttled"), 2);
    assert_int_equal(get_int(o, "throttled_inflight"), 1);
    assert_int_equal(get_int(o, "throttled_rate"), 1);
    assert_int_equal(get_int(o, "requests"), 4);
    assert_int_equal(get_int(o, "served"), 1);
    assert_int_equal(get_int(json_object_get(o, "responses"), "429"), 1);
    assert_int_equal(get_int(json_object_get(o, "faults"), "hang"), 1);
    assert_true(json_is_real(json_object_get(o, "cpu_user_s")));
    json_decref(o);

    /* Reset: counters to zero, peaks to the current gauges. */
    stats_reset(&s, 200 * SEC);
    o = stats_to_json(&s, 200 * SEC);
    assert_int_equal(get_int(o, "served"), 0);
    assert_int_equal(get_int(o, "throttled"), 0);
    assert_int_equal(get_int(o, "peak_connections"), 1);
    assert_int_equal(get_int(o, "peak_inflight"), 1);
    assert_int_equal(get_int(json_object_get(o, "responses"), "429"), 0);
    json_decref(o);
    stats_destroy(&s);
}

/* per_second: one entry per whole second since the reset plus the current
 * one; entries add up to served. */
static void test_per_second(void **state)
{
    static stats_t s;
    json_t *o, *arr;
    json_int_t sum = 0;

    (void)state;
    assert_int_equal(stats_init(&s, 10 * SEC), 0);
    for (int i = 0; i < 3; i++)
        stats_response(&s, 200, true);
    stats_tick(&s, 11 * SEC + 1); /* second 0 closed with 3 */
    for (int i = 0; i < 5; i++)
        stats_response(&s, 200, true);
    stats_tick(&s, 12 * SEC + 1); /* second 1 closed with 5 */
    stats_response(&s, 200, true);
    o = stats_to_json(&s, 12 * SEC + SEC / 2);
    arr = json_object_get(o, "per_second");
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), 3);
    assert_int_equal(json_integer_value(json_array_get(arr, 0)), 3);
    assert_int_equal(json_integer_value(json_array_get(arr, 1)), 5);
    assert_int_equal(json_integer_value(json_array_get(arr, 2)), 1);
    for (size_t i = 0; i < json_array_size(arr); i++)
        sum += json_integer_value(json_array_get(arr, i));
    assert_int_equal(sum, get_int(o, "served"));
    json_decref(o);

    /* Bounded: after two hours only the last STATS_PER_SECOND_MAX remain. */
    stats_tick(&s, 12 * SEC + 7200 * SEC);
    o = stats_to_json(&s, 12 * SEC + 7200 * SEC);
    assert_int_equal(json_array_size(json_object_get(o, "per_second")), STATS_PER_SECOND_MAX + 1);
    json_decref(o);

    stats_reset(&s, 9000 * SEC);
    o = stats_to_json(&s, 9000 * SEC);
    assert_int_equal(json_array_size(json_object_get(o, "per_second")), 1);
    json_decref(o);
    stats_destroy(&s);
}

static void test_lateness(void **state)
{
    static stats_t s;
    json_t *o, *late;

    (void)state;
    assert_int_equal(stats_init(&s, 0), 0);
    o = stats_to_json(&s, SEC);
    late = json_object_get(o, "late_ms");
    assert_int_equal(get_int(late, "p99"), 0); /* nothing recorded yet */
    json_decref(o);
    for (int i = 0; i < 98; i++)
        stats_late(&s, 500);
    stats_late(&s, 10200);
    stats_late(&s, 2500000); /* beyond the histogram */
    o = stats_to_json(&s, SEC);
    late = json_object_get(o, "late_ms");
    assert_int_equal(get_int(late, "p50"), 1);
    assert_int_equal(get_int(late, "p90"), 1);
    assert_int_equal(get_int(late, "p99"), 11);
    assert_int_equal(get_int(late, "p999"), STATS_LATE_MS_MAX + 1);
    assert_true(json_real_value(json_object_get(late, "max")) == 2500.0);
    json_decref(o);
    stats_reset(&s, 2 * SEC);
    o = stats_to_json(&s, 2 * SEC);
    assert_int_equal(get_int(json_object_get(o, "late_ms"), "p50"), 0);
    json_decref(o);
    stats_destroy(&s);
}

static void test_attempts(void **state)
{
    attempts_t a;

    (void)state;
    assert_int_equal(attempts_init(&a, 10000000), 0);
    assert_int_equal(attempts_next(&a, 1), 0);
    assert_int_equal(attempts_next(&a, 1), 1);
    assert_int_equal(attempts_next(&a, 1), 2);
    assert_int_equal(attempts_next(&a, 10000000), 0);
    assert_int_equal(attempts_next(&a, 10000000), 1);
    assert_int_equal(attempts_next(&a, 65537), 0); /* another chunk */
    assert_int_equal(attempts_next(&a, 2), 0);
    /* Out of range ids are never counted. */
    assert_int_equal(attempts_next(&a, 0), 0);
    assert_int_equal(attempts_next(&a, 10000001), 0);
    assert_int_equal(attempts_next(&a, 10000001), 0);
    attempts_clear(&a);
    assert_int_equal(attempts_next(&a, 1), 0);
    assert_int_equal(attempts_next(&a, 10000000), 0);
    attempts_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_and_peaks),
        cmocka_unit_test(test_per_second),
        cmocka_unit_test(test_lateness),
        cmocka_unit_test(test_attempts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

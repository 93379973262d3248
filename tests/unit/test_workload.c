/* Unit tests of the workload: generator determinism, the JSON it serves,
 * the transform (and its failure on bad payloads), the batch parameters
 * and the retry policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/pg_batch.h"
#include "workload/order.h"
#include "workload/retry.h"
#include "workload/transform.h"

static char *json_of(uint64_t seed, uint64_t id, int items, size_t *len)
{
    order_t *o = malloc(sizeof *o);
    size_t cap = order_json_max(items);
    char *buf = malloc(cap);
    assert_non_null(o);
    assert_non_null(buf);
    order_generate(seed, id, items, o);
    *len = order_to_json(o, buf, cap);
    assert_true(*len < cap);
    free(o);
    return buf;
}

static void test_generator_deterministic(void **state)
{
    (void)state;
    size_t l1, l2, l3;
    char *a = json_of(42, 7, 10, &l1), *b = json_of(42, 7, 10, &l2), *c = json_of(43, 7, 10, &l3);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    assert_true(l1 != l3 || memcmp(a, c, l1) != 0); /* another seed, another order */
    free(a);
    free(b);
    free(c);
}

static void test_generator_items_and_bounds(void **state)
{
    (void)state;
    order_t *o = malloc(sizeof *o);
    order_generate(1, 99, 25, o);
    assert_int_equal(o->n_items, 25);
    for (int i = 0; i < o->n_items; i++) {
        assert_in_range(o->items[i].qty, 1, 9);
        assert_in_range(o->items[i].price_cents, 99, 99998);
    }
    order_generate(1, 99, 0, o);
    assert_int_equal(o->n_items, 1);
    order_generate(1, 99, 5000, o);
    assert_int_equal(o->n_items, ORDER_ITEMS_MAX);
    free(o);
}

static void test_json_truncation_reports_length(void **state)
{
    (void)state;
    order_t *o = malloc(sizeof *o);
    char small[16];
    size_t need;
    order_generate(1, 5, 3, o);
    need = order_to_json(o, small, sizeof small);
    assert_true(need >= sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    free(o);
}

static void test_transform_matches_generator(void **state)
{
    (void)state;
    order_t *o = malloc(sizeof *o);
    order_row_t row, again;
    size_t len;
    char *js = json_of(42, 1234, 10, &len);
    int64_t total = 0;

    order_generate(42, 1234, 10, o);
    for (int i = 0; i < o->n_items; i++)
        total += o->items[i].qty * o->items[i].price_cents;
    assert_int_equal(transform_order(js, len, 1234, 1, &row), 0);
    assert_int_equal(row.id, 1234);
    assert_int_equal(row.item_count, 10);
    assert_int_equal(row.total_cents, total);
    assert_string_equal(row.customer, o->customer);
    assert_int_equal(strlen(row.digest), 64);
    assert_int_equal(transform_expected(42, 1234, 10, 1, &again), 0);
    assert_string_equal(row.digest, again.digest);
    free(js);
    free(o);
}

static void test_transform_cost_changes_digest(void **state)
{
    (void)state;
    order_row_t a, b, c;
    assert_int_equal(transform_expected(42, 9, 10, 1, &a), 0);
    assert_int_equal(transform_expected(42, 9, 10, 2, &b), 0);
    assert_int_equal(transform_expected(42, 9, 10, 2, &c), 0);
    assert_string_not_equal(a.digest, b.digest);
    assert_string_equal(b.digest, c.digest);
}

static void test_transform_rejects_bad_payloads(void **state)
{
    (void)state;
    order_row_t row;
    size_t len;
    char *js = json_of(42, 5, 4, &len);
    assert_int_equal(transform_order(js, len - 3, 5, 1, &row), -1);     /* truncated */
    assert_int_equal(transform_order(js, len, 6, 1, &row), -1);         /* another id */
    assert_int_equal(transform_order("not json", 8, 5, 1, &row), -1);   /* garbage */
    assert_int_equal(transform_order("{\"id\":5}", 8, 5, 1, &row), -1); /* fields missing */
    const char *huge = "{\"id\":5,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":"
                       "[{\"sku\":\"s\",\"qty\":9223372036854775807,\"price_cents\":3}]}";
    assert_int_equal(transform_order(huge, strlen(huge), 5, 1, &row), -1); /* overflowing total */
    assert_int_equal(transform_order(js, len, 5, 1, &row), 0);
    free(js);
}

static void test_pg_batch_params(void **state)
{
    (void)state;
    pg_batch_t b;
    order_row_t r1, r2;
    const char *v[PG_BATCH_NPARAMS];
    assert_int_equal(pg_batch_init(&b, 3), 0);
    assert_int_equal(transform_expected(1, 1, 2, 1, &r1), 0);
    assert_int_equal(transform_expected(1, 2, 2, 1, &r2), 0);
    assert_int_equal(pg_batch_add(&b, &r1), 0);
    assert_int_equal(pg_batch_add(&b, &r1), 0); /* same id replaces, does not grow */
    assert_int_equal(b.n, 1);
    assert_int_equal(pg_batch_add(&b, &r2), 0);
    assert_int_equal(pg_batch_params(&b, "run-x", v), 0);
    assert_string_equal(v[0], "run-x");
    assert_string_equal(v[1], "{1,2}");
    assert_true(v[2][0] == '{' && v[2][1] == '"');
    strcpy(r1.customer, "a\"b\\c");
    r1.id = 3;
    assert_int_equal(pg_batch_add(&b, &r1), 1); /* full */
    assert_int_equal(pg_batch_params(&b, "run-x", v), 0);
    assert_non_null(strstr(v[2], "\"a\\\"b\\\\c\"}"));
    pg_batch_clear(&b);
    assert_int_equal(pg_batch_params(&b, "run-x", v), 0);
    assert_string_equal(v[1], "{}");
    pg_batch_free(&b);
}

static void test_retry_policy(void **state)
{
    (void)state;
    retry_policy_t p = {.retries = 3, .backoff_ms = 100, .backoff_max_ms = 1000, .seed = 1};
    int d2 = retry_backoff_ms(&p, 5, 2, -1), d3 = retry_backoff_ms(&p, 5, 3, -1);
    assert_in_range(d2, 50, 100);
    assert_in_range(d3, 100, 200);
    assert_int_equal(retry_backoff_ms(&p, 5, 2, -1), d2); /* deterministic */
    assert_in_range(retry_backoff_ms(&p, 5, 20, -1), 500, 1000);
    assert_int_equal(retry_backoff_ms(&p, 5, 2, 3000), 3000); /* Retry-After wins */
    assert_true(retry_is_transient(ERR_HTTP_429));
    assert_true(retry_is_transient(ERR_TIMEOUT));
    assert_false(retry_is_transient(ERR_HTTP_4XX));
    assert_false(retry_is_transient(ERR_DB));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_deterministic),
        cmocka_unit_test(test_generator_items_and_bounds),
        cmocka_unit_test(test_json_truncation_reports_length),
        cmocka_unit_test(test_transform_matches_generator),
        cmocka_unit_test(test_transform_cost_changes_digest),
        cmocka_unit_test(test_transform_rejects_bad_payloads),
        cmocka_unit_test(test_pg_batch_params),
        cmocka_unit_test(test_retry_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

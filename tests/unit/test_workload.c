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
#include <inttypes.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>

#include "engine/pg_batch.h"
#include "workload/order.h"
#include "workload/retry.h"
#include "workload/transform.h"
#include "workload/transform_json.h"

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

/* The reference the transform's own JSON reader is held to: the same
 * transform written on jansson's json_loadb (as it was before the reader
 * replaced it), cost 1. Returns 0 and the row, or -1. */
static int ref_transform(const char *json, size_t len, uint64_t expect_id, order_row_t *out)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr), *items, *id;
    const char *cust, *cur;
    char canon[8192];
    size_t n = 0, cap;
    unsigned char md[SHA256_DIGEST_LENGTH];
    int rc = -1;

    if (!root || !json_is_object(root))
        goto out;
    id = json_object_get(root, "id");
    cust = json_string_value(json_object_get(root, "customer"));
    cur = json_string_value(json_object_get(root, "currency"));
    items = json_object_get(root, "items");
    if (!json_is_integer(id) || (uint64_t)json_integer_value(id) != expect_id || !cust || !cur ||
        !*cust || strlen(cust) >= sizeof out->customer || !*cur ||
        strlen(cur) >= sizeof out->currency || !json_is_array(items) || !json_array_size(items))
        goto out;
    memset(out, 0, sizeof *out);
    out->id = expect_id;
    strcpy(out->customer, cust);
    strcpy(out->currency, cur);
    cap = 64 + json_array_size(items) * 48; /* the transform's own bound */
    if (cap > sizeof canon)
        goto out;
    n = (size_t)snprintf(canon, cap, "%" PRIu64 "|%s|%s|", out->id, cust, cur);
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i), *q = json_object_get(it, "qty"),
               *p = json_object_get(it, "price_cents");
        const char *sku = json_string_value(json_object_get(it, "sku"));
        int64_t line;
        int k;
        if (!sku || !json_is_integer(q) || !json_is_integer(p))
            goto out;
        k = snprintf(canon + n, cap - n, "%.20s:%lld:%lld;", sku, json_integer_value(q),
                     json_integer_value(p));
        if (k < 0 || (size_t)k >= cap - n ||
            __builtin_mul_overflow(json_integer_value(q), json_integer_value(p), &line) ||
            __builtin_add_overflow(out->total_cents, line, &out->total_cents))
            goto out;
        n += (size_t)k;
        out->item_count++;
    }
    SHA256((const unsigned char *)canon, n, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out->digest + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* transform_order and the reference agree on body (accepted or not, and
 * then the row), and the reader's verdict on the JSON is jansson's. */
static void check_like_jansson(const char *body, size_t len, uint64_t id)
{
    order_row_t a, b;
    json_error_t jerr;
    json_t *j = json_loadb(body, len, 0, &jerr);
    tj_span_t root;
    int ra, rb;

    if ((tj_parse(body, len, &root) == 0) != (j != NULL))
        fail_msg("JSON verdict differs from jansson's (%s) on: %.*s", j ? "valid" : jerr.text,
                 (int)len, body);
    json_decref(j);
    memset(&a, 0, sizeof a);
    ra = transform_order(body, len, id, 1, &a);
    rb = ref_transform(body, len, id, &b);
    if (ra != rb)
        fail_msg("transform %d, reference %d on: %.*s", ra, rb, (int)len, body);
    if (ra == 0) {
        assert_int_equal(a.id, b.id);
        assert_string_equal(a.customer, b.customer);
        assert_string_equal(a.currency, b.currency);
        assert_int_equal(a.item_count, b.item_count);
        assert_int_equal(a.total_cents, b.total_cents);
        assert_string_equal(a.digest, b.digest);
    }
}

static void test_transform_reads_json_like_jansson(void **state)
{
    static const int sizes[] = {1, 3, 10, 40};
    static const char subst[] = {
        '\0', '"', '\\', '{', '}',  '[', ']', ',', ':',        '0',        '9',        '-',
        '.',  'e', 'x',  ' ', '\n', 'u', 't', 'n', (char)0x80, (char)0xc3, (char)0xff, (char)0x1f};
    static const char *const cases[] = {
        "{\"id\":5,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[{\"sku\":\"s\",\"qty\":2,"
        "\"price_cents\":3}]}",
        " \t\r\n{\"id\":5,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[{\"sku\":\"s\","
        "\"qty\":2,\"price_cents\":3}]} \n",
        /* duplicates: the last wins, whatever its type */
        "{\"id\":4,\"id\":5,\"customer\":\"x\",\"customer\":\"c\",\"currency\":\"EUR\",\"items\":"
        "[{\"sku\":\"s\",\"qty\":2,\"price_cents\":3,\"qty\":7}]}",
        "{\"id\":5,\"customer\":\"c\",\"customer\":1,\"currency\":\"EUR\",\"items\":[{\"sku\":"
        "\"s\",\"qty\":2,\"price_cents\":3}]}",
        /* escapes, UTF-8, surrogates */
        "{\"id\":5,\"customer\":\"\\u00e9\\n\\\"\\/\",\"currency\":\"\\u20ac\",\"items\":[{\"sku\":"
        "\"\\ud83d\\ude00abcdefghijklmnopqrstuv\",\"qty\":2,\"price_cents\":3}]}",
        "{\"id\":5,\"customer\":\"\\ud83d\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"customer\":\"\\ude00\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"customer\":\"a\\u0000b\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"customer\":\"\xc0\xaf\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"customer\":\"\xed\xa0\x80\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"customer\":\"\xf4\x90\x80\x80\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"customer\":\"\xe2\x82\xac\",\"currency\":\"EUR\",\"items\":[{\"sku\":\"s\","
        "\"qty\":2,\"price_cents\":3}]}",
        /* numbers */
        "{\"id\":5.0,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"x\":1e400,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[{\"sku\":\"s\","
        "\"qty\":2,\"price_cents\":3}]}",
        "{\"id\":5,\"x\":1e-400,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[{\"sku\":\"s\","
        "\"qty\":2,\"price_cents\":3}]}",
        "{\"id\":5,\"x\":9223372036854775808,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":"
        "[{\"sku\":\"s\",\"qty\":2,\"price_cents\":3}]}",
        "{\"id\":5,\"x\":-9223372036854775808,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":"
        "[{\"sku\":\"s\",\"qty\":-0,\"price_cents\":3}]}",
        "{\"id\":05,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"x\":[1.5e+3,-0.0,true,false,null,{}],\"customer\":\"c\",\"currency\":\"EUR\","
        "\"items\":[{\"sku\":\"s\",\"qty\":2,\"price_cents\":3}]}",
        /* literals, trailing bytes, roots */
        "{\"id\":5,\"x\":truex,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"x\":nul,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[]}",
        "{\"id\":5,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[{\"sku\":\"s\",\"qty\":2,"
        "\"price_cents\":3}]} x",
        "{\"id\":5,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[{\"sku\":\"s\",\"qty\":2,"
        "\"price_cents\":3},]}",
        "[{\"id\":5}]",
        "\"x\"",
        "5",
        "",
        "{\"id\":5,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[5]}",
        "{\"id\":5,\"customer\":\"c\",\"currency\":\"EURO\",\"items\":[{\"sku\":\"s\",\"qty\":2,"
        "\"price_cents\":3}]}",
        "{\"id\":5,\"customer\":\"0123456789abcdef\",\"currency\":\"EUR\",\"items\":[{\"sku\":"
        "\"s\","
        "\"qty\":2,\"price_cents\":3}]}",
        "{\"id\":5,\"customer\":\"c\",\"currency\":\"EUR\",\"items\":[{\"sku\":"
        "\"01234567890123456789"
        "0\",\"qty\":2147483648,\"price_cents\":4294967296}]}",
    };
    char buf[4096];
    size_t len;
    char *js;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_like_jansson(cases[i], strlen(cases[i]), 5);
    for (int depth = 2047; depth <= 2049; depth++) {
        char *deep = malloc(2 * (size_t)depth + 64);
        size_t n = 0;
        assert_non_null(deep);
        n += (size_t)sprintf(deep, "{\"x\":");
        for (int d = 1; d < depth; d++)
            deep[n++] = '[';
        for (int d = 1; d < depth; d++)
            deep[n++] = ']';
        deep[n++] = '}';
        check_like_jansson(deep, n, 5);
        free(deep);
    }
    for (uint64_t id = 1; id <= 100; id++) {
        js = json_of(7, id, sizes[id % 4], &len);
        check_like_jansson(js, len, id);
        free(js);
    }
    /* Every one-byte change of one order: replaced, deleted, inserted. */
    js = json_of(42, 5, 3, &len);
    assert_true(len + 1 < sizeof buf);
    for (size_t i = 0; i < len; i++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            memcpy(buf, js, len);
            buf[i] = subst[k];
            check_like_jansson(buf, len, 5);
            memcpy(buf, js, i);
            buf[i] = subst[k];
            memcpy(buf + i + 1, js + i, len - i);
            check_like_jansson(buf, len + 1, 5);
        }
        memcpy(buf, js, i);
        memcpy(buf + i, js + i + 1, len - i - 1);
        check_like_jansson(buf, len - 1, 5);
    }
    free(js);
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
        cmocka_unit_test(test_transform_reads_json_like_jansson),
        cmocka_unit_test(test_pg_batch_params),
        cmocka_unit_test(test_retry_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

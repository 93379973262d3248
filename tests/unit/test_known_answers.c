/* The workload against known answers computed outside its C code
 * (tests/data/known-answers/make.py, from docs/workload.md): the order
 * generator's fields and JSON body, and the transform's count, total and
 * digest, for the ids, item counts and costs listed in vectors.tsv. The
 * verifier recomputes rows with the same functions, so this is what keeps
 * a bug in them from being verified as correct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <inttypes.h>
#include <openssl/evp.h>

#include "workload/order.h"
#include "workload/transform.h"

static const char *vectors_path;

typedef struct vector {
    uint64_t seed, id;
    int items;
    unsigned cost;
    char customer[32], currency[8];
    int item_count;
    int64_t total;
    char digest[80], body_sha[80];
} vector_t;

static int vector_read(FILE *f, vector_t *v)
{
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (sscanf(line, "%" SCNu64 "\t%" SCNu64 "\t%d\t%u\t%31s\t%7s\t%d\t%" SCNd64 "\t%79s\t%79s",
                   &v->seed, &v->id, &v->items, &v->cost, v->customer, v->currency, &v->item_count,
                   &v->total, v->digest, v->body_sha) == 10)
            return 1;
        fail_msg("malformed line in %s: %s", vectors_path, line);
    }
    return 0;
}

static void sha256_hex(const char *buf, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    assert_true(EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL));
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_transform_known_answers(void **state)
{
    FILE *f = fopen(vectors_path, "r");
    vector_t v;
    int n = 0;
    (void)state;
    assert_non_null(f);
    while (vector_read(f, &v)) {
        order_row_t row;
        assert_int_equal(transform_expected(v.seed, v.id, v.items, v.cost, &row), 0);
        assert_int_equal(row.id, v.id);
        assert_string_equal(row.customer, v.customer);
        assert_string_equal(row.currency, v.currency);
        assert_int_equal(row.item_count, v.item_count);
        assert_int_equal(row.total_cents, v.total);
        assert_string_equal(row.digest, v.digest);
        n++;
    }
    fclose(f);
    assert_true(n >= 20); /* the file was read, not skipped */
}

static void test_order_body_known_answers(void **state)
{
    FILE *f = fopen(vectors_path, "r");
    static order_t o;
    vector_t v;
    int n = 0;
    (void)state;
    assert_non_null(f);
    while (vector_read(f, &v)) {
        size_t cap = order_json_max(v.items), len;
        char *buf = malloc(cap), hex[65];
        assert_non_null(buf);
        order_generate(v.seed, v.id, v.items, &o);
        len = order_to_json(&o, buf, cap);
        assert_true(len < cap);
        sha256_hex(buf, len, hex);
        assert_string_equal(hex, v.body_sha);
        free(buf);
        n++;
    }
    fclose(f);
    assert_true(n >= 20);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transform_known_answers),
        cmocka_unit_test(test_order_body_known_answers),
    };
    if (argc != 2) {
        fprintf(stderr, "usage: test_known_answers tests/data/known-answers/vectors.tsv\n");
        return 2;
    }
    vectors_path = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}

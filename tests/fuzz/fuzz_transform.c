/* libFuzzer target: the transform (transform_order in workload/transform.c),
 * which every model runs on whatever body the API sent, so a broken or
 * hostile API feeds it. The input is the response body; the id asked for
 * is 7 (the seed corpus holds real orders for id 7 from mockapi).
 * Checked: it returns 0 or -1; on 0 the row holds what a correct row holds
 * (the id asked for, NUL-terminated non-empty customer and currency that
 * fit their columns, at least one item, a 64-digit lowercase hex digest),
 * the same body gives the same row again, and a body cut short is never
 * accepted as the same order. AddressSanitizer watches every read of the
 * exact-size body; LeakSanitizer every allocation. And the transform's own
 * JSON reader gives jansson's json_loadb verdict on every input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "workload/transform.h"
#include "workload/transform_json.h"

#define FUZZ_ID 7

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_transform: invariant failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void fuzz_row_check(const order_row_t *r)
{
    size_t n;

    FUZZ_CHECK(r->id == FUZZ_ID);
    n = strnlen(r->customer, sizeof r->customer);
    FUZZ_CHECK(n > 0 && n < sizeof r->customer);
    n = strnlen(r->currency, sizeof r->currency);
    FUZZ_CHECK(n > 0 && n < sizeof r->currency);
    FUZZ_CHECK(r->item_count >= 1);
    FUZZ_CHECK(strlen(r->digest) == TRANSFORM_DIGEST_HEX - 1);
    for (int i = 0; i < TRANSFORM_DIGEST_HEX - 1; i++)
        FUZZ_CHECK((r->digest[i] >= '0' && r->digest[i] <= '9') ||
                   (r->digest[i] >= 'a' && r->digest[i] <= 'f'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    order_row_t a, b;
    int rc;

    {
        json_error_t jerr;
        json_t *j = json_loadb((const char *)data, size, 0, &jerr);
        tj_span_t root;
        FUZZ_CHECK((tj_parse((const char *)data, size, &root) == 0) == (j != NULL));
        json_decref(j);
    }
    memset(&a, 0xa5, sizeof a);
    rc = transform_order((const char *)data, size, FUZZ_ID, 1, &a);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0)
        return 0;
    fuzz_row_check(&a);
    memset(&b, 0x5a, sizeof b);
    FUZZ_CHECK(transform_order((const char *)data, size, FUZZ_ID, 1, &b) == 0);
    FUZZ_CHECK(a.id == b.id && a.item_count == b.item_count && a.total_cents == b.total_cents);
    FUZZ_CHECK(strcmp(a.customer, b.customer) == 0 && strcmp(a.currency, b.currency) == 0);
    FUZZ_CHECK(strcmp(a.digest, b.digest) == 0);
    /* A body for another id is a bad payload. */
    FUZZ_CHECK(transform_order((const char *)data, size, FUZZ_ID + 1, 1, &b) == -1);
    /* The body minus its last byte: valid JSON never stays the same object
     * (an object's closing brace is its last token, trailing whitespace
     * aside), so either it fails or it is a different text. */
    if (size > 0 && data[size - 1] == '}' &&
        transform_order((const char *)data, size - 1, FUZZ_ID, 1, &b) == 0)
        FUZZ_CHECK(0);
    return 0;
}

/* The CPU step of one request: parse the order JSON, compute its totals and
 * a digest of its canonical fields. The verifier calls the same function on
 * a regenerated order, so a row in PostgreSQL is checked against exactly
 * what a correct model must have written. */
#ifndef CONCBENCH_TRANSFORM_H
#define CONCBENCH_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "workload/order.h"

#define TRANSFORM_DIGEST_HEX 65 /* SHA-256 as hex plus NUL */

typedef struct order_row {
    uint64_t id;
    char customer[ORDER_CUSTOMER_LEN];
    char currency[4];
    int32_t item_count;
    int64_t total_cents;
    char digest[TRANSFORM_DIGEST_HEX];
} order_row_t;

/* Parses json (len bytes, need not be NUL-terminated) as an order and fills
 * *out. cost >= 1 is how many chained SHA-256 rounds the digest takes (the
 * transform_cost knob). expect_id is the id that was asked for: a body for
 * another id is a bad payload. Returns 0, or -1 when the payload is not a
 * well-formed order (the request's error class is then bad_payload). */
int transform_order(const char *json, size_t len, uint64_t expect_id, unsigned cost,
                    order_row_t *out);

/* What a correct model writes for id: generate, serialise, transform. */
int transform_expected(uint64_t seed, uint64_t id, int n_items, unsigned cost, order_row_t *out);

#endif

/* Deterministic order generator: the one definition of what GET /orders/{id}
 * answers. The mock API serves it, the models transform it and the verifier
 * recomputes it, so all three must agree byte for byte. */
#ifndef CONCBENCH_ORDER_H
#define CONCBENCH_ORDER_H

#include <stddef.h>
#include <stdint.h>

#define ORDER_ITEMS_MAX 1000
#define ORDER_CUSTOMER_LEN 16
#define ORDER_SKU_LEN 16

typedef struct order_item {
    char sku[ORDER_SKU_LEN];
    int32_t qty;
    int64_t price_cents;
} order_item_t;

typedef struct order {
    uint64_t id;
    char customer[ORDER_CUSTOMER_LEN];
    char currency[4];
    int64_t created_at; /* seconds since the epoch */
    int64_t updated_at;
    int n_items;
    order_item_t items[ORDER_ITEMS_MAX];
} order_t;

/* Fills *out from (seed, id) with n_items line items (clamped to
 * 1..ORDER_ITEMS_MAX). Never fails; the same inputs give the same order. */
void order_generate(uint64_t seed, uint64_t id, int n_items, order_t *out);

/* Writes the order as compact JSON into buf (cap bytes, NUL-terminated when it
 * fits). Returns the length the JSON needs, excluding the NUL, like snprintf:
 * a return >= cap means the output was truncated. */
size_t order_to_json(const order_t *o, char *buf, size_t cap);

/* Upper bound of order_to_json's length for n_items items. */
size_t order_json_max(int n_items);

#endif

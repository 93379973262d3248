#include "workload/order.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/prng.h"

static const char *const currencies[] = {"EUR", "USD", "GBP", "JPY", "CHF", "SEK"};

void order_generate(uint64_t seed, uint64_t id, int n_items, order_t *out)
{
    uint64_t s = prng_mix64(seed ^ prng_mix64(id));

    if (n_items < 1)
        n_items = 1;
    if (n_items > ORDER_ITEMS_MAX)
        n_items = ORDER_ITEMS_MAX;
    out->id = id;
    s = prng_mix64(s);
    snprintf(out->customer, sizeof out->customer, "cust-%06" PRIu64, s % 1000000);
    s = prng_mix64(s);
    memcpy(out->currency, currencies[s % (sizeof currencies / sizeof currencies[0])], 4);
    s = prng_mix64(s);
    /* 2024-01-01T00:00:00Z plus up to two years. */
    out->created_at = 1704067200 + (int64_t)(s % (2 * 365 * 86400));
    s = prng_mix64(s);
    out->updated_at = out->created_at + (int64_t)(s % 86400);
    out->n_items = n_items;
    for (int i = 0; i < n_items; i++) {
        order_item_t *it = &out->items[i];
        s = prng_mix64(s);
        snprintf(it->sku, sizeof it->sku, "SKU-%05" PRIu64, s % 100000);
        s = prng_mix64(s);
        it->qty = (int32_t)(1 + s % 9);
        s = prng_mix64(s);
        it->price_cents = (int64_t)(99 + s % 99900);
    }
}

static void iso8601(int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

size_t order_json_max(int n_items)
{
    if (n_items < 1)
        n_items = 1;
    if (n_items > ORDER_ITEMS_MAX)
        n_items = ORDER_ITEMS_MAX;
    /* Header ~160 bytes; an item is at most ~70. */
    return 256 + (size_t)n_items * 80;
}

size_t order_to_json(const order_t *o, char *buf, size_t cap)
{
    char created[21], updated[21];
    size_t len = 0;
    int n;

    iso8601(o->created_at, created);
    iso8601(o->updated_at, updated);
#define APPEND(...)                                                                                \
    do {                                                                                           \
        n = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0, __VA_ARGS__);        \
        len += (size_t)n;                                                                          \
    } while (0)
    APPEND("{\"id\":%" PRIu64 ",\"customer\":\"%s\",\"currency\":\"%s\","
           "\"created_at\":\"%s\",\"updated_at\":\"%s\",\"items\":[",
           o->id, o->customer, o->currency, created, updated);
    for (int i = 0; i < o->n_items; i++)
        APPEND("%s{\"sku\":\"%s\",\"qty\":%d,\"price_cents\":%" PRId64 "}", i ? "," : "",
               o->items[i].sku, o->items[i].qty, o->items[i].price_cents);
    APPEND("]}");
#undef APPEND
    return len;
}

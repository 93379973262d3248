/* The 1.1.1 API level: SHA256_Init/Update/Final without OpenSSL 3's
 * deprecation warning (why these, see sha256() below). */
#define OPENSSL_API_COMPAT 10101

#include "workload/transform.h"

#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/transform_json.h"

/* A string member value into dst: non-empty and shorter than cap, else -1
 * (also when absent: v.p == NULL). */
static int copy_str(tj_span_t v, char *dst, size_t cap)
{
    size_t n;

    if (!v.p || tj_string(v, dst, cap, &n) != 0)
        return -1;
    return n == 0 || n >= cap ? -1 : 0;
}

/* An integer member value; -1 when absent or not an integer. */
static int get_int(tj_span_t v, long long *out)
{
    return v.p ? tj_integer(v, out) : -1;
}

/* One SHA-256 of buf into md, through OpenSSL's low-level SHA256_*
 * functions. Two EVP routes were tried and measured first:
 * - the one-shot SHA256() looks the algorithm up in OpenSSL 3's provider
 *   store on every call, under a lock every thread shares: that cost more
 *   than the hashing (3x the CPU of a transform_cost of 10,000) and
 *   serialised the thread pool;
 * - a fetched EVP_MD with one EVP_MD_CTX per thread still costs a malloc
 *   and a free per hash in 3.0 (EVP_DigestInit_ex2 frees the provider's
 *   context and makes a new one: 104,812 mallocs for 100,000 hashes) and
 *   runs through the provider dispatch, code spread over many pages. In a
 *   process that has just been switched in (every process-pool worker,
 *   once per request) those pages miss the TLB: build/bench_ring (100
 *   members passing a token, one hash of 300 bytes per hop) puts EVP
 *   1.06 us above the low-level functions per hash in processes and
 *   0.35 us in threads; hot, in one thread, the two differ by 15 ns.
 * The low-level functions keep the state on the stack (no allocation, no
 * per-thread state, nothing to set up before fork) and touch only the
 * hashing code. OpenSSL 3 marks them deprecated, not removed, and they
 * compute the same digest; OPENSSL_API_COMPAT (top of this file) keeps
 * that deprecation from failing the -Werror build. Returns 0, or -1 if
 * OpenSSL reports a failure. */
static int sha256(const unsigned char *buf, size_t len, unsigned char *md)
{
    SHA256_CTX c;

    if (!SHA256_Init(&c) || !SHA256_Update(&c, buf, len) || !SHA256_Final(md, &c))
        return -1;
    return 0;
}

/* The canonical form is "id|customer|currency|sku:qty:price;..." so two
 * orders with the same fields hash the same whatever their JSON layout.
 * The body is read with transform_json.h, which accepts exactly what
 * jansson's json_loadb does; the canonical form is built in a stack buffer
 * when it fits (an order of up to ~80 items). */
int transform_order(const char *json, size_t len, uint64_t expect_id, unsigned cost,
                    order_row_t *out)
{
    static const char hex[] = "0123456789abcdef";
    static const char *const order_keys[] = {"id", "customer", "currency", "items"};
    static const char *const item_keys[] = {"sku", "qty", "price_cents"};
    tj_span_t root, items, it_v, f[4];
    tj_iter_t it;
    long long id;
    char stackbuf[4096], *canon = stackbuf;
    size_t canon_len = 0, canon_cap, nitems = 0;
    unsigned char md[SHA256_DIGEST_LENGTH];
    int rc = -1;

    if (tj_parse(json, len, &root) != 0 || tj_object_fields(root, order_keys, 4, f) != 0 ||
        get_int(f[0], &id) != 0 || (uint64_t)id != expect_id)
        return -1;
    out->id = expect_id;
    if (copy_str(f[1], out->customer, sizeof out->customer) ||
        copy_str(f[2], out->currency, sizeof out->currency))
        return -1;
    items = f[3];
    if (!items.p || tj_array_begin(items, &it) != 0)
        return -1;
    while (tj_array_next(&it, &it_v))
        nitems++;
    if (nitems == 0)
        return -1;
    canon_cap = SHA256_DIGEST_LENGTH + 64 + nitems * 48;
    if (canon_cap > sizeof stackbuf && !(canon = malloc(canon_cap)))
        return -1;
    canon_len = SHA256_DIGEST_LENGTH;
    canon_len += (size_t)snprintf(canon + canon_len, canon_cap - canon_len, "%" PRIu64 "|%s|%s|",
                                  out->id, out->customer, out->currency);
    out->total_cents = 0;
    out->item_count = 0;
    tj_array_begin(items, &it);
    while (tj_array_next(&it, &it_v)) {
        char sku[21];
        size_t sku_len;
        tj_span_t g[3];
        long long qty, price;
        int64_t line;
        int n;

        if (tj_object_fields(it_v, item_keys, 3, g) != 0 || !g[0].p ||
            tj_string(g[0], sku, sizeof sku, &sku_len) != 0 || get_int(g[1], &qty) ||
            get_int(g[2], &price))
            goto out;
        n = snprintf(canon + canon_len, canon_cap - canon_len, "%s:%lld:%lld;", sku, qty, price);
        if (n < 0 || (size_t)n >= canon_cap - canon_len)
            goto out;
        canon_len += (size_t)n;
        if (__builtin_mul_overflow(qty, price, &line) ||
            __builtin_add_overflow(out->total_cents, line, &out->total_cents))
            goto out;
        out->item_count++;
    }

    canon_len -= SHA256_DIGEST_LENGTH;
    /* Chained rounds over (previous digest || canonical form): each depends
     * on the last, so nothing can skip or overlap them, and the cost is
     * linear in the knob. canon keeps SHA256_DIGEST_LENGTH spare bytes in
     * front for the chaining prefix. */
    if (sha256((const unsigned char *)canon + SHA256_DIGEST_LENGTH, canon_len, md))
        goto out;
    for (unsigned r = 1; r < cost; r++) {
        memcpy(canon, md, sizeof md);
        if (sha256((const unsigned char *)canon, SHA256_DIGEST_LENGTH + canon_len, md))
            goto out;
    }
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out->digest[2 * i] = hex[md[i] >> 4];
        out->digest[2 * i + 1] = hex[md[i] & 15];
    }
    out->digest[2 * SHA256_DIGEST_LENGTH] = '\0';
    rc = 0;
out:
    if (canon != stackbuf)
        free(canon);
    return rc;
}

int transform_expected(uint64_t seed, uint64_t id, int n_items, unsigned cost, order_row_t *out)
{
    order_t *o = malloc(sizeof *o);
    char *buf = NULL;
    size_t cap, len;
    int rc = -1;

    if (!o)
        return -1;
    order_generate(seed, id, n_items, o);
    cap = order_json_max(o->n_items);
    buf = malloc(cap);
    if (!buf)
        goto out;
    len = order_to_json(o, buf, cap);
    if (len < cap)
        rc = transform_order(buf, len, id, cost, out);
out:
    free(buf);
    free(o);
    return rc;
}

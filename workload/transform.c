#include "workload/transform.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
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

/* One SHA-256 of buf into md. OpenSSL 3's one-shot SHA256() looks the
 * algorithm up in its provider store on every call, under a lock every
 * thread shares: that look-up cost more than the hashing itself (3x the
 * CPU of a transform_cost of 10,000) and its lock serialised the thread
 * pool. Each thread fetches the algorithm once and keeps its own context
 * (freed when the thread exits). Returns 0, or -1 if OpenSSL fails. */
struct sha256_state {
    EVP_MD *alg;
    EVP_MD_CTX *ctx;
};

static pthread_key_t sha256_key;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_state_free(void *p)
{
    struct sha256_state *st = p;
    EVP_MD_CTX_free(st->ctx);
    EVP_MD_free(st->alg);
    free(st);
}

static void sha256_key_init(void)
{
    pthread_key_create(&sha256_key, sha256_state_free);
}

/* This thread's state, made on first use; NULL if OpenSSL fails. */
static struct sha256_state *sha256_state_get(void)
{
    struct sha256_state *st;

    pthread_once(&sha256_once, sha256_key_init);
    st = pthread_getspecific(sha256_key);
    if (st)
        return st;
    st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->alg = EVP_MD_fetch(NULL, "SHA256", NULL);
    st->ctx = EVP_MD_CTX_new();
    if (!st->alg || !st->ctx || pthread_setspecific(sha256_key, st)) {
        sha256_state_free(st);
        return NULL;
    }
    return st;
}

/* The key's destructor frees the state; the thread-local copy of the
 * pointer spares pthread_once and pthread_getspecific per call. A child
 * forked by this thread inherits both. */
static _Thread_local struct sha256_state *mine;

int transform_prepare(void)
{
    if (!mine && !(mine = sha256_state_get()))
        return -1;
    return 0;
}

static int sha256(const unsigned char *buf, size_t len, unsigned char *md)
{
    if (transform_prepare())
        return -1;
    if (!EVP_DigestInit_ex2(mine->ctx, mine->alg, NULL) || !EVP_DigestUpdate(mine->ctx, buf, len) ||
        !EVP_DigestFinal_ex(mine->ctx, md, NULL))
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

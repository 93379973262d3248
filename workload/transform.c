#include "workload/transform.h"

#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int copy_str(json_t *obj, const char *key, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(obj, key));
    size_t n;
    if (!s)
        return -1;
    n = strlen(s);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, s, n + 1);
    return 0;
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

static int sha256(const unsigned char *buf, size_t len, unsigned char *md)
{
    struct sha256_state *st;
    pthread_once(&sha256_once, sha256_key_init);
    st = pthread_getspecific(sha256_key);
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return -1;
        st->alg = EVP_MD_fetch(NULL, "SHA256", NULL);
        st->ctx = EVP_MD_CTX_new();
        if (!st->alg || !st->ctx || pthread_setspecific(sha256_key, st)) {
            sha256_state_free(st);
            return -1;
        }
    }
    if (!EVP_DigestInit_ex2(st->ctx, st->alg, NULL) || !EVP_DigestUpdate(st->ctx, buf, len) ||
        !EVP_DigestFinal_ex(st->ctx, md, NULL))
        return -1;
    return 0;
}

/* The canonical form is "id|customer|currency|sku:qty:price;..." so two
 * orders with the same fields hash the same whatever their JSON layout. */
int transform_order(const char *json, size_t len, uint64_t expect_id, unsigned cost,
                    order_row_t *out)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    json_t *items, *id;
    char *canon = NULL;
    size_t canon_len = 0, canon_cap;
    unsigned char md[SHA256_DIGEST_LENGTH];
    int rc = -1;

    if (!root || !json_is_object(root))
        goto out;
    id = json_object_get(root, "id");
    if (!json_is_integer(id) || (uint64_t)json_integer_value(id) != expect_id)
        goto out;
    out->id = expect_id;
    if (copy_str(root, "customer", out->customer, sizeof out->customer) ||
        copy_str(root, "currency", out->currency, sizeof out->currency))
        goto out;
    items = json_object_get(root, "items");
    if (!json_is_array(items) || json_array_size(items) == 0)
        goto out;
    canon_cap = SHA256_DIGEST_LENGTH + 64 + json_array_size(items) * 48;
    canon = malloc(canon_cap);
    if (!canon)
        goto out;
    canon_len = SHA256_DIGEST_LENGTH;
    canon_len += (size_t)snprintf(canon + canon_len, canon_cap - canon_len, "%" PRIu64 "|%s|%s|",
                                  out->id, out->customer, out->currency);
    out->total_cents = 0;
    out->item_count = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        const char *sku = json_string_value(json_object_get(it, "sku"));
        json_t *qty = json_object_get(it, "qty"), *price = json_object_get(it, "price_cents");
        int n;
        if (!sku || !json_is_integer(qty) || !json_is_integer(price))
            goto out;
        n = snprintf(canon + canon_len, canon_cap - canon_len,
                     "%.20s:%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT ";", sku,
                     json_integer_value(qty), json_integer_value(price));
        if (n < 0 || (size_t)n >= canon_cap - canon_len)
            goto out;
        canon_len += (size_t)n;
        int64_t line;
        if (__builtin_mul_overflow(json_integer_value(qty), json_integer_value(price), &line) ||
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
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out->digest + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    free(canon);
    json_decref(root);
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

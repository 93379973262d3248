/* HTTP fetch set-up shared by every model: one place that configures a curl
 * easy handle for a lean keep-alive GET, classifies what came back, and (for
 * the blocking models) runs the whole fetch → transform with retries. */
#ifndef CONCBENCH_ENGINE_HTTP_H
#define CONCBENCH_ENGINE_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "workload/outcome.h"
#include "workload/retry.h"
#include "workload/transform.h"

typedef struct http_buf {
    char *data;
    size_t len, cap;
} http_buf_t;

/* Sets the options every fetch uses (no signals, small buffers, TCP_NODELAY,
 * keep-alive, timeout_ms for the whole transfer, body into buf). Returns
 * CURLE_OK or the first failing option's code. */
CURLcode http_easy_setup(CURL *h, http_buf_t *buf, int timeout_ms);

/* Writes "<api>/orders/<id>" into out. */
void http_url(char *out, size_t cap, const char *api, uint64_t id);

/* Error class of a finished transfer: CURLE_* first, then the HTTP status. */
err_class_t http_classify(CURLcode rc, long status);

/* Retry-After of the last response in ms, or -1. */
long http_retry_after_ms(CURL *h);

void http_buf_free(http_buf_t *b);

typedef struct http_fetch_ctx {
    CURL *h;
    http_buf_t buf;
    const char *api;
    unsigned transform_cost;
    retry_policy_t retry;
    outcome_table_t *out;
    volatile int *stop; /* optional: set non-zero to abandon retries */
} http_fetch_ctx_t;

/* Blocking fetch → transform of id with retries, recording every attempt
 * in the outcome table. Returns 0 with *row filled, or the error class of
 * the final failure (the caller records it with outcome_fail). */
err_class_t http_fetch_transform(http_fetch_ctx_t *c, uint64_t id, order_row_t *row);

#endif

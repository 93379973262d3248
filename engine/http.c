#include "engine/http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/limits.h"

static size_t http_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    http_buf_t *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->data, cap);
        if (!p)
            return 0; /* curl reports CURLE_WRITE_ERROR */
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* CURLOPT_PREREQFUNCTION with the handle's http_wire_t as data: refuses to
 * send a second request in one transfer, else the request goes on the wire
 * now (see http_easy_setup in http.h). */
static int http_prereq_cb(void *ud, char *conn_primary_ip, char *conn_local_ip,
                          int conn_primary_port, int conn_local_port)
{
    http_wire_t *w = ud;
    long sent = 0;
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    if (curl_easy_getinfo(w->h, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent > 0)
        return CURL_PREREQFUNC_ABORT;
    if (w->out)
        outcome_attempt_wire(w->out, w->id);
    return CURL_PREREQFUNC_OK;
}

CURLcode http_easy_setup(CURL *h, http_buf_t *buf, int timeout_ms, http_wire_t *wire)
{
    CURLcode rc;
    wire->h = h;
#define SET(opt, val)                                                                              \
    if ((rc = curl_easy_setopt(h, opt, val)) != CURLE_OK)                                          \
    return rc
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_BUFFERSIZE, (long)LIMIT_HTTP_RECV_BUFFER_BYTES);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_WRITEFUNCTION, http_write_cb);
    SET(CURLOPT_WRITEDATA, buf);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS,
        (long)(timeout_ms < LIMIT_HTTP_CONNECT_TIMEOUT_MAX_MS ? timeout_ms
                                                              : LIMIT_HTTP_CONNECT_TIMEOUT_MAX_MS));
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_PREREQFUNCTION, http_prereq_cb);
    SET(CURLOPT_PREREQDATA, wire);
#undef SET
    return CURLE_OK;
}

void http_url(char *out, size_t cap, const char *api, uint64_t id)
{
    snprintf(out, cap, "%s/orders/%" PRIu64, api, id);
}

err_class_t http_classify(CURLcode rc, long status)
{
    switch (rc) {
    case CURLE_OK:
        break;
    case CURLE_OPERATION_TIMEDOUT:
        return ERR_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return ERR_CONNECT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_ABORTED_BY_CALLBACK: /* http_send_once_cb refused a re-send */
        return ERR_RESET;
    default:
        return ERR_BAD_PAYLOAD;
    }
    if (status == 429)
        return ERR_HTTP_429;
    if (status >= 500)
        return ERR_HTTP_5XX;
    if (status >= 400 || status < 200 || status >= 300)
        return ERR_HTTP_4XX;
    return ERR_NONE;
}

long http_retry_after_ms(CURL *h)
{
    curl_off_t secs = -1;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &secs) != CURLE_OK || secs <= 0)
        return -1;
    return (long)secs * 1000; /* seconds to ms */
}

void http_buf_free(http_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

err_class_t http_fetch_transform(http_fetch_ctx_t *c, uint64_t id, order_row_t *row)
{
    char url[512];
    err_class_t err = ERR_NONE;

    http_url(url, sizeof url, c->api, id);
    c->wire.out = c->out;
    c->wire.id = id;
    if (curl_easy_setopt(c->h, CURLOPT_URL, url) != CURLE_OK)
        return ERR_CONNECT;
    for (int attempt = 1; attempt <= c->retry.retries + 1; attempt++) {
        long status = 0;
        CURLcode rc;

        if (attempt > 1) {
            if (c->stop && *c->stop)
                break;
            clock_sleep_ms(retry_backoff_ms(&c->retry, id, attempt, http_retry_after_ms(c->h)));
        }
        c->buf.len = 0;
        outcome_attempt_start(c->out, id);
        rc = curl_easy_perform(c->h);
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
        outcome_attempt_end(c->out, id, (int)status);
        err = http_classify(rc, status);
        if (err == ERR_NONE) {
            if (transform_order(c->buf.data ? c->buf.data : "", c->buf.len, id, c->transform_cost,
                                row) == 0) {
                outcome_fetched(c->out, id);
                return ERR_NONE;
            }
            err = ERR_BAD_PAYLOAD;
        }
        if (!retry_is_transient(err))
            break;
    }
    return err;
}

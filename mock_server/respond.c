/* What each request gets: routing, throttling, fault and latency decisions at
 * arrival (mockapi_respond_route), and the bytes of the answer when it is
 * due (mockapi_respond_render). The order body of the request at the head
 * of a connection's queue is generated when it is read
 * (mockapi_respond_prerender): writing is what must be quick when answers
 * fall due together. The requests pipelined behind it get their bodies at
 * send time, so a connection holds at most one body and a waiting request
 * otherwise costs only its small mockapi_pending_t. */
#include "mockapi.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ORDERS_PREFIX "/orders/"
/* Seconds a 429 asks the client to wait (the --max-inflight help promises
 * it): the shortest whole second, so a client that honours it slows down
 * without stalling the run. */
#define RESPOND_RETRY_AFTER_S "1"

enum { ALLOW_NONE, ALLOW_GET, ALLOW_POST };

static bool respond_path_is(const char *path, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(path, lit, len) == 0;
}

static bool respond_method_is(const http_request_t *req, const char *lit)
{
    return strlen(lit) == req->method_len && memcmp(req->method, lit, req->method_len) == 0;
}

/* Parses "/orders/{id}" (decimal, 1..max_id, no sign, no trailing bytes). */
static bool respond_order_id(const char *path, size_t len, uint64_t max_id, uint64_t *id)
{
    const size_t plen = sizeof ORDERS_PREFIX - 1;
    uint64_t v = 0;

    if (len <= plen || memcmp(path, ORDERS_PREFIX, plen) != 0 || len - plen > 10)
        return false;
    for (size_t i = plen; i < len; i++) {
        if (path[i] < '0' || path[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(path[i] - '0');
    }
    if (v < 1 || v > max_id)
        return false;
    *id = v;
    return true;
}

/* The token bucket, shared by all loops through one atomic word. */
static bool respond_rate_admit(mockapi_t *app)
{
    uint64_t now = uv_hrtime();
    uint64_t tat = atomic_load_explicit(&app->rate_tat, memory_order_relaxed);
    uint64_t next;

    for (;;) {
        if (!faults_gcra_admit(tat, now, app->rate_interval_ns, app->opt.burst, &next))
            return false;
        if (atomic_compare_exchange_weak_explicit(&app->rate_tat, &tat, next, memory_order_relaxed,
                                                  memory_order_relaxed))
            return true;
    }
}

static void respond_error_entry(mockapi_pending_t *e, int status, uint8_t allow)
{
    e->kind = REPLY_ERROR;
    e->status = (uint16_t)status;
    e->allow = allow;
}

/* GET /orders/{id}: rate limit, in-flight limit, then the draws. */
static void respond_route_order(mockapi_worker_t *w, mockapi_pending_t *e, uint64_t id,
                                uint64_t now_us)
{
    mockapi_t *app = w->app;
    const mockapi_options_t *o = &app->opt;
    uint32_t attempt = attempts_next(&app->attempts, id);
    double ms;

    if (o->rate > 0 && !respond_rate_admit(app)) {
        stats_request_throttled(&app->stats, STATS_THROTTLE_RATE);
        respond_error_entry(e, 429, ALLOW_NONE);
        return;
    }
    if (!stats_request_enter(&app->stats, o->max_inflight)) {
        respond_error_entry(e, 429, ALLOW_NONE);
        return;
    }
    e->inflight = true;
    e->kind = REPLY_ORDER;
    e->id = id;
    e->attempt = attempt;
    e->fault = (uint8_t)faults_decide(&o->faults, o->seed, id, attempt);
    stats_fault(&app->stats, (fault_kind_t)e->fault);
    ms = faults_latency_ms(&o->latency, o->seed, id, attempt);
    e->due_us = now_us + (uint64_t)llround(ms * 1000.0);
}

mockapi_pending_t *mockapi_respond_route(mockapi_worker_t *w, const http_request_t *req,
                                         uint64_t now_us)
{
    mockapi_t *app = w->app;
    mockapi_pending_t *e = calloc(1, sizeof *e);
    const char *q;
    size_t plen;
    uint64_t id;

    if (!e)
        return NULL;
    e->due_us = now_us;
    /* A request with a body we answer before reading it (Expect:
     * 100-continue) leaves the framing unknown: close after answering. */
    e->close_after = !req->keep_alive || (req->expect_continue && req->content_length > 0);
    e->keep_alive_hdr = !e->close_after && req->version_minor == 0;
    e->no_body = respond_method_is(req, "HEAD");
    q = memchr(req->target, '?', req->target_len);
    plen = q ? (size_t)(q - req->target) : req->target_len;

    if (respond_path_is(req->target, plen, "/__stats")) {
        e->admin = true;
        if (respond_method_is(req, "GET") || respond_method_is(req, "HEAD"))
            e->kind = REPLY_STATS;
        else
            respond_error_entry(e, 405, ALLOW_GET);
        return e;
    }
    if (respond_path_is(req->target, plen, "/__reset")) {
        e->admin = true;
        if (respond_method_is(req, "POST")) {
            stats_reset(&app->stats, uv_hrtime());
            attempts_clear(&app->attempts);
            atomic_store(&app->rate_tat, 0);
            e->kind = REPLY_RESET;
        } else {
            respond_error_entry(e, 405, ALLOW_POST);
        }
        return e;
    }
    /* HEAD is GET without the body (RFC 9110 9.3.2): monitors use it. */
    if (respond_order_id(req->target, plen, app->opt.max_id, &id) &&
        (respond_method_is(req, "GET") || e->no_body)) {
        respond_route_order(w, e, id, now_us);
        return e;
    }
    /* Anything else is answered at once but still counted and in flight. */
    stats_request_enter(&app->stats, 0);
    e->inflight = true;
    if (respond_order_id(req->target, plen, app->opt.max_id, &id))
        respond_error_entry(e, 405, ALLOW_GET);
    else
        respond_error_entry(e, 404, ALLOW_NONE);
    return e;
}

mockapi_pending_t *mockapi_respond_error(int status)
{
    mockapi_pending_t *e = calloc(1, sizeof *e);

    if (!e)
        return NULL;
    respond_error_entry(e, status, ALLOW_NONE);
    e->close_after = true;
    return e;
}

void mockapi_respond_release(mockapi_worker_t *w, mockapi_pending_t *e)
{
    if (e->inflight)
        stats_inflight_leave(&w->app->stats);
    free(e->body);
    free(e);
}

/* Generates the order's JSON into w->body; returns its length, or 0 when it
 * does not fit (never with body_cap from order_json_max). */
static size_t respond_order_body(mockapi_worker_t *w, const mockapi_pending_t *e)
{
    const mockapi_options_t *o = &w->app->opt;
    size_t len;

    order_generate(o->seed, e->id, o->items, w->order);
    len = order_to_json(w->order, w->body, w->body_cap);
    return len < w->body_cap ? len : 0;
}

void mockapi_respond_prerender(mockapi_worker_t *w, mockapi_pending_t *e)
{
    size_t len;

    if (e->kind != REPLY_ORDER || e->body || (e->fault != FAULT_NONE && e->fault != FAULT_BAD_BODY))
        return;
    len = respond_order_body(w, e);
    if (len == 0 || !(e->body = malloc(len)))
        return;
    memcpy(e->body, w->body, len);
    e->body_len = (uint32_t)len;
}

static const char *respond_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* Makes room for n more bytes in w->out. */
static int respond_reserve(mockapi_worker_t *w, size_t n)
{
    size_t cap = w->out_cap;
    char *p;

    if (w->out_len + n <= cap)
        return 0;
    while (cap < w->out_len + n)
        cap = cap ? cap * 2 : 4096;
    p = realloc(w->out, cap);
    if (!p)
        return -ENOMEM;
    w->out = p;
    w->out_cap = cap;
    return 0;
}

static const char *respond_date(mockapi_worker_t *w)
{
    time_t now = time(NULL);
    struct tm tm;

    if ((int64_t)now != w->date_sec) {
        gmtime_r(&now, &tm);
        strftime(w->date, sizeof w->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        w->date_sec = (int64_t)now;
    }
    return w->date;
}

/* Upper bound of a response head: status line, five headers, the blank line. */
#define RESPOND_HEAD_MAX 320

static char *respond_put(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *respond_put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int i = 0;

    do
        tmp[i++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (i > 0)
        *p++ = tmp[--i];
    return p;
}

/* Appends head and body. The head is assembled by hand rather than with
 * snprintf: at tens of thousands of answers a second printf is a visible
 * share of mockapi's CPU. */
static int respond_append(mockapi_worker_t *w, const mockapi_pending_t *e, int status,
                          const char *body, size_t len)
{
    char *start, *p;

    if (respond_reserve(w, RESPOND_HEAD_MAX + len) != 0)
        return -ENOMEM;
    start = p = w->out + w->out_len;
    p = respond_put(p, "HTTP/1.1 ");
    p = respond_put_u64(p, (uint64_t)status);
    *p++ = ' ';
    p = respond_put(p, respond_reason(status));
    p = respond_put(p, "\r\nServer: mockapi\r\nDate: ");
    p = respond_put(p, respond_date(w));
    p = respond_put(p, "\r\nContent-Type: application/json\r\nContent-Length: ");
    p = respond_put_u64(p, len);
    p = respond_put(p, "\r\n");
    if (e->close_after)
        p = respond_put(p, "Connection: close\r\n");
    else if (e->keep_alive_hdr)
        p = respond_put(p, "Connection: keep-alive\r\n");
    if (status == 429)
        p = respond_put(p, "Retry-After: " RESPOND_RETRY_AFTER_S "\r\n");
    if (e->allow == ALLOW_GET)
        p = respond_put(p, "Allow: GET, HEAD\r\n");
    else if (e->allow == ALLOW_POST)
        p = respond_put(p, "Allow: POST\r\n");
    p = respond_put(p, "\r\n");
    if (e->no_body)
        len = 0;
    memcpy(p, body, len);
    w->out_len += (size_t)(p - start) + len;
    return 0;
}

/* The knobs, echoed in /__stats so a result file records what it ran against. */
static json_t *respond_config_json(const mockapi_t *app)
{
    static const char *const dists[] = {"fixed", "uniform", "normal", "lognormal", "exponential"};
    const mockapi_options_t *o = &app->opt;

    return json_pack(
        "{s:s, s:i, s:i, s:I, s:i, s:I, s:s, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
        "s:I, s:f, s:I, s:f, s:f, s:f, s:f, s:I, s:I}",
        "host", o->host, "port", app->port, "threads", o->threads, "seed", (json_int_t)o->seed,
        "items", o->items, "max_id", (json_int_t)o->max_id, "latency_dist", dists[o->latency.dist],
        "latency_ms", o->latency.ms, "latency_min_ms", o->latency.min_ms, "latency_max_ms",
        o->latency.max_ms, "latency_sd_ms", o->latency.sd_ms, "latency_sigma", o->latency.sigma,
        "tail_pct", o->latency.tail_pct, "tail_ms", o->latency.tail_ms, "max_inflight",
        (json_int_t)o->max_inflight, "rate", o->rate, "burst", (json_int_t)o->burst, "fail_rate",
        o->faults.fail_rate, "reset_rate", o->faults.reset_rate, "hang_rate", o->faults.hang_rate,
        "bad_body_rate", o->faults.bad_body_rate, "header_timeout_ms",
        (json_int_t)o->header_timeout_ms, "idle_timeout_ms", (json_int_t)o->idle_timeout_ms);
}

static int respond_render_stats(mockapi_worker_t *w, const mockapi_pending_t *e)
{
    json_t *o = stats_to_json(&w->app->stats, uv_hrtime());
    char *text = NULL;
    int rc = -ENOMEM;

    if (o && json_object_set_new(o, "config", respond_config_json(w->app)) == 0)
        text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (text)
        rc = respond_append(w, e, 200, text, strlen(text));
    free(text);
    json_decref(o);
    return rc;
}

/* Spoils a 200 body for FAULT_BAD_BODY; returns the length to send. */
static size_t respond_spoil(const mockapi_pending_t *e, uint64_t seed, char *body, size_t len)
{
    char *quote;

    if (faults_bad_body_kind(seed, e->id, e->attempt) == BAD_BODY_TRUNCATED)
        return len / 2;
    quote = memchr(body, '"', len);
    if (quote)
        *quote = '\'';
    return len;
}

int mockapi_respond_render(mockapi_worker_t *w, const mockapi_pending_t *e)
{
    const mockapi_options_t *o = &w->app->opt;
    char small[96];
    int status = e->status;
    bool order_ok = false;
    int rc;

    switch (e->kind) {
    case REPLY_STATS:
        return respond_render_stats(w, e);
    case REPLY_RESET:
        return respond_append(w, e, 200, "{\"reset\":true}", 14);
    case REPLY_ORDER:
        if (e->fault == FAULT_FAIL) {
            int n = snprintf(small, sizeof small,
                             "{\"error\":\"injected failure\",\"id\":%" PRIu64 "}", e->id);
            status = 503;
            rc = respond_append(w, e, status, small, (size_t)n);
        } else {
            char *body = e->body ? e->body : w->body;
            size_t len = e->body ? e->body_len : respond_order_body(w, e);
            if (len == 0)
                return -EOVERFLOW;
            if (e->fault == FAULT_BAD_BODY)
                len = respond_spoil(e, o->seed, body, len);
            status = 200;
            order_ok = true;
            rc = respond_append(w, e, status, body, len);
        }
        break;
    case REPLY_ERROR:
    default: {
        int n = snprintf(small, sizeof small, "{\"error\":\"%s\"}", respond_reason(status));
        rc = respond_append(w, e, status, small, (size_t)n);
        break;
    }
    }
    if (rc == 0 && !e->admin)
        stats_response(&w->app->stats, status, order_ok);
    return rc;
}

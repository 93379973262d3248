#include "engine/loop_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/fdlimit.h"
#include "common/log.h"
#include "engine/http.h"
#include "engine/uv_curl.h"
#include "engine/uv_pq.h"
#include "workload/order.h"
#include "workload/retry.h"
#include "workload/transform.h"

/* One request slot: an easy handle configured once through
 * http_easy_setup, its response buffer, and a backoff timer initialised on
 * first use. A released slot goes to a free list of at most
 * loop_engine_spare() slots for the next id; beyond that it is destroyed, so
 * an unbounded burst does not keep N easy handles once it drains. */
typedef struct loop_req {
    struct loop_req *next_free;
    struct loop_req *next_parked; /* offload: waiting for room in the hand-off */
    size_t index;                 /* in eng->reqs */
    loop_engine_t *eng;
    uv_curl_t *cu; /* the shard its easy handle (and connection) lives in */
    CURL *easy;
    http_wire_t wire; /* out fixed, id set per id (see http_easy_setup) */
    http_buf_t buf;
    uv_timer_t backoff;
    int backoff_inited;
    int in_multi;
    uint64_t id;
    int attempt; /* attempts made for id so far */
} loop_req_t;

/* A FIFO of ids that grows by doubling. */
typedef struct id_ring {
    uint64_t *ids;
    size_t head, len, cap;
} id_ring_t;

struct loop_engine {
    loop_engine_config_t cfg;
    const job_t *job;
    retry_policy_t retry;
    uv_curl_t **shards; /* see LIMIT_LOOP_SHARD_CONNS */
    int nshards;
    uv_pq_pool_t *db; /* NULL when db_conns is -1 */
    loop_req_t *parked, *parked_tail;
    int next_shard;
    loop_req_t *free_reqs;
    uint32_t nfree;
    loop_req_t **reqs; /* every live slot, for close */
    size_t nreqs, reqs_cap;
    id_ring_t waiting;     /* ids waiting for a slot (inflight_limit) */
    id_ring_t starting;    /* ids started, waiting for their turn to reach curl */
    uint32_t start_budget; /* ids curl may still be given in this loop turn */
    uv_check_t starter;    /* see loop_engine_start */
    uv_idle_t spinner;
    uint32_t active; /* slots in use (fetching or backing off) */
    uint64_t unsettled;
    uint64_t *ids; /* batch_size scratch for on_committed */
    long curl_bufsize;
    int failed;
    int db_error_printed;
    int closing; /* close callbacks still to come */
};

static void loop_engine_fail(loop_engine_t *e, const char *msg)
{
    if (e->failed)
        return;
    e->failed = 1;
    e->cfg.on_error(e->cfg.ud, msg);
}

static int id_ring_push(id_ring_t *q, uint64_t id)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 1024;
        uint64_t *p = malloc(cap * sizeof *p);
        if (!p)
            return -1;
        for (size_t i = 0; i < q->len; i++)
            p[i] = q->ids[(q->head + i) % q->cap];
        free(q->ids);
        q->ids = p;
        q->cap = cap;
        q->head = 0;
    }
    q->ids[(q->head + q->len) % q->cap] = id;
    q->len++;
    return 0;
}

static uint64_t id_ring_pop(id_ring_t *q)
{
    uint64_t id = q->ids[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return id;
}

static void id_ring_free(id_ring_t *q)
{
    free(q->ids);
    memset(q, 0, sizeof *q);
}

/* Reports ids to the owner; they are final. */
static void loop_engine_settle(loop_engine_t *e, const uint64_t *ids, int n, int ok)
{
    e->unsettled -= (uint64_t)n;
    e->cfg.on_committed(e->cfg.ud, ids, n, ok);
}

/* Nothing is being fetched and nothing waits for a slot: no row is coming
 * soon, so the partial batch goes now instead of after the flush timer. */
static void loop_engine_flush_if_idle(loop_engine_t *e)
{
    if (e->db && e->active == 0 && e->waiting.len == 0 && e->starting.len == 0)
        uv_pq_pool_flush(e->db);
}

static loop_req_t *loop_req_new(loop_engine_t *e)
{
    loop_req_t *r;
    CURLcode rc;
    char msg[200];

    if (e->nreqs == e->reqs_cap) {
        size_t cap = e->reqs_cap ? 2 * e->reqs_cap : 256;
        loop_req_t **p = realloc(e->reqs, cap * sizeof *p);
        if (!p) {
            loop_engine_fail(e, "out of memory for request slots");
            return NULL;
        }
        e->reqs = p;
        e->reqs_cap = cap;
    }
    r = calloc(1, sizeof *r);
    if (!r || !(r->easy = curl_easy_init())) {
        free(r);
        loop_engine_fail(e, "curl_easy_init failed (out of memory?)");
        return NULL;
    }
    r->eng = e;
    r->cu = e->shards[e->next_shard];
    e->next_shard = (e->next_shard + 1) % e->nshards;
    r->wire.out = e->job->out;
    if ((rc = http_easy_setup(r->easy, &r->buf, e->job->timeout_ms, &r->wire)) != CURLE_OK ||
        (rc = curl_easy_setopt(r->easy, CURLOPT_BUFFERSIZE, e->curl_bufsize)) != CURLE_OK ||
        (rc = curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r)) != CURLE_OK) {
        snprintf(msg, sizeof msg, "setting up a curl handle: %s", curl_easy_strerror(rc));
        curl_easy_cleanup(r->easy);
        free(r);
        loop_engine_fail(e, msg);
        return NULL;
    }
    r->index = e->nreqs;
    e->reqs[e->nreqs++] = r;
    return r;
}

/* A slot for the next id: a spare one, else a new one (NULL after
 * loop_engine_fail). */
static loop_req_t *loop_req_get(loop_engine_t *e)
{
    loop_req_t *r = e->free_reqs;
    if (!r)
        return loop_req_new(e);
    e->free_reqs = r->next_free;
    e->nfree--;
    return r;
}

static void loop_req_freed_cb(uv_handle_t *h)
{
    free(h->data);
}

/* Frees a slot that is in no list and not in the multi handle. Its
 * connection stays in curl's cache for the next slot of its shard. */
static void loop_req_destroy(loop_engine_t *e, loop_req_t *r)
{
    loop_req_t *last = e->reqs[--e->nreqs];
    last->index = r->index;
    e->reqs[r->index] = last;
    curl_easy_cleanup(r->easy);
    http_buf_free(&r->buf);
    if (r->backoff_inited)
        uv_close((uv_handle_t *)&r->backoff, loop_req_freed_cb);
    else
        free(r);
}

/* Spare slots worth keeping: with a limit, every slot is reused as soon as
 * an id waits; without one, ids arrive in bursts and a few spares cover the
 * stragglers. */
static uint32_t loop_engine_spare(const loop_engine_t *e)
{
    return e->cfg.inflight_limit ? e->cfg.inflight_limit : LIMIT_LOOP_SPARE_SLOTS;
}

static void loop_engine_start(loop_engine_t *e, uint64_t id);

/* Gives the slot back and lets waiting ids in. */
static void loop_req_release(loop_req_t *r)
{
    loop_engine_t *e = r->eng;
    e->active--;
    if (e->nfree < loop_engine_spare(e)) {
        r->next_free = e->free_reqs;
        e->free_reqs = r;
        e->nfree++;
    } else {
        loop_req_destroy(e, r);
    }
    while (!e->failed && e->waiting.len &&
           (e->cfg.inflight_limit == 0 || e->active < e->cfg.inflight_limit)) {
        e->active++;
        loop_engine_start(e, id_ring_pop(&e->waiting));
    }
    if (e->cfg.on_room && !e->failed && loop_engine_has_room(e))
        e->cfg.on_room(e->cfg.ud);
}

/* A request failed for good with class err. */
static void loop_req_fail(loop_req_t *r, err_class_t err)
{
    loop_engine_t *e = r->eng;
    uint64_t id = r->id;
    outcome_fail(e->job->out, id, err);
    loop_req_release(r);
    loop_engine_settle(e, &id, 1, 0);
    loop_engine_flush_if_idle(e);
}

/* One attempt of r->id, to curl at once. Its start is recorded here unless
 * recorded is set (the id waited in the start queue with its attempt
 * already open). */
static void loop_req_attempt(loop_req_t *r, int recorded)
{
    loop_engine_t *e = r->eng;
    char url[512];

    http_url(url, sizeof url, e->job->api_url, r->id);
    r->attempt++;
    r->buf.len = 0;
    if (!recorded)
        outcome_attempt_start(e->job->out, r->id);
    e->start_budget -= e->start_budget > 0; /* retries are few: never queued */
    if (curl_easy_setopt(r->easy, CURLOPT_URL, url) != CURLE_OK) {
        outcome_attempt_end(e->job->out, r->id, 0);
        loop_req_fail(r, ERR_CONNECT); /* as http_fetch_transform does */
        return;
    }
    if (uv_curl_add(r->cu, r->easy)) {
        outcome_attempt_end(e->job->out, r->id, 0);
        loop_engine_fail(e, uv_curl_error(r->cu));
        return;
    }
    r->in_multi = 1;
}

/* A slot for id and its first attempt (recorded: see loop_req_attempt). */
static void loop_engine_launch(loop_engine_t *e, uint64_t id, int recorded)
{
    loop_req_t *r = loop_req_get(e);
    if (!r)
        return; /* loop_engine_fail has been called */
    r->id = id;
    r->wire.id = id;
    r->attempt = 0;
    loop_req_attempt(r, recorded);
}

/* An active idle handle makes the poll phase return at once; the work is
 * done in loop_engine_starter_cb. */
static void loop_engine_spin_cb(uv_idle_t *h)
{
    (void)h;
}

/* Starts id, which already counts in e->active (its inflight_limit slot).
 * Why a start queue: curl_multi_add_handle only schedules a transfer; the
 * connect happens in curl's next timer callback, for every handle added
 * since. Adding 10,000 at once made one callback do 10,000
 * socket()+connect() (~1 s) before any request was sent, then epoll
 * reported every socket writable before any readable (its ready list is
 * FIFO), so requests were sent, read and closed in bulk phases: the mock saw
 * 941-3,695 of 10,000 in flight, p50 1.6-2.3 s against a 50 ms API, 174 MB.
 * So at most LIMIT_LOOP_START_SLICE ids reach curl per loop turn, and only
 * then get an easy handle (creating 10,000 up front took 0.7 s); the poll
 * phase between two slices sends and reads whatever is ready. The id's
 * attempt starts here all the same, without any limit: the queue only
 * decides in which turn curl hears of it, as curl's timer did before. */
static void loop_engine_start(loop_engine_t *e, uint64_t id)
{
    if (e->starting.len == 0 && e->start_budget > 0) {
        loop_engine_launch(e, id, 0);
        return;
    }
    if (id_ring_push(&e->starting, id)) {
        loop_engine_fail(e, "out of memory queueing ids");
        return;
    }
    outcome_attempt_start(e->job->out, id);
    uv_idle_start(&e->spinner, loop_engine_spin_cb); /* no-op when active */
}

/* Runs after every poll phase: a new turn's budget, spent on the start
 * queue, oldest first. Unref'd, so it alone never keeps uv_run going. */
static void loop_engine_starter_cb(uv_check_t *h)
{
    loop_engine_t *e = h->data;
    e->start_budget = LIMIT_LOOP_START_SLICE;
    while (e->starting.len && e->start_budget > 0 && !e->failed)
        loop_engine_launch(e, id_ring_pop(&e->starting), 1);
    if (!e->starting.len)
        uv_idle_stop(&e->spinner);
}

static void loop_req_backoff_cb(uv_timer_t *t)
{
    loop_req_attempt(t->data, 0);
}

/* The attempt of r->id ended with err (ERR_NONE: *row is its transform).
 * Success → the row to the pool. A transient failure with attempts left →
 * backoff timer. Else the request fails. */
static void loop_req_attempt_done(loop_req_t *r, err_class_t err, const order_row_t *row)
{
    loop_engine_t *e = r->eng;
    int rc2;

    if (err == ERR_NONE) {
        outcome_fetched(e->job->out, r->id);
        loop_req_release(r);
        uv_pq_pool_add(e->db, row);
        loop_engine_flush_if_idle(e);
        return;
    }
    if (retry_is_transient(err) && r->attempt <= e->retry.retries) {
        int delay =
            retry_backoff_ms(&e->retry, r->id, r->attempt + 1, http_retry_after_ms(r->easy));
        if (!r->backoff_inited) {
            if ((rc2 = uv_timer_init(e->cfg.loop, &r->backoff))) {
                char msg[160];
                snprintf(msg, sizeof msg, "done_cb: uv_timer_init: %s", uv_strerror(rc2));
                loop_engine_fail(e, msg);
                return;
            }
            r->backoff.data = r;
            r->backoff_inited = 1;
        }
        if ((rc2 = uv_timer_start(&r->backoff, loop_req_backoff_cb, (uint64_t)delay, 0))) {
            char msg[160];
            snprintf(msg, sizeof msg, "done_cb: uv_timer_start: %s", uv_strerror(rc2));
            loop_engine_fail(e, msg);
        }
        return;
    }
    loop_req_fail(r, err);
}

/* Offers r's body to the owner's transform (cfg.offload). Returns 1 when
 * the hand-off is full (r is not parked by this call), else 0. */
static int loop_req_offer(loop_req_t *r)
{
    loop_engine_t *e = r->eng;
    uint64_t id = r->id;
    int rc = e->cfg.offload(e->cfg.ud, r, id, r->buf.data ? r->buf.data : "", r->buf.len);
    if (rc == LOOP_OFFLOAD_FULL)
        return 1;
    if (rc == LOOP_OFFLOAD_GONE) {
        loop_req_release(r);
        loop_engine_settle(e, &id, 1, LOOP_ENGINE_HANDED_OFF);
        loop_engine_flush_if_idle(e);
    }
    return 0;
}

static void loop_req_park(loop_engine_t *e, loop_req_t *r)
{
    r->next_parked = NULL;
    if (e->parked_tail)
        e->parked_tail->next_parked = r;
    else
        e->parked = r;
    e->parked_tail = r;
}

void loop_engine_offload_resume(loop_engine_t *e)
{
    while (e->parked && !e->failed) {
        loop_req_t *r = e->parked;
        e->parked = r->next_parked;
        if (!e->parked)
            e->parked_tail = NULL;
        if (loop_req_offer(r)) {
            r->next_parked = e->parked; /* back at the head: still the oldest */
            e->parked = r;
            if (!e->parked_tail)
                e->parked_tail = r;
            return;
        }
    }
}

void loop_engine_transformed(loop_engine_t *e, void *tag, const order_row_t *row)
{
    if (e->failed)
        return;
    loop_req_attempt_done(tag, row ? ERR_NONE : ERR_BAD_PAYLOAD, row);
}

/* uv_curl: a transfer finished. Success → transform here, on the loop
 * thread (this model's honest cost), or hand the body to cfg.offload. */
static void loop_engine_done_cb(void *ud, CURL *easy, CURLcode rc)
{
    loop_engine_t *e = ud;
    loop_req_t *r;
    char *priv = NULL;
    long status = 0;
    err_class_t err;
    order_row_t row;

    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv) {
        loop_engine_fail(e, "done_cb: curl_easy_getinfo(CURLINFO_PRIVATE) failed");
        return;
    }
    r = (loop_req_t *)(void *)priv;
    r->in_multi = 0;
    if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0; /* no response: classified by rc alone */
    outcome_attempt_end(e->job->out, r->id, (int)status);
    err = http_classify(rc, status);
    if (err == ERR_NONE && e->cfg.offload) {
        /* Oldest first: a parked request goes before this one. */
        if (e->parked || loop_req_offer(r))
            loop_req_park(e, r);
        return;
    }
    if (err == ERR_NONE && transform_order(r->buf.data ? r->buf.data : "", r->buf.len, r->id,
                                           e->job->transform_cost, &row) != 0)
        err = ERR_BAD_PAYLOAD;
    loop_req_attempt_done(r, err, &row);
}

static void loop_engine_curl_error_cb(void *ud, const char *msg)
{
    char line[300];
    snprintf(line, sizeof line, "curl/libuv: %s", msg);
    loop_engine_fail(ud, line);
}

/* uv_pq: a batch is committed or failed for good. */
static void loop_engine_pool_batch_cb(void *ud, const order_row_t *rows, int n, int ok,
                                      const char *err)
{
    loop_engine_t *e = ud;
    for (int i = 0; i < n; i++) {
        e->ids[i] = rows[i].id;
        if (ok)
            outcome_done(e->job->out, rows[i].id);
        else
            outcome_fail(e->job->out, rows[i].id, ERR_DB);
    }
    /* Failed rows are data (class db in the table); the first reason is
     * worth one line, or nobody can tell why. */
    if (!ok && !e->db_error_printed) {
        e->db_error_printed = 1;
        fprintf(stderr, "%s: first failed batch (%d rows): %s\n", e->cfg.name, n, err);
    }
    loop_engine_settle(e, e->ids, n, ok);
}

static void loop_engine_pool_ready_cb(void *ud, const char *err)
{
    loop_engine_t *e = ud;
    if (err) {
        loop_engine_fail(e, err);
        return;
    }
    e->cfg.on_ready(e->cfg.ud);
}

/* curl allocates its receive buffer per transfer, so with thousands in
 * flight its size is much of what a transfer costs: one whole response
 * (the body bound plus headers) is enough to read it in one go. Never above
 * the shared LIMIT_HTTP_RECV_BUFFER_BYTES, never below curl's minimum. */
static long loop_engine_curl_bufsize(int items)
{
    long want = (long)order_json_max(items) + LIMIT_HTTP_HEAD_MAX;
    if (want < LIMIT_HTTP_RECV_BUFFER_MIN_BYTES)
        want = LIMIT_HTTP_RECV_BUFFER_MIN_BYTES;
    return want < LIMIT_HTTP_RECV_BUFFER_BYTES ? want : LIMIT_HTTP_RECV_BUFFER_BYTES;
}

loop_engine_t *loop_engine_create(const loop_engine_config_t *cfg, char *err, size_t errlen)
{
    loop_engine_t *e = calloc(1, sizeof *e);
    const job_t *job = cfg->job;
    int batch = job->batch_size > 0 ? job->batch_size : 1;
    long maxconn = cfg->max_connects > 0 ? cfg->max_connects : (long)cfg->inflight_limit;
    uv_pq_config_t pc = {0};

    if (!e || !(e->ids = calloc((size_t)batch, sizeof *e->ids))) {
        snprintf(err, errlen, "out of memory");
        free(e);
        return NULL;
    }
    e->cfg = *cfg;
    e->job = job;
    e->retry = retry_policy_of(job);
    e->curl_bufsize = loop_engine_curl_bufsize(job->items);
    if (maxconn < 1)
        maxconn = 1;
    e->nshards = (int)((maxconn + LIMIT_LOOP_SHARD_CONNS - 1) / LIMIT_LOOP_SHARD_CONNS);
    if (!(e->shards = calloc((size_t)e->nshards, sizeof *e->shards))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < e->nshards; i++) {
        e->shards[i] =
            uv_curl_create(cfg->loop, (maxconn + e->nshards - 1) / e->nshards, loop_engine_done_cb,
                           loop_engine_curl_error_cb, e, err, errlen);
        if (!e->shards[i])
            goto fail;
    }
    if (cfg->db_conns < 0)
        goto no_pool;
    pc.loop = cfg->loop;
    pc.dsn = job->pg_dsn;
    pc.run_id = job->run_id;
    pc.conns = cfg->db_conns > 0 ? cfg->db_conns : LOOP_ENGINE_DB_CONNS;
    pc.batch_size = batch;
    pc.flush_ms = LIMIT_LOOP_FLUSH_MS;
    pc.connect_timeout_ms = LIMIT_PG_LOOP_CONNECT_TIMEOUT_MS;
    pc.opened = &job->out->db_conns;
    pc.ready_cb = loop_engine_pool_ready_cb;
    pc.batch_cb = loop_engine_pool_batch_cb;
    pc.ud = e;
    e->db = uv_pq_pool_create(&pc, err, errlen);
    if (!e->db)
        goto fail;
no_pool:
    /* Documented never to fail (init) or to fail only without a callback
     * (start). */
    uv_check_init(cfg->loop, &e->starter);
    uv_idle_init(cfg->loop, &e->spinner);
    e->starter.data = e;
    e->spinner.data = e;
    e->start_budget = LIMIT_LOOP_START_SLICE;
    uv_check_start(&e->starter, loop_engine_starter_cb);
    uv_unref((uv_handle_t *)&e->starter);
    return e;
fail:
    /* A created shard's timer is initialised: it closes through the loop. */
    for (int i = 0; e->shards && i < e->nshards && e->shards[i]; i++)
        uv_curl_close(e->shards[i], NULL, NULL);
    free(e->shards);
    free(e->ids);
    free(e);
    return NULL;
}

int loop_engine_submit(loop_engine_t *e, uint64_t id)
{
    if (e->failed)
        return -1;
    outcome_queued(e->job->out, id);
    e->unsettled++;
    if (e->cfg.inflight_limit && e->active >= e->cfg.inflight_limit) {
        if (id_ring_push(&e->waiting, id)) {
            e->unsettled--;
            loop_engine_fail(e, "out of memory queueing ids");
            return -1;
        }
        return 0;
    }
    e->active++;
    loop_engine_start(e, id);
    return e->failed ? -1 : 0;
}

int loop_engine_has_room(const loop_engine_t *e)
{
    return e->waiting.len == 0 && (e->cfg.inflight_limit == 0 || e->active < e->cfg.inflight_limit);
}

uint64_t loop_engine_unsettled(const loop_engine_t *e)
{
    return e->unsettled;
}

static void loop_engine_part_closed(void *ud)
{
    loop_engine_t *e = ud;
    if (--e->closing > 0)
        return;
    free(e->reqs);
    free(e->shards);
    free(e);
}

static void loop_engine_handle_closed_cb(uv_handle_t *h)
{
    loop_engine_part_closed(h->data);
}

static void loop_req_timer_closed_cb(uv_handle_t *h)
{
    loop_req_t *r = h->data;
    loop_engine_t *e = r->eng;
    free(r);
    loop_engine_part_closed(e);
}

void loop_engine_close(loop_engine_t *e)
{
    /* The curl shards, the pool, starter and spinner. */
    e->closing = e->nshards + 2 + (e->db != NULL);
    uv_close((uv_handle_t *)&e->starter, loop_engine_handle_closed_cb);
    uv_close((uv_handle_t *)&e->spinner, loop_engine_handle_closed_cb);
    /* curl's documented order: easy handles off the multi handle, then
     * cleaned up, then the multi handle. */
    for (size_t i = 0; i < e->nreqs; i++) {
        loop_req_t *r = e->reqs[i];
        if (r->in_multi)
            uv_curl_remove(r->cu, r->easy);
        curl_easy_cleanup(r->easy);
        http_buf_free(&r->buf);
        if (r->backoff_inited) {
            e->closing++;
            uv_close((uv_handle_t *)&r->backoff, loop_req_timer_closed_cb);
        } else {
            free(r);
        }
    }
    e->nreqs = 0;
    e->free_reqs = NULL;
    for (int i = 0; i < e->nshards; i++)
        uv_curl_close(e->shards[i], loop_engine_part_closed, e);
    if (e->db)
        uv_pq_pool_close(e->db, loop_engine_part_closed, e);
    e->parked = e->parked_tail = NULL;
    id_ring_free(&e->waiting);
    id_ring_free(&e->starting);
    free(e->ids);
    e->ids = NULL;
}

/* ---- the model driver: ids 1..N on a private loop ---- */

typedef struct loop_run {
    const job_t *job;
    uv_loop_t *loop;
    loop_engine_t *eng;
    const loop_engine_hooks_t *hooks;
    uint64_t next_id; /* the next id to submit (1..N) */
    int feeding;      /* loop_run_feed is on the stack */
    uint64_t settled;
    int failed;
    char err[300];
} loop_run_t;

static int loop_run_offload(void *ud, void *tag, uint64_t id, const char *body, size_t len)
{
    const loop_engine_hooks_t *h = ((loop_run_t *)ud)->hooks;
    return h->offload(h->ud, tag, id, body, len);
}

/* Submits the next ids: all that are left, or with take_when_free only
 * while the engine has room. Submitting can settle an id at once and so
 * call on_room again from inside: that call returns, and this loop, which
 * checks for room before every id, goes on. */
static void loop_run_feed(void *ud)
{
    loop_run_t *run = ud;
    int lazy = run->hooks && run->hooks->take_when_free;
    if (run->feeding)
        return;
    run->feeding = 1;
    while (run->next_id <= run->job->requests && (!lazy || loop_engine_has_room(run->eng))) {
        if (loop_engine_submit(run->eng, run->next_id))
            break; /* on_error has stopped the loop */
        run->next_id++;
    }
    run->feeding = 0;
}

static void loop_run_error(void *ud, const char *msg)
{
    loop_run_t *run = ud;
    if (!run->failed) {
        run->failed = 1;
        snprintf(run->err, sizeof run->err, "%s", msg);
    }
    uv_stop(run->loop);
}

static void loop_run_committed(void *ud, const uint64_t *ids, int n, int ok)
{
    loop_run_t *run = ud;
    (void)ids;
    (void)ok;
    run->settled += (uint64_t)n;
    if (run->settled >= run->job->requests)
        uv_stop(run->loop);
}

/* Raises the soft fd limit to the hard one: every in-flight request holds a
 * socket. Says so once when even the hard limit is short. */
int loop_engine_run_job(const job_t *job, uint32_t inflight_limit, const char *model)
{
    return loop_engine_run_hooked(job, inflight_limit, model, NULL);
}

int loop_engine_run_hooked(const job_t *job, uint32_t inflight_limit, const char *model,
                           const loop_engine_hooks_t *hooks)
{
    uv_loop_t loop;
    loop_run_t run = {.job = job, .loop = &loop, .hooks = hooks, .next_id = 1};
    /* No more than N requests can be in flight, whatever the limit. */
    uint32_t width =
        inflight_limit && inflight_limit < job->requests ? inflight_limit : job->requests;
    loop_engine_config_t cfg = {
        .loop = &loop,
        .job = job,
        .inflight_limit = inflight_limit,
        .max_connects = width > 0 ? (long)width : 1,
        .db_conns = hooks && hooks->db_conns ? hooks->db_conns : job->db_conns,
        .name = model,
        .on_committed = loop_run_committed,
        .on_ready = loop_run_feed,
        .on_error = loop_run_error,
        .offload = hooks && hooks->offload ? loop_run_offload : NULL,
        .on_room = hooks && hooks->take_when_free ? loop_run_feed : NULL,
        .ud = &run,
    };
    int attached = 0;
    char err[300];
    int rc;

    fdlimit_raise(width);
    if ((rc = uv_loop_init(&loop))) {
        log_error("uv_loop_init: %s", uv_strerror(rc));
        return 2;
    }
    run.eng = loop_engine_create(&cfg, err, sizeof err);
    if (!run.eng) {
        log_error("%s", err);
        uv_run(&loop, UV_RUN_DEFAULT); /* lets partly created handles close */
        uv_loop_close(&loop);
        return 2;
    }
    atomic_store(&job->out->workers_peak, 1); /* attach may say more */
    if (hooks && hooks->attach) {
        if (hooks->attach(hooks->ud, &loop, run.eng, err, sizeof err))
            loop_run_error(&run, err);
        else
            attached = 1;
    }
    /* Without a pool nothing waits for PostgreSQL: the ids go now. */
    if (!run.failed && cfg.db_conns < 0)
        loop_run_feed(&run);
    if (!run.failed && job->requests > 0)
        uv_run(&loop, UV_RUN_DEFAULT);
    if (attached && hooks->detach)
        hooks->detach(hooks->ud);
    loop_engine_close(run.eng);
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&loop);
    if (run.failed) {
        log_error("%s", run.err);
        return 2;
    }
    if (rc) {
        log_error("uv_loop_close: %s (a handle was left open)", uv_strerror(rc));
        return 2;
    }
    if (run.settled < job->requests) {
        log_error("the loop ran dry with %llu of %u requests settled",
                  (unsigned long long)run.settled, job->requests);
        return 2;
    }
    return 0;
}

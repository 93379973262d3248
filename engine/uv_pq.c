#include "engine/uv_pq.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pg_batch.h"

typedef struct uv_pq_batch {
    struct uv_pq_batch *next;
    pg_batch_t rows;
    int sends;     /* times handed to a connection */
    int ok;        /* its statement succeeded (decided at its sync) */
    char err[200]; /* why the statement failed */
} uv_pq_batch_t;

typedef struct uv_pq_fifo {
    uv_pq_batch_t *head, *tail;
    int n;
} uv_pq_fifo_t;

/* Connection states.
 *
 * CONNECTING: PQconnectPoll drives the handshake; the poll watches whatever
 * it last asked for. The socket may change between calls (libpq tries the
 * next address), so the poll handle follows PQsocket.
 *
 * PREPARING: connected, non-blocking, in pipeline mode; the PQsendPrepare of
 * the upsert and its sync are in the pipeline. Its sync's arrival decides:
 * statement OK -> READY, else the pool cannot be used.
 *
 * READY: takes batches. The poll always watches readable (results, or the
 * server closing) and also writable while PQflush has output left.
 *
 * DEAD: closed after an error; its batches went back to the pool. */
enum { UV_PQ_CONNECTING, UV_PQ_PREPARING, UV_PQ_READY, UV_PQ_DEAD };

typedef struct uv_pq_conn {
    uv_pq_pool_t *pool;
    int index;
    PGconn *pg;
    uv_poll_t *poll; /* NULL when not watching; freed by its close callback */
    int fd;
    int events; /* what poll is started with (0: stopped) */
    int state;
    int want_write;
    int await_null; /* a statement's results are out; its NULL terminator is next */
    int prep_ok;
    char prep_err[200];
    uv_pq_fifo_t inflight; /* sent, sync not yet back; in pipeline order */
} uv_pq_conn_t;

struct uv_pq_pool {
    uv_pq_config_t cfg;
    uv_pq_conn_t *conns;
    uv_timer_t flush_timer;
    uv_timer_t connect_timer; /* first fire starts connecting, second is the deadline */
    int started;
    int timers_open;
    uv_pq_batch_t *current; /* filling; NULL when empty */
    uv_pq_fifo_t waiting;   /* full or flushed, not yet on a connection */
    uv_pq_batch_t *spare;   /* free list */
    int nready;
    int ready_reported;
    uv_pq_closed_cb closed_cb;
    void *closed_ud;
};

static void uv_pq_fifo_push(uv_pq_fifo_t *f, uv_pq_batch_t *b)
{
    b->next = NULL;
    if (f->tail)
        f->tail->next = b;
    else
        f->head = b;
    f->tail = b;
    f->n++;
}

static uv_pq_batch_t *uv_pq_fifo_pop(uv_pq_fifo_t *f)
{
    uv_pq_batch_t *b = f->head;
    if (!b)
        return NULL;
    f->head = b->next;
    if (!f->head)
        f->tail = NULL;
    f->n--;
    b->next = NULL;
    return b;
}

/* Copies a libpq message (which ends in a newline) as one line. */
static void uv_pq_one_line(char *dst, size_t cap, const char *prefix, const char *msg)
{
    snprintf(dst, cap, "%s%s", prefix, msg && *msg ? msg : "unknown error");
    dst[strcspn(dst, "\n")] = '\0';
}

static uv_pq_batch_t *uv_pq_batch_get(uv_pq_pool_t *p)
{
    uv_pq_batch_t *b = p->spare;
    if (b) {
        p->spare = b->next;
    } else {
        b = calloc(1, sizeof *b);
        if (!b)
            return NULL;
        if (pg_batch_init(&b->rows, p->cfg.batch_size)) {
            free(b);
            return NULL;
        }
    }
    b->next = NULL;
    b->sends = 0;
    b->ok = 0;
    b->err[0] = '\0';
    pg_batch_clear(&b->rows);
    return b;
}

static void uv_pq_batch_free(uv_pq_batch_t *b)
{
    pg_batch_free(&b->rows);
    free(b);
}

/* Reports a batch's fate and recycles it. */
static void uv_pq_batch_settle(uv_pq_pool_t *p, uv_pq_batch_t *b, int ok, const char *err)
{
    p->cfg.batch_cb(p->cfg.ud, b->rows.rows, b->rows.n, ok, ok ? NULL : err);
    pg_batch_clear(&b->rows);
    b->next = p->spare;
    p->spare = b;
}

static void uv_pq_report_ready(uv_pq_pool_t *p, const char *err)
{
    if (p->ready_reported)
        return;
    p->ready_reported = 1;
    uv_timer_stop(&p->connect_timer);
    p->cfg.ready_cb(p->cfg.ud, err);
}

static void uv_pq_poll_closed_cb(uv_handle_t *h)
{
    free(h);
}

/* Stops watching the connection's socket. uv_poll_stop takes the fd out of
 * epoll at once, so libpq may close it right after (PQfinish) — or may have
 * closed it already (a dropped connection, the next address while
 * connecting): then the fd number cannot have been reused yet, because
 * nothing ran between that libpq call and this one. */
static void uv_pq_conn_unwatch(uv_pq_conn_t *c)
{
    if (!c->poll)
        return;
    uv_poll_stop(c->poll);
    uv_close((uv_handle_t *)c->poll, uv_pq_poll_closed_cb);
    c->poll = NULL;
    c->fd = -1;
    c->events = 0;
}

static void uv_pq_conn_fail(uv_pq_conn_t *c, const char *why);
static void uv_pq_poll_cb(uv_poll_t *h, int status, int events);

/* Watches fd (PQsocket) for events, replacing the poll handle when libpq
 * moved to another socket. Returns 0, or -1 after failing the connection. */
static int uv_pq_conn_watch(uv_pq_conn_t *c, int fd, int events)
{
    char why[160];
    int rc;
    if (fd < 0) {
        uv_pq_conn_fail(c, "libpq has no socket");
        return -1;
    }
    if (c->poll && c->fd != fd)
        uv_pq_conn_unwatch(c);
    if (!c->poll) {
        uv_poll_t *h = malloc(sizeof *h);
        if (!h) {
            uv_pq_conn_fail(c, "watching the socket: out of memory");
            return -1;
        }
        rc = uv_poll_init_socket(c->pool->cfg.loop, h, fd);
        if (rc) {
            free(h);
            snprintf(why, sizeof why, "uv_poll_init_socket: %s", uv_strerror(rc));
            uv_pq_conn_fail(c, why);
            return -1;
        }
        h->data = c;
        c->poll = h;
        c->fd = fd;
        c->events = 0;
    }
    if (events == c->events)
        return 0;
    rc = uv_poll_start(c->poll, events, uv_pq_poll_cb);
    if (rc) {
        snprintf(why, sizeof why, "uv_poll_start: %s", uv_strerror(rc));
        uv_pq_conn_fail(c, why);
        return -1;
    }
    c->events = events;
    return 0;
}

/* Pushes buffered output; watches writable while some is left. Returns 0 or
 * -1 after failing the connection. */
static int uv_pq_conn_flush(uv_pq_conn_t *c)
{
    int r = PQflush(c->pg);
    if (r < 0) {
        uv_pq_conn_fail(c, PQerrorMessage(c->pg));
        return -1;
    }
    c->want_write = r == 1;
    return uv_pq_conn_watch(c, PQsocket(c->pg), UV_READABLE | (c->want_write ? UV_WRITABLE : 0));
}

/* Closes a connection after an error. During set-up that makes the pool
 * unusable (reported once through ready_cb); later, its in-flight batches
 * go back to the pool's queue, each at most once. */
static void uv_pq_conn_fail(uv_pq_conn_t *c, const char *why)
{
    uv_pq_pool_t *p = c->pool;
    char line[300];
    uv_pq_batch_t *b;

    if (c->state == UV_PQ_DEAD)
        return;
    snprintf(line, sizeof line, "PostgreSQL connection %d: %s", c->index + 1, why);
    line[strcspn(line, "\n")] = '\0';
    if (c->state == UV_PQ_READY)
        p->nready--;
    c->state = UV_PQ_DEAD;
    uv_pq_conn_unwatch(c);
    PQfinish(c->pg);
    c->pg = NULL;
    uv_pq_report_ready(p, line);
    while ((b = uv_pq_fifo_pop(&c->inflight))) {
        if (b->sends >= 2)
            uv_pq_batch_settle(p, b, 0, line);
        else
            uv_pq_fifo_push(&p->waiting, b);
    }
}

/* Puts one batch on c's pipeline as its own transaction. */
static void uv_pq_conn_send(uv_pq_conn_t *c, uv_pq_batch_t *b)
{
    uv_pq_pool_t *p = c->pool;
    const char *values[PG_BATCH_NPARAMS];

    if (pg_batch_params(&b->rows, p->cfg.run_id, values)) {
        uv_pq_batch_settle(p, b, 0, "out of memory building a batch");
        return;
    }
    b->sends++;
    b->ok = 0;
    b->err[0] = '\0';
    uv_pq_fifo_push(&c->inflight, b);
    if (!PQsendQueryPrepared(c->pg, PG_BATCH_STMT, PG_BATCH_NPARAMS, values, NULL, NULL, 0) ||
        !PQpipelineSync(c->pg)) {
        uv_pq_conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    uv_pq_conn_flush(c);
}

/* Hands waiting batches to the least-loaded ready connections. With no
 * connection alive any more, the waiting batches fail. */
static void uv_pq_dispatch(uv_pq_pool_t *p)
{
    while (p->waiting.head) {
        uv_pq_conn_t *best = NULL;
        int alive = 0;
        for (int i = 0; i < p->cfg.conns; i++) {
            uv_pq_conn_t *c = &p->conns[i];
            if (c->state == UV_PQ_DEAD)
                continue;
            alive++;
            if (c->state == UV_PQ_READY && c->inflight.n < LIMIT_PG_PIPELINE_DEPTH &&
                (!best || c->inflight.n < best->inflight.n))
                best = c;
        }
        if (!best) {
            uv_pq_batch_t *b;
            if (alive)
                return; /* a connection frees up or becomes ready later */
            while ((b = uv_pq_fifo_pop(&p->waiting)))
                uv_pq_batch_settle(p, b, 0, "no live PostgreSQL connection left");
            return;
        }
        uv_pq_conn_send(best, uv_pq_fifo_pop(&p->waiting));
    }
}

/* A PGRES_PIPELINE_SYNC arrived: the prepare's (set-up) or the oldest
 * in-flight batch's transaction is over. Returns -1 when c died. */
static int uv_pq_conn_synced(uv_pq_conn_t *c)
{
    uv_pq_pool_t *p = c->pool;
    uv_pq_batch_t *b;

    if (c->state == UV_PQ_PREPARING) {
        if (!c->prep_ok) {
            uv_pq_conn_fail(c, c->prep_err);
            return -1;
        }
        c->state = UV_PQ_READY;
        if (++p->nready == p->cfg.conns)
            uv_pq_report_ready(p, NULL);
        return 0;
    }
    b = uv_pq_fifo_pop(&c->inflight);
    if (!b) {
        uv_pq_conn_fail(c, "pipeline sync with no batch in flight");
        return -1;
    }
    uv_pq_batch_settle(p, b, b->ok, b->err);
    return 0;
}

static void uv_pq_conn_statement_result(uv_pq_conn_t *c, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    const char *msg = st == PGRES_PIPELINE_ABORTED ? "aborted by an earlier error in the pipeline"
                                                   : PQresultErrorMessage(r);
    if (c->state == UV_PQ_PREPARING) {
        c->prep_ok = st == PGRES_COMMAND_OK;
        if (!c->prep_ok)
            uv_pq_one_line(c->prep_err, sizeof c->prep_err, "preparing the upsert: ", msg);
        return;
    }
    if (c->inflight.head) {
        uv_pq_batch_t *b = c->inflight.head;
        b->ok = st == PGRES_COMMAND_OK;
        if (!b->ok)
            uv_pq_one_line(b->err, sizeof b->err, "", msg);
    }
}

/* Reads what the server sent and settles every batch whose sync arrived. */
static void uv_pq_conn_read(uv_pq_conn_t *c)
{
    if (!PQconsumeInput(c->pg)) {
        uv_pq_conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    while (!PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            /* NULL ends one statement's results; a NULL nobody expects
             * means nothing more has arrived. */
            if (c->await_null) {
                c->await_null = 0;
                continue;
            }
            break;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            if (uv_pq_conn_synced(c))
                return;
            continue;
        }
        c->await_null = 1;
        uv_pq_conn_statement_result(c, r);
        PQclear(r);
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        uv_pq_conn_fail(c, PQerrorMessage(c->pg));
}

/* Connected: switch to non-blocking pipeline mode and queue the prepare. */
static void uv_pq_conn_start_pipeline(uv_pq_conn_t *c)
{
    uv_pq_pool_t *p = c->pool;
    if (p->cfg.opened)
        atomic_fetch_add(p->cfg.opened, 1);
    if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg) ||
        !PQsendPrepare(c->pg, PG_BATCH_STMT, pg_batch_upsert_sql, PG_BATCH_NPARAMS, NULL) ||
        !PQpipelineSync(c->pg)) {
        char why[300];
        uv_pq_one_line(why, sizeof why, "entering pipeline mode: ", PQerrorMessage(c->pg));
        uv_pq_conn_fail(c, why);
        return;
    }
    c->state = UV_PQ_PREPARING;
    uv_pq_conn_flush(c);
}

static void uv_pq_conn_connect_step(uv_pq_conn_t *c)
{
    PostgresPollingStatusType st = PQconnectPoll(c->pg);
    char why[300];
    switch (st) {
    case PGRES_POLLING_FAILED:
        uv_pq_one_line(why, sizeof why, "cannot connect: ", PQerrorMessage(c->pg));
        uv_pq_conn_fail(c, why);
        return;
    case PGRES_POLLING_OK:
        uv_pq_conn_start_pipeline(c);
        return;
    case PGRES_POLLING_READING:
        uv_pq_conn_watch(c, PQsocket(c->pg), UV_READABLE);
        return;
    default:
        uv_pq_conn_watch(c, PQsocket(c->pg), UV_WRITABLE);
        return;
    }
}

static void uv_pq_poll_cb(uv_poll_t *h, int status, int events)
{
    uv_pq_conn_t *c = h->data;
    uv_pq_pool_t *p = c->pool;

    if (status < 0) {
        /* libuv stopped the handle (POLLERR); let libpq find the error. */
        c->events = 0;
        events = UV_READABLE | UV_WRITABLE;
    }
    if (c->state == UV_PQ_CONNECTING) {
        uv_pq_conn_connect_step(c);
    } else {
        if ((events & UV_WRITABLE) && c->state != UV_PQ_DEAD && c->want_write)
            uv_pq_conn_flush(c);
        if ((events & UV_READABLE) && c->state != UV_PQ_DEAD)
            uv_pq_conn_read(c);
        if (c->state != UV_PQ_DEAD && c->events == 0)
            uv_pq_conn_flush(c); /* re-arm after POLLERR */
    }
    uv_pq_dispatch(p);
}

static void uv_pq_conn_begin(uv_pq_conn_t *c)
{
    uv_pq_pool_t *p = c->pool;
    /* connect_timeout is ignored by PQconnectPoll: the pool's own timer
     * bounds connecting. statement_timeout bounds a hung batch. Values in
     * the DSN win (dbname, expanded, comes last). */
    const char *keys[] = {"options", "dbname", NULL};
    const char *vals[] = {PG_BATCH_CONN_OPTIONS, p->cfg.dsn, NULL};
    char why[300];

    c->pg = PQconnectStartParams(keys, vals, 1);
    if (!c->pg) {
        c->state = UV_PQ_DEAD;
        uv_pq_report_ready(p, "PostgreSQL: out of memory starting a connection");
        return;
    }
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        uv_pq_one_line(why, sizeof why, "cannot connect: ", PQerrorMessage(c->pg));
        uv_pq_conn_fail(c, why);
        return;
    }
    /* Before the first PQconnectPoll, libpq wants the socket writable. */
    uv_pq_conn_watch(c, PQsocket(c->pg), UV_WRITABLE);
}

static void uv_pq_connect_timer_cb(uv_timer_t *t)
{
    uv_pq_pool_t *p = t->data;
    char why[200];
    if (!p->started) {
        p->started = 1;
        uv_timer_start(&p->connect_timer, uv_pq_connect_timer_cb,
                       (uint64_t)p->cfg.connect_timeout_ms, 0);
        for (int i = 0; i < p->cfg.conns && !p->ready_reported; i++)
            uv_pq_conn_begin(&p->conns[i]);
        return;
    }
    snprintf(why, sizeof why, "PostgreSQL: %d of %d connections not ready after %d ms",
             p->cfg.conns - p->nready, p->cfg.conns, p->cfg.connect_timeout_ms);
    uv_pq_report_ready(p, why);
}

/* Queues the current batch for sending. */
static void uv_pq_pool_submit(uv_pq_pool_t *p)
{
    if (!p->current)
        return;
    uv_timer_stop(&p->flush_timer);
    uv_pq_fifo_push(&p->waiting, p->current);
    p->current = NULL;
    uv_pq_dispatch(p);
}

static void uv_pq_flush_timer_cb(uv_timer_t *t)
{
    uv_pq_pool_submit(t->data);
}

uv_pq_pool_t *uv_pq_pool_create(const uv_pq_config_t *cfg, char *err, size_t errlen)
{
    uv_pq_pool_t *p = calloc(1, sizeof *p);
    int rc;

    if (!p || !(p->conns = calloc((size_t)cfg->conns, sizeof *p->conns))) {
        snprintf(err, errlen, "PostgreSQL pool: out of memory");
        free(p);
        return NULL;
    }
    p->cfg = *cfg;
    for (int i = 0; i < cfg->conns; i++) {
        p->conns[i].pool = p;
        p->conns[i].index = i;
        p->conns[i].fd = -1;
        p->conns[i].state = UV_PQ_CONNECTING;
    }
    /* uv_timer_init cannot fail on unix; checked all the same. */
    if ((rc = uv_timer_init(cfg->loop, &p->flush_timer)) ||
        (rc = uv_timer_init(cfg->loop, &p->connect_timer))) {
        snprintf(err, errlen, "PostgreSQL pool: uv_timer_init: %s", uv_strerror(rc));
        free(p->conns);
        free(p);
        return NULL;
    }
    p->timers_open = 2;
    p->flush_timer.data = p;
    p->connect_timer.data = p;
    /* Connecting starts from the loop so that every outcome, even an
     * immediate failure, arrives through ready_cb. */
    uv_timer_start(&p->connect_timer, uv_pq_connect_timer_cb, 0, 0);
    return p;
}

static int uv_pq_batch_has(const uv_pq_batch_t *b, uint64_t id)
{
    for (int i = 0; i < b->rows.n; i++)
        if (b->rows.rows[i].id == id)
            return 1;
    return 0;
}

void uv_pq_pool_add(uv_pq_pool_t *p, const order_row_t *row)
{
    /* One statement may not touch a row twice, and pg_batch_add would merge
     * the two: an id delivered again while its first row still waits goes
     * into the next batch, so every row added is reported once. */
    if (p->current && uv_pq_batch_has(p->current, row->id))
        uv_pq_pool_submit(p);
    if (!p->current && !(p->current = uv_pq_batch_get(p))) {
        p->cfg.batch_cb(p->cfg.ud, row, 1, 0, "out of memory for a batch");
        return;
    }
    if (pg_batch_add(&p->current->rows, row)) {
        uv_pq_pool_submit(p);
        return;
    }
    /* uv_timer_start fails only without a callback. */
    if (p->current->rows.n == 1)
        uv_timer_start(&p->flush_timer, uv_pq_flush_timer_cb, (uint64_t)p->cfg.flush_ms, 0);
}

void uv_pq_pool_flush(uv_pq_pool_t *p)
{
    uv_pq_pool_submit(p);
}

static void uv_pq_timer_closed_cb(uv_handle_t *h)
{
    uv_pq_pool_t *p = h->data;
    uv_pq_closed_cb cb;
    void *ud;
    if (--p->timers_open > 0)
        return;
    cb = p->closed_cb;
    ud = p->closed_ud;
    free(p->conns);
    free(p);
    if (cb)
        cb(ud);
}

static void uv_pq_fifo_free(uv_pq_fifo_t *f)
{
    uv_pq_batch_t *b;
    while ((b = uv_pq_fifo_pop(f)))
        uv_pq_batch_free(b);
}

void uv_pq_pool_close(uv_pq_pool_t *p, uv_pq_closed_cb closed_cb, void *ud)
{
    p->closed_cb = closed_cb;
    p->closed_ud = ud;
    for (int i = 0; i < p->cfg.conns; i++) {
        uv_pq_conn_t *c = &p->conns[i];
        uv_pq_conn_unwatch(c); /* before PQfinish closes the fd */
        if (c->pg)
            PQfinish(c->pg);
        c->pg = NULL;
        c->state = UV_PQ_DEAD;
        uv_pq_fifo_free(&c->inflight);
    }
    uv_pq_fifo_free(&p->waiting);
    if (p->current)
        uv_pq_batch_free(p->current);
    p->current = NULL;
    while (p->spare) {
        uv_pq_batch_t *b = p->spare;
        p->spare = b->next;
        uv_pq_batch_free(b);
    }
    uv_close((uv_handle_t *)&p->flush_timer, uv_pq_timer_closed_cb);
    uv_close((uv_handle_t *)&p->connect_timer, uv_pq_timer_closed_cb);
}

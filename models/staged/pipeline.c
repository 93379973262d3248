/* pipeline: three stages joined by bounded queues, each with its own
 * concurrency. Fetch: one libuv loop, the shared curl-multi engine
 * (engine/loop_engine.h), at most C requests in flight. Transform:
 * cpu_workers threads (default: the number of cores) take copies of the
 * fetched bodies from a queue of transform_queue (default 2 x cpu_workers).
 * Write: db_conns threads (default 4), each with its own PostgreSQL
 * connection and batches of batch_size (engine/pg_sink.h), take rows from a
 * queue of write_queue (default 2 x db_conns x batch_size).
 *
 * Back-pressure runs upstream: slow writers fill the write queue, so the
 * transform workers block on it; the transform queue fills, so a fetched
 * body that finds it full keeps its fetch slot (parked on the loop) and
 * fewer requests are fetched. What the process holds is bounded by C +
 * transform_queue + cpu_workers + 1 bodies (the copies are reused through a
 * free list) and write_queue + db_conns x batch_size rows, whatever N is.
 *
 * Unlike hybrid, a body leaves its fetch slot once queued, so a body that
 * is no order fails as bad_payload without being fetched again (the fetch
 * stage has moved on). Threads for the same reason as hybrid (see
 * hybrid.c); --crash-after is not applicable: one process.
 *
 * Wake-ups are the CPU a hand-off between threads costs (several µs each
 * on a VM: tests/bench/handoff.c), so each stage is woken only with a
 * reason: a transform worker per body (the one hand-off per request the
 * model is made of); the loop only when a body is parked and a worker made
 * room (cpu_pool's popped), not on every pop; a writer once per batch of
 * rows, which it takes in one go, not once per row. Rows go by value and
 * the body copies are reused: no allocation per request. Default scenario
 * (10,000 requests, C = 100, 50 ms), old and new binaries alternating, two
 * sessions, medians of 3 on the shared VM (docs/performance.md): 65-72 →
 * 50-52 µs of CPU per request against semaphore-loop's 29-31 (2.2-2.4x →
 * 1.7x), 5.7 → 1.7 context switches per request. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/log.h"
#include "engine/loop_engine.h"
#include "engine/pg_sink.h"
#include "models/model.h"
#include "models/staged/cpu_pool.h"

/* A fetched body's copy, reused: the transform stage hands it back to the
 * free list, so the loop allocates only while the copies in use grow (at
 * most transform_queue + cpu_workers + 1 at once), and a buffer grows only
 * for a longer body. */
typedef struct body_copy {
    struct body_copy *next;
    cpu_item_t item; /* item.tag points back here */
    char *buf;
    size_t cap;
} body_copy_t;

typedef struct pipeline {
    const job_t *job;
    loop_engine_t *eng;
    cpu_pool_t pool;
    bqueue_t rows; /* order_row_t by value, transform -> write, a batch at a time */
    pthread_t *writers;
    int nwriters, workers, tdepth, wdepth, batch;
    uv_async_t wake; /* the transform queue has room for a parked body */
    pthread_mutex_t mu;
    body_copy_t *free_copies; /* under mu; every copy is back here once the pool is joined */
    int failed;               /* a writer could not reach PostgreSQL */
    char err[300];
} pipeline_t;

/* A writer cannot go on: the first reason is the run's one line (exit 2),
 * and the write queue closes, so what is not written fails as db. */
static void pipeline_abort(pipeline_t *p, const char *what, const char *why)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = 1;
        snprintf(p->err, sizeof p->err, "writer %s: %s", what, why);
    }
    pthread_mutex_unlock(&p->mu);
    bqueue_close(&p->rows);
}

static void pipeline_copy_release(pipeline_t *p, body_copy_t *c)
{
    pthread_mutex_lock(&p->mu);
    c->next = p->free_copies;
    p->free_copies = c;
    pthread_mutex_unlock(&p->mu);
}

/* A copy whose buffer holds len bytes, or NULL when out of memory. */
static body_copy_t *pipeline_copy_get(pipeline_t *p, size_t len)
{
    body_copy_t *c;
    pthread_mutex_lock(&p->mu);
    if ((c = p->free_copies))
        p->free_copies = c->next;
    pthread_mutex_unlock(&p->mu);
    if (!c && !(c = calloc(1, sizeof *c)))
        return NULL;
    if (c->cap < len) {
        char *b = realloc(c->buf, len);
        if (!b) {
            pipeline_copy_release(p, c);
            return NULL;
        }
        c->buf = b;
        c->cap = len;
    }
    return c;
}

/* Fetch -> transform: a copy of the body, so the fetch slot is free at
 * once. A full queue parks the body in its slot (the worker that makes room
 * wakes the loop: pipeline_popped). A body the process cannot hold a copy
 * of (out of memory) is no order it can transform: bad_payload. */
static int pipeline_offload(void *ud, void *tag, uint64_t id, const char *body, size_t len)
{
    pipeline_t *p = ud;
    body_copy_t *c = pipeline_copy_get(p, len);
    (void)tag;
    if (!c) {
        outcome_fail(p->job->out, id, ERR_BAD_PAYLOAD);
        return LOOP_OFFLOAD_GONE;
    }
    memcpy(c->buf, body, len);
    c->item.tag = c;
    c->item.id = id;
    c->item.body = c->buf;
    c->item.len = len;
    if (cpu_pool_offer(&p->pool, &c->item)) {
        pipeline_copy_release(p, c);
        return LOOP_OFFLOAD_FULL;
    }
    return LOOP_OFFLOAD_GONE;
}

static void pipeline_popped(void *ud)
{
    pipeline_t *p = ud;
    uv_async_send(&p->wake);
}

/* Transform -> write, on a transform worker: the row goes by value and
 * blocks while the write queue is full (back-pressure). */
static void pipeline_transformed(void *ud, cpu_item_t *it)
{
    pipeline_t *p = ud;
    if (!it->ok) {
        outcome_fail(p->job->out, it->id, ERR_BAD_PAYLOAD);
    } else {
        outcome_fetched(p->job->out, it->id);
        if (bqueue_put(&p->rows, &it->row))
            outcome_fail(p->job->out, it->id, ERR_DB); /* the writers are gone */
    }
    pipeline_copy_release(p, it->tag);
}

/* A writer sleeps until a whole batch is queued (bqueue_batch: batch_size,
 * or the queue's bound when that is smaller), takes it in one go and
 * commits it: one wake-up per batch instead of one per row, and no row
 * waits longer than it would in a writer's partial batch. */
static void *pipeline_writer(void *arg)
{
    pipeline_t *p = arg;
    const job_t *job = p->job;
    pg_sink_t sink;
    order_row_t *rows = malloc((size_t)p->batch * sizeof *rows);
    int n;

    if (!rows) {
        pipeline_abort(p, "cannot start", "out of memory for a batch of rows");
        return NULL;
    }
    /* Connected before the first batch, so a PostgreSQL that turns this
     * writer away stops the run even if no batch ever reaches it. */
    if (pg_sink_start(&sink, job->pg_dsn, job->run_id, p->batch, job->out) ||
        pg_sink_wait_ready(&sink)) {
        pipeline_abort(p, "cannot connect to PostgreSQL", sink.err);
        pg_sink_close(&sink);
        free(rows);
        return NULL;
    }
    /* The sink's batch is empty after each flush, so a take fills it. */
    while ((n = bqueue_take(&p->rows, rows, p->batch - sink.batch.n, NULL)) > 0) {
        outcome_stage_add(job->out, STAGE_WRITE, 1);
        /* A batch that fails is recorded row by row (class db) by the
         * sink, which stays usable: the run goes on. */
        for (int i = 0; i < n; i++)
            pg_sink_add(&sink, &rows[i]);
        outcome_stage_add(job->out, STAGE_WRITE, -1);
    }
    outcome_stage_add(job->out, STAGE_WRITE, 1);
    pg_sink_flush(&sink);
    outcome_stage_add(job->out, STAGE_WRITE, -1);
    pg_sink_close(&sink);
    free(rows);
    return NULL;
}

static void pipeline_wake_cb(uv_async_t *a)
{
    pipeline_t *p = a->data;
    loop_engine_offload_resume(p->eng);
}

/* Starts the writers, then the transform workers, on the loop the engine
 * runs on. */
static int pipeline_attach(void *ud, uv_loop_t *loop, loop_engine_t *e, char *err, size_t errlen)
{
    pipeline_t *p = ud;
    outcome_table_t *out = p->job->out;
    int rc;

    p->eng = e;
    if (bqueue_init_sized(&p->rows, p->wdepth, sizeof(order_row_t)) ||
        !(p->writers = calloc((size_t)p->nwriters, sizeof *p->writers))) {
        snprintf(err, errlen, "out of memory for the write stage");
        return -1;
    }
    bqueue_batch(&p->rows, p->batch);
    p->rows.mirror = &out->queue_len[QUEUE_WRITE];
    p->rows.mirror_peak = &out->queue_peak[QUEUE_WRITE];
    out->queue_cap[QUEUE_WRITE] = p->wdepth;
    out->stage_width[STAGE_WRITE] = p->nwriters;
    out->stage_width[STAGE_FETCH] = (int32_t)p->job->concurrency;
    if ((rc = uv_async_init(loop, &p->wake, pipeline_wake_cb))) {
        snprintf(err, errlen, "uv_async_init: %s", uv_strerror(rc));
        return -1;
    }
    p->wake.data = p;
    for (int i = 0; i < p->nwriters; i++) {
        if ((rc = pthread_create(&p->writers[i], NULL, pipeline_writer, p))) {
            snprintf(err, errlen, "cannot start a writer thread: %s", strerror(rc));
            bqueue_close(&p->rows);
            for (int k = 0; k < i; k++)
                pthread_join(p->writers[k], NULL);
            uv_close((uv_handle_t *)&p->wake, NULL);
            return -1;
        }
    }
    if (cpu_pool_start(&p->pool, p->workers, p->tdepth, p->job->transform_cost, out,
                       pipeline_popped, pipeline_transformed, p, err, errlen)) {
        bqueue_close(&p->rows);
        for (int k = 0; k < p->nwriters; k++)
            pthread_join(p->writers[k], NULL);
        uv_close((uv_handle_t *)&p->wake, NULL);
        return -1;
    }
    atomic_store(&out->workers_peak, 1 + p->workers + p->nwriters);
    return 0;
}

/* Every id is fetched (or failed): the transform stage drains its queue
 * into the write stage, which drains its own. */
static void pipeline_detach(void *ud)
{
    pipeline_t *p = ud;
    order_row_t row;
    cpu_pool_finish(&p->pool);
    bqueue_close(&p->rows);
    for (int i = 0; i < p->nwriters; i++)
        pthread_join(p->writers[i], NULL);
    /* After a writer's abort, what nobody wrote fails as db. */
    while (bqueue_take(&p->rows, &row, 1, NULL) == 1)
        outcome_fail(p->job->out, row.id, ERR_DB);
    uv_close((uv_handle_t *)&p->wake, NULL);
}

/* Defined at the end of the file; its name is the log prefix. */
extern const model_ops_t model_pipeline;

static int pipeline_run(const job_t *job)
{
    pipeline_t p = {.job = job};
    loop_engine_hooks_t hooks = {
        .offload = pipeline_offload,
        .db_conns = -1, /* the write stage writes, not the engine */
        .take_when_free = 1,
        .attach = pipeline_attach,
        .detach = pipeline_detach,
        .ud = &p,
    };
    int rc;

    log_init(model_pipeline.name);
    if (job->concurrency == 0) {
        log_error("concurrency must be at least 1");
        return 2;
    }
    p.workers = job->cpu_workers > 0 ? job->cpu_workers : cpu_pool_default_workers();
    p.tdepth = job->transform_queue > 0 ? job->transform_queue : 2 * p.workers;
    p.nwriters = job->db_conns > 0 ? job->db_conns : LOOP_ENGINE_DB_CONNS;
    p.batch = job->batch_size > 0 ? job->batch_size : 1;
    p.wdepth = job->write_queue > 0 ? job->write_queue : 2 * p.nwriters * p.batch;
    pthread_mutex_init(&p.mu, NULL);
    rc = loop_engine_run_hooked(job, job->concurrency, model_pipeline.name, &hooks);
    if (p.writers)
        bqueue_destroy(&p.rows);
    free(p.writers);
    while (p.free_copies) {
        body_copy_t *c = p.free_copies;
        p.free_copies = c->next;
        free(c->buf);
        free(c);
    }
    pthread_mutex_destroy(&p.mu);
    if (rc == 0 && p.failed) {
        log_error("%s", p.err);
        rc = 2;
    }
    return rc;
}

const model_ops_t model_pipeline = {
    .name = "pipeline",
    .summary = "fetch (one libuv loop, C in flight) -> queue -> transform (cpu_workers threads) "
               "-> queue -> write (db_conns connections, batched)",
    .knobs = "db_conns,cpu_workers,transform_queue,write_queue",
    .crash_na = "its stages are threads of one process: SIGKILL takes the whole pipeline, so "
                "there is no single worker to lose and recover from",
    .staged = 1,
    .run = pipeline_run,
};

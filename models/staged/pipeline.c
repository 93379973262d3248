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
 * transform_queue + cpu_workers bodies and write_queue + db_conns x
 * batch_size rows, whatever N is.
 *
 * Unlike hybrid, a body leaves its fetch slot once queued, so a body that
 * is no order fails as bad_payload without being fetched again (the fetch
 * stage has moved on). Threads for the same reason as hybrid (see
 * hybrid.c); --crash-after is not applicable: one process. */
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

typedef struct pipeline {
    const job_t *job;
    loop_engine_t *eng;
    cpu_pool_t pool;
    bqueue_t rows; /* order_row_t *, transform -> write */
    pthread_t *writers;
    int nwriters, workers, tdepth, wdepth;
    uv_async_t wake; /* the transform queue has room */
    pthread_mutex_t mu;
    int failed; /* a writer could not reach PostgreSQL */
    char err[300];
} pipeline_t;

static void pipeline_abort(pipeline_t *p, const char *why)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = 1;
        snprintf(p->err, sizeof p->err, "writer cannot connect to PostgreSQL: %s", why);
    }
    pthread_mutex_unlock(&p->mu);
    bqueue_close(&p->rows);
}

/* Fetch -> transform: a copy of the body, so the fetch slot is free at once. */
static int pipeline_offload(void *ud, void *tag, uint64_t id, const char *body, size_t len)
{
    pipeline_t *p = ud;
    cpu_item_t *it = malloc(sizeof *it + len);
    (void)tag;
    if (!it)
        return LOOP_OFFLOAD_FULL; /* offered again once the queue moves */
    memcpy(it + 1, body, len);
    it->id = id;
    it->body = (const char *)(it + 1);
    it->len = len;
    if (cpu_pool_offer(&p->pool, it)) {
        free(it);
        return LOOP_OFFLOAD_FULL;
    }
    return LOOP_OFFLOAD_GONE;
}

static void pipeline_popped(void *ud)
{
    pipeline_t *p = ud;
    uv_async_send(&p->wake);
}

/* Transform -> write, on a transform worker: blocks while the write queue
 * is full (back-pressure). */
static void pipeline_transformed(void *ud, cpu_item_t *it)
{
    pipeline_t *p = ud;
    order_row_t *row;
    if (!it->ok) {
        outcome_fail(p->job->out, it->id, ERR_BAD_PAYLOAD);
    } else if (!(row = malloc(sizeof *row))) {
        outcome_fail(p->job->out, it->id, ERR_DB);
    } else {
        *row = it->row;
        outcome_fetched(p->job->out, it->id);
        if (bqueue_push(&p->rows, (uint64_t)(uintptr_t)row)) {
            outcome_fail(p->job->out, it->id, ERR_DB); /* the writers are gone */
            free(row);
        }
    }
    free(it);
}

static void *pipeline_writer(void *arg)
{
    pipeline_t *p = arg;
    const job_t *job = p->job;
    pg_sink_t sink;
    uint64_t v;

    if (pg_sink_start(&sink, job->pg_dsn, job->run_id, job->batch_size, job->out)) {
        pipeline_abort(p, sink.err);
        pg_sink_close(&sink);
        return NULL;
    }
    while (bqueue_pop(&p->rows, &v) == 0) {
        order_row_t *row = (order_row_t *)(uintptr_t)v;
        outcome_stage_add(job->out, STAGE_WRITE, 1);
        if (pg_sink_add(&sink, row) && !sink.ready)
            pipeline_abort(p, sink.err);
        else if (pg_sink_progress(&sink))
            pipeline_abort(p, sink.err);
        outcome_stage_add(job->out, STAGE_WRITE, -1);
        free(row);
    }
    outcome_stage_add(job->out, STAGE_WRITE, 1);
    if (pg_sink_flush(&sink) && !sink.ready)
        pipeline_abort(p, sink.err);
    outcome_stage_add(job->out, STAGE_WRITE, -1);
    pg_sink_close(&sink);
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
    if (bqueue_init(&p->rows, p->wdepth) ||
        !(p->writers = calloc((size_t)p->nwriters, sizeof *p->writers))) {
        snprintf(err, errlen, "out of memory for the write stage");
        return -1;
    }
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
    uint64_t v;
    cpu_pool_finish(&p->pool);
    bqueue_close(&p->rows);
    for (int i = 0; i < p->nwriters; i++)
        pthread_join(p->writers[i], NULL);
    /* After a writer's abort, what nobody wrote fails as db. */
    while (bqueue_pop(&p->rows, &v) == 0) {
        order_row_t *row = (order_row_t *)(uintptr_t)v;
        outcome_fail(p->job->out, row->id, ERR_DB);
        free(row);
    }
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
    p.wdepth = job->write_queue > 0 ? job->write_queue
                                    : 2 * p.nwriters * (job->batch_size > 0 ? job->batch_size : 1);
    pthread_mutex_init(&p.mu, NULL);
    rc = loop_engine_run_hooked(job, job->concurrency, model_pipeline.name, &hooks);
    if (p.writers)
        bqueue_destroy(&p.rows);
    free(p.writers);
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

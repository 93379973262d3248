/* thread-pool: the ThreadPoolExecutor pattern. A producer fills a bounded
 * queue with ids; `workers` pthreads (default C) each own a keep-alive curl
 * easy handle and a PostgreSQL connection, pop an id, fetch, transform, and
 * batch the row into their own sink. The queue bound (queue_depth, default
 * 2·workers) keeps the producer from materialising N ids ahead of the
 * consumers. The producer, blocked on the full queue, is woken once half
 * of it is free and tops it up in one go (bqueue_refill), not once per id
 * taken: that ping-pong cost two futex calls and a context switch per
 * request, none of them the model's (Python's ThreadPoolExecutor has no
 * producer to wake: its queue is unbounded). Threads do not share anything
 * hot but the queue lock. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bqueue.h"
#include "common/limits.h"
#include "common/log.h"
#include "engine/http.h"
#include "engine/pg_sink.h"
#include "models/model.h"

typedef struct tp_shared {
    const job_t *job;
    bqueue_t queue;
    pthread_mutex_t mu;
    int failed; /* a worker could not reach PostgreSQL: the run stops */
    char err[300];
} tp_shared_t;

/* Records the first fatal worker error and stops the producer; the other
 * workers drain what is queued, so the run ends promptly. */
static void tp_abort(tp_shared_t *sh, const char *what, const char *why)
{
    pthread_mutex_lock(&sh->mu);
    if (!sh->failed) {
        sh->failed = 1;
        snprintf(sh->err, sizeof sh->err, "%s%s", what, why);
    }
    pthread_mutex_unlock(&sh->mu);
    bqueue_close(&sh->queue);
}

/* A worker connects to PostgreSQL asynchronously and fetches meanwhile: its
 * connection is needed only at its first flush, so the backends' start-up
 * overlaps the API's latency instead of delaying the first request. */
static void *tp_worker(void *arg)
{
    tp_shared_t *sh = arg;
    const job_t *job = sh->job;
    http_fetch_ctx_t fc = {.api = job->api_url,
                           .transform_cost = job->transform_cost,
                           .retry = retry_policy_of(job),
                           .out = job->out};
    pg_sink_t sink;
    uint64_t id;
    int db_ok;

    db_ok = pg_sink_start(&sink, job->pg_dsn, job->run_id, job->batch_size, job->out) == 0;
    if (!db_ok)
        tp_abort(sh, "worker cannot connect to PostgreSQL: ", sink.err);
    fc.h = curl_easy_init();
    if (!fc.h || http_easy_setup(fc.h, &fc.buf, job->timeout_ms, &fc.wire) != CURLE_OK) {
        tp_abort(sh, "cannot set up a curl handle", "");
        db_ok = 0;
    }
    while (db_ok && bqueue_pop(&sh->queue, &id) == 0) {
        order_row_t row;
        err_class_t err = http_fetch_transform(&fc, id, &row);
        if (err != ERR_NONE)
            outcome_fail(job->out, id, err);
        else if (pg_sink_add(&sink, &row) && !sink.ready)
            tp_abort(sh, "worker cannot connect to PostgreSQL: ", sink.err);
        if (pg_sink_progress(&sink))
            tp_abort(sh, "worker cannot connect to PostgreSQL: ", sink.err);
    }
    if (db_ok && pg_sink_flush(&sink) && !sink.ready)
        tp_abort(sh, "worker cannot connect to PostgreSQL: ", sink.err);
    /* Ids this worker popped but could not write are already failed (db);
     * what is still queued after an abort is failed by tp_run. */
    pg_sink_close(&sink);
    if (fc.h)
        curl_easy_cleanup(fc.h);
    http_buf_free(&fc.buf);
    return NULL;
}

/* Defined at the end of the file; its name is the log prefix. */
extern const model_ops_t model_thread_pool;

static int tp_run(const job_t *job)
{
    int64_t want = job->workers > 0 ? job->workers : (int64_t)job->concurrency;
    /* A thread beyond one per request would only hold a PostgreSQL
     * connection: with C > N, C simultaneous connects can overflow the
     * server's listen backlog or max_connections and fail a run whose every
     * row was written. */
    int nthreads = (int)(want < (int64_t)job->requests ? want : (int64_t)job->requests);
    int depth = job->queue_depth > 0 ? job->queue_depth : 2 * nthreads;
    tp_shared_t sh = {.job = job};
    pthread_t *threads = calloc((size_t)nthreads, sizeof *threads);
    pthread_attr_t attr;
    int started = 0, rc = 0;
    uint64_t id = 1;

    log_init(model_thread_pool.name);

    if (!threads || bqueue_init(&sh.queue, depth)) {
        log_error("out of memory for %d workers", nthreads);
        free(threads);
        return 2;
    }
    bqueue_refill(&sh.queue, depth / 2);
    pthread_mutex_init(&sh.mu, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, LIMIT_TP_STACK_BYTES);
    for (; started < nthreads; started++) {
        int e = pthread_create(&threads[started], &attr, tp_worker, &sh);
        if (e) {
            tp_abort(&sh, "cannot start a worker thread: ", strerror(e));
            break;
        }
    }
    atomic_store(&job->out->workers_peak, started);
    for (; id <= job->requests; id++) {
        outcome_queued(job->out, id);
        if (bqueue_push(&sh.queue, id))
            break;
    }
    bqueue_close(&sh.queue);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (sh.failed) {
        /* Whatever was never handed out (or left queued) fails as db: the
         * run could not write it. */
        uint64_t left;
        while (bqueue_pop(&sh.queue, &left) == 0)
            outcome_fail(job->out, left, ERR_DB);
        for (; id <= job->requests; id++)
            outcome_fail(job->out, id, ERR_DB);
        log_error("%s", sh.err);
        rc = 2;
    }
    pthread_attr_destroy(&attr);
    bqueue_destroy(&sh.queue);
    pthread_mutex_destroy(&sh.mu);
    free(threads);
    return rc;
}

const model_ops_t model_thread_pool = {
    .name = "thread-pool",
    .summary = "C pthreads on a bounded queue; blocking curl + one PostgreSQL connection each",
    .knobs = "workers,queue_depth",
    .crash_na = "its workers are threads of one process: SIGKILL takes the whole pool, so there "
                "is no single worker to lose and recover from",
    .run = tp_run,
};

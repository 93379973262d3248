/* thread-pool: the ThreadPoolExecutor pattern. A producer fills a bounded
 * queue with ids; `workers` pthreads (default C) each own a keep-alive curl
 * easy handle and a PostgreSQL connection, pop an id, fetch, transform, and
 * batch the row into their own sink. The queue bound (queue_depth, default
 * 2·workers) keeps the producer from materialising N ids ahead of the
 * consumers. Threads do not share anything hot but the queue lock. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bqueue.h"
#include "fetch.h"
#include "model.h"
#include "pgsink.h"

typedef struct tp_shared {
    const job_t *job;
    bqueue_t queue;
    pthread_mutex_t mu;
    pthread_cond_t ready_cv;
    int ready, failed_setup;
    char setup_err[300];
} tp_shared_t;

static void tp_report_ready(tp_shared_t *sh, const char *err)
{
    pthread_mutex_lock(&sh->mu);
    if (err && !sh->failed_setup) {
        sh->failed_setup = 1;
        snprintf(sh->setup_err, sizeof sh->setup_err, "%s", err);
    }
    sh->ready++;
    pthread_cond_broadcast(&sh->ready_cv);
    pthread_mutex_unlock(&sh->mu);
}

static void *tp_worker(void *arg)
{
    tp_shared_t *sh = arg;
    const job_t *job = sh->job;
    fetch_ctx_t fc = {.api = job->api_url,
                      .transform_cost = job->transform_cost,
                      .retry = {job->retries, job->backoff_ms, 5000, job->seed},
                      .out = job->out};
    pgsink_t sink;
    uint64_t id;
    int sink_ok;

    fc.h = curl_easy_init();
    sink_ok = pgsink_open(&sink, job->pg_dsn, job->run_id, job->batch_size, job->out) == 0;
    if (!fc.h || fetch_easy_setup(fc.h, &fc.buf, job->timeout_ms) != CURLE_OK) {
        tp_report_ready(sh, "cannot set up a curl handle");
        goto out;
    }
    if (!sink_ok) {
        char msg[300];
        snprintf(msg, sizeof msg, "worker cannot connect to PostgreSQL: %s", sink.err);
        tp_report_ready(sh, msg);
        goto out;
    }
    tp_report_ready(sh, NULL);
    while (bqueue_pop(&sh->queue, &id) == 0) {
        order_row_t row;
        err_class_t err = fetch_transform_blocking(&fc, id, &row);
        if (err != ERR_NONE)
            outcome_fail(job->out, id, err);
        else
            pgsink_add(&sink, &row);
    }
    pgsink_flush(&sink);
out:
    if (sink_ok)
        pgsink_close(&sink);
    if (fc.h)
        curl_easy_cleanup(fc.h);
    fetch_buf_free(&fc.buf);
    return NULL;
}

static int tp_run(const job_t *job)
{
    int nthreads = job->workers > 0 ? job->workers : (int)job->concurrency;
    int depth = job->queue_depth > 0 ? job->queue_depth : 2 * nthreads;
    tp_shared_t sh = {.job = job};
    pthread_t *threads = calloc((size_t)nthreads, sizeof *threads);
    pthread_attr_t attr;
    int started = 0, rc = 0;

    if (!threads || bqueue_init(&sh.queue, depth)) {
        fprintf(stderr, "thread-pool: out of memory for %d workers\n", nthreads);
        free(threads);
        return 2;
    }
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.ready_cv, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (; started < nthreads; started++) {
        int e = pthread_create(&threads[started], &attr, tp_worker, &sh);
        if (e) {
            fprintf(stderr, "thread-pool: cannot start worker %d of %d: %s\n", started + 1,
                    nthreads, strerror(e));
            rc = 2;
            break;
        }
    }
    atomic_store(&job->out->workers_peak, started);

    /* Every worker connects before the first id is queued, so a database
     * that refuses connections fails the run at once instead of as N
     * per-request errors. */
    pthread_mutex_lock(&sh.mu);
    while (sh.ready < started)
        pthread_cond_wait(&sh.ready_cv, &sh.mu);
    pthread_mutex_unlock(&sh.mu);
    if (sh.failed_setup) {
        fprintf(stderr, "thread-pool: %s\n", sh.setup_err);
        rc = 2;
    }
    if (rc == 0) {
        for (uint64_t id = 1; id <= job->requests; id++) {
            outcome_queued(job->out, id);
            if (bqueue_push(&sh.queue, id))
                break;
        }
    }
    bqueue_close(&sh.queue);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_attr_destroy(&attr);
    bqueue_destroy(&sh.queue);
    pthread_mutex_destroy(&sh.mu);
    pthread_cond_destroy(&sh.ready_cv);
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

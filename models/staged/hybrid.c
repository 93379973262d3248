/* hybrid: one libuv loop owns all I/O (the shared curl-multi and async
 * libpq engine, engine/loop_engine.h, at most C requests in flight) and
 * hands each fetched body to a pool of cpu_workers threads (default: the
 * number of cores) for transform_order — asyncio + run_in_executor. The
 * rows come back to the loop (uv_async) for the batched upsert.
 *
 * Back-pressure: the hand-off is a queue of transform_queue bodies
 * (default 2 x cpu_workers). A request whose body finds it full keeps its
 * fetch slot and waits, parked on the loop, so a slow pool holds slots and
 * fewer requests are fetched; a request keeps its slot until its body is
 * transformed, as a semaphore around fetch-and-transform would, which also
 * lets a bad payload be fetched again within the same slot.
 *
 * Threads, not processes. A body is a few KB read once: a thread reads it
 * in place and returns a ~200-byte row through a mutex, where a process
 * would need both copied through a pipe or shared ring plus a wake-up per
 * request and its own address space; and processes buy nothing here: the
 * transform is pure CPU on private data (no GIL to escape). Measured on the
 * cpu-heavy scenario (1,000 requests, C = 50, transform_cost 25,000; medians
 * of 3 in one run on the shared 2-core VM under a load of ~9, every run
 * flagged invalid, so ratios only; docs/findings.md): hybrid 3.21 s, 2.0
 * MiB, against process-pool's processes 3.51 s, 22.2 MiB (11x the memory
 * for the same use of both cores) and thread-pool 4.52 s, 6.0 MiB;
 * semaphore-loop 4.88 s.
 *
 * The hand-off's price shows at a cheap transform (default scenario: 10,000
 * requests, C = 100, 50 ms): 43-48 µs of CPU per request against
 * semaphore-loop's 29-31 (1.5x; two sessions, medians of 3 on the shared
 * VM, docs/performance.md). Every body wakes a sleeping worker and every
 * row wakes the loop again: tests/bench/handoff.c measures that round trip
 * alone (no work) at 7 µs of CPU above a loop that keeps the request
 * (6.5-9.7), more than the 1.2x target leaves (~6 µs), so hybrid cannot
 * reach it on this machine while it hands each body to another thread. The
 * workers wake the loop for room only when a body is parked (cpu_pool's
 * popped), which took it from 3.4 to 1.9 context switches per request but
 * left its CPU where it was: the wake-ups left are the hand-off itself.
 * --crash-after is not applicable: the workers are threads of the one
 * process. */
#include <pthread.h>
#include <stdlib.h>
#include <uv.h>

#include "common/log.h"
#include "engine/loop_engine.h"
#include "models/model.h"
#include "models/staged/cpu_pool.h"

typedef struct hybrid {
    const job_t *job;
    loop_engine_t *eng;
    cpu_pool_t pool;
    int workers, depth;
    uv_async_t wake; /* results are back, or the hand-off has room */
    pthread_mutex_t mu;
    cpu_item_t *results; /* transformed, for the loop (under mu) */
    cpu_item_t *spare;   /* loop thread only */
} hybrid_t;

static int hybrid_offload(void *ud, void *tag, uint64_t id, const char *body, size_t len)
{
    hybrid_t *h = ud;
    cpu_item_t *it = h->spare;
    if (it)
        h->spare = it->next;
    else if (!(it = malloc(sizeof *it)))
        return LOOP_OFFLOAD_FULL; /* offered again when a result comes back */
    it->tag = tag;
    it->id = id;
    it->body = body;
    it->len = len;
    if (cpu_pool_offer(&h->pool, it)) {
        it->next = h->spare;
        h->spare = it;
        return LOOP_OFFLOAD_FULL;
    }
    return LOOP_OFFLOAD_TAKEN;
}

/* A worker made room while a body was parked (cpu_pool's popped): only
 * then, so the loop is not woken once more per body for nothing. */
static void hybrid_popped(void *ud)
{
    hybrid_t *h = ud;
    uv_async_send(&h->wake);
}

static void hybrid_done(void *ud, cpu_item_t *it)
{
    hybrid_t *h = ud;
    pthread_mutex_lock(&h->mu);
    it->next = h->results;
    h->results = it;
    pthread_mutex_unlock(&h->mu);
    uv_async_send(&h->wake);
}

/* On the loop: rows to the pool (freeing their slots first, so new fetches
 * start), then parked bodies into the room the workers made. */
static void hybrid_wake_cb(uv_async_t *a)
{
    hybrid_t *h = a->data;
    cpu_item_t *list, *next;
    pthread_mutex_lock(&h->mu);
    list = h->results;
    h->results = NULL;
    pthread_mutex_unlock(&h->mu);
    for (; list; list = next) {
        next = list->next;
        loop_engine_transformed(h->eng, list->tag, list->ok ? &list->row : NULL);
        list->next = h->spare;
        h->spare = list;
    }
    loop_engine_offload_resume(h->eng);
}

static int hybrid_attach(void *ud, uv_loop_t *loop, loop_engine_t *e, char *err, size_t errlen)
{
    hybrid_t *h = ud;
    int rc;
    h->eng = e;
    if ((rc = uv_async_init(loop, &h->wake, hybrid_wake_cb))) {
        snprintf(err, errlen, "uv_async_init: %s", uv_strerror(rc));
        return -1;
    }
    h->wake.data = h;
    if (cpu_pool_start(&h->pool, h->workers, h->depth, h->job->transform_cost, h->job->out,
                       hybrid_popped, hybrid_done, h, err, errlen)) {
        uv_close((uv_handle_t *)&h->wake, NULL);
        return -1;
    }
    h->job->out->stage_width[STAGE_FETCH] = (int32_t)h->job->concurrency;
    atomic_store(&h->job->out->workers_peak, 1 + h->workers);
    return 0;
}

/* The bodies still queued belong to slots the engine is about to free:
 * the workers are joined first, so none reads one afterwards. */
static void hybrid_detach(void *ud)
{
    hybrid_t *h = ud;
    cpu_pool_finish(&h->pool);
    uv_close((uv_handle_t *)&h->wake, NULL);
}

/* Defined at the end of the file; its name is the log prefix. */
extern const model_ops_t model_hybrid;

static int hybrid_run(const job_t *job)
{
    hybrid_t h = {.job = job};
    loop_engine_hooks_t hooks = {
        .offload = hybrid_offload,
        .attach = hybrid_attach,
        .detach = hybrid_detach,
        .ud = &h,
    };
    int rc;

    log_init(model_hybrid.name);
    if (job->concurrency == 0) {
        log_error("concurrency must be at least 1");
        return 2;
    }
    h.workers = job->cpu_workers > 0 ? job->cpu_workers : cpu_pool_default_workers();
    h.depth = job->transform_queue > 0 ? job->transform_queue : 2 * h.workers;
    pthread_mutex_init(&h.mu, NULL);
    rc = loop_engine_run_hooked(job, job->concurrency, model_hybrid.name, &hooks);
    while (h.results) {
        cpu_item_t *it = h.results;
        h.results = it->next;
        free(it);
    }
    while (h.spare) {
        cpu_item_t *it = h.spare;
        h.spare = it->next;
        free(it);
    }
    pthread_mutex_destroy(&h.mu);
    return rc;
}

const model_ops_t model_hybrid = {
    .name = "hybrid",
    .summary = "one libuv loop for I/O (C in flight), transforms on cpu_workers threads",
    .knobs = "db_conns,cpu_workers,transform_queue",
    .crash_na = "its transform workers are threads of one process: SIGKILL takes the loop "
                "with them, so there is no single worker to lose and recover from",
    .staged = 1,
    .run = hybrid_run,
};

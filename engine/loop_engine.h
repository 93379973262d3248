/* The event-loop engine: fetch → transform → write for ids fed from
 * outside, all on one caller-provided libuv loop and one thread. Shared by
 * unbounded-loop and semaphore-loop (ids 1..N from loop_engine_run_job) and
 * by the stream-workers consumer (ids from XREADGROUP, acknowledged when
 * on_committed says their rows are in).
 *
 * Per id: wait for an in-flight slot (inflight_limit; 0 = none), then GET it
 * through libcurl's multi socket API (uv_curl), retrying transient failures
 * per workload/retry.h after a uv_timer backoff that honours Retry-After
 * (the slot stays held while backing off, as a semaphore around the whole
 * fetch would), transform it on the loop thread, and hand the row to the
 * PostgreSQL pool (uv_pq). Every step is recorded in job->out. A partial
 * batch is flushed as soon as nothing is being fetched, and within 20 ms
 * regardless (LIMIT_LOOP_FLUSH_MS).
 *
 * Easy handles are pooled: a finished request's handle (and its keep-alive
 * connection in curl's cache) serves the next id; without a limit only a
 * few idle handles are kept (LIMIT_LOOP_SPARE_SLOTS). */
#ifndef CONCBENCH_ENGINE_LOOP_ENGINE_H
#define CONCBENCH_ENGINE_LOOP_ENGINE_H

#include <stdint.h>
#include <uv.h>

#include "common/limits.h"
#include "workload/job.h"
#include "workload/transform.h"

/* PostgreSQL connections when the caller leaves db_conns at 0. */
#define LOOP_ENGINE_DB_CONNS 4
/* Wide runs are spread over ceil(max_connects / LIMIT_LOOP_SHARD_CONNS)
 * curl multi handles on the same loop: libcurl 7.88 walks every connection
 * in a multi handle's cache on each curl_multi_remove_handle (looking for
 * connect-only ones) and every connection to the host on each new transfer
 * (looking for a reusable one): O(N) per request, O(N^2) per run. A request
 * slot stays in one multi, so keep-alive reuse works as before. */

typedef struct loop_engine loop_engine_t;

/* ids[0..n) reached their final outcome, already recorded in the outcome
 * table: ok = 1, their rows are committed; ok = 0, they failed for good
 * (the class is in the table: a fetch failure arrives alone, a DB failure
 * per batch); ok = LOOP_ENGINE_HANDED_OFF, the offload callee took them
 * for good (LOOP_OFFLOAD_GONE). Each submitted id is reported once. */
#define LOOP_ENGINE_HANDED_OFF 2
typedef void (*loop_engine_committed_cb)(void *ud, const uint64_t *ids, int n, int ok);
/* The PostgreSQL pool is connected and prepared: submit away. */
typedef void (*loop_engine_ready_cb)(void *ud);
/* Optional: a slot has just been given back and no submitted id waits for
 * one, so an id submitted now starts at once. For an owner that takes ids
 * only as it has room for them (loop_engine_hooks_t.take_when_free). */
typedef void (*loop_engine_room_cb)(void *ud);
/* The engine cannot go on (PostgreSQL unreachable at start, a curl or libuv
 * failure); msg is one line. Ids not yet reported never will be. */
typedef void (*loop_engine_error_cb)(void *ud, const char *msg);
/* Optional (hybrid, pipeline): the transform runs off the loop. Called on
 * the loop thread with a fetched body instead of transforming it there;
 * Returns LOOP_OFFLOAD_TAKEN (the request keeps its slot, so body stays
 * valid, until the result comes back through loop_engine_transformed with
 * tag), LOOP_OFFLOAD_GONE (the callee copied the body and settles the id
 * itself: the engine forgets it and frees the slot) or LOOP_OFFLOAD_FULL (the
 * hand-off is full: the request keeps its slot and body, so fewer fetches
 * run, and is offered again after loop_engine_offload_resume). */
typedef int (*loop_engine_offload_cb)(void *ud, void *tag, uint64_t id, const char *body,
                                      size_t len);
enum { LOOP_OFFLOAD_TAKEN = 0, LOOP_OFFLOAD_FULL = 1, LOOP_OFFLOAD_GONE = 2 };

/* The callbacks run on the loop thread from inside the engine: they may
 * call loop_engine_submit and uv_stop, never loop_engine_close. */
typedef struct loop_engine_config {
    uv_loop_t *loop;
    /* api_url, pg_dsn, run_id, seed, transform_cost, batch_size, timeout_ms,
     * retries, backoff_ms and out are used; must outlive the engine. */
    const job_t *job;
    uint32_t inflight_limit; /* requests fetching or backing off at once; 0 = unbounded */
    long max_connects;       /* curl connection cache; 0 = inflight_limit */
    int db_conns;            /* 0 = LOOP_ENGINE_DB_CONNS; -1 = no PostgreSQL pool (the owner
                              * writes: offload must return LOOP_OFFLOAD_GONE, on_ready is
                              * never called, submit at once) */
    const char *name;        /* prefixes the one line printed for failed writes */
    loop_engine_committed_cb on_committed;
    loop_engine_ready_cb on_ready;
    loop_engine_error_cb on_error;
    loop_engine_offload_cb offload; /* NULL: transform on the loop thread */
    loop_engine_room_cb on_room;    /* NULL: not called */
    void *ud;
} loop_engine_config_t;

/* Creates the engine and starts connecting to PostgreSQL; on_ready or
 * on_error follows from the loop. Returns NULL with a one-line reason in err
 * (nothing to close then). */
loop_engine_t *loop_engine_create(const loop_engine_config_t *cfg, char *err, size_t errlen);

/* Queues id (marking it queued in the outcome table) and starts it at once
 * when a slot is free. Returns 0, or -1 when the engine has failed (the id
 * is not taken). */
int loop_engine_submit(loop_engine_t *e, uint64_t id);

/* With offload: the hand-off has room again; parked requests are offered
 * again, oldest first. Loop thread only. */
void loop_engine_offload_resume(loop_engine_t *e);

/* With offload: the body offered with tag and taken (LOOP_OFFLOAD_TAKEN)
 * was transformed into *row (marked fetched, written through the pool), or
 * was no order (row NULL: bad_payload, retried like any transient failure,
 * as on the loop thread). Loop thread only. */
void loop_engine_transformed(loop_engine_t *e, void *tag, const order_row_t *row);

/* 1 when an id submitted now would start at once (a slot is free and no
 * submitted id waits for one), else 0. */
int loop_engine_has_room(const loop_engine_t *e);

/* Ids submitted and not yet reported through on_committed. */
uint64_t loop_engine_unsettled(const loop_engine_t *e);

/* Tears down: abandons unreported ids, cleans up curl (closing its cached
 * connections) and libpq, and uv_close()s every handle; the engine frees
 * itself once they are closed, so run the loop until it returns before
 * uv_loop_close. */
void loop_engine_close(loop_engine_t *e);

/* The whole model: raises RLIMIT_NOFILE, runs ids 1..job->requests through
 * an engine on a private loop with inflight_limit (0 = unbounded), and
 * closes everything. Returns 0 when every id reached a final outcome, or 2
 * after printing one line through log_error (the caller has set the log
 * prefix); model names the model in the rlimit and failed-batch lines. */
int loop_engine_run_job(const job_t *job, uint32_t inflight_limit, const char *model);

/* What a model adds to loop_engine_run_job's driver: the transform off the
 * loop (hybrid, pipeline), and how ids are taken. */
typedef struct loop_engine_hooks {
    loop_engine_offload_cb offload;
    int db_conns; /* as loop_engine_config_t.db_conns (-1: no pool) */
    /* 0: the driver submits ids 1..N all at once when the engine is ready
     * (asyncio.gather of N tasks behind a semaphore: the loops, hybrid).
     * 1: it submits the next id only when the engine has room for it
     * (loop_engine_has_room, on_room), so an id is taken when a fetch slot
     * is free and a stage that holds its slots (a full offload) holds back
     * the source too: the driver then keeps no N-sized structure, and an
     * id's wait starts when a slot takes it (pipeline). */
    int take_when_free;
    /* After the engine is created, before any id is submitted: set up what
     * lives on the loop (uv_async...). Returns 0, or -1 with a one-line
     * reason in err. */
    int (*attach)(void *ud, uv_loop_t *loop, loop_engine_t *e, char *err, size_t errlen);
    /* Once the loop has stopped, before the engine closes: stop the threads
     * and uv_close what attach opened (called after a successful attach
     * only). */
    void (*detach)(void *ud);
    void *ud;
} loop_engine_hooks_t;

/* loop_engine_run_job with hooks (NULL: none). */
int loop_engine_run_hooked(const job_t *job, uint32_t inflight_limit, const char *model,
                           const loop_engine_hooks_t *hooks);

#endif

/* Asynchronous PostgreSQL writer for an event loop: a small pool of
 * non-blocking libpq connections in pipeline mode, each watched by a
 * uv_poll on PQsocket, writing transformed rows as batched upserts
 * (engine/pg_batch.h). Nothing here blocks the loop.
 *
 * Rows collect into the current batch; it is sent when it holds batch_size
 * rows, when flush_ms have passed since its first row, or when the owner
 * calls uv_pq_pool_flush (nothing more is coming soon). A sent batch goes to
 * the ready connection with the fewest batches in flight (at most
 * LIMIT_PG_PIPELINE_DEPTH each; the rest wait in the pool) as one
 * PQsendQueryPrepared followed by its own PQpipelineSync, so each batch is
 * one implicit transaction and a failing batch aborts nobody else. A batch
 * is committed when its sync comes back after a successful statement.
 *
 * Failures: a statement error fails that batch. A connection that breaks
 * fails over its in-flight batches to the other connections once (the
 * upsert is idempotent); a batch that breaks a second connection, or finds
 * no live one, fails. Every batch's fate reaches batch_cb exactly once. */
#ifndef CONCBENCH_ENGINE_UV_PQ_H
#define CONCBENCH_ENGINE_UV_PQ_H

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "common/limits.h"
#include "workload/transform.h"

typedef struct uv_pq_pool uv_pq_pool_t;

/* rows[0..n) are committed (ok = 1) or failed for good (ok = 0, err is one
 * line saying why). rows is valid only during the call. */
typedef void (*uv_pq_batch_cb)(void *ud, const order_row_t *rows, int n, int ok, const char *err);
/* Called once: err is NULL when every connection is up with the upsert
 * prepared, else one line saying why the pool cannot be used. */
typedef void (*uv_pq_ready_cb)(void *ud, const char *err);
typedef void (*uv_pq_closed_cb)(void *ud);

typedef struct uv_pq_config {
    uv_loop_t *loop;
    const char *dsn;
    const char *run_id; /* must outlive the pool */
    int conns;          /* >= 1 */
    int batch_size;     /* >= 1 */
    int flush_ms;       /* longest a partial batch waits; >= 1 */
    int connect_timeout_ms;
    _Atomic int64_t *opened; /* bumped per connection established; may be NULL */
    uv_pq_ready_cb ready_cb;
    uv_pq_batch_cb batch_cb;
    void *ud;
} uv_pq_config_t;

/* Starts connecting every connection; the outcome arrives through ready_cb
 * from the loop (never from inside this call). Returns NULL with a one-line
 * reason in err when nothing could be started (bad DSN, out of memory). */
uv_pq_pool_t *uv_pq_pool_create(const uv_pq_config_t *cfg, char *err, size_t errlen);

/* Adds a row to the current batch (sending it when full); its fate reaches
 * batch_cb once, even when the same id is added again before it settled.
 * Rows added before the pool is ready wait for it. */
void uv_pq_pool_add(uv_pq_pool_t *p, const order_row_t *row);

/* Sends the current batch now, however few rows it holds. */
void uv_pq_pool_flush(uv_pq_pool_t *p);

/* Closes every connection and handle, abandoning unsettled rows (no
 * batch_cb for them); closed_cb(ud) runs from the loop once the pool's
 * handles are closed, after which p is freed. Must not be called from inside
 * a pool callback. */
void uv_pq_pool_close(uv_pq_pool_t *p, uv_pq_closed_cb closed_cb, void *ud);

#endif

/* Blocking PostgreSQL sink for the pool models: one connection, one
 * prepared upsert, rows collected into batches of batch_size. A committed
 * batch marks its requests done in the outcome table; a batch that fails
 * (after one reconnect-and-retry when the connection broke) marks them
 * failed with class db. Not thread-safe: one sink per thread or process. */
#ifndef CONCBENCH_ENGINE_PG_SINK_H
#define CONCBENCH_ENGINE_PG_SINK_H

#include <libpq-fe.h>

#include "engine/pg_batch.h"
#include "workload/outcome.h"

typedef struct pg_sink {
    PGconn *conn;
    int connecting;      /* 1 while an asynchronous connect is under way */
    int poll_status;     /* last PostgresPollingStatusType of that connect */
    int64_t deadline_ns; /* the connect gives up then */
    int ready;           /* connected and the upsert prepared */
    pg_batch_t batch;
    const char *run_id;
    outcome_table_t *out;
    char err[256]; /* last DB error, one line */
} pg_sink_t;

/* Starts connecting without waiting, so a worker can fetch while its
 * connection comes up (pg_sink_progress advances it; the first flush waits
 * for the rest). Returns 0, or -1 with the reason in s->err. */
int pg_sink_start(pg_sink_t *s, const char *dsn, const char *run_id, int batch_size,
                  outcome_table_t *out);
/* Advances a pending connect without blocking. Returns 0, or -1 once the
 * connect has failed (reason in s->err). */
int pg_sink_progress(pg_sink_t *s);
/* Waits (up to the connect deadline) until connected and the upsert
 * prepared, for a caller with nothing else to do meanwhile (a writer
 * thread before its first batch). Returns 0, or -1 with the reason in
 * s->err. */
int pg_sink_wait_ready(pg_sink_t *s);
/* Adds a row; flushes when the batch is full. Returns 0, or -1 when a flush
 * failed (its rows are recorded as failed; the sink stays usable). */
int pg_sink_add(pg_sink_t *s, const order_row_t *row);
/* Writes what is batched. Same return as pg_sink_add. */
int pg_sink_flush(pg_sink_t *s);
/* Flushes nothing: call pg_sink_flush first if the rows matter. */
void pg_sink_close(pg_sink_t *s);

#endif

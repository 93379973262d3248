/* Blocking PostgreSQL sink for the pool models: one connection, one
 * prepared upsert, rows collected into batches of batch_size. A committed
 * batch marks its requests done in the outcome table; a batch that fails
 * (after one reconnect-and-retry when the connection broke) marks them
 * failed with class db. Not thread-safe: one sink per thread or process. */
#ifndef CONCBENCH_PGSINK_H
#define CONCBENCH_PGSINK_H

#include <libpq-fe.h>

#include "engine/pg_batch.h"
#include "workload/outcome.h"

typedef struct pgsink {
    PGconn *conn;
    int connecting;      /* 1 while an asynchronous connect is under way */
    int poll_status;     /* last PostgresPollingStatusType of that connect */
    int64_t deadline_ns; /* the connect gives up then */
    int ready;           /* connected and the upsert prepared */
    pgbatch_t batch;
    const char *run_id;
    outcome_table_t *out;
    char err[256]; /* last DB error, one line */
} pgsink_t;

/* Connects and prepares the upsert. Returns 0, or -1 with a one-line reason
 * in s->err (the sink is then closed). Counts the connection in
 * out->db_conns. */
int pgsink_open(pgsink_t *s, const char *dsn, const char *run_id, int batch_size,
                outcome_table_t *out);
/* Starts connecting without waiting, so a worker can fetch while its
 * connection comes up (pgsink_progress advances it; the first flush waits
 * for the rest). Returns 0, or -1 with the reason in s->err. */
int pgsink_start(pgsink_t *s, const char *dsn, const char *run_id, int batch_size,
                 outcome_table_t *out);
/* Advances a pending connect without blocking. Returns 0, or -1 once the
 * connect has failed (reason in s->err). */
int pgsink_progress(pgsink_t *s);
/* Waits (up to the connect deadline) until connected and prepared.
 * Returns 0 or -1 with the reason in s->err. */
int pgsink_ready(pgsink_t *s);
/* Adds a row; flushes when the batch is full. Returns 0, or -1 when a flush
 * failed (its rows are recorded as failed; the sink stays usable). */
int pgsink_add(pgsink_t *s, const order_row_t *row);
/* Writes what is batched. Same return as pgsink_add. */
int pgsink_flush(pgsink_t *s);
/* Flushes nothing: call pgsink_flush first if the rows matter. */
void pgsink_close(pgsink_t *s);

#endif

/* Blocking PostgreSQL sink for the pool models: one connection, one
 * prepared upsert, rows collected into batches of batch_size. A committed
 * batch marks its requests done in the outcome table; a batch that fails
 * (after one reconnect-and-retry when the connection broke) marks them
 * failed with class db. Not thread-safe: one sink per thread or process. */
#ifndef CONCBENCH_PGSINK_H
#define CONCBENCH_PGSINK_H

#include <libpq-fe.h>

#include "outcome.h"
#include "pgbatch.h"

typedef struct pgsink {
    PGconn *conn;
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
/* Adds a row; flushes when the batch is full. Returns 0, or -1 when a flush
 * failed (its rows are recorded as failed; the sink stays usable). */
int pgsink_add(pgsink_t *s, const order_row_t *row);
/* Writes what is batched. Same return as pgsink_add. */
int pgsink_flush(pgsink_t *s);
/* Flushes nothing: call pgsink_flush first if the rows matter. */
void pgsink_close(pgsink_t *s);

#endif

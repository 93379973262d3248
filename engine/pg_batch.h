/* Batched upsert of transformed orders: the one SQL statement every model
 * sends, built here so the blocking sink (pools) and the async sink (event
 * loops) write exactly the same thing. A batch is one multi-row
 * INSERT ... SELECT FROM unnest(...) ON CONFLICT (run_id, id) DO UPDATE, so a
 * re-delivered id updates its row and bumps `deliveries` instead of failing. */
#ifndef CONCBENCH_ENGINE_PG_BATCH_H
#define CONCBENCH_ENGINE_PG_BATCH_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "engine/pg_bounded.h"
#include "workload/transform.h"

#define PG_BATCH_NPARAMS 7
#define PG_BATCH_STMT "concbench_upsert"
#define PG_BATCH_TABLE "concbench_orders"
/* One row per run that is over (run_id, closed_at): the upsert writes
 * nothing for such a run. A stream worker cut off from Redis by a
 * partition keeps the rows it fetched and commits them once it is back; if
 * the run ended meanwhile (the others claimed its entries), those rows
 * would arrive after the run was verified and its rows dropped. The row
 * is kept after the run so that it stays closed. */
#define PG_BATCH_CLOSED_TABLE "concbench_closed_runs"

/* libpq "options" every connection that writes batches passes: the
 * statement timeout, so a hung upsert fails its batch instead of the run. */
#define PG_BATCH_CONN_OPTIONS "-c statement_timeout=" LIMIT_STR(LIMIT_PG_STATEMENT_TIMEOUT_MS)

extern const char pg_batch_upsert_sql[];

typedef struct pg_batch {
    int n, cap;
    order_row_t *rows;
    char *arrays[PG_BATCH_NPARAMS - 1]; /* array literals, rebuilt per flush */
    size_t arrays_cap[PG_BATCH_NPARAMS - 1];
} pg_batch_t;

/* Returns 0, or -1 when out of memory. cap >= 1 rows. */
int pg_batch_init(pg_batch_t *b, int cap);
void pg_batch_free(pg_batch_t *b);
/* Adds a row; an id already in the batch is replaced (one INSERT may not
 * touch a row twice). Returns 1 when the batch is full, else 0. */
int pg_batch_add(pg_batch_t *b, const order_row_t *row);
/* Fills values[PG_BATCH_NPARAMS] for PQexecPrepared/PQsendQueryPrepared. The
 * pointers stay valid until the next pg_batch_add or pg_batch_params. Returns 0
 * or -1 when out of memory. */
int pg_batch_params(pg_batch_t *b, const char *run_id, const char *values[PG_BATCH_NPARAMS]);
static inline void pg_batch_clear(pg_batch_t *b)
{
    b->n = 0;
}

/* Creates the orders table and the closed-runs table if missing, on conn
 * (blocking, within the bound b). Returns 0 or -1 with the server's
 * message (or why it did not answer) in err. */
int pg_batch_schema_ensure(PGconn *conn, const pg_bound_t *b, char *err, size_t errlen);

/* Closes run_id (blocking): from the moment this commits, an upsert of the
 * run that starts writes no row. One that the server is executing at that
 * moment may still commit; only the statement's own run time is left open.
 * Returns 0 or -1 with the server's message in err. */
int pg_batch_run_close(PGconn *conn, const char *run_id, char *err, size_t errlen);

/* Opens a blocking connection with bounded connect time. Returns NULL with a
 * one-line reason in err. */
PGconn *pg_connect_blocking(const char *dsn, char *err, size_t errlen);

/* Writes dsn (a keyword DSN or a postgresql:// URI) into out as a keyword
 * DSN without its password, values quoted, for command lines others may
 * read; libpq takes the password from PGPASSWORD or PGPASSFILE instead.
 * Returns 1 when dsn had a password, 0 when not, -1 with libpq's reason in
 * err when dsn does not parse or does not fit in cap. */
int pg_dsn_without_password(const char *dsn, char *out, size_t cap, char *err, size_t errlen);

#endif

/* Batched upsert of transformed orders: the one SQL statement every model
 * sends, built here so the blocking sink (pools) and the async sink (event
 * loops) write exactly the same thing. A batch is one multi-row
 * INSERT ... SELECT FROM unnest(...) ON CONFLICT (run_id, id) DO UPDATE, so a
 * re-delivered id updates its row and bumps `deliveries` instead of failing. */
#ifndef CONCBENCH_PGBATCH_H
#define CONCBENCH_PGBATCH_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "workload/transform.h"

#define PGBATCH_NPARAMS 7
#define PGBATCH_STMT "concbench_upsert"
#define PGBATCH_TABLE "concbench_orders"

extern const char pgbatch_upsert_sql[];
extern const char pgbatch_schema_sql[];

typedef struct pgbatch {
    int n, cap;
    order_row_t *rows;
    char *arrays[PGBATCH_NPARAMS - 1]; /* array literals, rebuilt per flush */
    size_t arrays_cap[PGBATCH_NPARAMS - 1];
} pgbatch_t;

/* Returns 0, or -1 when out of memory. cap >= 1 rows. */
int pgbatch_init(pgbatch_t *b, int cap);
void pgbatch_free(pgbatch_t *b);
/* Adds a row; an id already in the batch is replaced (one INSERT may not
 * touch a row twice). Returns 1 when the batch is full, else 0. */
int pgbatch_add(pgbatch_t *b, const order_row_t *row);
/* Fills values[PGBATCH_NPARAMS] for PQexecPrepared/PQsendQueryPrepared. The
 * pointers stay valid until the next pgbatch_add or pgbatch_params. Returns 0
 * or -1 when out of memory. */
int pgbatch_params(pgbatch_t *b, const char *run_id, const char *values[PGBATCH_NPARAMS]);
static inline void pgbatch_clear(pgbatch_t *b)
{
    b->n = 0;
}

/* Runs pgbatch_schema_sql on conn (blocking). Returns 0 or -1 with the
 * server's message in err. */
int pgbatch_schema_ensure(PGconn *conn, char *err, size_t errlen);

/* Opens a blocking connection with bounded connect time. Returns NULL with a
 * one-line reason in err. */
PGconn *pg_connect_blocking(const char *dsn, char *err, size_t errlen);

#endif

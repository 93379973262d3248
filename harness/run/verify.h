/* Verification of one run: what PostgreSQL holds for run_id against what
 * the outcome table says succeeded and what the generator and transform say
 * each row must be. */
#ifndef CONCBENCH_VERIFY_H
#define CONCBENCH_VERIFY_H

#include <libpq-fe.h>
#include <stdint.h>

#include "engine/pg_bounded.h"
#include "workload/outcome.h"

typedef struct verify_result {
    uint64_t rows;       /* rows for run_id */
    uint64_t wrong;      /* rows whose values differ from the expected ones */
    uint64_t unexpected; /* rows for ids the outcome table does not call done */
    uint64_t missing;    /* done ids without a row */
    uint64_t duplicates; /* extra deliveries absorbed by the upsert: Σ(deliveries - 1) */
    /* 1: the table holds exactly the rows the model reported committed
     * (rows == done, none missing, none unexpected) and each is right. */
    int rows_match;
    char first_problem[256];
} verify_result_t;

/* Reads the run's rows over conn (within the bound b) and checks them.
 * Returns 0 with *r filled, or -1 with the reason in err when the rows
 * could not be read (PostgreSQL failed, or did not answer within b). */
int verify_run(PGconn *conn, const pg_bound_t *b, const char *run_id, outcome_table_t *t,
               uint64_t seed, int items, unsigned cost, verify_result_t *r, char *err,
               size_t errlen);

/* Rows verify_run reads per statement: ~300 bytes each held by libpq, so
 * ~20 MB whatever the run's size. */
#define VERIFY_CHUNK_ROWS 65536u

/* verify_run reading the rows chunk_rows at a time in id order (keyset
 * pagination); the checks and *r are the same for every chunk_rows >= 1.
 * chunk_rows 0 is an error. */
int verify_run_chunked(PGconn *conn, const pg_bound_t *b, const char *run_id, outcome_table_t *t,
                       uint64_t seed, int items, unsigned cost, unsigned chunk_rows,
                       verify_result_t *r, char *err, size_t errlen);

/* Whether a run whose rows were checked into *r is ok: its rows match
 * (rows_match) and the requests that failed for good are at most
 * max_error_rate of requests. A run that did not finish is never ok; the
 * caller checks that. Pure; cannot fail. */
int verify_run_ok(const verify_result_t *r, uint64_t failed, uint32_t requests,
                  double max_error_rate);

/* Deletes the run's rows (within the bound b). Returns 0 or -1. */
int verify_drop_rows(PGconn *conn, const pg_bound_t *b, const char *run_id);

#endif

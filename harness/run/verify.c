#include "harness/run/verify.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/pg_batch.h"
#include "workload/transform.h"

typedef struct verify_job {
    PGresult *res;
    int from, to;
    outcome_table_t *t;
    uint64_t seed;
    int items;
    unsigned cost;
    uint64_t wrong, unexpected, duplicates;
    uint8_t *seen;
    char problem[256];
} verify_job_t;

static void note(verify_job_t *j, const char *fmt, uint64_t id)
{
    if (!j->problem[0])
        snprintf(j->problem, sizeof j->problem, fmt, id);
}

/* Recomputing the expected row costs a transform per row (heavy when
 * transform_cost is), so the rows are split across the machine's cores. */
static void *verify_slice(void *arg)
{
    verify_job_t *j = arg;
    for (int i = j->from; i < j->to; i++) {
        uint64_t id = strtoull(PQgetvalue(j->res, i, 0), NULL, 10);
        long deliveries = strtol(PQgetvalue(j->res, i, 6), NULL, 10);
        order_row_t want;
        if (id < 1 || id > j->t->n) {
            j->unexpected++;
            note(j, "row for id %" PRIu64 " outside 1..N", id);
            continue;
        }
        j->seen[id - 1] = 1;
        if (deliveries > 1)
            j->duplicates += (uint64_t)(deliveries - 1);
        if (atomic_load(&outcome_slot(j->t, id)->state) != SLOT_DONE) {
            j->unexpected++;
            note(j, "row for id %" PRIu64 " which the model did not report as committed", id);
        }
        if (transform_expected(j->seed, id, j->items, j->cost, &want) != 0 ||
            strcmp(PQgetvalue(j->res, i, 1), want.customer) != 0 ||
            strcmp(PQgetvalue(j->res, i, 2), want.currency) != 0 ||
            strtol(PQgetvalue(j->res, i, 3), NULL, 10) != want.item_count ||
            strtoll(PQgetvalue(j->res, i, 4), NULL, 10) != want.total_cents ||
            strcmp(PQgetvalue(j->res, i, 5), want.digest) != 0) {
            j->wrong++;
            note(j, "row for id %" PRIu64 " differs from the generator and transform", id);
        }
    }
    return NULL;
}

/* Checks the rows of one result set across the machine's cores, adding
 * the counts into *r; the first problem found wins. */
static void verify_rows(PGresult *res, outcome_table_t *t, uint64_t seed, int items, unsigned cost,
                        uint8_t *seen, verify_result_t *r)
{
    int nrows = PQntuples(res), nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    verify_job_t jobs[16];
    pthread_t th[16];

    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > 16)
        nthreads = 16;
    for (int k = 0; k < nthreads; k++) {
        jobs[k] = (verify_job_t){.res = res,
                                 .from = (int)((long)nrows * k / nthreads),
                                 .to = (int)((long)nrows * (k + 1) / nthreads),
                                 .t = t,
                                 .seed = seed,
                                 .items = items,
                                 .cost = cost,
                                 .seen = seen};
        if (pthread_create(&th[k], NULL, verify_slice, &jobs[k]) != 0) {
            verify_slice(&jobs[k]);
            th[k] = 0;
        }
    }
    r->rows += (uint64_t)nrows;
    for (int k = 0; k < nthreads; k++) {
        if (th[k])
            pthread_join(th[k], NULL);
        r->wrong += jobs[k].wrong;
        r->unexpected += jobs[k].unexpected;
        r->duplicates += jobs[k].duplicates;
        if (!r->first_problem[0] && jobs[k].problem[0])
            snprintf(r->first_problem, sizeof r->first_problem, "%s", jobs[k].problem);
    }
}

int verify_run(PGconn *conn, const pg_bound_t *b, const char *run_id, outcome_table_t *t,
               uint64_t seed, int items, unsigned cost, verify_result_t *r, char *err,
               size_t errlen)
{
    return verify_run_chunked(conn, b, run_id, t, seed, items, cost, VERIFY_CHUNK_ROWS, r, err,
                              errlen);
}

int verify_run_chunked(PGconn *conn, const pg_bound_t *b, const char *run_id, outcome_table_t *t,
                       uint64_t seed, int items, unsigned cost, unsigned chunk_rows,
                       verify_result_t *r, char *err, size_t errlen)
{
    /* Keyset pagination by id over the (run_id, id) primary key: each chunk
     * is its own statement, so libpq holds at most chunk_rows rows at once
     * (one result set of 1,000,000 rows was ~290 MB) and a failure leaves
     * no transaction or cursor behind. The first chunk starts below every
     * bigint, so a row with an id outside 1..N is read like any other. */
    char after[32] = "-9223372036854775808", limit[16];
    const char *params[3] = {run_id, after, limit};
    uint8_t *seen = NULL;

    memset(r, 0, sizeof *r);
    if (chunk_rows < 1) {
        snprintf(err, errlen, "verification chunk of 0 rows");
        return -1;
    }
    snprintf(limit, sizeof limit, "%u", chunk_rows);
    seen = calloc(t->n ? t->n : 1, 1);
    if (!seen) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (;;) {
        char why[256];
        PGresult *res =
            pg_exec_bounded(conn,
                            "SELECT id, customer, currency, item_count, total_cents, digest, "
                            "deliveries FROM " PG_BATCH_TABLE
                            " WHERE run_id = $1 AND id > $2::bigint ORDER BY id LIMIT $3::bigint",
                            3, params, b, why, sizeof why);
        int nrows;
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            /* No result at all (a dead or silent server): the reason is
             * pg_exec_bounded's. */
            snprintf(err, errlen, "reading rows of %s: %s", run_id,
                     res ? PQresultErrorMessage(res) : why);
            err[strcspn(err, "\n")] = '\0';
            PQclear(res);
            free(seen);
            return -1;
        }
        nrows = PQntuples(res);
        verify_rows(res, t, seed, items, cost, seen, r);
        if (nrows > 0)
            snprintf(after, sizeof after, "%s", PQgetvalue(res, nrows - 1, 0));
        PQclear(res);
        if ((unsigned)nrows < chunk_rows)
            break;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        if (atomic_load(&t->slots[i].state) == SLOT_DONE && !seen[i]) {
            if (!r->missing && !r->first_problem[0])
                snprintf(r->first_problem, sizeof r->first_problem,
                         "id %u was reported committed but has no row", i + 1);
            r->missing++;
        }
    }
    r->rows_match =
        r->wrong == 0 && r->unexpected == 0 && r->missing == 0 && r->rows == atomic_load(&t->done);
    free(seen);
    return 0;
}

int verify_run_ok(const verify_result_t *r, uint64_t failed, uint32_t requests,
                  double max_error_rate)
{
    /* In integers, so that 0.1 x 300 is 30 failures allowed, not 29 by a
     * rounding of the product. */
    uint64_t allowed = (uint64_t)(max_error_rate * (double)requests + 1e-9);
    return r->rows_match && failed <= allowed;
}

int verify_drop_rows(PGconn *conn, const pg_bound_t *b, const char *run_id)
{
    const char *params[1] = {run_id};
    char why[256];
    PGresult *res = pg_exec_bounded(conn, "DELETE FROM " PG_BATCH_TABLE " WHERE run_id = $1", 1,
                                    params, b, why, sizeof why);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok ? 0 : -1;
}

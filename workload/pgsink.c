#include "pgsink.h"

#include <stdio.h>
#include <string.h>

static int pgsink_prepare(pgsink_t *s)
{
    PGresult *r = PQprepare(s->conn, PGBATCH_STMT, pgbatch_upsert_sql, PGBATCH_NPARAMS, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        snprintf(s->err, sizeof s->err, "preparing upsert: %s", PQresultErrorMessage(r));
        s->err[strcspn(s->err, "\n")] = '\0';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

int pgsink_open(pgsink_t *s, const char *dsn, const char *run_id, int batch_size,
                outcome_table_t *out)
{
    memset(s, 0, sizeof *s);
    s->run_id = run_id;
    s->out = out;
    if (pgbatch_init(&s->batch, batch_size)) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    s->conn = pg_connect_blocking(dsn, s->err, sizeof s->err);
    if (!s->conn)
        goto fail;
    atomic_fetch_add(&out->db_conns, 1);
    if (pgsink_prepare(s))
        goto fail;
    return 0;
fail:
    pgsink_close(s);
    return -1;
}

static int pgsink_exec(pgsink_t *s, const char *const values[PGBATCH_NPARAMS])
{
    PGresult *r = PQexecPrepared(s->conn, PGBATCH_STMT, PGBATCH_NPARAMS, values, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        snprintf(s->err, sizeof s->err, "%s", PQresultErrorMessage(r));
        s->err[strcspn(s->err, "\n")] = '\0';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

int pgsink_flush(pgsink_t *s)
{
    const char *values[PGBATCH_NPARAMS];
    int rc;

    if (s->batch.n == 0)
        return 0;
    if (pgbatch_params(&s->batch, s->run_id, values)) {
        snprintf(s->err, sizeof s->err, "out of memory building a batch");
        rc = -1;
    } else {
        rc = pgsink_exec(s, values);
        /* A broken connection (server restart, idle kill) gets one fresh
         * try; a statement error does not, it would fail the same way. */
        if (rc && PQstatus(s->conn) == CONNECTION_BAD) {
            PQreset(s->conn);
            if (PQstatus(s->conn) == CONNECTION_OK && pgsink_prepare(s) == 0)
                rc = pgsink_exec(s, values);
        }
    }
    for (int i = 0; i < s->batch.n; i++) {
        if (rc == 0)
            outcome_done(s->out, s->batch.rows[i].id);
        else
            outcome_fail(s->out, s->batch.rows[i].id, ERR_DB);
    }
    pgbatch_clear(&s->batch);
    return rc;
}

int pgsink_add(pgsink_t *s, const order_row_t *row)
{
    if (pgbatch_add(&s->batch, row))
        return pgsink_flush(s);
    return 0;
}

void pgsink_close(pgsink_t *s)
{
    if (s->conn)
        PQfinish(s->conn);
    s->conn = NULL;
    pgbatch_free(&s->batch);
}

#include "engine/pg_sink.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"

static int pg_sink_prepare(pg_sink_t *s)
{
    PGresult *r = PQprepare(s->conn, PG_BATCH_STMT, pg_batch_upsert_sql, PG_BATCH_NPARAMS, NULL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        snprintf(s->err, sizeof s->err, "preparing upsert: %s", PQresultErrorMessage(r));
        s->err[strcspn(s->err, "\n")] = '\0';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static void pg_sink_set_err(pg_sink_t *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s%s", what, s->conn ? PQerrorMessage(s->conn) : "");
    s->err[strcspn(s->err, "\n")] = '\0';
}

int pg_sink_start(pg_sink_t *s, const char *dsn, const char *run_id, int batch_size,
                  outcome_table_t *out)
{
    /* Same bounds as pg_connect_blocking; values in dsn win. */
    const char *keys[] = {"options", "dbname", NULL};
    const char *vals[] = {PG_BATCH_CONN_OPTIONS, dsn, NULL};

    memset(s, 0, sizeof *s);
    s->run_id = run_id;
    s->out = out;
    if (pg_batch_init(&s->batch, batch_size)) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    s->conn = PQconnectStartParams(keys, vals, 1);
    if (!s->conn || PQstatus(s->conn) == CONNECTION_BAD) {
        pg_sink_set_err(s, s->conn ? "" : "out of memory");
        return -1;
    }
    s->connecting = 1;
    s->poll_status = PGRES_POLLING_WRITING; /* what libpq says to start with */
    s->deadline_ns = clock_now_ns() + LIMIT_PG_CONNECT_TIMEOUT_S * CLOCK_NS_PER_S;
    atomic_fetch_add(&out->db_conns, 1);
    return 0;
}

/* One step of the connect state machine: waits up to timeout_ms for the
 * socket to be ready in the direction libpq asked for, then lets libpq go
 * on. Returns 1 once connected and prepared, 0 while pending, -1 failed. */
static int pg_sink_connect_step(pg_sink_t *s, int timeout_ms)
{
    while (s->connecting) {
        struct pollfd pfd = {.fd = PQsocket(s->conn)};
        int n;
        if (s->poll_status == PGRES_POLLING_FAILED) {
            pg_sink_set_err(s, "");
            s->connecting = 0;
            return -1;
        }
        if (s->poll_status == PGRES_POLLING_OK) {
            s->connecting = 0;
            break;
        }
        if (clock_now_ns() > s->deadline_ns) {
            snprintf(s->err, sizeof s->err, "connecting to PostgreSQL timed out after %d s",
                     LIMIT_PG_CONNECT_TIMEOUT_S);
            s->connecting = 0;
            s->poll_status = PGRES_POLLING_FAILED;
            return -1;
        }
        pfd.events = s->poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        n = poll(&pfd, 1, timeout_ms);
        if (n == 0)
            return 0;
        if (n < 0)
            continue; /* EINTR */
        s->poll_status = PQconnectPoll(s->conn);
    }
    if (s->poll_status != PGRES_POLLING_OK)
        return -1;
    return 1;
}

int pg_sink_progress(pg_sink_t *s)
{
    return s->connecting && pg_sink_connect_step(s, 0) < 0 ? -1 : 0;
}

int pg_sink_wait_ready(pg_sink_t *s)
{
    int rc;
    if (!s->conn) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err, "not connected");
        return -1;
    }
    if (s->ready)
        return 0;
    while ((rc = pg_sink_connect_step(s, LIMIT_PG_CONNECT_POLL_MS)) == 0)
        ;
    if (rc < 0 || pg_sink_prepare(s))
        return -1;
    s->ready = 1;
    return 0;
}

static int pg_sink_exec(pg_sink_t *s, const char *const values[PG_BATCH_NPARAMS])
{
    PGresult *r = PQexecPrepared(s->conn, PG_BATCH_STMT, PG_BATCH_NPARAMS, values, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        snprintf(s->err, sizeof s->err, "%s", PQresultErrorMessage(r));
        s->err[strcspn(s->err, "\n")] = '\0';
    }
    PQclear(r);
    return ok ? 0 : -1;
}

int pg_sink_flush(pg_sink_t *s)
{
    const char *values[PG_BATCH_NPARAMS];
    int rc;

    if (s->batch.n == 0)
        return 0;
    if (pg_sink_wait_ready(s)) {
        rc = -1;
    } else if (pg_batch_params(&s->batch, s->run_id, values)) {
        snprintf(s->err, sizeof s->err, "out of memory building a batch");
        rc = -1;
    } else {
        rc = pg_sink_exec(s, values);
        /* A broken connection (server restart, idle kill) gets one fresh
         * try; a statement error does not, it would fail the same way. */
        if (rc && PQstatus(s->conn) == CONNECTION_BAD) {
            PQreset(s->conn);
            if (PQstatus(s->conn) == CONNECTION_OK && pg_sink_prepare(s) == 0)
                rc = pg_sink_exec(s, values);
        }
    }
    for (int i = 0; i < s->batch.n; i++) {
        if (rc == 0)
            outcome_done(s->out, s->batch.rows[i].id);
        else
            outcome_fail(s->out, s->batch.rows[i].id, ERR_DB);
    }
    pg_batch_clear(&s->batch);
    return rc;
}

int pg_sink_add(pg_sink_t *s, const order_row_t *row)
{
    if (pg_batch_add(&s->batch, row))
        return pg_sink_flush(s);
    return 0;
}

void pg_sink_close(pg_sink_t *s)
{
    if (s->conn)
        PQfinish(s->conn);
    s->conn = NULL;
    pg_batch_free(&s->batch);
}

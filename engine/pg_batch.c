#include "engine/pg_batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char pg_batch_schema_sql[] = "CREATE TABLE IF NOT EXISTS " PG_BATCH_TABLE " ("
                                          " run_id text NOT NULL,"
                                          " id bigint NOT NULL,"
                                          " customer text NOT NULL,"
                                          " currency text NOT NULL,"
                                          " item_count int NOT NULL,"
                                          " total_cents bigint NOT NULL,"
                                          " digest text NOT NULL,"
                                          " deliveries int NOT NULL DEFAULT 1,"
                                          " written_at timestamptz NOT NULL DEFAULT now(),"
                                          " PRIMARY KEY (run_id, id));"
                                          "CREATE TABLE IF NOT EXISTS " PG_BATCH_CLOSED_TABLE " ("
                                          " run_id text PRIMARY KEY,"
                                          " closed_at timestamptz NOT NULL DEFAULT now())";

const char pg_batch_upsert_sql[] =
    "INSERT INTO " PG_BATCH_TABLE " AS o"
    " (run_id, id, customer, currency, item_count, total_cents, digest)"
    " SELECT $1, u.id, u.customer, u.currency, u.item_count, u.total_cents, u.digest"
    " FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[])"
    " AS u(id, customer, currency, item_count, total_cents, digest)"
    " WHERE NOT EXISTS (SELECT 1 FROM " PG_BATCH_CLOSED_TABLE " c WHERE c.run_id = $1)"
    " ON CONFLICT (run_id, id) DO UPDATE SET customer = EXCLUDED.customer,"
    " currency = EXCLUDED.currency, item_count = EXCLUDED.item_count,"
    " total_cents = EXCLUDED.total_cents, digest = EXCLUDED.digest,"
    " deliveries = o.deliveries + 1, written_at = now()";

int pg_batch_init(pg_batch_t *b, int cap)
{
    memset(b, 0, sizeof *b);
    if (cap < 1)
        cap = 1;
    b->rows = calloc((size_t)cap, sizeof *b->rows);
    if (!b->rows)
        return -1;
    b->cap = cap;
    return 0;
}

void pg_batch_free(pg_batch_t *b)
{
    free(b->rows);
    for (int i = 0; i < PG_BATCH_NPARAMS - 1; i++)
        free(b->arrays[i]);
    memset(b, 0, sizeof *b);
}

int pg_batch_add(pg_batch_t *b, const order_row_t *row)
{
    for (int i = 0; i < b->n; i++) {
        if (b->rows[i].id == row->id) {
            b->rows[i] = *row;
            return b->n >= b->cap;
        }
    }
    b->rows[b->n++] = *row;
    return b->n >= b->cap;
}

static int arr_reserve(pg_batch_t *b, int a, size_t need)
{
    size_t cap = b->arrays_cap[a] ? b->arrays_cap[a] : 256;
    char *p;
    if (need <= b->arrays_cap[a])
        return 0;
    while (cap < need)
        cap *= 2;
    p = realloc(b->arrays[a], cap);
    if (!p)
        return -1;
    b->arrays[a] = p;
    b->arrays_cap[a] = cap;
    return 0;
}

/* Appends one element to an array literal; text elements are quoted (the
 * generator's strings hold no quotes or backslashes, but a bad payload that
 * slipped through must not break the statement). */
static int arr_put(pg_batch_t *b, int a, size_t *len, const char *elem, int quote)
{
    char *d;
    if (arr_reserve(b, a, *len + 2 * strlen(elem) + 4))
        return -1;
    d = b->arrays[a] + *len;
    if (*len > 1)
        *d++ = ',';
    if (quote)
        *d++ = '"';
    for (const char *s = elem; *s; s++) {
        if (quote && (*s == '"' || *s == '\\'))
            *d++ = '\\';
        *d++ = *s;
    }
    if (quote)
        *d++ = '"';
    *len = (size_t)(d - b->arrays[a]);
    return 0;
}

int pg_batch_params(pg_batch_t *b, const char *run_id, const char *values[PG_BATCH_NPARAMS])
{
    size_t len[PG_BATCH_NPARAMS - 1];
    char num[32];

    for (int a = 0; a < PG_BATCH_NPARAMS - 1; a++) {
        if (arr_reserve(b, a, 2))
            return -1;
        b->arrays[a][0] = '{';
        len[a] = 1;
    }
    for (int i = 0; i < b->n; i++) {
        const order_row_t *r = &b->rows[i];
        snprintf(num, sizeof num, "%" PRIu64, r->id);
        if (arr_put(b, 0, &len[0], num, 0) || arr_put(b, 1, &len[1], r->customer, 1) ||
            arr_put(b, 2, &len[2], r->currency, 1))
            return -1;
        snprintf(num, sizeof num, "%" PRId32, r->item_count);
        if (arr_put(b, 3, &len[3], num, 0))
            return -1;
        snprintf(num, sizeof num, "%" PRId64, r->total_cents);
        if (arr_put(b, 4, &len[4], num, 0) || arr_put(b, 5, &len[5], r->digest, 1))
            return -1;
    }
    values[0] = run_id;
    for (int a = 0; a < PG_BATCH_NPARAMS - 1; a++) {
        if (arr_reserve(b, a, len[a] + 2))
            return -1;
        b->arrays[a][len[a]] = '}';
        b->arrays[a][len[a] + 1] = '\0';
        values[a + 1] = b->arrays[a];
    }
    return 0;
}

int pg_batch_run_close(PGconn *conn, const char *run_id, char *err, size_t errlen)
{
    const char *values[1] = {run_id};
    PGresult *r = PQexecParams(
        conn, "INSERT INTO " PG_BATCH_CLOSED_TABLE " (run_id) VALUES ($1) ON CONFLICT DO NOTHING",
        1, NULL, values, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "closing run %s in %s: %s", run_id, PG_BATCH_CLOSED_TABLE,
                 PQresultErrorMessage(r));
        err[strcspn(err, "\n")] = '\0';
        rc = -1;
    }
    PQclear(r);
    return rc;
}

int pg_batch_schema_ensure(PGconn *conn, const pg_bound_t *b, char *err, size_t errlen)
{
    char why[256];
    PGresult *r = pg_exec_bounded(conn, pg_batch_schema_sql, 0, NULL, b, why, sizeof why);
    int rc = 0;
    if (!r) {
        snprintf(err, errlen, "creating table %s: %s", PG_BATCH_TABLE, why);
        rc = -1;
    } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "creating table %s: %s", PG_BATCH_TABLE, PQresultErrorMessage(r));
        err[strcspn(err, "\n")] = '\0';
        rc = -1;
    }
    PQclear(r);
    return rc;
}

PGconn *pg_connect_blocking(const char *dsn, char *err, size_t errlen)
{
    /* connect_timeout bounds a server that accepts and never answers;
     * statement_timeout bounds a query that hangs. Values in dsn win. */
    const char *keys[] = {"connect_timeout", "options", "dbname", NULL};
    const char *vals[] = {LIMIT_STR(LIMIT_PG_CONNECT_TIMEOUT_S), PG_BATCH_CONN_OPTIONS, dsn, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        const char *m = c ? PQerrorMessage(c) : "out of memory";
        snprintf(err, errlen, "%s", m);
        err[strcspn(err, "\n")] = '\0';
        PQfinish(c);
        return NULL;
    }
    return c;
}

int pg_dsn_without_password(const char *dsn, char *out, size_t cap, char *err, size_t errlen)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &why);
    size_t len = 0;
    int had = 0, rc = 0;

    if (!opts) {
        snprintf(err, errlen, "bad PostgreSQL DSN: %s", why ? why : "out of memory");
        err[strcspn(err, "\n")] = '\0';
        PQfreemem(why);
        return -1;
    }
    if (cap)
        out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword && rc == 0; o++) {
        if (!o->val)
            continue;
        if (strcmp(o->keyword, "password") == 0) {
            had = 1;
            continue;
        }
        if (len + strlen(o->keyword) + 4 >= cap) {
            rc = -1;
            break;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s='", len ? " " : "", o->keyword);
        for (const char *v = o->val; *v && rc == 0; v++) {
            if (len + 4 >= cap)
                rc = -1;
            else if (*v == '\'' || *v == '\\')
                len += (size_t)snprintf(out + len, cap - len, "\\%c", *v);
            else
                out[len++] = *v;
        }
        if (rc == 0 && len + 2 < cap) {
            out[len++] = '\'';
            out[len] = '\0';
        } else {
            rc = -1;
        }
    }
    PQconninfoFree(opts);
    if (rc) {
        snprintf(err, errlen, "PostgreSQL DSN too long");
        return -1;
    }
    return had;
}

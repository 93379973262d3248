#include "engine/pg_bounded.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"

/* The longest single poll: a stop flag raised by a signal that interrupts
 * nothing (it came on another thread) is still seen this soon. */
#define PG_BOUNDED_NAP_MS 100

/* Reads results until the one in flight is complete. Returns the last
 * result (NULL when there was none), or sets *failed with err filled. */
static PGresult *pg_bounded_wait(PGconn *c, const pg_bound_t *b, int *failed, char *err,
                                 size_t errlen)
{
    int64_t now = clock_now_ns();
    int64_t idle_deadline = now + (int64_t)b->idle_ms * CLOCK_NS_PER_MS, stop_deadline = -1;
    PGresult *last = NULL;

    *failed = 0;
    for (;;) {
        while (!PQisBusy(c)) {
            PGresult *r = PQgetResult(c);
            if (!r)
                return last;
            PQclear(last);
            last = r;
        }
        now = clock_now_ns();
        if (b->stop && *b->stop && stop_deadline < 0)
            stop_deadline = now + (int64_t)b->stop_grace_ms * CLOCK_NS_PER_MS;
        if (now >= idle_deadline || (stop_deadline >= 0 && now >= stop_deadline)) {
            if (stop_deadline >= 0 && now >= stop_deadline)
                snprintf(err, errlen, "interrupted while waiting for PostgreSQL");
            else
                snprintf(err, errlen,
                         "PostgreSQL sent nothing for %g s (stopped or overloaded?); gave up",
                         b->idle_ms / 1000.0);
            break;
        }
        int64_t until =
            stop_deadline >= 0 && stop_deadline < idle_deadline ? stop_deadline : idle_deadline;
        int64_t wait_ms = (until - now) / CLOCK_NS_PER_MS + 1;
        struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
        int n = poll(&pfd, 1, wait_ms < PG_BOUNDED_NAP_MS ? (int)wait_ms : PG_BOUNDED_NAP_MS);
        if (n < 0 && errno != EINTR) {
            snprintf(err, errlen, "waiting for PostgreSQL: poll: %s", strerror(errno));
            break;
        }
        if (n > 0) {
            if (!PQconsumeInput(c)) {
                snprintf(err, errlen, "PostgreSQL connection lost: %s", PQerrorMessage(c));
                err[strcspn(err, "\n")] = '\0';
                break;
            }
            idle_deadline = clock_now_ns() + (int64_t)b->idle_ms * CLOCK_NS_PER_MS;
        }
    }
    PQclear(last);
    *failed = 1;
    return NULL;
}

PGresult *pg_exec_bounded(PGconn *c, const char *sql, int nparams, const char *const *params,
                          const pg_bound_t *b, char *err, size_t errlen)
{
    PGresult *r;
    int failed;

    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "no connection to PostgreSQL%s%s", c ? ": " : "",
                 c ? PQerrorMessage(c) : "");
        err[strcspn(err, "\n")] = '\0';
        return NULL;
    }
    /* An earlier query given up: its answer comes first. */
    if (PQtransactionStatus(c) == PQTRANS_ACTIVE) {
        PQclear(pg_bounded_wait(c, b, &failed, err, errlen));
        if (failed)
            return NULL;
    }
    /* Without parameters, the simple protocol: sql may hold several
     * statements (a schema), which the extended one refuses. */
    if (!(nparams ? PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0)
                  : PQsendQuery(c, sql))) {
        snprintf(err, errlen, "cannot send a query to PostgreSQL: %s", PQerrorMessage(c));
        err[strcspn(err, "\n")] = '\0';
        return NULL;
    }
    r = pg_bounded_wait(c, b, &failed, err, errlen);
    if (!failed && !r)
        snprintf(err, errlen, "PostgreSQL returned no result");
    return r;
}

int pg_async_send(PGconn *c, const char *sql)
{
    if (!c || PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) == PQTRANS_ACTIVE)
        return -1;
    return PQsendQuery(c, sql) ? 0 : -1;
}

int pg_async_poll(PGconn *c, PGresult **res)
{
    if (!PQconsumeInput(c))
        return -1;
    while (!PQisBusy(c)) {
        PGresult *r = PQgetResult(c);
        if (!r)
            return 1;
        PQclear(*res);
        *res = r;
    }
    return 0;
}

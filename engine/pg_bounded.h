/* A blocking query with a client-side bound, for the harness's own
 * connection. libpq's PQexec waits forever for a server that stopped
 * answering (SIGSTOP, a frozen VM, a lost network) — statement_timeout
 * needs a server that runs — so every query the harness makes goes through
 * here instead: sent asynchronously, answered within the bound or given
 * up. */
#ifndef CONCBENCH_ENGINE_PG_BOUNDED_H
#define CONCBENCH_ENGINE_PG_BOUNDED_H

#include <libpq-fe.h>
#include <signal.h>
#include <stddef.h>

typedef struct pg_bound {
    /* Give up when the server has sent nothing for this long (a result
     * that streams in keeps the query alive). */
    int idle_ms;
    /* When *stop turns non-zero (an interruption), give up at most
     * stop_grace_ms later, whatever idle_ms says. NULL: never. */
    const volatile sig_atomic_t *stop;
    int stop_grace_ms;
} pg_bound_t;

/* Runs sql with nparams text parameters (params may be NULL when 0) on the
 * blocking connection c and returns its last result (the caller checks its
 * status and PQclears it), or NULL with a one-line reason in err: the
 * server did not answer within the bound, the stop flag was raised, or the
 * connection failed. A query given up stays in flight: the next call first
 * waits (within its own bound) for its answer and drops it, so the
 * connection stays usable if the server comes back. */
PGresult *pg_exec_bounded(PGconn *c, const char *sql, int nparams, const char *const *params,
                          const pg_bound_t *b, char *err, size_t errlen);

/* The same query split in two for a caller that must never block (a
 * monitor's tick): pg_async_send sends sql (no parameters) and returns 0,
 * or -1 when it cannot be sent (another query still in flight, or no
 * connection). pg_async_poll then reads whatever arrived without waiting,
 * keeping the last result read in *res (NULL before the first call; the
 * caller PQclears it), and returns 1 once the query is complete, 0 while
 * it is not, or -1 when the connection failed. A query never completed
 * is drained by the next pg_exec_bounded. */
int pg_async_send(PGconn *c, const char *sql);
int pg_async_poll(PGconn *c, PGresult **res);

#endif

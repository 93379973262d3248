/* Every timeout, interval and cap of the project, named once with its
 * reason. Code refers to these names; a bare time literal elsewhere is a
 * fact without a home. Grouped by the layer that uses them; a knob users
 * can set lives in the knob table instead (harness/config). */
#ifndef CONCBENCH_COMMON_LIMITS_H
#define CONCBENCH_COMMON_LIMITS_H

/* ---- workload: the retry policy every model follows ---- */

/* The longest backoff between two attempts of one request. Doubling from
 * backoff_ms reaches it after a few attempts; beyond it a retry storm
 * would only stretch the run, not spare the API. A server's Retry-After
 * may still ask for longer and is honoured. */
#define LIMIT_RETRY_BACKOFF_MAX_MS 5000

/* ---- engine: connecting to the services ---- */

/* ---- models ---- */

/* ---- harness: services it starts and stops ---- */

/* Services the harness can hold at once: a run needs three, a sweep that
 * restarts the mock API briefly four; the rest is headroom for tests. */
#define LIMIT_SVC_MAX 16
/* How long a service may take to stop after its graceful signal: a
 * PostgreSQL fast shutdown writes a checkpoint, which on a slow disk under
 * load takes seconds. Beyond it the whole process group gets SIGKILL. */
#define LIMIT_SVC_STOP_GRACE_MS 10000
/* How long to wait for a SIGKILLed service to be reapable; the kernel frees
 * a big shared-memory segment in well under this. */
#define LIMIT_SVC_KILL_WAIT_MS 5000
/* The longest nap between two checks of a stopping child: short enough
 * that a stop does not add visible latency, long enough not to spin. */
#define LIMIT_SVC_EXIT_POLL_MAX_MS 20
/* Tries to start a server on a fresh free port: another process can take
 * the port between our probe and the server's bind. */
#define LIMIT_SVC_START_ATTEMPTS 3
/* Time for mockapi to print its "listening on" line: it binds at once, so
 * anything longer is a broken binary or a machine far too loaded to time. */
#define LIMIT_SVC_MOCKAPI_READY_MS 10000
/* After mockapi closed its stdout without listening, how long to wait for
 * its exit status, which names the reason in the error. */
#define LIMIT_SVC_MOCKAPI_EXIT_WAIT_MS 2000
/* initdb fsyncs a whole cluster; on a slow CI disk that takes a minute. */
#define LIMIT_SVC_PG_INITDB_MS 120000
/* Time for a fresh postmaster to accept connections (crash recovery is
 * never needed on a fresh cluster; this covers a loaded machine). */
#define LIMIT_SVC_PG_READY_MS 60000
/* The nap between two PQping probes while PostgreSQL starts. */
#define LIMIT_SVC_PG_READY_POLL_MS 20
/* connect_timeout of each readiness probe, in seconds (libpq's unit): a
 * probe must not hang past the readiness deadline. */
#define LIMIT_SVC_PG_PROBE_TIMEOUT_S 2
/* Time for redis-server to answer PING: it loads nothing (no persistence). */
#define LIMIT_SVC_REDIS_READY_MS 20000
/* The nap between two PING probes while redis-server starts. */
#define LIMIT_SVC_REDIS_READY_POLL_MS 10
/* Send and receive timeout of a readiness probe's TCP socket: a loopback
 * peer that does not answer within it is not ready. */
#define LIMIT_SVC_PROBE_IO_TIMEOUT_S 1
/* Descriptors nftw may hold open while it removes a service's folder:
 * the folders are a few levels deep. */
#define LIMIT_SVC_RM_TREE_FDS 16

/* ---- harness: running and measuring a model ---- */

/* ---- harness: reports ---- */

#endif

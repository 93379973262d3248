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

/* How often the model's process tree is re-enumerated (a walk over /proc)
 * when summed PSS is the memory figure: a worker forked and gone between
 * two walks is missed, so the walk is frequent, but it costs the harness
 * CPU that harness_cpu_s reports. Also `concbench measure`'s cadence. */
#define LIMIT_RUN_TREE_PSS_MS 100
/* The same beside a cgroup, which holds the figure itself: the tree only
 * feeds the process counts and the cross-checks, so it can be slower. */
#define LIMIT_RUN_TREE_CGROUP_MS 250
/* The monitor's tick beside a cgroup: nothing needs sampling faster, and
 * the pidfd wakes it the moment the model exits anyway. */
#define LIMIT_RUN_CGROUP_TICK_MS 250
/* Beside a cgroup, how often the summed RSS (cheap: statm) is taken as a
 * cross-check of the cgroup's peak. */
#define LIMIT_RUN_RSS_CHECK_MS 1000
/* After an interruption's SIGTERM, how long a model may take to exit
 * before its whole process group gets SIGKILL. */
#define LIMIT_RUN_TERM_GRACE_MS 3000
/* The longest tick while a crash injection is pending: the worker must be
 * killed close to the completed fraction asked for. */
#define LIMIT_RUN_CRASH_TICK_MS 5
/* The longest nap when no pidfd can be had (kernels before 5.3): without
 * one, the model's exit is noticed only at the next tick, which adds to
 * its wall time. */
#define LIMIT_RUN_NO_PIDFD_NAP_MS 10
/* How often the progress line is redrawn on a terminal... */
#define LIMIT_RUN_PROGRESS_TTY_MS 200
/* ...and how often a new one is printed to a log file or pipe. */
#define LIMIT_RUN_PROGRESS_LOG_MS 5000
/* The width of one window of the throughput timeline (results and the
 * throughput chart): fine enough to show a pool's start-up and stalls. */
#define LIMIT_RUN_TIMELINE_WINDOW_MS 100
/* The most requests --scale may make of a scenario: the outcome table is
 * one shared mapping of this many slots. */
#define LIMIT_RUN_SCALED_REQUESTS_MAX 10000000
/* `concbench measure --sample-ms`: the default sampling period and the
 * range it accepts. */
#define LIMIT_MEASURE_SAMPLE_MS_DEFAULT 10
#define LIMIT_MEASURE_SAMPLE_MS_MAX 10000

/* ---- harness: reports ---- */

/* Spread of a model's run-to-run wall time above which results.json marks
 * it noisy (summary[].noisy): the slowest run more than 1.25 x the
 * fastest, or a median absolute deviation beyond 5% of the median. Past
 * these, a difference between two models of that size may be chance. */
#define LIMIT_NOISY_MAX_OVER_MIN 1.25
#define LIMIT_NOISY_MAD_OVER_MEDIAN 0.05

/* The most models a sweep's chart draws a line for (sweep.csv lists them
 * all): beyond a few dozen lines no colour or legend tells them apart. */
#define LIMIT_SWEEP_CHART_MODELS 64

#endif

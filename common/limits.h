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

/* Turns a numeric limit into the string libpq's option values want. */
#define LIMIT_STR_(x) #x
#define LIMIT_STR(x) LIMIT_STR_(x)

/* A blocking PostgreSQL connect (harness set-up, the pool models' sinks)
 * gives up after this: a server that accepts and never answers must end
 * the run with one line, not hang it. */
#define LIMIT_PG_CONNECT_TIMEOUT_S 10

/* The event-loop pool's connect bound: until its connections are up the
 * loop models have nowhere to commit, and a dead server should fail the
 * run at start-up, not after the fetches. */
#define LIMIT_PG_LOOP_CONNECT_TIMEOUT_MS 5000

/* statement_timeout sent on every connection: an upsert that hangs (a lock
 * wait, a stuck server) fails its batch after this instead of holding the
 * run forever. */
#define LIMIT_PG_STATEMENT_TIMEOUT_MS 60000

/* The longest one blocking flush may take: the statement, a reconnect after
 * a broken connection, and the retried statement. Stall and stop bounds
 * are built on it. */
#define LIMIT_PG_FLUSH_BOUND_MS                                                                    \
    (2LL * LIMIT_PG_STATEMENT_TIMEOUT_MS + LIMIT_PG_CONNECT_TIMEOUT_S * 1000LL)

/* How often a waiting blocking sink looks at the clock while its connect
 * finishes: short enough to notice the connect deadline promptly. */
#define LIMIT_PG_CONNECT_POLL_MS 100

/* Batches one async PostgreSQL connection has in flight (pipelined): enough
 * to hide the round trip, few enough that a broken connection fails over
 * little work. */
#define LIMIT_PG_PIPELINE_DEPTH 8

/* Rows the event-loop engine batches for at most this long once nothing is
 * being fetched, so a slow trickle still commits promptly. */
#define LIMIT_LOOP_FLUSH_MS 20

/* Connections per curl multi handle. libcurl 7.88 walks every connection in
 * a multi handle's cache on each curl_multi_remove_handle and every
 * connection to the host on each new transfer, so one multi with 10K
 * connections costs seconds of CPU; the loop engine shards above this. */
#define LIMIT_LOOP_SHARD_CONNS 256

/* Attempts the loop engine hands to curl per loop turn. curl connects every
 * handle added since its last timer callback in one go (~100 us of
 * socket()+connect() each on loopback), and nothing else on the loop runs
 * meanwhile; 256 keeps a turn to ~25 ms, so a request is sent and its
 * response read within a turn or two of its connection being up, while N =
 * 10,000 are all handed over within 40 turns. */
#define LIMIT_LOOP_START_SLICE 256

/* Idle request slots (easy handles) the loop engine keeps when there is no
 * in-flight limit: enough for reuse, not one per request ever made. */
#define LIMIT_LOOP_SPARE_SLOTS 64

/* curl's documented minimum for CURLOPT_BUFFERSIZE. */
#define LIMIT_HTTP_RECV_BUFFER_MIN_BYTES 1024

/* Room for a response's status line and headers (mockapi sends ~130 bytes). */
#define LIMIT_HTTP_HEAD_MAX 256

/* Receive buffer size given to curl: responses are small, and with 10K
 * handles the default 16 KiB each would dominate memory. */
#define LIMIT_HTTP_RECV_BUFFER_BYTES 4096

/* A TCP connect to the API is given at most this long, even when a
 * request's timeout is longer: a connect that slow is a dead server. */
#define LIMIT_HTTP_CONNECT_TIMEOUT_MAX_MS 5000

/* How often a ready Redis connection's watchdog looks at its outstanding
 * commands (the timeout it enforces is the caller's reply_timeout_ms). */
#define LIMIT_REDIS_WATCH_MS 250

/* ---- models ---- */

/* thread-pool: each worker thread's stack. A thread needs little (curl and
 * libpq allocate on the heap), and with hundreds of threads the default
 * 8 MiB each would reserve gigabytes of address space. */
#define LIMIT_TP_STACK_BYTES (256 * 1024)

/* The longest wait between two attempts a stall bound allows for: the
 * retry policy's cap (LIMIT_RETRY_BACKOFF_MAX_MS) or a server's Retry-After,
 * which may ask for a minute. */
#define LIMIT_MODEL_BACKOFF_BOUND_MS 60000LL

/* process-pool: a forked worker must report READY within this (curl handle
 * made, PostgreSQL connect started); a worker that never does is a broken
 * environment and fails the run. */
#define LIMIT_PP_SETUP_TIMEOUT_S 30

/* process-pool: how long stopping workers get to commit and exit before
 * they are killed. */
#define LIMIT_PP_STOP_TIMEOUT_S 10

/* process-pool: the dispatcher's poll() timeout, so deadlines and signals
 * are looked at even when no worker writes. */
#define LIMIT_PP_POLL_MS 250

/* process-pool: workers forked between two looks at the sockets while the
 * pool starts, so the first to be ready get chunks while later ones are
 * still forking. */
#define LIMIT_PP_SPAWN_BATCH 8

/* stream-workers coordinator: connecting to Redis; an unreachable Redis is
 * one line and exit 2 within this. */
#define LIMIT_SWC_CONNECT_TIMEOUT_MS 3000

/* stream-workers coordinator: XADD commands per pipelined round trip while
 * producing, and entries read per XREAD of the outcomes stream. */
#define LIMIT_SWC_XADD_BATCH 1000
#define LIMIT_SWC_OUTCOMES_READ_MAX 1000

/* stream-workers coordinator: one monitoring lap's sleep, cut short when an
 * external worker reports. */
#define LIMIT_SWC_LAP_MS 5

/* stream-workers coordinator: the interval between two samples of the
 * stream's pending count (the peak the report shows). */
#define LIMIT_SWC_SAMPLE_MS 20

/* stream-workers coordinator: how long it waits for the external workers a
 * run asked for to join. */
#define LIMIT_SWC_JOIN_TIMEOUT_S 300

/* stream-workers coordinator: while waiting for external workers, how long
 * one look at the outcomes stream blocks between checks of the deadline,
 * signals and local workers. */
#define LIMIT_SWC_JOIN_POLL_MS 100

/* stream-workers coordinator: how long stopping workers get before
 * SIGKILL, and how often it reaps them meanwhile. */
#define LIMIT_SWC_STOP_TIMEOUT_S 10
#define LIMIT_SWC_REAP_POLL_MS 2

/* stream-workers consumer: XREADGROUP ... BLOCK, how long an idle read
 * waits before it is renewed. */
#define LIMIT_SW_BLOCK_MS 1000

/* stream-workers consumer: connecting to Redis. */
#define LIMIT_SW_CONNECT_TIMEOUT_MS 5000

/* stream-workers consumer: a Redis that leaves a command unanswered this
 * long (beyond BLOCK for a read) is treated as gone: the worker fails
 * instead of hanging. */
#define LIMIT_SW_REPLY_TIMEOUT_MS 10000

/* stream-workers consumer: how long a stopping worker keeps going for the
 * ids it holds. */
#define LIMIT_SW_DRAIN_MS 30000

/* stream-workers consumer: how long CLOSING waits for the last
 * acknowledgements, and how often it looks. */
#define LIMIT_SW_CLOSE_BOUND_MS 5000
#define LIMIT_SW_CLOSER_MS 5

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
/* How long the processes left in a model's cgroup (workers whose parent
 * was killed) may take to die once killed, before the group is reported
 * as not removable: SIGKILL takes effect in milliseconds. */
#define LIMIT_RUN_CGROUP_DRAIN_MS 5000
/* How long the harness waits for PostgreSQL's count of the model's
 * backends (a tick's side job): a server that does not answer this fast
 * is not asked again during the run, and the watchdog (stall_timeout)
 * judges the run itself. */
#define LIMIT_RUN_PG_BACKENDS_MS 2000
/* Once interrupted, how long the harness still waits for PostgreSQL to
 * verify and drop the run's rows: a stopped server must not hold a user
 * who pressed Ctrl-C. */
#define LIMIT_RUN_INTERRUPTED_PG_MS 3000
/* The no-progress watchdog's limit when stall_timeout is left at 0: a
 * minute, or one request's worst case (every attempt timing out, plus
 * its backoffs) when that is longer. */
#define LIMIT_STALL_DEFAULT_S 60
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
/* How often `progress = json` writes a line: often enough for a
 * dashboard, rare enough not to flood a CI log. */
#define LIMIT_RUN_PROGRESS_JSON_MS 1000
/* The width of one window of the throughput timeline (results and the
 * throughput chart): fine enough to show a pool's start-up and stalls. */
#define LIMIT_RUN_TIMELINE_WINDOW_MS 100
/* How often the harness samples a staged model's stages and queues
 * (stages-MODEL-R.csv). */
#define LIMIT_RUN_STAGES_TICK_MS 20
/* Samples a stages timeline keeps at most, whatever the run's length:
 * once full, neighbours merge (each field keeps its larger value) and each
 * sample then stands for twice as many ticks (runner_stages_add). */
#define LIMIT_RUN_STAGES_SAMPLES 1024
/* A scenario file is a few dozen `key = value` lines: one larger than
 * this, or a line longer than this, is not a scenario (a device, a
 * binary, a log given by mistake) and is refused before it is read into
 * memory. */
#define LIMIT_SCENARIO_FILE_BYTES 65536
#define LIMIT_SCENARIO_LINE_BYTES 1024

/* The most requests --scale may make of a scenario: the outcome table is
 * one shared mapping of this many slots. */
#define LIMIT_RUN_SCALED_REQUESTS_MAX 10000000
/* `concbench measure --sample-ms`: the default sampling period and the
 * range it accepts. */
#define LIMIT_MEASURE_SAMPLE_MS_DEFAULT 10
#define LIMIT_MEASURE_SAMPLE_MS_MAX 10000

/* A run's measurement is valid (harness/run/validity.h) only when the mock
 * API answered on time: the p99 of how late it handed answers to the
 * socket, past their due time, at most this fraction of the API's latency
 * and at most LIMIT_VALID_LATE_MAX_MS (issue 16: 10%, 5 ms) — but never
 * below LIMIT_VALID_LATE_RESOLUTION_MS, the mock's own resolution: its
 * lateness histogram has 1 ms buckets reported by their upper bound, so
 * a p99 of 1 ms may be no delay at all. */
#define LIMIT_VALID_LATE_FRACTION 0.10
#define LIMIT_VALID_LATE_MAX_MS 5.0
#define LIMIT_VALID_LATE_RESOLUTION_MS 1.0
/* ...and when other processes left the machine to the run: the CPU time
 * the machine spent outside the run's own processes (the model's tree,
 * the services concbench started, the harness) and the kernel's threads,
 * plus the time the hypervisor stole, at most this fraction of the
 * machine's capacity (cores x the run's time). A quarter is a whole core on a 4-core laptop, half
 * of one on the 2-core VM this was written on: enough to make a pool wait
 * for its CPU. */
#define LIMIT_VALID_OTHERS_CPU_SHARE 0.25

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

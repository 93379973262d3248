/* The knob table: one row per knob, with its type, bounds, default, help
 * and flags. Everything else about a knob (parsing, `concbench list`, the
 * copy in results.json, what a harness-started mockapi is told, what
 * compare requires to match) reads these rows instead of keeping a list. */
#include <stddef.h>
#include <string.h>

#include "harness/config/config.h"
#include "harness/config/limit_spec.h"
#include "workload/order.h"

#define J(f) offsetof(config_t, job.f)
#define C(f) offsetof(config_t, f)

/* How a mock knob's TYPE is held here. */
#define KNOB_TYPE_DOUBLE KNOB_DOUBLE
#define KNOB_TYPE_U64 KNOB_U64
#define KNOB_TYPE_INT KNOB_INT
#define KNOB_TYPE_DIST KNOB_CHOICE
#define KNOB_TYPE_MS KNOB_DOUBLE
#define KNOB_TYPE_RATE KNOB_DOUBLE
#define KNOB_FLAGS_DOUBLE 0
#define KNOB_FLAGS_U64 0
#define KNOB_FLAGS_INT 0
#define KNOB_FLAGS_DIST 0
#define KNOB_FLAGS_MS KNOB_DURATION
#define KNOB_FLAGS_RATE KNOB_FRACTION
#define KNOB_CHOICES_MS NULL
#define KNOB_CHOICES_RATE NULL
#define KNOB_CHOICES_DOUBLE NULL
#define KNOB_CHOICES_U64 NULL
#define KNOB_CHOICES_INT NULL
#define KNOB_CHOICES_DIST MOCK_LATENCY_DISTS

/* The absolute limits' values (harness/config/limit_spec.h). */
static int knob_check_p99(const char *name, const char *value, char *err, size_t errlen)
{
    limit_spec_t s;
    return limit_spec_parse(name, LIMIT_KIND_DURATION_MS, value, &s, err, errlen);
}

static int knob_check_mem(const char *name, const char *value, char *err, size_t errlen)
{
    limit_spec_t s;
    return limit_spec_parse(name, LIMIT_KIND_MIB, value, &s, err, errlen);
}

/* One row per knob. min/max bound numbers (inclusive). The help text is
 * what `concbench list` prints. */
const knob_t config_knobs[] = {
    {.name = "model",
     .type = KNOB_STR,
     .offset = C(models),
     .def = "all",
     .min = 0,
     .max = 0,
     .flags = 0,
     .help = "models to run: comma-separated names, or all"},
    {.name = "requests",
     .type = KNOB_U32,
     .offset = J(requests),
     .def = "1000",
     .min = 1,
     .max = 10000000,
     .flags = KNOB_WORKLOAD,
     .help = "requests per run (ids 1..N)"},
    {.name = "concurrency",
     .type = KNOB_U32,
     .offset = J(concurrency),
     .def = "50",
     .min = 1,
     .max = 100000,
     .flags = KNOB_WORKLOAD,
     .help = "requests in flight at once (C): workers, threads or the loop's limit"},
/* The mock API's behaviour: the rows of workload/mock_knobs.h, which
 * mockapi parses its flags from too. */
#define MOCK_ROW(knob, flag, ktype, lo, hi, api_def, run_def, text)                                \
    {.name = #knob,                                                                                \
     .type = KNOB_TYPE_##ktype,                                                                    \
     .offset = C(mock.knob),                                                                       \
     .def = run_def,                                                                               \
     .min = lo,                                                                                    \
     .max = hi,                                                                                    \
     .flags = KNOB_WORKLOAD | KNOB_MOCK | KNOB_FLAGS_##ktype,                                      \
     .mock_flag = flag,                                                                            \
     .choices = KNOB_CHOICES_##ktype,                                                              \
     .help = text},
    MOCK_KNOBS(MOCK_ROW)
#undef MOCK_ROW
        {.name = "seed",
         .type = KNOB_U64,
         .offset = J(seed),
         .def = "42",
         .min = 0,
         /* results.json holds it as a JSON integer: signed 64 bits. */
         .max = 9.2e18,
         .flags = KNOB_WORKLOAD | KNOB_MOCK,
         .mock_flag = "--seed",
         .help = "seed of the order generator and every random choice"},
    {.name = "items",
     .type = KNOB_INT,
     .offset = J(items),
     .def = "10",
     .min = 1,
     .max = ORDER_ITEMS_MAX,
     .flags = KNOB_WORKLOAD | KNOB_MOCK,
     .mock_flag = "--items",
     .help = "line items per order (payload size: ~60 bytes each)"},
    {.name = "transform_cost",
     .type = KNOB_U32,
     .offset = J(transform_cost),
     .def = "1",
     .min = 1,
     .max = 10000000,
     .flags = KNOB_WORKLOAD,
     .help = "SHA-256 rounds per transform (CPU per request)"},
    {.name = "batch_size",
     .type = KNOB_INT,
     .offset = J(batch_size),
     .def = "50",
     .min = 1,
     .max = 10000,
     .flags = KNOB_WORKLOAD,
     .help = "rows per upsert statement"},
    {.name = "timeout_ms",
     .type = KNOB_INT,
     .offset = J(timeout_ms),
     .def = "10000",
     .min = 1,
     .max = 600000,
     .flags = KNOB_WORKLOAD | KNOB_DURATION,
     .help = "timeout of one HTTP attempt, connect included"},
    {.name = "retries",
     .type = KNOB_INT,
     .offset = J(retries),
     .def = "2",
     .min = 0,
     .max = 100,
     .flags = KNOB_WORKLOAD,
     .help = "further attempts after a transient failure (429, 5xx, timeout, reset, bad payload)"},
    {.name = "backoff_ms",
     .type = KNOB_INT,
     .offset = J(backoff_ms),
     .def = "50",
     .min = 1,
     .max = 60000,
     .flags = KNOB_WORKLOAD | KNOB_DURATION,
     .help = "first retry backoff (doubles per attempt, equal jitter, Retry-After honoured)"},
    {.name = "db_conns",
     .type = KNOB_INT,
     .offset = J(db_conns),
     .def = "0",
     .min = 0,
     .max = 1000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "PostgreSQL connections of the event-loop engines (0: model default)"},
    {.name = "workers",
     .type = KNOB_INT,
     .offset = J(workers),
     .def = "0",
     .min = 0,
     .max = 10000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "threads or processes of the pools (0: concurrency)"},
    {.name = "chunk",
     .type = KNOB_INT,
     .offset = J(chunk),
     .def = "0",
     .min = 0,
     .max = 100000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "ids a process-pool worker takes at a time (0: model default)"},
    {.name = "queue_depth",
     .type = KNOB_INT,
     .offset = J(queue_depth),
     .def = "0",
     .min = 0,
     .max = 10000000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "bound of the thread-pool queue (0: 2 x workers)"},
    {.name = "procs",
     .type = KNOB_INT,
     .offset = J(procs),
     .def = "0",
     .min = 0,
     .max = 1000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "stream-workers processes (0: model default)"},
    {.name = "consumers",
     .type = KNOB_INT,
     .offset = J(consumers),
     .def = "0",
     .min = 0,
     .max = 100000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "stream-workers consumers per process (0: concurrency / procs)"},
    {.name = "claim_idle_ms",
     .type = KNOB_INT,
     .offset = J(claim_idle_ms),
     .def = "0",
     .min = 0,
     .max = 600000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL | KNOB_DURATION,
     .help = "stream-workers: claim pending entries idle this long (0: model default)"},
    {.name = "external_workers",
     .type = KNOB_INT,
     .offset = J(external_workers),
     .def = "0",
     .min = 0,
     .max = 10000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "stream-workers: external `concbench worker` consumers to wait for"},
    {.name = "cpu_workers",
     .type = KNOB_INT,
     .offset = J(cpu_workers),
     .def = "0",
     .min = 0,
     .max = 1000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "hybrid, pipeline: transform threads (0: the number of cores)"},
    {.name = "transform_queue",
     .type = KNOB_INT,
     .offset = J(transform_queue),
     .def = "0",
     .min = 0,
     .max = 1000000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "hybrid, pipeline: bound of the queue of fetched bodies before the transform "
             "workers "
             "(0: 2 x cpu_workers)"},
    {.name = "write_queue",
     .type = KNOB_INT,
     .offset = J(write_queue),
     .def = "0",
     .min = 0,
     .max = 1000000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL,
     .help = "pipeline: bound of the queue of rows before the writers (0: 2 x db_conns x "
             "batch_size)"},
    {.name = "stall_timeout_ms",
     .type = KNOB_INT,
     .offset = J(stall_timeout_ms),
     .def = "60000",
     .min = 100,
     .max = 3600000,
     .flags = KNOB_WORKLOAD | KNOB_MODEL | KNOB_DURATION,
     .help = "external models: stop a program that reports nothing for this long"},
    {.name = "out",
     .type = KNOB_STR,
     .offset = C(out_dir),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = 0,
     .help = "output folder (default results/<UTC time>-<scenario>)"},
    {.name = "scenario",
     .type = KNOB_STR,
     .offset = C(scenario),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = 0,
     .help = "scenario name or file (key = value)"},
    {.name = "api",
     .type = KNOB_STR,
     .offset = C(api),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = KNOB_SECRET, /* a URL may carry user:password@ */
     .help = "use this mock API URL instead of starting one"},
    {.name = "pg",
     .type = KNOB_STR,
     .offset = C(pg),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = KNOB_SECRET,
     .help = "use this PostgreSQL (libpq DSN) instead of a private one"},
    {.name = "redis",
     .type = KNOB_STR,
     .offset = C(redis),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = KNOB_SECRET,
     .help = "use this Redis URL instead of a private redis-server"},
    {.name = "repeat",
     .type = KNOB_INT,
     .offset = C(repeat),
     .def = "1",
     .min = 1,
     .max = 1000,
     .flags = 0,
     .help = "measured runs per model"},
    {.name = "warmup",
     .type = KNOB_INT,
     .offset = C(warmup),
     .def = "0",
     .min = 0,
     .max = 100,
     .flags = 0,
     .help = "unmeasured runs per model first"},
    {.name = "crash_after",
     .type = KNOB_DOUBLE,
     .offset = C(crash_after),
     .def = "0",
     .min = 0,
     .max = 0.99,
     .flags = KNOB_WORKLOAD | KNOB_FRACTION,
     .help = "SIGKILL one worker once this fraction of requests completed (0: off)"},
    {.name = "max_error_rate",
     .type = KNOB_DOUBLE,
     .offset = C(max_error_rate),
     .def = "0",
     .min = 0,
     .max = 1,
     .flags = KNOB_WORKLOAD | KNOB_FRACTION,
     .help = "a run is ok while at most this fraction of its requests fails for good (0: none); "
             "a run beyond it is not ok: exit 1"},
    {.name = "pg_max_conns",
     .type = KNOB_INT,
     .offset = C(pg_max_conns),
     .def = "400",
     .min = 10,
     .max = 10000,
     .flags = 0,
     .help = "max_connections of the private PostgreSQL"},
    {.name = "sample_ms",
     .type = KNOB_INT,
     .offset = C(sample_ms),
     .def = "10",
     .min = 1,
     .max = 10000,
     .flags = KNOB_DURATION,
     .help = "interval of /proc memory sampling when no cgroup is usable"},
    {.name = "pss_check_ms",
     .type = KNOB_INT,
     .offset = C(pss_check_ms),
     .def = "0",
     .min = 0,
     .max = 600000,
     .flags = KNOB_DURATION,
     .help = "beside a cgroup, sum the tree's PSS this often as a cross-check (0: never; it costs "
             "~0.1 ms per process)"},
    {.name = "stall_timeout",
     .type = KNOB_INT,
     .offset = C(stall_timeout_s),
     .def = "0",
     .min = 0,
     .max = 86400,
     .flags = 0,
     .help = "seconds without progress (no request fetched, failed or committed) after which a "
             "run is stopped as stalled (exit 2); also the bound on each harness query to "
             "PostgreSQL (0: the larger of 60 s and the longest one request may take)"},
    {.name = "memory_method",
     .type = KNOB_STR,
     .offset = C(memory_method),
     .def = "auto",
     .min = 0,
     .max = 0,
     .flags = 0,
     .choices = "auto|cgroup-v2|cgroup-v1|proc-pss",
     .help = "auto, cgroup-v2, cgroup-v1 or proc-pss: how peak memory is measured"},
    {.name = "scale",
     .type = KNOB_DOUBLE,
     .offset = C(scale),
     .def = "1",
     .min = 0.0001,
     .max = 1000,
     .flags = 0,
     .help = "multiply requests by this (e.g. 0.05 runs a preset at a twentieth of its size)"},
    {.name = "sweep",
     .type = KNOB_STR,
     .offset = C(sweep),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = 0,
     .help = "key=v1,v2,... runs every model at every value (several --sweep make a grid)"},
    {.name = "baseline",
     .type = KNOB_STR,
     .offset = C(baseline),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = 0,
     .help =
         "compare the results with this baseline results.json at the end (exit 1 on a regression)"},
    {.name = "save_baseline",
     .type = KNOB_STR,
     .offset = C(save_baseline),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = 0,
     .help = "also write the results to this file, for use as a baseline"},
    {.name = "threshold",
     .type = KNOB_DOUBLE,
     .offset = C(threshold),
     .def = "0.10",
     .min = 0.001,
     .max = 10,
     .flags = KNOB_FRACTION,
     .help = "with baseline: a metric is worse beyond this fraction (and beyond the noise)"},
    {.name = "max_p99_ms",
     .type = KNOB_STR,
     .offset = C(max_p99_ms),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = 0,
     .check = knob_check_p99,
     .help = "CI limit: exit 1 when a model's median API p99 latency is above this; 200ms for "
             "every model, or MODEL=D,... per model"},
    {.name = "max_mem_mib",
     .type = KNOB_STR,
     .offset = C(max_mem_mib),
     .def = "",
     .min = 0,
     .max = 0,
     .flags = 0,
     .check = knob_check_mem,
     .help = "CI limit: exit 1 when a model's median peak memory is above this many MiB; M for "
             "every model, or MODEL=M,... per model"},
    {.name = "allow_invalid",
     .type = KNOB_INT,
     .offset = C(allow_invalid),
     .def = "0",
     .min = 0,
     .max = 1,
     .flags = 0,
     .help = "with baseline: 1 judges runs that were not valid measurements (mock API late, "
             "machine busy) instead of exiting 2"},
    {.name = "keep_rows",
     .type = KNOB_INT,
     .offset = C(keep_rows),
     .def = "0",
     .min = 0,
     .max = 1,
     .flags = 0,
     .help = "1: keep each run's rows in PostgreSQL after verification"},
    {.name = "progress",
     .type = KNOB_CHOICE,
     .offset = C(progress),
     .def = "1",
     .min = 0,
     .max = 0,
     .flags = 0,
     .choices = "0|1|json",
     .help = "progress on stderr: 1 a line with rate and ETA, json one JSON object per line, 0 "
             "none"},
    {.name = NULL},
};

const knob_t *config_knob_find(const char *name)
{
    for (const knob_t *k = config_knobs; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

int config_knob_defines_workload(const char *name)
{
    const knob_t *k = config_knob_find(name);
    return k && (k->flags & KNOB_WORKLOAD);
}

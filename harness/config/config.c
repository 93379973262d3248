#include "harness/config/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define J(f) offsetof(config_t, job.f)
#define C(f) offsetof(config_t, f)

/* One row per knob. min/max bound numbers (inclusive). The help text is
 * what `concbench list` prints. */
const knob_t config_knobs[] = {
    {"model", KNOB_STR, C(models), "all", 0, 0, NULL, NULL,
     "models to run: comma-separated names, or all"},
    {"requests", KNOB_U32, J(requests), "1000", 1, 10000000, NULL, NULL,
     "requests per run (ids 1..N)"},
    {"concurrency", KNOB_U32, J(concurrency), "50", 1, 100000, NULL, NULL,
     "requests in flight at once (C): workers, threads or the loop's limit"},
    {"latency_ms", KNOB_INT, C(latency_ms), "20", 0, 600000, "--latency-ms", NULL,
     "mock API latency in ms (the mean for normal/exponential, median for lognormal)"},
    {"latency_dist", KNOB_STR, C(latency_dist), "fixed", 0, 0, "--latency-dist",
     "fixed|uniform|normal|lognormal|exponential", "mock API latency distribution"},
    {"latency_min_ms", KNOB_INT, C(latency_min_ms), "0", 0, 600000, "--latency-min-ms", NULL,
     "uniform latency: lower bound"},
    {"latency_max_ms", KNOB_INT, C(latency_max_ms), "0", 0, 600000, "--latency-max-ms", NULL,
     "uniform latency: upper bound"},
    {"latency_sd_ms", KNOB_INT, C(latency_sd_ms), "0", 0, 600000, "--latency-sd-ms", NULL,
     "normal latency: standard deviation"},
    {"latency_sigma", KNOB_DOUBLE, C(latency_sigma), "0", 0, 10, "--latency-sigma", NULL,
     "lognormal latency: sigma of the underlying normal"},
    {"tail_pct", KNOB_DOUBLE, C(tail_pct), "0", 0, 100, "--tail-pct", NULL,
     "percent of requests that get tail_ms extra latency"},
    {"tail_ms", KNOB_INT, C(tail_ms), "0", 0, 600000, "--tail-ms", NULL,
     "extra latency of the slow tail"},
    {"mock_max_inflight", KNOB_INT, C(mock_max_inflight), "0", 0, 10000000, "--max-inflight", NULL,
     "mock API answers 429 (Retry-After: 1) above this many in flight (0: off)"},
    {"mock_rate", KNOB_INT, C(mock_rate), "0", 0, 10000000, "--rate", NULL,
     "mock API token-bucket rate limit in requests/s, 429 when empty (0: off)"},
    {"mock_burst", KNOB_INT, C(mock_burst), "0", 0, 10000000, "--burst", NULL,
     "token-bucket size (0: the rate)"},
    {"mock_threads", KNOB_INT, C(mock_threads), "1", 1, 64, "--threads", NULL,
     "mock API event-loop threads (SO_REUSEPORT)"},
    {"fail_rate", KNOB_DOUBLE, C(fail_rate), "0", 0, 1, "--fail-rate", NULL,
     "fraction of attempts the mock API answers 503"},
    {"reset_rate", KNOB_DOUBLE, C(reset_rate), "0", 0, 1, "--reset-rate", NULL,
     "fraction of attempts whose connection is reset"},
    {"hang_rate", KNOB_DOUBLE, C(hang_rate), "0", 0, 1, "--hang-rate", NULL,
     "fraction of attempts never answered (the client's timeout_ms must fire)"},
    {"bad_body_rate", KNOB_DOUBLE, C(bad_body_rate), "0", 0, 1, "--bad-body-rate", NULL,
     "fraction of attempts answered 200 with a truncated or invalid body"},
    {"seed", KNOB_U64, J(seed), "42", 0, 9.2e18, "--seed", NULL,
     "seed of the order generator and every random choice"},
    {"items", KNOB_INT, J(items), "10", 1, 1000, "--items", NULL,
     "line items per order (payload size: ~60 bytes each)"},
    {"transform_cost", KNOB_U32, J(transform_cost), "1", 1, 10000000, NULL, NULL,
     "SHA-256 rounds per transform (CPU per request)"},
    {"batch_size", KNOB_INT, J(batch_size), "50", 1, 10000, NULL, NULL,
     "rows per upsert statement"},
    {"timeout_ms", KNOB_INT, J(timeout_ms), "10000", 1, 600000, NULL, NULL,
     "timeout of one HTTP attempt, connect included"},
    {"retries", KNOB_INT, J(retries), "2", 0, 100, NULL, NULL,
     "further attempts after a transient failure (429, 5xx, timeout, reset, bad payload)"},
    {"backoff_ms", KNOB_INT, J(backoff_ms), "50", 1, 60000, NULL, NULL,
     "first retry backoff (doubles per attempt, equal jitter, Retry-After honoured)"},
    {"db_conns", KNOB_INT, J(db_conns), "0", 0, 1000, NULL, NULL,
     "PostgreSQL connections of the event-loop engines (0: model default)"},
    {"workers", KNOB_INT, J(workers), "0", 0, 10000, NULL, NULL,
     "threads or processes of the pools (0: concurrency)"},
    {"chunk", KNOB_INT, J(chunk), "0", 0, 100000, NULL, NULL,
     "ids a process-pool worker takes at a time (0: model default)"},
    {"queue_depth", KNOB_INT, J(queue_depth), "0", 0, 10000000, NULL, NULL,
     "bound of the thread-pool queue (0: 2 x workers)"},
    {"procs", KNOB_INT, J(procs), "0", 0, 1000, NULL, NULL,
     "stream-workers processes (0: model default)"},
    {"consumers", KNOB_INT, J(consumers), "0", 0, 100000, NULL, NULL,
     "stream-workers consumers per process (0: concurrency / procs)"},
    {"claim_idle_ms", KNOB_INT, J(claim_idle_ms), "0", 0, 600000, NULL, NULL,
     "stream-workers: claim pending entries idle this long (0: model default)"},
    {"external_workers", KNOB_INT, J(external_workers), "0", 0, 10000, NULL, NULL,
     "stream-workers: external `concbench worker` consumers to wait for"},
    {"out", KNOB_STR, C(out_dir), "", 0, 0, NULL, NULL,
     "output folder (default results/<UTC time>-<scenario>)"},
    {"scenario", KNOB_STR, C(scenario), "", 0, 0, NULL, NULL,
     "scenario name or file (key = value)"},
    {"api", KNOB_STR, C(api), "", 0, 0, NULL, NULL,
     "use this mock API URL instead of starting one"},
    {"pg", KNOB_STR, C(pg), "", 0, 0, NULL, NULL,
     "use this PostgreSQL (libpq DSN) instead of a private one"},
    {"redis", KNOB_STR, C(redis), "", 0, 0, NULL, NULL,
     "use this Redis URL instead of a private redis-server"},
    {"repeat", KNOB_INT, C(repeat), "1", 1, 1000, NULL, NULL, "measured runs per model"},
    {"warmup", KNOB_INT, C(warmup), "0", 0, 100, NULL, NULL, "unmeasured runs per model first"},
    {"crash_after", KNOB_DOUBLE, C(crash_after), "0", 0, 0.99, NULL, NULL,
     "SIGKILL one worker once this fraction of requests completed (0: off)"},
    {"pg_max_conns", KNOB_INT, C(pg_max_conns), "400", 10, 10000, NULL, NULL,
     "max_connections of the private PostgreSQL"},
    {"sample_ms", KNOB_INT, C(sample_ms), "10", 1, 10000, NULL, NULL,
     "interval of /proc memory sampling when no cgroup is usable"},
    {"pss_check_ms", KNOB_INT, C(pss_check_ms), "0", 0, 600000, NULL, NULL,
     "beside a cgroup, sum the tree's PSS this often as a cross-check (0: never; it costs "
     "~0.1 ms per process)"},
    {"memory_method", KNOB_STR, C(memory_method), "auto", 0, 0, NULL,
     "auto|cgroup-v2|cgroup-v1|proc-pss",
     "auto, cgroup-v2, cgroup-v1 or proc-pss: how peak memory is measured"},
    {"scale", KNOB_DOUBLE, C(scale), "1", 0.0001, 1000, NULL, NULL,
     "multiply requests by this (e.g. 0.05 runs a preset at a twentieth of its size)"},
    {"sweep", KNOB_STR, C(sweep), "", 0, 0, NULL, NULL,
     "key=v1,v2,... runs every model at every value (several --sweep make a grid)"},
    {"baseline", KNOB_STR, C(baseline), "", 0, 0, NULL, NULL,
     "compare the results with this baseline results.json at the end (exit 1 on a regression)"},
    {"save_baseline", KNOB_STR, C(save_baseline), "", 0, 0, NULL, NULL,
     "also write the results to this file, for use as a baseline"},
    {"threshold", KNOB_DOUBLE, C(threshold), "0.10", 0.001, 10, NULL, NULL,
     "with baseline: a metric is worse beyond this fraction (and beyond the noise)"},
    {"keep_rows", KNOB_INT, C(keep_rows), "0", 0, 1, NULL, NULL,
     "1: keep each run's rows in PostgreSQL after verification"},
    {"progress", KNOB_INT, C(progress), "1", 0, 1, NULL, NULL, "1: progress line on stderr"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

const knob_t *config_knob_find(const char *name)
{
    for (const knob_t *k = config_knobs; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

int config_init(config_t *c)
{
    char err[256];
    memset(c, 0, sizeof *c);
    for (const knob_t *k = config_knobs; k->name; k++)
        if (config_set(c, k->name, k->def, err, sizeof err))
            return -1;
    return 0;
}

void config_free(config_t *c)
{
    for (const knob_t *k = config_knobs; k->name; k++) {
        if (k->type == KNOB_STR) {
            char **p = (char **)((char *)c + k->offset);
            free(*p);
            *p = NULL;
        }
    }
}

/* Whether value is one of the '|'-separated choices. */
static int config_choice_ok(const char *choices, const char *value)
{
    size_t n = strlen(value);
    for (const char *p = choices; *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, value, n) == 0)
            return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

int config_set(config_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    const knob_t *k = config_knob_find(name);
    void *p;
    char *end;
    double d;

    if (!k) {
        snprintf(err, errlen, "unknown knob '%s' (concbench list shows them all)", name);
        return -1;
    }
    p = (char *)c + k->offset;
    if (k->type == KNOB_STR) {
        char *s;
        if (k->choices && !config_choice_ok(k->choices, value)) {
            snprintf(err, errlen, "%s: '%s' is not one of %s", name, value, k->choices);
            return -1;
        }
        s = strdup(value);
        if (!s) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        free(*(char **)p);
        *(char **)p = s;
        return 0;
    }
    errno = 0;
    if (k->type == KNOB_DOUBLE) {
        d = strtod(value, &end);
    } else {
        /* Integers only: "1e3" or "2.5" are refused rather than truncated. */
        unsigned long long u;
        if (!isdigit((unsigned char)*value)) {
            snprintf(err, errlen, "%s: '%s' is not a whole number >= 0", name, value);
            return -1;
        }
        u = strtoull(value, &end, 10);
        d = (double)u;
        if (*end == '\0' && errno == 0 && k->type == KNOB_U64) {
            /* Bounds compared as integers: near 2^64 a double cannot tell
             * 1.8e19 from 1.8e19 + 2000. */
            if (u < (uint64_t)k->min || (k->max < 18446744073709551616.0 && u > (uint64_t)k->max)) {
                snprintf(err, errlen, "%s: %s is out of range [%.0f, %.0f]", name, value, k->min,
                         k->max);
                return -1;
            }
            *(uint64_t *)p = u;
            return 0;
        }
    }
    if (end == value || *end != '\0' || errno == ERANGE || !isfinite(d)) {
        snprintf(err, errlen, "%s: '%s' is not a number", name, value);
        return -1;
    }
    if (d < k->min || d > k->max) {
        snprintf(err, errlen, "%s: %s is out of range [%g, %g]", name, value, k->min, k->max);
        return -1;
    }
    switch (k->type) {
    case KNOB_INT:
        *(int *)p = (int)d;
        break;
    case KNOB_U32:
        *(uint32_t *)p = (uint32_t)d;
        break;
    case KNOB_U64:
        *(uint64_t *)p = (uint64_t)d;
        break;
    default:
        *(double *)p = d;
        break;
    }
    return 0;
}

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int config_load_file(config_t *c, const char *path, char *err, size_t errlen)
{
    char resolved[PATH_MAX], msg[300], *line = NULL;
    size_t cap = 0;
    ssize_t n;
    FILE *f;
    int lineno = 0, rc = 0, w;

    if (!strchr(path, '/') && !strstr(path, ".conf"))
        w = snprintf(resolved, sizeof resolved, "%s/%s.conf", CONCBENCH_SCENARIO_DIR, path);
    else
        w = snprintf(resolved, sizeof resolved, "%s", path);
    if (w < 0 || (size_t)w >= sizeof resolved) {
        snprintf(err, errlen, "cannot read scenario %.64s...: path too long", path);
        return -1;
    }
    f = fopen(resolved, "re");
    if (!f) {
        snprintf(err, errlen, "cannot read scenario %s: %s (concbench list shows the presets)",
                 resolved, strerror(errno));
        return -1;
    }
    /* getline, not fgets: a line of any length is read whole, and its length
     * tells a NUL byte (which would silently cut the value short) from the
     * line's end. */
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        char *eq, *key, *val;
        lineno++;
        if (memchr(line, '\0', (size_t)n)) {
            snprintf(err, errlen, "%s:%d: NUL byte: not a text file of 'key = value' lines",
                     resolved, lineno);
            rc = -1;
            break;
        }
        key = trim(line);
        if (*key == '\0' || *key == '#' || *key == ';')
            continue;
        eq = strchr(key, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value', got '%.80s'", resolved, lineno,
                     key);
            rc = -1;
            break;
        }
        *eq = '\0';
        val = trim(eq + 1);
        key = trim(key);
        if (strcmp(key, "scenario") == 0) {
            snprintf(err, errlen, "%s:%d: a scenario cannot include another", resolved, lineno);
            rc = -1;
            break;
        }
        if (config_set(c, key, val, msg, sizeof msg)) {
            snprintf(err, errlen, "%s:%d: %s", resolved, lineno, msg);
            rc = -1;
            break;
        }
        errno = 0;
    }
    if (rc == 0 && ferror(f)) {
        /* e.g. EISDIR: fopen opens a directory, reading it fails. */
        snprintf(err, errlen, "cannot read scenario %s: %s", resolved,
                 strerror(errno ? errno : EIO));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

/* The latency, seed and items always go to the mock API: they define the
 * workload the verifier checks against. */
static int mock_knob_always(const knob_t *k)
{
    return strcmp(k->name, "latency_ms") == 0 || strcmp(k->name, "seed") == 0 ||
           strcmp(k->name, "items") == 0;
}

int config_mock_customised(const config_t *c)
{
    char buf[512], def[512];
    config_t d;
    int n = 0;
    if (config_init(&d))
        return 0;
    for (const knob_t *k = config_knobs; k->name; k++) {
        if (!k->mock_flag || mock_knob_always(k))
            continue;
        config_format(c, k, buf, sizeof buf);
        config_format(&d, k, def, sizeof def);
        n += strcmp(buf, def) != 0;
    }
    config_free(&d);
    return n;
}

int config_mock_args(const config_t *c, char **argv, int cap)
{
    char buf[512], def[512];
    config_t d;
    int n = 0;
    if (config_init(&d))
        return 0;
    for (const knob_t *k = config_knobs; k->name && n + 2 < cap; k++) {
        if (!k->mock_flag)
            continue;
        config_format(c, k, buf, sizeof buf);
        config_format(&d, k, def, sizeof def);
        if (strcmp(buf, def) == 0 && !mock_knob_always(k))
            continue;
        argv[n++] = strdup(k->mock_flag);
        argv[n++] = strdup(buf);
    }
    argv[n] = NULL;
    config_free(&d);
    return n;
}

void config_mock_args_free(char **argv)
{
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
}

void config_format(const config_t *c, const knob_t *k, char *buf, size_t cap)
{
    const void *p = (const char *)c + k->offset;
    switch (k->type) {
    case KNOB_INT:
        snprintf(buf, cap, "%d", *(const int *)p);
        break;
    case KNOB_U32:
        snprintf(buf, cap, "%u", *(const uint32_t *)p);
        break;
    case KNOB_U64:
        snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case KNOB_DOUBLE:
        snprintf(buf, cap, "%.17g", *(const double *)p);
        break;
    default:
        snprintf(buf, cap, "%s", *(char *const *)p ? *(char *const *)p : "");
        break;
    }
}

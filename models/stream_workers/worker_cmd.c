/* `concbench worker`: one stream worker joining a run from anywhere. It
 * needs only where things are — Redis, PostgreSQL, the mock API — and the
 * run id the coordinator printed; everything that decides what a row must
 * contain (seed, items, transform_cost) and how requests behave (timeouts,
 * retries) comes from the run's config hash, so an external worker cannot
 * disagree with the verifier. Per-host tuning (K, D, batch size) may be
 * overridden; it changes speed, never rows. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/fdlimit.h"
#include "engine/uv_redis.h"
#include "models/stream_workers/consumer.h"
#include "models/stream_workers/layout.h"
#include "models/stream_workers/stream_workers.h"
#include "workload/outcome.h"

#define SW_CMD_CONNECT_TIMEOUT_MS 3000

static void sw_cmd_usage(FILE *f)
{
    fprintf(f, "usage: concbench worker --redis URL --pg DSN --api URL --run RUN_ID\n"
               "                        [--consumers K] [--db-conns D] [--batch-size B]\n"
               "Joins a stream-workers run that `concbench run --model stream-workers` set up on\n"
               "that Redis (it prints the run id and this command line while it waits for\n"
               "external workers). K (requests in flight), D (PostgreSQL connections) and B\n"
               "default to the run's own values.\n");
}

/* Matches --name VALUE or --name=VALUE at argv[*i]; returns the value (and
 * advances *i past it) or NULL. *missing is set when the value is absent. */
static const char *sw_cmd_opt(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int sw_cmd_int(const char *name, const char *v, int lo, int hi, int *out)
{
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "concbench worker: %s wants an integer in %d..%d, not \"%s\"\n", name, lo,
                hi, v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int stream_worker_cmd(int argc, char **argv)
{
    const char *redis = NULL, *pg = NULL, *api = NULL, *run = NULL, *v;
    int consumers = 0, db_conns = 0, batch = 0, missing = 0, rc;
    char err[512], api_buf[1024];
    redis_addr_t addr;
    redisContext *c;
    stream_keys_t keys;
    stream_run_config_t rcfg = {0};
    stream_worker_cfg_t cfg = {0};
    stream_worker_stats_t st;
    outcome_table_t *out;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            sw_cmd_usage(stdout);
            return 0;
        } else if ((v = sw_cmd_opt(argc, argv, &i, "--redis", &missing))) {
            redis = v;
        } else if ((v = sw_cmd_opt(argc, argv, &i, "--pg", &missing))) {
            pg = v;
        } else if ((v = sw_cmd_opt(argc, argv, &i, "--api", &missing))) {
            api = v;
        } else if ((v = sw_cmd_opt(argc, argv, &i, "--run", &missing))) {
            run = v;
        } else if ((v = sw_cmd_opt(argc, argv, &i, "--consumers", &missing))) {
            if (sw_cmd_int("--consumers", v, 1, 100000, &consumers))
                return 2;
        } else if ((v = sw_cmd_opt(argc, argv, &i, "--db-conns", &missing))) {
            if (sw_cmd_int("--db-conns", v, 1, 1000, &db_conns))
                return 2;
        } else if ((v = sw_cmd_opt(argc, argv, &i, "--batch-size", &missing))) {
            if (sw_cmd_int("--batch-size", v, 1, 10000, &batch))
                return 2;
        } else {
            fprintf(stderr, "concbench worker: %s '%s'\n",
                    missing ? "missing value for" : "unknown argument", argv[i]);
            sw_cmd_usage(stderr);
            return 2;
        }
    }
    if (!redis || !pg || !api || !run) {
        fprintf(stderr, "concbench worker: --redis, --pg, --api and --run are required\n");
        sw_cmd_usage(stderr);
        return 2;
    }
    snprintf(api_buf, sizeof api_buf, "%s", api);
    for (size_t n = strlen(api_buf); n > 0 && api_buf[n - 1] == '/'; n--)
        api_buf[n - 1] = '\0';
    if (redis_addr_parse(redis, &addr, err, sizeof err)) {
        fprintf(stderr, "concbench worker: %s\n", err);
        return 2;
    }
    if (stream_keys_init(&keys, run)) {
        fprintf(stderr, "concbench worker: bad run id \"%s\"\n", run);
        return 2;
    }
    if (!(c = redis_sync_connect(&addr, SW_CMD_CONNECT_TIMEOUT_MS, err, sizeof err))) {
        fprintf(stderr, "concbench worker: %s\n", err);
        return 2;
    }
    redis_sync_pin_host(c, &addr);
    rc = stream_config_read(c, &keys, &rcfg, err, sizeof err);
    redisFree(c);
    if (rc < 0) {
        fprintf(stderr, "concbench worker: %s\n", err);
        return 2;
    }
    if (rc > 0 || strcmp(rcfg.state, STREAM_STATE_DONE) == 0) {
        fprintf(stderr,
                "concbench worker: %s has no run %s in progress (no %s); start `concbench run "
                "--model stream-workers external_workers=N` first and use the run id it prints\n",
                redis, run, keys.config);
        return 2;
    }
    if (!(out = outcome_table_create(rcfg.requests))) {
        fprintf(stderr, "concbench worker: cannot map an outcome table for %u requests: %s\n",
                rcfg.requests, strerror(errno));
        return 2;
    }
    cfg.redis = addr;
    cfg.job = (job_t){.api_url = api_buf,
                      .pg_dsn = pg,
                      .redis_url = redis,
                      .run_id = run,
                      .seed = rcfg.seed,
                      .requests = rcfg.requests,
                      .items = rcfg.items,
                      .transform_cost = rcfg.transform_cost,
                      .batch_size = batch ? batch : rcfg.batch_size,
                      .timeout_ms = rcfg.timeout_ms,
                      .retries = rcfg.retries,
                      .backoff_ms = rcfg.backoff_ms,
                      .out = out};
    cfg.consumers = consumers ? consumers : rcfg.consumers;
    cfg.db_conns = db_conns ? db_conns : rcfg.db_conns;
    cfg.claim_idle_ms = rcfg.claim_idle_ms;
    cfg.external = 1;
    signal(SIGPIPE, SIG_IGN);
    fdlimit_raise("concbench worker", (uint64_t)(cfg.consumers + cfg.db_conns));
    fprintf(stderr, "concbench worker: joining run %s (%u requests, state %s) with %d consumers\n",
            run, rcfg.requests, rcfg.state, cfg.consumers);
    rc = stream_worker_run(&cfg, &st);
    fprintf(stderr,
            "concbench worker %s: %s; read %llu entries, claimed %llu, committed %llu, failed "
            "%llu\n",
            st.consumer,
            rc            ? "stopped by an error"
            : st.run_over ? "the run ended"
                          : "stopped",
            (unsigned long long)st.read, (unsigned long long)st.claimed,
            (unsigned long long)st.committed, (unsigned long long)st.failed);
    outcome_table_destroy(out);
    return rc;
}

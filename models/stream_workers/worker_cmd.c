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

#include "common/exitcode.h"
#include "common/fdlimit.h"
#include "common/log.h"
#include "common/opt.h"
#include "engine/mockctl.h"
#include "engine/pg_batch.h"
#include "engine/redis_sync.h"
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
               "default to the run's own values. Passwords are not taken from the command\n"
               "line: set " REDIS_PASSWORD_ENV " for Redis and PGPASSWORD or PGPASSFILE\n"
               "for PostgreSQL.\n");
}

/* What the command line gave; NULL/0 where it did not. */
typedef struct sw_cmd_args {
    const char *redis, *pg, *api, *run;
    int consumers, db_conns, batch;
} sw_cmd_args_t;

/* Stores the value of option name; whole-number options are checked
 * against their ranges. Returns 0, or -1 with the reason in err. */
static int sw_cmd_set(sw_cmd_args_t *a, const char *name, const char *v, char *err, size_t errlen)
{
    if (strcmp(name, "--redis") == 0)
        a->redis = v;
    else if (strcmp(name, "--pg") == 0)
        a->pg = v;
    else if (strcmp(name, "--api") == 0)
        a->api = v;
    else if (strcmp(name, "--run") == 0)
        a->run = v;
    else if (strcmp(name, "--consumers") == 0)
        return opt_parse_int(name, v, 1, 100000, &a->consumers, err, errlen);
    else if (strcmp(name, "--db-conns") == 0)
        return opt_parse_int(name, v, 1, 1000, &a->db_conns, err, errlen);
    else
        return opt_parse_int(name, v, 1, 10000, &a->batch, err, errlen);
    return 0;
}

/* Parses argv into *a. Returns 0, 1 after --help (printed), or -1 after
 * printing why (exit 2). */
static int sw_cmd_args_parse(int argc, char **argv, sw_cmd_args_t *a)
{
    static const char *const names[] = {"--redis",     "--pg",       "--api",        "--run",
                                        "--consumers", "--db-conns", "--batch-size", NULL};
    char err[512];
    const char *v;
    opt_iter_t it;
    int kind, k;

    memset(a, 0, sizeof *a);
    opt_iter_init(&it, argc, argv);
    while ((kind = opt_iter_next(&it)) != OPT_END) {
        if (kind == OPT_HELP) {
            sw_cmd_usage(stdout);
            return 1;
        }
        for (k = 0; names[k] && !opt_iter_is(&it, names[k]); k++)
            ;
        if (!names[k] || !(v = opt_iter_value(&it))) {
            log_error("%s '%s'", names[k] ? "missing value for" : "unknown argument", it.arg);
            sw_cmd_usage(stderr);
            return -1;
        }
        if (sw_cmd_set(a, names[k], v, err, sizeof err)) {
            log_error("%s", err);
            return -1;
        }
    }
    if (!a->redis || !a->pg || !a->api || !a->run) {
        log_error("--redis, --pg, --api and --run are required");
        sw_cmd_usage(stderr);
        return -1;
    }
    return 0;
}

/* Reads the run's parameters from its config hash on Redis, refusing
 * passwords on the command line, a run that is over or was never set up,
 * and a mock API that generates other orders. Returns 0, or -1 after
 * printing why. */
static int sw_cmd_run_config(const sw_cmd_args_t *a, const char *api, redis_addr_t *addr,
                             stream_layout_config_t *rcfg)
{
    const char *redis = a->redis, *run = a->run;
    stream_layout_keys_t keys;
    redisContext *c;
    char err[512], dsn[1024], where[300];
    int rc;

    if (redis_addr_parse(redis, addr, err, sizeof err)) {
        log_error("%s", err);
        return -1;
    }
    if (addr->password_in_url) {
        log_error("--redis carries a password, which every user of this machine can read (ps): "
                  "give the URL without it and set %s in the environment",
                  REDIS_PASSWORD_ENV);
        return -1;
    }
    if ((rc = pg_dsn_without_password(a->pg, dsn, sizeof dsn, err, sizeof err)) != 0) {
        if (rc > 0)
            log_error("--pg carries a password, which every user of this machine can read (ps): "
                      "give the DSN without it and set PGPASSWORD (or PGPASSFILE) in the "
                      "environment");
        else
            log_error("--pg: %s", err);
        return -1;
    }
    if (stream_layout_keys_init(&keys, run)) {
        log_error("bad run id \"%s\"", run);
        return -1;
    }
    if (!(c = redis_sync_connect(addr, SW_CMD_CONNECT_TIMEOUT_MS, err, sizeof err))) {
        log_error("%s", err);
        return -1;
    }
    redis_sync_pin_host(c, addr);
    rc = stream_layout_config_read(c, &keys, rcfg, err, sizeof err);
    redisFree(c);
    if (rc < 0) {
        log_error("%s", err);
        return -1;
    }
    if (rc > 0 || strcmp(rcfg->state, STREAM_STATE_DONE) == 0) {
        log_error("%s has no run %s in progress (no %s); start `concbench run "
                  "--model stream-workers external_workers=N` first and use the run id it prints",
                  redis_addr_where(addr, where, sizeof where), run, keys.config);
        return -1;
    }
    /* Rows from an API with another seed or item count would all fail
     * verification at the end: refuse before taking any work. */
    if (mockctl_orders_check(api, rcfg->seed, rcfg->items, err, sizeof err)) {
        log_error("%s", err);
        return -1;
    }
    return 0;
}

int stream_worker_cmd(int argc, char **argv)
{
    sw_cmd_args_t args;
    int rc;
    char api_buf[1024];
    redis_addr_t addr;
    stream_layout_config_t rcfg = {0};
    consumer_cfg_t cfg = {0};
    consumer_stats_t st;
    outcome_table_t *out;

    log_init("concbench worker");
    rc = sw_cmd_args_parse(argc, argv, &args);
    if (rc)
        return rc > 0 ? CB_EXIT_OK : CB_EXIT_USAGE;
    snprintf(api_buf, sizeof api_buf, "%s", args.api);
    for (size_t n = strlen(api_buf); n > 0 && api_buf[n - 1] == '/'; n--)
        api_buf[n - 1] = '\0';
    if (sw_cmd_run_config(&args, api_buf, &addr, &rcfg))
        return CB_EXIT_USAGE;
    if (!(out = outcome_table_create(rcfg.requests))) {
        log_error("cannot map an outcome table for %u requests: %s", rcfg.requests,
                  strerror(errno));
        return CB_EXIT_USAGE;
    }
    cfg.redis = addr;
    cfg.job = (job_t){.api_url = api_buf,
                      .pg_dsn = args.pg,
                      .redis_url = args.redis,
                      .run_id = args.run,
                      .seed = rcfg.seed,
                      .requests = rcfg.requests,
                      .items = rcfg.items,
                      .transform_cost = rcfg.transform_cost,
                      .batch_size = args.batch ? args.batch : rcfg.batch_size,
                      .timeout_ms = rcfg.timeout_ms,
                      .retries = rcfg.retries,
                      .backoff_ms = rcfg.backoff_ms,
                      .out = out};
    cfg.consumers = args.consumers ? args.consumers : rcfg.consumers;
    cfg.db_conns = args.db_conns ? args.db_conns : rcfg.db_conns;
    cfg.claim_idle_ms = rcfg.claim_idle_ms;
    cfg.external = 1;
    signal(SIGPIPE, SIG_IGN);
    fdlimit_raise((uint64_t)(cfg.consumers + cfg.db_conns));
    log_info("joining run %s (%u requests, state %s) with %d consumers", args.run, rcfg.requests,
             rcfg.state, cfg.consumers);
    rc = consumer_run(&cfg, &st);
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

#include "harness/services/bringup.h"

#include <libgen.h>
#include <signal.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/redact.h"
#include "engine/pg_batch.h"
#include "engine/mockctl.h"
#include "harness/services/spawn.h"
#include "harness/services/svcfs.h"

/* The folder of the running executable: mockapi is built beside it. "."
 * when /proc/self/exe cannot be read. */
static void bringup_self_dir(char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(out, cap, ".");
        return;
    }
    exe[n] = '\0';
    snprintf(out, cap, "%s", dirname(exe));
}

/* Starts the bundled mockapi with cfg's mock knobs into up->mock. Returns
 * 0 or -1 (reason printed). */
static int bringup_mock_start(services_up_t *up, const config_t *cfg)
{
    char err[1024], dir[PATH_MAX], bin[PATH_MAX + 16], *args[64];
    int bad;

    config_mock_args(cfg, args, 64);
    bringup_self_dir(dir, sizeof dir);
    snprintf(bin, sizeof bin, "%s/mockapi", dir);
    bad = svc_mockapi_start(&up->mock, bin, args, err, sizeof err);
    config_mock_args_free(args);
    if (bad) {
        log_error("%s", err);
        return -1;
    }
    up->api = up->mock.address;
    return 0;
}

/* Whether the results table is absent or ours, checked before it is
 * created: CREATE TABLE IF NOT EXISTS keeps a table of that name made by
 * someone else, and without a unique key on (run_id, id) every upsert
 * fails (ON CONFLICT has nothing to match). Returns 0, or -1 with the
 * reason in err. */
static int bringup_pg_table_check(PGconn *c, const pg_bound_t *b, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT to_regclass('" PG_BATCH_TABLE "') IS NULL OR EXISTS (SELECT 1 FROM pg_index i"
        " WHERE i.indrelid = to_regclass('" PG_BATCH_TABLE "')"
        " AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 2"
        " AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a"
        "      WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[]))"
        "     = ARRAY['id', 'run_id'])";
    char why[256];
    PGresult *res = pg_exec_bounded(c, sql, 0, NULL, b, why, sizeof why);
    int rc = 0;

    if (!res) {
        snprintf(err, errlen, "cannot read the keys of table %s: %s", PG_BATCH_TABLE, why);
        rc = -1;
    } else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "cannot read the keys of table %s: %s", PG_BATCH_TABLE,
                 PQresultErrorMessage(res));
        err[strcspn(err, "\n")] = '\0';
        rc = -1;
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        snprintf(err, errlen,
                 "table %s exists without a unique key on (run_id, id): it is not concbench's; "
                 "drop or rename it, or use another database",
                 PG_BATCH_TABLE);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

/* The user's PostgreSQL or a private one, then the harness's connection
 * and the results schema. */
static int bringup_pg(services_up_t *up, const config_t *cfg)
{
    pg_bound_t b = {.idle_ms = config_stall_timeout_s(cfg) * 1000};
    char err[1024];
    const char *v;

    if (cfg->pg[0]) {
        up->pg_dsn = cfg->pg;
    } else {
        log_info("starting a private PostgreSQL...");
        if (svc_pg_start(&up->pg, cfg->pg_max_conns, cfg->pg_cache, err, sizeof err)) {
            log_error("%s", err);
            return -1;
        }
        log_info("private PostgreSQL %s ready; its cluster: %s", up->pg.version, up->pg.note);
        up->pg_dsn = up->pg.address;
    }
    up->pg_conn = pg_connect_blocking(up->pg_dsn, err, sizeof err);
    if (!up->pg_conn) {
        char shown[512];
        redact_secrets(up->pg_dsn, shown, sizeof shown);
        log_error("cannot connect to PostgreSQL (%s): %s; check --pg, or omit it to use a "
                  "private server",
                  shown, err);
        return -1;
    }
    v = PQparameterStatus(up->pg_conn, "server_version");
    snprintf(up->pg_version, sizeof up->pg_version, "%s", v ? v : "");
    if (bringup_pg_table_check(up->pg_conn, &b, err, sizeof err) ||
        pg_batch_schema_ensure(up->pg_conn, &b, err, sizeof err)) {
        log_error("PostgreSQL at %s: %s", cfg->pg[0] ? "--pg" : up->pg_dsn, err);
        return -1;
    }
    return 0;
}

/* --api's server has its own latency, and the floor (and wall/floor) the run
 * is judged against is computed with this run's latency_ms: say so when
 * the two differ (its /__stats echoes its settings). */
static void bringup_api_latency(const config_t *cfg, const char *api)
{
    char err[512];
    json_t *st = mockctl_stats(api, err, sizeof err);
    json_t *lat = json_object_get(json_object_get(st, "config"), "latency_ms");

    if (!json_is_number(lat))
        log_warn("--api's /__stats does not say its latency_ms%s%s: the floor assumes %g ms",
                 st ? "" : ": ", st ? "" : err, (double)cfg->mock.latency_ms);
    else if (fabs(json_number_value(lat) - cfg->mock.latency_ms) > 1e-9)
        log_warn("--api's server answers in %g ms (its latency_ms), this run assumes %g ms: the "
                 "floor and wall/floor are computed with %g; pass --latency-ms %g to judge the run "
                 "against the server's latency",
                 json_number_value(lat), (double)cfg->mock.latency_ms, (double)cfg->mock.latency_ms,
                 json_number_value(lat));
    json_decref(st);
}

/* The user's mock API (its own settings) or the bundled one, reset. */
static int bringup_mock(services_up_t *up, config_t *cfg)
{
    char err[1024];

    if (cfg->api[0]) {
        size_t n = strlen(cfg->api);
        while (n > 0 && cfg->api[n - 1] == '/') /* http://host:port/ is the same API */
            cfg->api[--n] = '\0';
        /* The user's server has its own settings: say which of ours do not
         * reach it rather than let them look applied. */
        if (config_mock_customised(cfg))
            log_error("with --api the mock API knobs (latency_dist, faults, throttling...) are "
                      "the server's own; ours are not applied");
        up->api = cfg->api;
    } else if (bringup_mock_start(up, cfg)) {
        return -1;
    }
    if (mockctl_reset(up->api, err, sizeof err)) {
        log_error("mock API not usable: %s; check --api, or omit it to start the bundled "
                  "mockapi",
                  err);
        return -1;
    }
    if (cfg->api[0] &&
        mockctl_orders_check(up->api, cfg->job.seed, cfg->job.items, err, sizeof err)) {
        log_error("%s", err);
        return -1;
    }
    if (cfg->api[0])
        bringup_api_latency(cfg, up->api);
    return 0;
}

int services_bring_up(services_up_t *up, config_t *cfg, int need_redis)
{
    char err[1024];

    memset(up, 0, sizeof *up);
    if (bringup_pg(up, cfg) || bringup_mock(up, cfg))
        return -1;
    if (!need_redis)
        return 0;
    if (cfg->redis[0]) {
        up->redis_url = cfg->redis;
        return 0;
    }
    if (svc_redis_start(&up->redis, err, sizeof err)) {
        log_error("%s", err);
        return -1;
    }
    up->redis_url = up->redis.address;
    snprintf(up->redis_version, sizeof up->redis_version, "%s", up->redis.version);
    return 0;
}

int services_mock_restart(services_up_t *up, const config_t *cfg)
{
    svc_stop(&up->mock);
    up->api = NULL;
    return bringup_mock_start(up, cfg);
}

/* One service we started: 0 while it runs, else -1 with why in err: how it
 * ended and the last lines of its log (log: a file in its temporary
 * folder, NULL for none). */
static int bringup_alive(const svc_t *s, const char *what, const char *log, char *err,
                         size_t errlen)
{
    siginfo_t si;
    char how[128], path[PATH_MAX], tail[512] = "";

    if (s->pid <= 0 || svc_child_state(s->pid, &si) == SVC_CHILD_RUNNING)
        return 0;
    if (si.si_pid)
        svc_describe_exit(&si, how, sizeof how);
    else
        snprintf(how, sizeof how, "gone");
    if (log && s->tmpdir[0]) {
        snprintf(path, sizeof path, "%s/%s", s->tmpdir, log);
        svcfs_log_tail(path, 2, tail, sizeof tail);
    }
    snprintf(err, errlen, "%s (pid %d), which concbench started, died during the run (%s)%s%s",
             what, (int)s->pid, how, tail[0] ? "; its log ends: " : "", tail);
    return -1;
}

int services_check_alive(const services_up_t *up, char *err, size_t errlen)
{
    if (bringup_alive(&up->mock, "the mock API", NULL, err, errlen) ||
        bringup_alive(&up->pg, "PostgreSQL", "postgres.log", err, errlen) ||
        bringup_alive(&up->redis, "redis-server", "redis.log", err, errlen))
        return -1;
    /* A server we did not start (--pg) cannot be waited for; the harness's
     * connection, which verification just used, says whether it is there. */
    if (up->pg_conn && PQstatus(up->pg_conn) != CONNECTION_OK) {
        snprintf(err, errlen, "lost the connection to PostgreSQL%s: %s",
                 up->pg.pid > 0 ? "" : " (--pg)", PQerrorMessage(up->pg_conn));
        err[strcspn(err, "\n")] = '\0';
        return -1;
    }
    return 0;
}

void services_bring_down(services_up_t *up)
{
    if (up->pg_conn)
        PQfinish(up->pg_conn);
    up->pg_conn = NULL;
    svc_stop_all();
}

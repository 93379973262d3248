/* `concbench run`: parse the knobs, bring up the services, run every model
 * (every sweep point, every repetition), write and compare the results. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/fdlimit.h"
#include "common/prng.h"
#include "engine/pg_batch.h"
#include "harness/cli/run_args.h"
#include "harness/cli/run_cmd.h"
#include "harness/config/config.h"
#include "harness/report/compare.h"
#include "harness/report/plot.h"
#include "harness/report/report.h"
#include "harness/report/sweep.h"
#include "harness/run/runner.h"
#include "harness/services/mockctl.h"
#include "harness/services/services.h"
#include "models/model.h"
#include "workload/order.h"

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

static void utc_now(char *buf, size_t cap, const char *fmt)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, fmt, &tm);
}

/* Picks and creates the output folder; the default is
 * results/<UTC time>-<scenario>, with results/latest pointing at it. */
static int prepare_out_dir(config_t *cfg, int *is_default)
{
    char err[256], dir[PATH_MAX], stamp[32], probe[PATH_MAX + 16];
    int fd;
    *is_default = cfg->out_dir[0] == '\0';
    if (*is_default) {
        char scen[128];
        snprintf(scen, sizeof scen, "%s", cfg->scenario[0] ? cfg->scenario : "custom");
        utc_now(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ");
        snprintf(dir, sizeof dir, "results/%s-%s", stamp, basename(scen));
        char *dot = strrchr(dir, '.');
        if (dot && strcmp(dot, ".conf") == 0)
            *dot = '\0';
        if (config_set(cfg, "out", dir, err, sizeof err))
            return -1;
    }
    snprintf(probe, sizeof probe, "%s/.probe", cfg->out_dir);
    if (mkdir_p(cfg->out_dir) || (fd = open(probe, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        fprintf(stderr,
                "concbench: cannot write to output folder %s: %s (choose another with "
                "--out)\n",
                cfg->out_dir, strerror(errno));
        return -1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

static void on_signal(int sig)
{
    if (runner_interrupted) {
        /* Second Ctrl-C: leave at once, but take the model's tree and the
         * services down (kill() is async-signal-safe). */
        if (runner_model_pgid > 0)
            kill(-(pid_t)runner_model_pgid, SIGKILL);
        svc_kill_all_now();
        _exit(128 + sig);
    }
    runner_interrupted = sig;
}

static void self_dir(char *out, size_t cap)
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

typedef struct services_up {
    svc_t mock, pg, redis;
    run_env_t env;
} services_up_t;

/* Starts (or checks) what the run needs. Returns 0 or -1 (reason
 * printed). */
static int services_bring_up(config_t *cfg, int need_redis, services_up_t *s, report_env_t *rep)
{
    char err[1024], dir[PATH_MAX], bin[PATH_MAX + 16];
    memset(s, 0, sizeof *s);
    s->env.cfg = cfg;
    if (cfg->pg[0]) {
        s->env.pg = cfg->pg;
    } else {
        fprintf(stderr, "concbench: starting a private PostgreSQL...\n");
        if (svc_pg_start(&s->pg, cfg->pg_max_conns, err, sizeof err)) {
            fprintf(stderr, "concbench: %s\n", err);
            return -1;
        }
        s->env.pg = s->pg.address;
        s->env.pg_pid = s->pg.pid;
    }
    s->env.pg_conn = pg_connect_blocking(s->env.pg, err, sizeof err);
    if (!s->env.pg_conn) {
        fprintf(stderr,
                "concbench: cannot connect to PostgreSQL (%s): %s; check --pg, or omit it "
                "to use a private server\n",
                s->env.pg, err);
        return -1;
    }
    snprintf(rep->pg_version, sizeof rep->pg_version, "%s",
             PQparameterStatus(s->env.pg_conn, "server_version")
                 ? PQparameterStatus(s->env.pg_conn, "server_version")
                 : "");
    if (pgbatch_schema_ensure(s->env.pg_conn, err, sizeof err)) {
        fprintf(stderr, "concbench: PostgreSQL at %s: %s\n", s->env.pg, err);
        return -1;
    }
    if (cfg->api[0]) {
        size_t n = strlen(cfg->api);
        while (n > 0 && cfg->api[n - 1] == '/') /* http://host:port/ is the same API */
            cfg->api[--n] = '\0';
        /* The user's server has its own settings: say which of ours do not
         * reach it rather than let them look applied. */
        if (config_mock_customised(cfg))
            fprintf(stderr, "concbench: with --api the mock API knobs (latency_dist, faults, "
                            "throttling...) are the server's own; ours are not applied\n");
        s->env.api = cfg->api;
    } else {
        char *args[64];
        int bad;
        config_mock_args(cfg, args, 64);
        self_dir(dir, sizeof dir);
        snprintf(bin, sizeof bin, "%s/mockapi", dir);
        bad = svc_mockapi_start(&s->mock, bin, args, err, sizeof err);
        config_mock_args_free(args);
        if (bad) {
            fprintf(stderr, "concbench: %s\n", err);
            return -1;
        }
        s->env.api = s->mock.address;
        s->env.mock_pid = s->mock.pid;
    }
    if (mockctl_reset(s->env.api, err, sizeof err)) {
        fprintf(stderr,
                "concbench: mock API not usable: %s; check --api, or omit it to start "
                "the bundled mockapi\n",
                err);
        return -1;
    }
    if (need_redis) {
        if (cfg->redis[0]) {
            s->env.redis = cfg->redis;
        } else {
            if (svc_redis_start(&s->redis, err, sizeof err)) {
                fprintf(stderr, "concbench: %s\n", err);
                return -1;
            }
            s->env.redis = s->redis.address;
            s->env.redis_pid = s->redis.pid;
            snprintf(rep->redis_version, sizeof rep->redis_version, "%s", s->redis.version);
        }
    }
    return 0;
}

/* Shuffles a round's model order with the seed so drift does not always
 * punish the same model. */
static void shuffle(const model_ops_t **m, int n, uint64_t seed, int round)
{
    uint64_t s = prng_mix64(seed ^ (uint64_t)(round + 1) * 0x100000001b3ULL);
    for (int i = n - 1; i > 0; i--) {
        s = prng_mix64(s);
        int j = (int)(s % (uint64_t)(i + 1));
        const model_ops_t *t = m[i];
        m[i] = m[j];
        m[j] = t;
    }
}

static void update_latest(const char *dir)
{
    char target[PATH_MAX];
    const char *base = strrchr(dir, '/');
    snprintf(target, sizeof target, "%s", base ? base + 1 : dir);
    unlink("results/latest");
    if (symlink(target, "results/latest"))
        fprintf(stderr, "concbench: cannot update results/latest: %s\n", strerror(errno));
}

/* --baseline FILE compares the results (in memory, before they are
 * written, so the file carries the final verdict) with a stored baseline by
 * concbench compare's rules: a regression makes rc 1, incomparable inputs
 * 2. Returns the new rc. */
static int run_baseline_compare(const config_t *cfg, json_t *doc, int rc)
{
    char err[1024];
    json_error_t je;
    json_t *base;
    compare_opts_t o = {cfg->threshold, COMPARE_M_ALL};
    int c;

    if (!cfg->baseline[0])
        return rc;
    base = json_load_file(cfg->baseline, 0, &je);
    if (!base) {
        fprintf(stderr, "concbench: cannot read baseline %s: %s\n", cfg->baseline, je.text);
        return CB_EXIT_USAGE;
    }
    printf("\nAgainst the baseline %s:\n", cfg->baseline);
    c = compare_results(base, doc, &o, stdout, err, sizeof err);
    json_decref(base);
    if (c == 2) {
        fprintf(stderr, "concbench: cannot compare with the baseline: %s\n", err);
        return CB_EXIT_USAGE;
    }
    return c == 1 && rc == 0 ? CB_EXIT_FAILED : rc;
}

/* Runs every model repeat + warmup times in interleaved rounds (warm-ups,
 * repeat < 0, first); within a round the order is shuffled with the seed
 * so drift does not always punish the same model. Returns the number of
 * runs made; *incomplete is set when one could not finish. */
static int run_rounds(const run_env_t *env, const model_ops_t *const *models, int nmodels,
                      run_result_t *runs, int *incomplete)
{
    const config_t *cfg = env->cfg;
    const model_ops_t *order[32];
    int nruns = 0;
    for (int round = -cfg->warmup; round < cfg->repeat && !runner_interrupted; round++) {
        memcpy(order, models, sizeof(*models) * (size_t)nmodels);
        if (nmodels > 1)
            shuffle(order, nmodels, cfg->job.seed, round);
        for (int i = 0; i < nmodels && !runner_interrupted; i++) {
            run_result_t *r = &runs[nruns];
            if (runner_run(env, order[i], round, r)) {
                *incomplete = 1;
                return nruns;
            }
            nruns++;
            if (r->exit_status != 0 || !r->complete) {
                *incomplete = 1;
                return nruns;
            }
        }
    }
    return nruns;
}

/* Writes one results folder (the CSVs, then results.json last, so a
 * results.json that exists was written with everything else in place and
 * carries the final exit status), prints its table, compares with and
 * saves a baseline, and draws the charts. Returns the folder's exit status;
 * *verify_rc gets the status before any baseline comparison. */
static int write_results(const config_t *cfg, report_env_t *rep, const char *dir,
                         run_result_t *runs, int nruns, int incomplete, json_t **doc_out,
                         int *verify_rc)
{
    char err[512];
    int rc = 0, written = 0;
    json_t *doc;

    utc_now(rep->finished_at, sizeof rep->finished_at, "%Y-%m-%dT%H:%M:%SZ");
    if (runner_interrupted)
        rc = 128 + runner_interrupted;
    else if (incomplete)
        rc = CB_EXIT_USAGE;
    else
        for (int i = 0; i < nruns; i++)
            if (runs[i].repeat >= 0 && (runs[i].verify_error || !runs[i].verify.verified))
                rc = CB_EXIT_FAILED;
    *verify_rc = rc;
    doc = report_results_json(cfg, rep, runs, nruns, rc == 0 || rc == 1, rc);
    if (nruns)
        report_print_table(stdout, cfg, runs, nruns);
    if (nruns && !runner_interrupted && !incomplete)
        rc = run_baseline_compare(cfg, doc, rc);
    if (report_write_csv(dir, cfg, runs, nruns, err, sizeof err)) {
        fprintf(stderr, "concbench: %s\n", err);
        report_remove_csv(dir, runs, nruns);
        rc = CB_EXIT_USAGE;
    }
    json_object_set_new(doc, "exit_status", json_integer(rc));
    if (rc == CB_EXIT_USAGE)
        json_object_set_new(doc, "complete", json_false());
    if (report_write_json(dir, "results.json", doc, err, sizeof err)) {
        fprintf(stderr, "concbench: %s\n", err);
        rc = CB_EXIT_USAGE;
    } else {
        written = 1;
    }
    if (written && cfg->save_baseline[0]) {
        if (json_dump_file(doc, cfg->save_baseline, JSON_INDENT(2) | JSON_REAL_PRECISION(6))) {
            fprintf(stderr, "concbench: cannot write baseline %s: %s\n", cfg->save_baseline,
                    strerror(errno));
            rc = CB_EXIT_USAGE;
        } else {
            printf("baseline saved: %s\n", cfg->save_baseline);
        }
    }
    /* Charts, summary files and report.html are derived from what was just
     * written; failing to draw them does not change the run's verdict. */
    if (written && nruns && plot_results_dir(dir, err, sizeof err))
        fprintf(stderr, "concbench: charts not written: %s\n", err);
    if (doc_out && written)
        *doc_out = doc;
    else
        json_decref(doc);
    return written ? rc : CB_EXIT_USAGE;
}

/* Restarts the mock API the harness started with cfg's mock knobs (a
 * sweep point changed one). Returns 0 or -1 (reason printed). */
static int mock_restart(services_up_t *up, const config_t *cfg)
{
    char err[1024], dir[PATH_MAX], bin[PATH_MAX + 16], *args[64];
    int bad;
    svc_stop(&up->mock);
    config_mock_args(cfg, args, 64);
    self_dir(dir, sizeof dir);
    snprintf(bin, sizeof bin, "%s/mockapi", dir);
    bad = svc_mockapi_start(&up->mock, bin, args, err, sizeof err);
    config_mock_args_free(args);
    if (bad) {
        fprintf(stderr, "concbench: %s\n", err);
        return -1;
    }
    up->env.api = up->mock.address;
    up->env.mock_pid = up->mock.pid;
    return 0;
}

int run_cmd(int argc, char **argv)
{
    config_t cfg;
    const model_ops_t *models[32];
    services_up_t up;
    report_env_t rep = {0};
    run_result_t *runs = NULL;
    sweep_t sw = {0};
    json_t **docs = NULL;
    char **names = NULL, err[512];
    int nmodels, nruns = 0, rc = 0, verify_rc = 0, need_redis = 0, default_out = 0;
    int incomplete = 0, npoints = 1, p = 0, results_written = 0;
    struct sigaction sa = {0};

    memset(&up, 0, sizeof up);
    if (config_init(&cfg) || run_args_parse(argc, argv, &cfg) ||
        (nmodels = run_args_models(cfg.models, models, 32)) < 0) {
        config_free(&cfg);
        return CB_EXIT_USAGE;
    }
    if (cfg.scale != 1) {
        double n = round(cfg.job.requests * cfg.scale);
        cfg.job.requests = n < 1 ? 1 : n > 10000000 ? 10000000 : (uint32_t)n;
    }
    if (sweep_parse(cfg.sweep, &cfg, &sw, err, sizeof err)) {
        fprintf(stderr, "concbench: %s\n", err);
        config_free(&cfg);
        return CB_EXIT_USAGE;
    }
    if (sw.nkeys && sweep_touches_mock(&sw) && cfg.api[0]) {
        fprintf(stderr, "concbench: the sweep changes the mock API's settings, which --api's "
                        "server does not take; omit --api or sweep another knob\n");
        rc = CB_EXIT_USAGE;
        goto out;
    }
    if (sw.nkeys && (cfg.baseline[0] || cfg.save_baseline[0])) {
        fprintf(stderr, "concbench: --baseline and --save-baseline compare one workload; a sweep "
                        "has one per point (compare a point's folder instead)\n");
        rc = CB_EXIT_USAGE;
        goto out;
    }
    if (prepare_out_dir(&cfg, &default_out)) {
        rc = CB_EXIT_USAGE;
        goto out;
    }
    npoints = sweep_npoints(&sw);
    for (int i = 0; i < nmodels; i++)
        need_redis |= models[i]->needs_redis;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fdlimit_raise("concbench", 0);
    utc_now(rep.started_at, sizeof rep.started_at, "%Y-%m-%dT%H:%M:%SZ");

    runs = calloc((size_t)nmodels * (size_t)(cfg.repeat + cfg.warmup), sizeof *runs);
    docs = calloc((size_t)npoints, sizeof *docs);
    names = calloc((size_t)npoints, sizeof *names);
    if (!runs || !docs || !names) {
        fprintf(stderr, "concbench: out of memory\n");
        rc = CB_EXIT_USAGE;
        goto out;
    }
    if (services_bring_up(&cfg, need_redis, &up, &rep)) {
        rc = CB_EXIT_USAGE;
        goto out;
    }
    for (p = 0; p < npoints && !runner_interrupted && !incomplete; p++) {
        config_t pc = cfg; /* numeric knobs only change: nothing owned is shared twice */
        char name[256] = "", dir[PATH_MAX + 300];
        if (sw.nkeys) {
            if (sweep_apply(&sw, p, &pc, name, sizeof name)) {
                rc = CB_EXIT_USAGE;
                break;
            }
            names[p] = strdup(name);
            snprintf(dir, sizeof dir, "%s/%s", cfg.out_dir, name);
            if (mkdir(dir, 0755) && errno != EEXIST) {
                fprintf(stderr, "concbench: cannot create %s: %s\n", dir, strerror(errno));
                rc = CB_EXIT_USAGE;
                break;
            }
            printf("\n== sweep point %d of %d: %s ==\n", p + 1, npoints,
                   strchr(strchr(name, '-') + 1, '-') + 1);
            fflush(stdout);
            if (p > 0 && sweep_touches_mock(&sw) && mock_restart(&up, &pc)) {
                rc = CB_EXIT_USAGE;
                break;
            }
        } else {
            snprintf(dir, sizeof dir, "%s", cfg.out_dir);
        }
        up.env.cfg = &pc;
        for (int i = 0; i < nruns; i++)
            run_result_free(&runs[i]);
        nruns = run_rounds(&up.env, models, nmodels, runs, &incomplete);
        {
            int vrc, prc = write_results(&pc, &rep, dir, runs, nruns, incomplete, &docs[p], &vrc);
            if (prc > rc)
                rc = prc;
            if (vrc > verify_rc)
                verify_rc = vrc;
            results_written |= docs[p] != NULL;
        }
        up.env.cfg = &cfg;
    }
    if (sw.nkeys && p > 0) {
        json_t *doc = sweep_results_json(&sw, docs, (const char *const *)names, npoints,
                                         rc == 0 || rc == 1, rc);
        if (report_write_json(cfg.out_dir, "results.json", doc, err, sizeof err) ||
            sweep_write_outputs(cfg.out_dir, doc, err, sizeof err)) {
            fprintf(stderr, "concbench: %s\n", err);
            if (rc == 0)
                rc = CB_EXIT_USAGE;
        }
        sweep_print_knees(stdout, doc);
        json_decref(doc);
    }
    if (runner_interrupted)
        printf("\nINTERRUPTED: the results above are incomplete.\n");
    else if (incomplete)
        printf("\nINCOMPLETE: a model did not finish its run; the results above are "
               "incomplete.\n");
    else if (verify_rc == CB_EXIT_FAILED)
        printf("\nUNVERIFIED: at least one run's rows did not match what it reported.\n");
    if (results_written) {
        printf("results: %s/results.json\n", cfg.out_dir);
        if (!sw.nkeys)
            printf("report:  %s/report.html\n", cfg.out_dir);
        else
            printf("sweep:   %s/sweep.csv, %s/chart-sweep.png; each point's report in its "
                   "folder\n",
                   cfg.out_dir, cfg.out_dir);
    }
    if (default_out)
        update_latest(cfg.out_dir);
out:
    for (int i = 0; i < nruns; i++)
        run_result_free(&runs[i]);
    free(runs);
    for (int i = 0; docs && i < npoints; i++)
        json_decref(docs[i]);
    for (int i = 0; names && i < npoints; i++)
        free(names[i]);
    free(docs);
    free(names);
    if (up.env.pg_conn)
        PQfinish(up.env.pg_conn);
    svc_stop_all();
    sweep_free(&sw);
    config_free(&cfg);
    return rc;
}

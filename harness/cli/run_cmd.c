/* `concbench run`: parse the knobs, bring up the services, run every model
 * (every sweep point, every repetition), write and compare the results. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/fdlimit.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/prng.h"
#include "common/safe_dir.h"
#include "harness/cli/run_args.h"
#include "harness/cli/run_cmd.h"
#include "harness/cli/run_output.h"
#include "harness/config/config.h"
#include "harness/config/limit_spec.h"
#include "harness/report/compare.h"
#include "harness/report/compare_side.h"
#include "harness/report/report.h"
#include "harness/report/sweep.h"
#include "harness/run/measure.h"
#include "harness/run/runner.h"
#include "harness/run/signals.h"
#include "harness/services/bringup.h"
#include "harness/services/services.h"
#include "models/model.h"

#define RUN_MODELS_MAX 32

/* What run_cmd's steps share. */
struct run_state {
    config_t cfg;
    const model_ops_t *models[RUN_MODELS_MAX];
    int nmodels;
    sweep_t sw;
    services_up_t up;
    report_env_t rep;
    run_result_t *runs; /* one point's runs, reused point after point */
    int nruns;
    json_t **docs; /* each point's results.json document (NULL: none) */
    char **names;  /* each point's folder name (sweeps only) */
    int npoints;
    int rc, verify_rc, incomplete, written, default_out;
    json_t *baseline; /* --baseline's document, read and checked before any run */
    int last_point;   /* the last sweep point entered (-1: none) */
    int prepared;     /* the services came up: the runs began */
};

/* Picks, creates and checks the output folder; the default is
 * results/<UTC time>-<scenario>, with results/latest pointing at it. The
 * folder must be ours alone (safe_dir_check): concbench writes into it,
 * reads its files back and hands them to gnuplot. */
static int prepare_out_dir(config_t *cfg, int *is_default)
{
    char err[PATH_MAX + 256], dir[PATH_MAX], stamp[32], probe[PATH_MAX + 16];
    int fd, removed;
    *is_default = cfg->out_dir[0] == '\0';
    if (*is_default) {
        char scen[128];
        snprintf(scen, sizeof scen, "%s", cfg->scenario[0] ? cfg->scenario : "custom");
        run_output_utc_now(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ");
        snprintf(dir, sizeof dir, "results/%s-%s", stamp, basename(scen));
        char *dot = strrchr(dir, '.');
        if (dot && strcmp(dot, ".conf") == 0)
            *dot = '\0';
        if (config_set(cfg, "out", dir, err, sizeof err))
            return -1;
    }
    if (safe_dir_make(cfg->out_dir, err, sizeof err)) {
        log_error("%s", err);
        return -1;
    }
    /* Can we write there (a read-only mount, a full quota)? A fresh random
     * name, created exclusively, never an existing file or symlink. */
    snprintf(probe, sizeof probe, "%s/.probe-XXXXXX", cfg->out_dir);
    if ((fd = mkostemp(probe, O_CLOEXEC)) < 0) {
        log_error("cannot write to output folder %s: %s (choose another with --out)", cfg->out_dir,
                  strerror(errno));
        return -1;
    }
    close(fd);
    unlink(probe);
    /* Files of an earlier run would sit beside this one's as if they
     * were its own (a model this run does not have, a stale results.json
     * marked complete). */
    if ((removed = report_clear_dir(cfg->out_dir)) > 0)
        log_info("removed %d files of an earlier run from %s", removed, cfg->out_dir);
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

/* Runs every model repeat + warmup times in interleaved rounds (warm-ups,
 * repeat < 0, first); within a round the order is shuffled with the seed
 * so drift does not always punish the same model. After each run, every
 * service we started must still be running: a run against a dead mock API
 * or PostgreSQL measures the outage, not the model, so the rounds stop
 * there; a model that could not finish its run does not stop the
 * others. Returns the number of runs made; *incomplete is set when one
 * could not finish or a service of ours died. */
static int run_rounds(const run_env_t *env, const services_up_t *up,
                      const model_ops_t *const *models, int nmodels, run_result_t *runs,
                      int *incomplete)
{
    const config_t *cfg = env->cfg;
    const model_ops_t *order[32];
    char err[512];
    int nruns = 0;
    for (int round = -cfg->warmup; round < cfg->repeat && !signals_interrupted; round++) {
        memcpy(order, models, sizeof(*models) * (size_t)nmodels);
        if (nmodels > 1)
            shuffle(order, nmodels, cfg->job.seed, round);
        for (int i = 0; i < nmodels && !signals_interrupted; i++) {
            run_result_t *r = &runs[nruns];
            int failed = runner_run(env, order[i], round, r);
            r->ran = nruns + 1;
            if (services_check_alive(up, err, sizeof err)) {
                log_error("%s; stopping after %s: the results are incomplete", err, order[i]->name);
                *incomplete = 1;
                return nruns + !failed;
            }
            if (failed) {
                *incomplete = 1;
                return nruns;
            }
            nruns++;
            /* A model that could not finish its run makes the results
             * incomplete, but says nothing about the others: they run. */
            if (r->exit_status != 0 || !r->complete)
                *incomplete = 1;
        }
    }
    return nruns;
}

/* The models' order on the command line (registry order for "all"), for
 * sorting runs: the shuffle decides only when a model runs, never where
 * its row stands. */
static const model_ops_t *const *run_order_models;
static int run_order_nmodels;

static int run_order_rank(const model_ops_t *m)
{
    for (int i = 0; i < run_order_nmodels; i++)
        if (run_order_models[i] == m)
            return i;
    return run_order_nmodels;
}

static int run_order_cmp(const void *a, const void *b)
{
    const run_result_t *x = a, *y = b;
    int rx = run_order_rank(x->model), ry = run_order_rank(y->model);
    return rx != ry ? (rx > ry) - (rx < ry) : (x->repeat > y->repeat) - (x->repeat < y->repeat);
}

/* Puts runs in a fixed order, whatever the shuffle ran them in: by model
 * as given (--model, or the registry for all), then warm-ups and
 * repetitions in turn. The table, results.json and results.csv follow it. */
static void run_order(const model_ops_t *const *models, int nmodels, run_result_t *runs, int nruns)
{
    run_order_models = models;
    run_order_nmodels = nmodels;
    qsort(runs, (size_t)nruns, sizeof *runs, run_order_cmp);
}

/* A model a per-model limit names must be one this run runs: a typo
 * would otherwise check nothing. Returns 0, or -1 (reason printed). */
static int run_check_limits(const struct run_state *st)
{
    const char *names[] = {"max_p99_ms", "max_mem_mib"};
    const char *texts[] = {st->cfg.max_p99_ms, st->cfg.max_mem_mib};
    limit_kind_t kinds[] = {LIMIT_KIND_DURATION_MS, LIMIT_KIND_MIB};
    char err[512];
    limit_spec_t s;

    for (int k = 0; k < 2; k++) {
        if (limit_spec_parse(names[k], kinds[k], texts[k], &s, err, sizeof err)) {
            log_error("%s", err);
            return -1;
        }
        for (int i = 0; i < s.n; i++) {
            int found = 0;
            for (int m = 0; m < st->nmodels; m++)
                found |= strcmp(st->models[m]->name, s.model[i]) == 0;
            if (!found) {
                log_error("%s names model %s, which this run does not run (--model)", names[k],
                          s.model[i]);
                return -1;
            }
        }
    }
    return 0;
}

/* --baseline is read and judged before anything runs: a file that cannot
 * be read, is not a complete and verified results.json of this schema, ran
 * another workload or lacks a model of this run would otherwise be found
 * only after the whole benchmark. Keeps the document for the comparison
 * at the end. Returns 0 or CB_EXIT_USAGE (reason printed). */
static int run_check_baseline(struct run_state *st)
{
    const char *names[RUN_MODELS_MAX];
    char err[4400];
    json_t *conf;
    int bad;

    if (!st->cfg.baseline[0])
        return 0;
    st->baseline = compare_load("--baseline", st->cfg.baseline, err, sizeof err);
    if (!st->baseline) {
        log_error("cannot read %s (nothing was run)", err);
        return CB_EXIT_USAGE;
    }
    for (int i = 0; i < st->nmodels; i++)
        names[i] = st->models[i]->name;
    conf = report_config_json(&st->cfg);
    bad = compare_baseline_precheck(st->baseline, conf, names, (size_t)st->nmodels,
                                    st->cfg.allow_invalid, err, sizeof err);
    json_decref(conf);
    if (bad) {
        log_error("--baseline %s cannot be compared with this run: %s (nothing was run)",
                  st->cfg.baseline, err);
        return CB_EXIT_USAGE;
    }
    return 0;
}

/* The checks that need the whole command line: --scale applied, the
 * sweep parsed and checked against --api and the baseline options.
 * Returns 0 or CB_EXIT_USAGE (reason printed). */
static int run_check_args(struct run_state *st)
{
    config_t *cfg = &st->cfg;
    char err[512];

    if (cfg->scale != 1) {
        double n = round(cfg->job.requests * cfg->scale);
        cfg->job.requests = n < 1                               ? 1
                            : n > LIMIT_RUN_SCALED_REQUESTS_MAX ? LIMIT_RUN_SCALED_REQUESTS_MAX
                                                                : (uint32_t)n;
    }
    /* The watchdog must not stop a run whose requests are all legitimately
     * waiting out their timeouts and retries: a stall_timeout set by hand
     * must cover that (left at 0 it does by construction). */
    if (cfg->stall_timeout_s > 0 &&
        (int64_t)cfg->stall_timeout_s * 1000 < config_request_worst_ms(cfg)) {
        log_error("stall_timeout (%d s) is shorter than one request may take (%lld ms: timeout_ms "
                  "%d x %d attempts plus backoffs): raise stall_timeout, leave it at 0 (automatic) "
                  "or lower timeout_ms/retries",
                  cfg->stall_timeout_s, (long long)config_request_worst_ms(cfg),
                  cfg->job.timeout_ms, cfg->job.retries + 1);
        return CB_EXIT_USAGE;
    }
    if (sweep_parse(cfg->sweep, cfg, &st->sw, err, sizeof err)) {
        log_error("%s", err);
        return CB_EXIT_USAGE;
    }
    if (st->sw.nkeys && sweep_touches_mock(&st->sw) && cfg->api[0]) {
        log_error("the sweep changes the mock API's settings, which --api's server does not "
                  "take; omit --api or sweep another knob");
        return CB_EXIT_USAGE;
    }
    if (st->sw.nkeys && (cfg->baseline[0] || cfg->save_baseline[0])) {
        log_error("--baseline and --save-baseline compare one workload; a sweep has one per "
                  "point (compare a point's folder instead)");
        return CB_EXIT_USAGE;
    }
    if (run_check_limits(st))
        return CB_EXIT_USAGE;
    return run_check_baseline(st);
}

/* Removes the results.json an earlier run left in path's folder (path is
 * the file), so that an invocation that ends before writing its own leaves
 * none rather than the earlier one, which may say "complete". Returns 0,
 * or -1 (reason printed). */
static int retire_results(const char *path)
{
    if (unlink(path) == 0 || errno == ENOENT)
        return 0;
    log_error("cannot remove the earlier %s: %s (remove it, or choose another --out)", path,
              strerror(errno));
    return -1;
}

/* Removes the results.json of every folder this invocation will write:
 * the output folder's and, in a sweep, each point's. Returns 0 or -1
 * (reason printed). */
static int retire_earlier_results(struct run_state *st)
{
    char path[PATH_MAX + 300], name[256];

    snprintf(path, sizeof path, "%s/results.json", st->cfg.out_dir);
    if (retire_results(path))
        return -1;
    for (int p = 0; st->sw.nkeys && p < st->npoints; p++) {
        config_t pc = st->cfg; /* numeric knobs only change, as in run_point */
        if (sweep_apply(&st->sw, p, &pc, name, sizeof name))
            return -1;
        snprintf(path, sizeof path, "%s/%s/results.json", st->cfg.out_dir, name);
        if (retire_results(path))
            return -1;
    }
    return 0;
}

/* Everything up to the first run: output folder, signals, buffers, the
 * services. Returns 0 or CB_EXIT_USAGE (reason printed). */
static int run_prepare(struct run_state *st)
{
    int need_redis = 0;

    if (prepare_out_dir(&st->cfg, &st->default_out))
        return CB_EXIT_USAGE;
    st->npoints = sweep_npoints(&st->sw);
    if (retire_earlier_results(st))
        return CB_EXIT_USAGE;
    for (int i = 0; i < st->nmodels; i++)
        need_redis |= st->models[i]->needs_redis;
    signals_install();
    /* What runs killed outright left behind: before this run makes its own. */
    memwatch_sweep_stale();
    svc_sweep_stale();
    fdlimit_raise(0);
    run_output_utc_now(st->rep.started_at, sizeof st->rep.started_at, "%Y-%m-%dT%H:%M:%SZ");
    st->runs =
        calloc((size_t)st->nmodels * (size_t)(st->cfg.repeat + st->cfg.warmup), sizeof *st->runs);
    st->docs = calloc((size_t)st->npoints, sizeof *st->docs);
    st->names = calloc((size_t)st->npoints, sizeof *st->names);
    if (!st->runs || !st->docs || !st->names) {
        log_error("out of memory");
        return CB_EXIT_USAGE;
    }
    if (services_bring_up(&st->up, &st->cfg, need_redis))
        return CB_EXIT_USAGE;
    snprintf(st->rep.pg_version, sizeof st->rep.pg_version, "%s", st->up.pg_version);
    snprintf(st->rep.redis_version, sizeof st->rep.redis_version, "%s", st->up.redis_version);
    return 0;
}

/* A sweep point's folder and banner, and the mock API restarted when the
 * sweep changes its settings. Returns 0, or -1 (reason printed). */
static int run_point_enter(struct run_state *st, int p, config_t *pc, char *dir, size_t dirlen)
{
    char name[256] = "";

    if (sweep_apply(&st->sw, p, pc, name, sizeof name))
        return -1;
    st->names[p] = strdup(name);
    snprintf(dir, dirlen, "%s/%s", st->cfg.out_dir, name);
    if (mkdir(dir, 0755) && errno != EEXIST) {
        log_error("cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    printf("\n== sweep point %d of %d: %s ==\n", p + 1, st->npoints,
           strchr(strchr(name, '-') + 1, '-') + 1);
    fflush(stdout);
    if (p > 0 && sweep_touches_mock(&st->sw) && services_mock_restart(&st->up, pc))
        return -1;
    return 0;
}

/* Runs and writes sweep point p (the only point without a sweep).
 * Returns 0, or -1 when the sweep must stop (reason printed). */
static int run_point(struct run_state *st, int p)
{
    config_t pc = st->cfg; /* numeric knobs only change: nothing owned is shared twice */
    char dir[PATH_MAX + 300];
    run_env_t env;
    int vrc, prc;

    if (!st->sw.nkeys)
        snprintf(dir, sizeof dir, "%s", st->cfg.out_dir);
    else if (run_point_enter(st, p, &pc, dir, sizeof dir))
        return -1;
    env = (run_env_t){.cfg = &pc,
                      .api = st->up.api,
                      .pg = st->up.pg_dsn,
                      .redis = st->up.redis_url,
                      .mock_pid = st->up.mock.pid,
                      .pg_pid = st->up.pg.pid,
                      .redis_pid = st->up.redis.pid,
                      .pg_conn = st->up.pg_conn};
    for (int i = 0; i < st->nruns; i++)
        run_result_free(&st->runs[i]);
    st->nruns = run_rounds(&env, &st->up, st->models, st->nmodels, st->runs, &st->incomplete);
    run_order(st->models, st->nmodels, st->runs, st->nruns);
    prc = run_output_write(&pc, &st->rep, dir, st->runs, st->nruns, st->incomplete, st->baseline,
                           &st->docs[p], &vrc);
    if (prc > st->rc)
        st->rc = prc;
    if (vrc > st->verify_rc)
        st->verify_rc = vrc;
    st->written |= st->docs[p] != NULL;
    return 0;
}

/* Every sweep point in turn, then the sweep's own files and the verdict. */
static void run_points(struct run_state *st)
{
    int p;

    for (p = 0; p < st->npoints && !signals_interrupted && !st->incomplete; p++) {
        if (run_point(st, p)) {
            st->rc = CB_EXIT_USAGE;
            break;
        }
    }
    st->last_point = p - 1;
    if (st->sw.nkeys && p > 0)
        st->rc =
            run_output_write_sweep(&st->sw, &st->cfg, st->docs, st->names, st->npoints, st->rc);
    if (st->default_out)
        run_output_update_latest(st->cfg.out_dir);
}

/* After an interruption in any phase (start-up, a run, the report, the
 * services' shutdown): the exit status says so, and no results.json this
 * invocation wrote says "complete" — the output folder's, and in a sweep
 * the point that was being written. */
static void run_finish_interrupted(struct run_state *st)
{
    char dir[PATH_MAX + 300];

    st->rc = signals_exit_status();
    if (!st->written)
        return;
    run_output_mark_interrupted(st->cfg.out_dir);
    if (st->sw.nkeys && st->last_point >= 0 && st->names && st->names[st->last_point]) {
        snprintf(dir, sizeof dir, "%s/%s", st->cfg.out_dir, st->names[st->last_point]);
        run_output_mark_interrupted(dir);
    }
}

static void run_state_free(struct run_state *st)
{
    for (int i = 0; i < st->nruns; i++)
        run_result_free(&st->runs[i]);
    free(st->runs);
    for (int i = 0; st->docs && i < st->npoints; i++)
        json_decref(st->docs[i]);
    for (int i = 0; st->names && i < st->npoints; i++)
        free(st->names[i]);
    free(st->docs);
    free(st->names);
    json_decref(st->baseline);
    sweep_free(&st->sw);
    config_free(&st->cfg);
}

int run_cmd(int argc, char **argv)
{
    struct run_state st;

    memset(&st, 0, sizeof st);
    st.npoints = 1;
    st.last_point = -1;
    if (config_init(&st.cfg) || run_args_parse(argc, argv, &st.cfg) ||
        (st.nmodels = run_args_models(st.cfg.models, st.models, RUN_MODELS_MAX)) < 0) {
        config_free(&st.cfg);
        return CB_EXIT_USAGE;
    }
    st.rc = run_check_args(&st);
    if (st.rc == 0)
        st.rc = run_prepare(&st);
    st.prepared = st.rc == 0;
    if (st.prepared)
        run_points(&st);
    /* Before the verdict: a signal while the services stop counts too. */
    services_bring_down(&st.up);
    if (signals_interrupted)
        run_finish_interrupted(&st);
    if (st.prepared || signals_interrupted)
        run_output_print_verdict(&st.cfg, st.sw.nkeys, st.incomplete, st.verify_rc, st.written,
                                 st.rep.report_failed);
    run_state_free(&st);
    return st.rc;
}

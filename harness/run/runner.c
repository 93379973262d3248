#include "harness/run/runner.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/stats.h"
#include "engine/pg_bounded.h"
#include "harness/run/monitor.h"
#include "harness/run/progress.h"
#include "harness/run/signals.h"
#include "engine/mockctl.h"

/* One window of the throughput timeline. */
#define TIMELINE_NS (LIMIT_RUN_TIMELINE_WINDOW_MS * CLOCK_NS_PER_MS)

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Kills one registered worker once the completed fraction passes
 * crash_after. Returns 1 once done. */
static int runner_crash(outcome_table_t *t, const run_result_t *r, progress_t *pg)
{
    int n = atomic_load(&t->n_workers);
    for (int i = 0; i < n; i++) {
        pid_t p = atomic_load(&t->worker_pids[i]);
        if (p > 0 && kill(p, SIGKILL) == 0) {
            atomic_fetch_add(&t->crash_killed, 1);
            progress_break(pg);
            log_error("crash injection: SIGKILL %s worker %d after %" PRIu64 "/%u requests",
                      r->model->name, (int)p, atomic_load(&t->fetched) + atomic_load(&t->failed),
                      t->n);
            return 1;
        }
    }
    return 0;
}

/* When a request counts in the throughput timeline: a succeeded one when
 * its response was fetched and transformed (its row is committed later, in
 * a batch, which would show pools as bursts), a failed one when it failed
 * for good. Returns 0 for a request with no final outcome. */
static int timeline_at(outcome_slot_t *s, int64_t *at)
{
    uint8_t st = atomic_load(&s->state);
    if (st == SLOT_DONE && s->fetched_ns)
        *at = s->fetched_ns;
    else if (st == SLOT_FAILED || st == SLOT_DONE)
        *at = s->end_ns;
    else
        return 0;
    return 1;
}

static void runner_collect(run_result_t *r, outcome_table_t *t, int64_t t0)
{
    int64_t span = 0, at;

    for (uint32_t i = 0; i < t->n; i++) {
        outcome_slot_t *s = &t->slots[i];
        uint8_t st = atomic_load(&s->state);
        r->attempts += s->attempts;
        if (s->attempts > 1)
            r->retried++;
        if (st == SLOT_DONE) {
            r->succeeded++;
        } else if (st == SLOT_FAILED) {
            r->failed++;
            r->errors[s->err < ERR__COUNT ? s->err : ERR_BAD_PAYLOAD]++;
        }
        if (timeline_at(s, &at) && at - t0 > span)
            span = at - t0;
    }
    r->complete = r->succeeded + r->failed == t->n;
    if (intervals_collect(t, t0, &r->iv))
        log_error("out of memory for the latencies of %u requests", t->n);
    else if (r->iv.inconsistent)
        log_error("warning: %s: %" PRIu64 " succeeded requests have times that do not add up "
                  "(wait + api > e2e, or a time missing): their model records them wrongly",
                  r->model->name, r->iv.inconsistent);

    r->timeline_len = (int)(span / TIMELINE_NS) + 1;
    r->timeline_done = calloc((size_t)r->timeline_len, sizeof *r->timeline_done);
    r->timeline_err = calloc((size_t)r->timeline_len, sizeof *r->timeline_err);
    if (!r->timeline_done || !r->timeline_err) {
        r->timeline_len = 0;
        return;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        int64_t at;
        int w;
        if (!timeline_at(&t->slots[i], &at) || at <= t0)
            continue;
        w = (int)((at - t0) / TIMELINE_NS);
        if (w >= r->timeline_len)
            w = r->timeline_len - 1;
        if (atomic_load(&t->slots[i].state) == SLOT_DONE)
            r->timeline_done[w]++;
        else
            r->timeline_err[w]++;
    }
}

/* The bound on the harness's queries while a model runs or is verified:
 * stall_timeout without an answer, and LIMIT_RUN_INTERRUPTED_PG_MS once
 * interrupted (the user wants out; a stopped server must not keep them). */
static pg_bound_t runner_pg_bound(const config_t *cfg)
{
    return (pg_bound_t){.idle_ms = config_stall_timeout_s(cfg) * 1000,
                        .stop = &signals_interrupted,
                        .stop_grace_ms = LIMIT_RUN_INTERRUPTED_PG_MS};
}

static double self_cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return tv_s(u.ru_utime) + tv_s(u.ru_stime);
}

static void runner_infra(const run_env_t *env, double out[3])
{
    pid_t pids[3] = {env->mock_pid, env->pg_pid, env->redis_pid};
    for (int i = 0; i < 3; i++)
        out[i] = pids[i] > 0 ? measure_service_cpu_s(pids[i]) : -1;
}

/* What the runner's policy hooks share while the model runs. */
struct runner_watch {
    const run_env_t *env;
    const model_ops_t *model;
    outcome_table_t *t;
    run_result_t *r;
    int crashed, term_sent;
    int backends_off;      /* the backend count cannot be asked any more (connection failed) */
    int64_t backends_sent; /* when the backend count in flight was asked (0: none) */
    PGresult *backends_res;
    int64_t term_at;
    progress_t progress;
    uint64_t progress_sig; /* runner_progress_signature at progress_at */
    int64_t progress_at;
    uint64_t crash_at; /* completed requests before the crash injection; 0: none */
    double self0;      /* the harness's CPU when the model started */
};

/* In the model's child, before it is let go: default dispositions for
 * the signals the harness handles, and an empty mask. */
static void runner_child_prepare(void *arg)
{
    sigset_t none;

    (void)arg;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the model's child once let go: the model runs its job. */
static void runner_child_run(void *arg)
{
    const struct runner_watch *w = arg;
    job_t job = w->env->cfg->job;

    job.api_url = w->env->api;
    job.pg_dsn = w->env->pg;
    job.redis_url = w->env->redis;
    job.run_id = w->r->run_id;
    job.out = w->t;
    job.model_priv = w->model->priv;
    fflush(NULL);
    _exit(w->model->run(&job));
}

static void runner_on_start(monitor_t *m, void *arg)
{
    struct runner_watch *w = arg;

    signals_model_pgid = m->pid;
    w->self0 = self_cpu_s();
    w->t->run_start_ns = m->t0;
    w->progress.t0 = w->progress.last = m->t0;
    w->progress_at = m->t0;
}

/* A number that changes whenever the model gets anywhere: a request
 * fetched, failed or committed, or a step of its set-up (a worker or a
 * database connection up, a stream entry produced or acknowledged). */
static uint64_t runner_progress_signature(outcome_table_t *t)
{
    return atomic_load(&t->done) + atomic_load(&t->failed) + atomic_load(&t->fetched) +
           (uint64_t)atomic_load(&t->stream_produced) + (uint64_t)atomic_load(&t->stream_acked) +
           (uint64_t)atomic_load(&t->db_conns) + (uint64_t)atomic_load(&t->workers_peak) +
           (uint64_t)atomic_load(&t->n_workers);
}

/* What a service of ours is doing when the model makes no progress: "" or
 * ", PostgreSQL (pid N) is stopped" for each one in the stopped state. */
static void runner_stall_suspects(const run_env_t *env, char *out, size_t cap)
{
    const pid_t pids[3] = {env->mock_pid, env->pg_pid, env->redis_pid};
    static const char *const names[3] = {"the mock API", "PostgreSQL", "redis-server"};
    size_t used = 0;

    out[0] = '\0';
    for (int i = 0; i < 3; i++) {
        if (pids[i] > 0 && measure_proc_state(pids[i]) == 'T' && used < cap) {
            int n = snprintf(out + used, cap - used, "; %s (pid %d) is stopped (SIGSTOP?)",
                             names[i], (int)pids[i]);
            used += n > 0 ? (size_t)n : 0;
        }
    }
}

/* Client backends PostgreSQL has, the harness's own excluded: what the
 * model holds (plus anyone else's on a shared server), asked without ever
 * blocking the tick: the query is sent on a tree walk and its answer
 * picked up at a later tick. The answer's delay doubles as the harness's
 * view of PostgreSQL's health: runner_watchdog judges it. */
static void runner_pg_backends(struct runner_watch *w, const monitor_t *m, int64_t now)
{
    PGconn *c = w->env->pg_conn;
    int rc;

    if (w->backends_off)
        return;
    if (!w->backends_sent) {
        if (!m->tree_fresh || w->term_sent)
            return;
        if (pg_async_send(c, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                             "'client backend' AND pid <> pg_backend_pid()") < 0) {
            w->backends_off = 1;
            return;
        }
        w->backends_sent = now;
        return;
    }
    rc = pg_async_poll(c, &w->backends_res);
    if (rc == 0)
        return;
    if (rc == 1 && PQresultStatus(w->backends_res) == PGRES_TUPLES_OK &&
        PQntuples(w->backends_res) == 1) {
        int64_t b = strtoll(PQgetvalue(w->backends_res, 0, 0), NULL, 10);
        if (b > w->r->db_conns_server_peak)
            w->r->db_conns_server_peak = b;
    }
    if (rc < 0)
        w->backends_off = 1;
    PQclear(w->backends_res);
    w->backends_res = NULL;
    w->backends_sent = 0;
}

/* The no-progress watchdog: when nothing moved for stall_timeout, or
 * PostgreSQL left the harness's own question unanswered that long (a
 * model may go on fetching while its writes wait), the run is stopped
 * like an interrupted one and marked stalled. Returns 1 when it fired
 * this tick. */
static int runner_watchdog(struct runner_watch *w, int64_t now)
{
    int64_t stall = (int64_t)config_stall_timeout_s(w->env->cfg) * CLOCK_NS_PER_S;
    uint64_t sig = runner_progress_signature(w->t);
    int pg_silent = w->backends_sent && now - w->backends_sent >= stall;
    char why[256];

    if (sig != w->progress_sig) {
        w->progress_sig = sig;
        w->progress_at = now;
    }
    if (w->r->stalled || (now - w->progress_at < stall && !pg_silent))
        return 0;
    w->r->stalled = 1;
    runner_stall_suspects(w->env, why, sizeof why);
    progress_break(&w->progress);
    if (pg_silent)
        log_error("PostgreSQL has not answered the harness for %d s (stall_timeout): stopping "
                  "%s%s",
                  config_stall_timeout_s(w->env->cfg), w->model->name, why);
    else
        log_error("%s made no progress for %d s (stall_timeout): stopping it%s", w->model->name,
                  config_stall_timeout_s(w->env->cfg), why);
    return 1;
}

static void stage_sample_max(stage_sample_t *into, const stage_sample_t *s)
{
    for (int i = 0; i < STAGE__COUNT; i++)
        if (s->busy[i] > into->busy[i])
            into->busy[i] = s->busy[i];
    for (int i = 0; i < QUEUE__COUNT; i++)
        if (s->queued[i] > into->queued[i])
            into->queued[i] = s->queued[i];
}

void runner_stages_add(run_result_t *r, const stage_sample_t *s)
{
    if (!r->stages) {
        if (!(r->stages = malloc(LIMIT_RUN_STAGES_SAMPLES * sizeof *r->stages)))
            return; /* no timeline; the run goes on */
        r->nstages = r->stages_last = 0;
        r->stages_per = 1;
    }
    if (r->nstages > 0 && r->stages_last < r->stages_per) {
        stage_sample_max(&r->stages[r->nstages - 1], s);
        r->stages_last++;
        return;
    }
    if (r->nstages == LIMIT_RUN_STAGES_SAMPLES) {
        for (int i = 0; i < LIMIT_RUN_STAGES_SAMPLES / 2; i++) {
            r->stages[i] = r->stages[2 * i];
            stage_sample_max(&r->stages[i], &r->stages[2 * i + 1]);
        }
        r->nstages = LIMIT_RUN_STAGES_SAMPLES / 2;
        r->stages_per *= 2;
    }
    r->stages[r->nstages++] = *s;
    r->stages_last = 1;
}

/* A staged model's stages and queues now, into r->stages. The fetch stage
 * is the requests on the wire (the table's inflight). */
static void runner_sample_stages(run_result_t *r, outcome_table_t *t, int64_t now, int64_t t0)
{
    stage_sample_t s;
    s.t_ns = now - t0;
    s.busy[STAGE_FETCH] = atomic_load(&t->inflight);
    for (int i = STAGE_TRANSFORM; i < STAGE__COUNT; i++)
        s.busy[i] = atomic_load(&t->stage_busy[i]);
    for (int i = 0; i < QUEUE__COUNT; i++)
        s.queued[i] = atomic_load(&t->queue_len[i]);
    runner_stages_add(r, &s);
}

/* The runner's policy, every tick: an interruption stops the whole tree
 * (SIGTERM, then SIGKILL after LIMIT_RUN_TERM_GRACE_MS for a model that
 * ignores it); the server's backend count follows the tree walks; the
 * crash injection and the progress line. */
static int runner_on_tick(monitor_t *m, int64_t now, void *arg)
{
    struct runner_watch *w = arg;
    outcome_table_t *t = w->t;

    int stalled = runner_watchdog(w, now);

    if ((signals_interrupted || stalled) && !w->term_sent) {
        kill(-m->pid, SIGTERM);
        w->term_sent = 1;
        w->term_at = now;
        w->r->interrupted = signals_interrupted != 0;
    } else if (w->term_sent && now - w->term_at > LIMIT_RUN_TERM_GRACE_MS * CLOCK_NS_PER_MS) {
        kill(-m->pid, SIGKILL);
    }
    runner_pg_backends(w, m, now);
    /* "Completed" is fetched and transformed (or failed): rows are
     * committed in batches, and a pool's workers may commit theirs only
     * at the end, when there is nothing left to kill. */
    if (w->crash_at && !w->crashed &&
        atomic_load(&t->fetched) + atomic_load(&t->failed) >= w->crash_at)
        w->crashed = runner_crash(t, w->r, &w->progress);
    progress_tick(&w->progress, now, atomic_load(&t->done), atomic_load(&t->failed), t->n, 0);
    if (w->model->staged)
        runner_sample_stages(w->r, t, now, m->t0);
    if (w->crash_at && !w->crashed)
        return LIMIT_RUN_CRASH_TICK_MS;
    return w->model->staged ? LIMIT_RUN_STAGES_TICK_MS : -1;
}

/* Resets the mock API's stats and maps the outcome table and prepares the
 * memory watch. Returns 0, or -1 with the reason printed and nothing left
 * to free. */
static int runner_setup(const run_env_t *env, const model_ops_t *model, int repeat,
                        outcome_table_t **t, memwatch_t *mw)
{
    const config_t *cfg = env->cfg;
    char err[512], tag[64];

    if (mockctl_reset(env->api, err, sizeof err)) {
        log_error("cannot reset the mock API: %s", err);
        return -1;
    }
    *t = outcome_table_create(cfg->job.requests);
    if (!*t) {
        log_error("cannot map an outcome table for %u requests: %s", cfg->job.requests,
                  strerror(errno));
        return -1;
    }
    snprintf(tag, sizeof tag, "%s-%d", model->name, repeat);
    if (memwatch_init(mw, tag, cfg->memory_method)) {
        log_error("memory_method %s is not usable here (no writable cgroup of that kind); use "
                  "auto",
                  cfg->memory_method);
        outcome_table_destroy(*t);
        return -1;
    }
    return 0;
}

/* Copies the monitor's figures, the services' CPU and the table's
 * counters into r. */
static void runner_take_figures(run_result_t *r, const monitor_t *m, const memwatch_t *mw,
                                outcome_table_t *t, const run_env_t *env, const double infra0[3])
{
    double infra1[3];

    r->exit_status = monitor_exit_status(m);
    r->wall_s = (double)(m->t1 - m->t0) / 1e9;
    r->cpu_user_s = tv_s(m->ru.ru_utime);
    r->cpu_sys_s = tv_s(m->ru.ru_stime);
    r->peak_mem_bytes = m->peak_mem;
    r->mem_window_ns = m->mem_tl.window_ns;
    r->mem_timeline = malloc((size_t)(m->mem_tl.len ? m->mem_tl.len : 1) * sizeof(uint64_t));
    r->mem_timeline_len = r->mem_timeline ? m->mem_tl.len : 0;
    if (r->mem_timeline)
        memcpy(r->mem_timeline, m->mem_tl.bytes, (size_t)r->mem_timeline_len * sizeof(uint64_t));
    r->mem_method = mw->method;
    r->mem_sockets_counted = mw->sockets_counted;
    r->peak_sock_bytes = mw->peak_sock;
    r->peak_rss_sum_bytes = mw->peak_rss_sum;
    r->peak_pss_bytes = mw->peak_pss;
    r->processes_peak = mw->processes_peak;
    r->threads_peak = mw->threads_peak;
    runner_infra(env, infra1);
    for (int i = 0; i < 3; i++)
        r->infra_cpu_s[i] = infra0[i] >= 0 && infra1[i] >= 0 ? infra1[i] - infra0[i] : -1;
    r->client_peak_inflight = atomic_load(&t->peak_inflight);
    r->db_conns = atomic_load(&t->db_conns);
    r->workers_peak = atomic_load(&t->workers_peak);
    r->crash_killed = atomic_load(&t->crash_killed);
    r->requeued = atomic_load(&t->requeued);
    r->redelivered = atomic_load(&t->redelivered);
    r->stream_produced = atomic_load(&t->stream_produced);
    r->stream_acked = atomic_load(&t->stream_acked);
    r->stream_max_pending = atomic_load(&t->stream_max_pending);
    r->stream_external = atomic_load(&t->stream_external);
    for (int i = 0; i < STAGE__COUNT; i++) {
        r->stage_width[i] = t->stage_width[i];
        r->stage_peak[i] = atomic_load(&t->stage_peak[i]);
    }
    r->stage_peak[STAGE_FETCH] = r->client_peak_inflight;
    for (int i = 0; i < QUEUE__COUNT; i++) {
        r->queue_cap[i] = t->queue_cap[i];
        r->queue_peak[i] = atomic_load(&t->queue_peak[i]);
    }
    if (t->n_externals > 0 && t->n_externals <= OUTCOME_MAX_EXTERNALS &&
        (r->externals = malloc((size_t)t->n_externals * sizeof *r->externals))) {
        memcpy(r->externals, t->externals, (size_t)t->n_externals * sizeof *r->externals);
        r->n_externals = t->n_externals;
    }
}

/* Judges whether the run measured the model (validity.h) from the
 * machine's CPU counters around it and the mock API's stats, and warns
 * on stderr when a measured run did not. */
static void runner_validity(const run_env_t *env, run_result_t *r, const validity_cpu_t *cpu0,
                            const validity_cpu_t *cpu1)
{
    double ours = r->cpu_user_s + r->cpu_sys_s;
    char why[512];
    for (int i = 0; i < 3; i++)
        if (r->infra_cpu_s[i] > 0)
            ours += r->infra_cpu_s[i];
    validity_measure(&r->validity, cpu0, cpu1, ours, r->server, env->cfg->mock.latency_ms);
    r->valid = r->validity.reasons == 0;
    if (r->valid || r->repeat < 0)
        return;
    validity_describe(&r->validity, why, sizeof why);
    log_warn("%s run %d is not a valid measurement: %s", r->model->name, r->repeat, why);
}

/* The mock API's stats, then the rows the model wrote checked against
 * what it reported (and dropped unless keep_rows). */
static void runner_verify(const run_env_t *env, run_result_t *r, outcome_table_t *t)
{
    const config_t *cfg = env->cfg;
    char err[512];

    r->server = mockctl_stats(env->api, err, sizeof err);
    if (!r->server)
        log_error("mock API stats unavailable: %s", err);
    pg_bound_t b = runner_pg_bound(cfg);

    if (verify_run(env->pg_conn, &b, r->run_id, t, cfg->job.seed, cfg->job.items,
                   cfg->job.transform_cost, &r->verify, r->verify_err, sizeof r->verify_err) != 0) {
        r->verify_error = 1;
        log_error("verification of %s failed: %s", r->run_id, r->verify_err);
    } else if (!cfg->keep_rows) {
        verify_drop_rows(env->pg_conn, &b, r->run_id);
    }
}

int runner_run(const run_env_t *env, const model_ops_t *model, int repeat, run_result_t *r)
{
    const config_t *cfg = env->cfg;
    struct runner_watch w = {.env = env, .model = model, .r = r};
    monitor_hooks_t hooks = {runner_child_prepare, runner_child_run, runner_on_start,
                             runner_on_tick, &w};
    memwatch_t mw;
    monitor_t m = {
        .mw = &mw, .sample_ms = cfg->sample_ms, .new_group = 1, .pss_check_ms = cfg->pss_check_ms};
    double infra0[3];
    validity_cpu_t cpu0, cpu1;
    char err[512];

    memset(r, 0, sizeof *r);
    r->model = model;
    r->repeat = repeat;
    r->crash_applicable = model->crash_na == NULL;
    r->db_conns_server_peak = -1;
    snprintf(r->run_id, sizeof r->run_id, "cb%lld-%d-%s-%s%d", (long long)time(NULL), (int)getpid(),
             model->name, repeat < 0 ? "w" : "r", repeat < 0 ? -repeat : repeat);
    progress_init(&w.progress, cfg, model->name, repeat);
    if (runner_setup(env, model, repeat, &w.t, &mw))
        return -1;
    if (cfg->crash_after > 0 && r->crash_applicable)
        w.crash_at = (uint64_t)ceil(cfg->crash_after * w.t->n);
    runner_infra(env, infra0);
    validity_load_read(r->validity.load_start);
    validity_cpu_read(&cpu0);
    if (monitor_run(&m, &hooks, err, sizeof err)) {
        log_error("%s", err);
        outcome_table_destroy(w.t);
        return -1;
    }
    validity_cpu_read(&cpu1);
    r->harness_cpu_s = self_cpu_s() - w.self0;
    signals_model_pgid = 0;
    /* A backend count never answered stays in flight: verification's
     * bounded query waits for it first. */
    PQclear(w.backends_res);
    progress_tick(&w.progress, m.t1, atomic_load(&w.t->done), atomic_load(&w.t->failed), w.t->n, 1);
    if (w.crash_at && !w.crashed)
        log_error("crash injection: %s had no registered worker left to kill once %" PRIu64
                  " requests were done (crash.killed = 0)",
                  model->name, w.crash_at);
    runner_take_figures(r, &m, &mw, w.t, env, infra0);
    if (r->exit_status != 0 && !r->interrupted && !r->stalled) {
        char why[256];
        runner_stall_suspects(env, why, sizeof why);
        if (why[0])
            log_error("%s exited with status %d%s", model->name, r->exit_status, why);
    }
    runner_collect(r, w.t, m.t0);
    runner_verify(env, r, w.t);
    runner_validity(env, r, &cpu0, &cpu1);
    r->ok = !r->verify_error && r->complete && !r->interrupted && !r->stalled &&
            verify_run_ok(&r->verify, r->failed, cfg->job.requests, cfg->max_error_rate);
    outcome_table_destroy(w.t);
    return 0;
}

void run_result_free(run_result_t *r)
{
    json_decref(r->server);
    free(r->externals);
    intervals_free(&r->iv);
    free(r->timeline_done);
    free(r->timeline_err);
    free(r->mem_timeline);
    r->mem_timeline = NULL;
    r->mem_timeline_len = 0;
    free(r->stages);
    r->stages = NULL;
    r->nstages = r->stages_per = r->stages_last = 0;
    r->server = NULL;
    r->timeline_done = r->timeline_err = NULL;
}

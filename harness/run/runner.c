#include "harness/run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/stats.h"
#include "harness/services/mockctl.h"

volatile sig_atomic_t runner_interrupted;
volatile sig_atomic_t runner_model_pgid;

#define TIMELINE_NS 100000000LL /* 100 ms windows */

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The model's child: its own process group (so the harness can stop the
 * whole tree with one kill), default signal dispositions, and a pipe it
 * waits on so the parent can put it into the cgroup before it allocates. */
static void runner_child(const run_env_t *env, const model_ops_t *model, outcome_table_t *t,
                         const char *run_id, int go_fd)
{
    job_t job = env->cfg->job;
    char c;
    sigset_t none;

    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    while (read(go_fd, &c, 1) < 0 && errno == EINTR)
        ;
    close(go_fd);
    job.api_url = env->api;
    job.pg_dsn = env->pg;
    job.redis_url = env->redis;
    job.run_id = run_id;
    job.out = t;
    fflush(NULL);
    _exit(model->run(&job));
}

static void runner_progress(const run_result_t *r, outcome_table_t *t, int64_t t0, int final,
                            int tty)
{
    uint64_t done = atomic_load(&t->done), failed = atomic_load(&t->failed);
    double el = (double)(clock_now_ns() - t0) / 1e9;
    double rate = el > 0 ? (double)(done + failed) / el : 0;
    int width = 24, fill = (int)((double)width * (double)(done + failed) / t->n);
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "%s  %-15s [%s] %" PRIu64 "/%u  %.0f req/s  errors %" PRIu64 "  %.1fs%s",
            tty ? "\r" : "", r->model->name, bar, done + failed, t->n, rate, failed, el,
            tty ? (final ? "\n" : "\033[K") : "\n");
}

/* Kills one registered worker once the completed fraction passes
 * crash_after. Returns 1 once done. */
static int runner_crash(outcome_table_t *t, const run_result_t *r)
{
    int n = atomic_load(&t->n_workers);
    for (int i = 0; i < n; i++) {
        pid_t p = atomic_load(&t->worker_pids[i]);
        if (p > 0 && kill(p, SIGKILL) == 0) {
            atomic_fetch_add(&t->crash_killed, 1);
            fprintf(stderr,
                    "\nconcbench: crash injection: SIGKILL %s worker %d after %" PRIu64
                    "/%u requests\n",
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
    double *lat = malloc(sizeof(double) * (t->n ? t->n : 1));
    double *wait = malloc(sizeof(double) * (t->n ? t->n : 1));
    int nlat = 0, nwait = 0;
    int64_t span = 0, at;

    for (uint32_t i = 0; i < t->n; i++) {
        outcome_slot_t *s = &t->slots[i];
        uint8_t st = atomic_load(&s->state);
        r->attempts += s->attempts;
        if (s->attempts > 1)
            r->retried++;
        if (st == SLOT_DONE) {
            r->succeeded++;
            if (lat && s->fetched_ns > s->start_ns && s->start_ns)
                lat[nlat++] = (double)(s->fetched_ns - s->start_ns) / 1e6;
        } else if (st == SLOT_FAILED) {
            r->failed++;
            r->errors[s->err < ERR__COUNT ? s->err : ERR_BAD_PAYLOAD]++;
        }
        if (wait && s->queued_ns && s->start_ns >= s->queued_ns)
            wait[nwait++] = (double)(s->start_ns - s->queued_ns) / 1e6;
        if (timeline_at(s, &at) && at - t0 > span)
            span = at - t0;
    }
    r->complete = r->succeeded + r->failed == t->n;
    if (lat) {
        static const double q[4] = {0.50, 0.90, 0.99, 0.999};
        stats_sort(lat, nlat);
        for (int k = 0; k < 4; k++)
            r->lat_ms[k] = stats_quantile_sorted(lat, nlat, q[k]);
        r->lat_ms[4] = nlat ? lat[nlat - 1] : 0;
        r->lat_sorted = lat;
        r->nlat = nlat;
    }
    if (wait && nwait) {
        stats_sort(wait, nwait);
        r->has_queue_wait = 1;
        r->queue_wait_ms[0] = stats_quantile_sorted(wait, nwait, 0.50);
        r->queue_wait_ms[1] = stats_quantile_sorted(wait, nwait, 0.99);
        r->queue_wait_ms[2] = wait[nwait - 1];
    }
    free(wait);

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

/* Client backends PostgreSQL has now, the harness's own excluded: what the
 * model holds (plus anyone else's on a shared server). -1 if unknown. */
static int64_t runner_pg_backends(PGconn *c)
{
    PGresult *res = PQexec(c, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                              "'client backend' AND pid <> pg_backend_pid()");
    int64_t n = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
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

int runner_run(const run_env_t *env, const model_ops_t *model, int repeat, run_result_t *r)
{
    const config_t *cfg = env->cfg;
    outcome_table_t *t;
    memwatch_t mw;
    int go[2], status = 0, tty = isatty(2), crashed = 0, term_sent = 0;
    double infra0[3], infra1[3], self0;
    int pidfd, tick;
    int64_t t0, t1, last_progress = 0, last_proc = 0, last_pss = 0, last_rss = 0, term_at = 0;
    uint64_t crash_at = 0;
    struct rusage ru;
    char err[512], tag[64];
    pid_t pid;

    memset(r, 0, sizeof *r);
    r->model = model;
    r->repeat = repeat;
    r->crash_applicable = model->crash_na == NULL;
    snprintf(r->run_id, sizeof r->run_id, "cb%lld-%d-%s-%s%d", (long long)time(NULL), (int)getpid(),
             model->name, repeat < 0 ? "w" : "r", repeat < 0 ? -repeat : repeat);
    if (mockctl_reset(env->api, err, sizeof err)) {
        fprintf(stderr, "concbench: cannot reset the mock API: %s\n", err);
        return -1;
    }
    t = outcome_table_create(cfg->job.requests);
    if (!t) {
        fprintf(stderr, "concbench: cannot map an outcome table for %u requests: %s\n",
                cfg->job.requests, strerror(errno));
        return -1;
    }
    if (pipe2(go, O_CLOEXEC)) {
        fprintf(stderr, "concbench: pipe: %s\n", strerror(errno));
        outcome_table_destroy(t);
        return -1;
    }
    snprintf(tag, sizeof tag, "%s-%d", model->name, repeat);
    if (memwatch_init(&mw, tag, cfg->memory_method)) {
        fprintf(stderr,
                "concbench: memory_method %s is not usable here (no writable cgroup of "
                "that kind); use auto\n",
                cfg->memory_method);
        close(go[0]);
        close(go[1]);
        outcome_table_destroy(t);
        return -1;
    }
    runner_infra(env, infra0);
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "concbench: fork: %s\n", strerror(errno));
        close(go[0]);
        close(go[1]);
        memwatch_finish(&mw);
        outcome_table_destroy(t);
        return -1;
    }
    if (pid == 0) {
        close(go[1]);
        runner_child(env, model, t, r->run_id, go[0]);
    }
    close(go[0]);
    setpgid(pid, pid);
    runner_model_pgid = pid;
    memwatch_attach(&mw, pid);
    if (cfg->crash_after > 0 && r->crash_applicable)
        crash_at = (uint64_t)ceil(cfg->crash_after * t->n);
    r->db_conns_server_peak = -1;
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    self0 = self_cpu_s();
    t0 = clock_now_ns();
    t->run_start_ns = t0;
    if (write(go[1], "g", 1) != 1)
        kill(pid, SIGKILL);
    close(go[1]);

    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        int64_t now;
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "concbench: wait4: %s\n", strerror(errno));
            break;
        }
        now = clock_now_ns();
        if (runner_interrupted && !term_sent) {
            /* Stop the whole tree; a model that ignores SIGTERM gets
             * SIGKILL three seconds later. */
            kill(-pid, SIGTERM);
            term_sent = 1;
            term_at = now;
            r->interrupted = 1;
        } else if (term_sent && now - term_at > 3000000000LL) {
            kill(-pid, SIGKILL);
        }
        /* The tree is re-enumerated every 100 ms (a walk over /proc) and its
         * PSS summed every sample_ms when that is the figure. Beside a
         * cgroup, the tree comes from the cgroup's own files every 250 ms,
         * the summed RSS (statm) every second, and the summed PSS, which walks every
         * mapping of every process, only every pss_check_ms: a cross-check
         * must not cost what it checks. harness_cpu_s reports the cost. */
        if (now - last_proc >= (mw.method == MEM_PROC_PSS ? 100000000LL : 250000000LL)) {
            int64_t b = runner_pg_backends(env->pg_conn);
            int pss = mw.method == MEM_PROC_PSS ||
                      (cfg->pss_check_ms > 0 && now - last_pss >= cfg->pss_check_ms * 1000000LL);
            if (b > r->db_conns_server_peak)
                r->db_conns_server_peak = b;
            memwatch_refresh_tree(&mw);
            if (pss || now - last_rss >= 1000000000LL) {
                memwatch_sample(&mw, pss);
                last_rss = now;
            }
            if (pss)
                last_pss = now;
            last_proc = now;
        } else if (mw.method == MEM_PROC_PSS) {
            memwatch_sample(&mw, 1);
        }
        /* "Completed" is fetched and transformed (or failed): rows are
         * committed in batches, and a pool's workers may commit theirs only
         * at the end, when there is nothing left to kill. */
        if (crash_at && !crashed && atomic_load(&t->fetched) + atomic_load(&t->failed) >= crash_at)
            crashed = runner_crash(t, r);
        if (cfg->progress && now - last_progress > (tty ? 200000000LL : 5000000000LL)) {
            runner_progress(r, t, t0, 0, tty);
            last_progress = now;
        }
        /* Sleep until the next thing to do, or until the child exits
         * (the pidfd turns readable), so the wall time ends when the model
         * does, not at the next tick. */
        tick = mw.method == MEM_PROC_PSS ? cfg->sample_ms : 250;
        if (crash_at && !crashed && tick > 5)
            tick = 5;
        if (pidfd >= 0) {
            struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
            poll(&pfd, 1, tick);
        } else {
            clock_sleep_ms(tick < 10 ? tick : 10);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    t1 = clock_now_ns();
    r->harness_cpu_s = self_cpu_s() - self0;
    /* Anything of the tree still alive (a worker whose parent forgot it)
     * dies now; it would skew the next model's figures. */
    kill(-pid, SIGKILL);
    runner_model_pgid = 0;
    if (cfg->progress)
        runner_progress(r, t, t0, 1, tty);
    if (crash_at && !crashed)
        fprintf(stderr,
                "concbench: crash injection: %s had no registered worker left to kill "
                "once %" PRIu64 " requests were done (crash.killed = 0)\n",
                model->name, crash_at);

    r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->wall_s = (double)(t1 - t0) / 1e9;
    r->cpu_user_s = tv_s(ru.ru_utime);
    r->cpu_sys_s = tv_s(ru.ru_stime);
    r->peak_mem_bytes = memwatch_finish(&mw);
    r->mem_method = mw.method;
    r->peak_rss_sum_bytes = mw.peak_rss_sum;
    r->peak_pss_bytes = mw.peak_pss;
    r->processes_peak = mw.processes_peak;
    r->threads_peak = mw.threads_peak;
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
    runner_collect(r, t, t0);

    r->server = mockctl_stats(env->api, err, sizeof err);
    if (!r->server)
        fprintf(stderr, "concbench: mock API stats unavailable: %s\n", err);
    if (verify_run(env->pg_conn, r->run_id, t, cfg->job.seed, cfg->job.items,
                   cfg->job.transform_cost, &r->verify, r->verify_err, sizeof r->verify_err) != 0) {
        r->verify_error = 1;
        fprintf(stderr, "concbench: verification of %s failed: %s\n", r->run_id, r->verify_err);
    } else if (!cfg->keep_rows) {
        verify_drop_rows(env->pg_conn, r->run_id);
    }
    outcome_table_destroy(t);
    return 0;
}

void run_result_free(run_result_t *r)
{
    json_decref(r->server);
    free(r->lat_sorted);
    r->lat_sorted = NULL;
    free(r->timeline_done);
    free(r->timeline_err);
    r->server = NULL;
    r->timeline_done = r->timeline_err = NULL;
}

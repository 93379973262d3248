/* The adapter between the harness and an external program. It runs as the
 * model's process (the fresh child the harness measures), so everything
 * below is inside the model's process group and memory cgroup and its CPU
 * lands in the model's wait4 figures, like any model's own bookkeeping.
 *
 * Start: two pipes, the report (the program's fd 3) and its output
 * (stdout and stderr together); the job goes into the environment
 * (CONCBENCH_*); the adapter becomes a child subreaper, so a grandchild the
 * program orphans is reaped here and its CPU still counts.
 *
 * Run: poll both pipes. Each whole report line goes through the
 * protocol's validator with the clock read after it arrived; its events
 * land in the outcome table like a built-in model's. Output is copied to
 * stderr up to EXTERNAL_OUTPUT_MAX bytes. No report line for
 * stall_timeout_ms is a hang. Registered workers that left the group are
 * unregistered, so a crash injection never kills a recycled pid.
 *
 * End: the report and output both closed. The program must have exited
 * 0 and the report must give every id its final outcome. On any
 * violation — a bad line, a flood, a stall, a non-zero exit, ids left
 * open — the adapter prints one line saying what and where, kills every
 * other process of its tree and returns 2: the run is incomplete, the
 * harness records it and goes on with the next model.
 *
 * Stop: the harness's SIGINT or SIGTERM to the group is caught; the
 * adapter kills and reaps the whole tree, then dies of that signal. On
 * every path the adapter returns or dies only once no process of the tree
 * is left, so the harness, which waits for it, never outlives a part of
 * the program. */
#include "models/external/external.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/exitcode.h"
#include "common/log.h"
#include "models/external/protocol.h"

/* The report's fd in the program, named again in CONCBENCH_REPORT_FD. */
#define EXTERNAL_REPORT_FD 3
/* What the program may write to stdout and stderr together: room for
 * warnings and a traceback; a program that logs per request is flooding
 * the harness's terminal and measuring its own printing. */
#define EXTERNAL_OUTPUT_MAX (64 * 1024)
/* The poll tick: the stall check and the workers' liveness check. */
#define EXTERNAL_TICK_MS 250
/* Rounds of the kill sweep over the group: a process forked while the
 * sweep ran is caught by the next one. */
#define EXTERNAL_KILL_ROUNDS 50
/* How far up /proc's parent links a process is followed to find us. */
#define EXTERNAL_TREE_DEPTH 64

/* /proc/PID/stat's state, parent and process group. Returns 0 or -1. */
static int proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp)
{
    char path[64], buf[512], *p;
    int fd, n, pp, pg;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = (int)read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (!(p = strrchr(buf, ')')) || sscanf(p + 1, " %c %d %d", state, &pp, &pg) != 3)
        return -1;
    *ppid = pp;
    *pgrp = pg;
    return 0;
}

/* A live process of our group other than ourselves: what a `worker` line
 * may name, and what stays registered. */
static int pid_in_group(pid_t pid, void *arg)
{
    char st;
    pid_t pp, pg;
    (void)arg;
    return pid != getpid() && proc_stat(pid, &st, &pp, &pg) == 0 && st != 'Z' && pg == getpgrp();
}

/* A live process of our tree other than ourselves: of our group, or below
 * us (a descendant that left the group with setsid or setpgid; we are the
 * subreaper, so its chain of parents reaches us). */
static int pid_in_tree(pid_t pid)
{
    char st;
    pid_t pp, pg, up = pid;

    if (pid == getpid() || proc_stat(pid, &st, &pp, &pg) || st == 'Z')
        return 0;
    if (pg == getpgrp())
        return 1;
    for (int depth = 0; depth < EXTERNAL_TREE_DEPTH && pp > 1; depth++) {
        if (pp == getpid())
            return 1;
        up = pp;
        if (proc_stat(up, &st, &pp, &pg))
            return 0;
    }
    return 0;
}

/* SIGKILLs every process of our tree but ourselves, until a sweep finds
 * none left (the harness kills the group with us in it; we must outlive
 * the sweep to report). The dead are reaped by reap_all. */
static void kill_tree_but_self(void)
{
    for (int round = 0; round < EXTERNAL_KILL_ROUNDS; round++) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        int killed = 0;
        if (!d)
            return;
        while ((e = readdir(d))) {
            pid_t pid = (pid_t)atoi(e->d_name);
            if (pid > 0 && pid_in_tree(pid) && kill(pid, SIGKILL) == 0)
                killed++;
        }
        closedir(d);
        if (!killed)
            return;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        clock_sleep_ms(1);
    }
}

/* The SIGINT or SIGTERM the harness sent our group to stop the run (0:
 * none yet). */
static volatile sig_atomic_t external_signal;

static void external_on_signal(int sig)
{
    external_signal = sig;
}

/* Reaps every child left, until there is none: we are the subreaper, so
 * a descendant whose parent dies becomes our child before that parent can
 * be reaped, and no child left means no process of the tree left. Their
 * CPU counts. After a stop signal, whatever is still forking is killed
 * again. */
static void reap_all(void)
{
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        if (external_signal)
            kill_tree_but_self();
}

/* The harness stops the run with SIGINT or SIGTERM to our group: kill the
 * rest of the tree, reap all of it, and only then die of that signal. Dying
 * first would hand the tree, still exiting, to init, and the harness, which
 * waits for us, could return while the program's processes still run. */
static void external_stop(void)
{
    int sig = external_signal;

    kill_tree_but_self();
    reap_all();
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(CB_EXIT_SIGNAL_BASE + sig);
}

static void env_num(const char *key, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    setenv(key, buf, 1);
}

/* The job, as the program receives it (docs/external-models.md). */
static void external_env(const job_t *job)
{
    setenv("CONCBENCH_PROTOCOL", "1", 1);
    env_num("CONCBENCH_REPORT_FD", EXTERNAL_REPORT_FD);
    env_num("CONCBENCH_START_NS", job->out->run_start_ns);
    setenv("CONCBENCH_API_URL", job->api_url, 1);
    setenv("CONCBENCH_PG_DSN", job->pg_dsn, 1);
    setenv("CONCBENCH_REDIS_URL", job->redis_url ? job->redis_url : "", 1);
    setenv("CONCBENCH_RUN_ID", job->run_id, 1);
    env_num("CONCBENCH_REQUESTS", job->requests);
    env_num("CONCBENCH_CONCURRENCY", job->concurrency);
    {
        char seed[32];
        snprintf(seed, sizeof seed, "%" PRIu64, job->seed);
        setenv("CONCBENCH_SEED", seed, 1);
    }
    env_num("CONCBENCH_ITEMS", job->items);
    env_num("CONCBENCH_TRANSFORM_COST", job->transform_cost);
    env_num("CONCBENCH_BATCH_SIZE", job->batch_size);
    env_num("CONCBENCH_TIMEOUT_MS", job->timeout_ms);
    env_num("CONCBENCH_RETRIES", job->retries);
    env_num("CONCBENCH_BACKOFF_MS", job->backoff_ms);
    env_num("CONCBENCH_DB_CONNS", job->db_conns);
    env_num("CONCBENCH_WORKERS", job->workers);
    env_num("CONCBENCH_CHUNK", job->chunk);
    env_num("CONCBENCH_QUEUE_DEPTH", job->queue_depth);
    env_num("CONCBENCH_PROCS", job->procs);
    env_num("CONCBENCH_CONSUMERS", job->consumers);
    env_num("CONCBENCH_CLAIM_IDLE_MS", job->claim_idle_ms);
}

/* In the forked child: the pipes onto fds 1, 2 and 3, stdin from
 * /dev/null, default signal dispositions, the environment, exec. */
static void external_exec(const external_spec_t *x, const job_t *job, int rep_w, int out_w)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
        _exit(127);
    if (rep_w == EXTERNAL_REPORT_FD ? fcntl(rep_w, F_SETFD, 0) < 0
                                    : dup2(rep_w, EXTERNAL_REPORT_FD) < 0)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    external_env(job);
    execvp(x->argv[0], x->argv);
    fprintf(stderr, "cannot run %s: %s\n", x->argv[0], strerror(errno));
    _exit(127);
}

/* The run's state in the adapter. */
struct ext_run {
    const external_spec_t *x;
    extproto_t proto;
    char line[EXTPROTO_LINE_MAX + 2];
    size_t llen;
    size_t output; /* bytes of stdout + stderr copied */
    int64_t last_line_ns;
    char err[512];
};

/* Feeds the bytes read from the report to the validator, line by line.
 * Returns 0, or -1 with st->err set. */
static int report_bytes(struct ext_run *st, const char *buf, size_t n)
{
    char why[400];
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (st->llen > EXTPROTO_LINE_MAX) {
                snprintf(st->err, sizeof st->err,
                         "report line %" PRIu64 ": longer than %d bytes (is the report fd "
                         "receiving something else?)",
                         st->proto.lines + 1, EXTPROTO_LINE_MAX);
                return -1;
            }
            st->line[st->llen++] = buf[i];
            continue;
        }
        st->last_line_ns = clock_now_ns();
        if (extproto_line(&st->proto, st->line, st->llen, st->last_line_ns, why, sizeof why)) {
            snprintf(st->err, sizeof st->err, "report line %" PRIu64 " '%.*s': %s",
                     st->proto.lines + 1, (int)(st->llen < 80 ? st->llen : 80), st->line, why);
            return -1;
        }
        st->llen = 0;
    }
    return 0;
}

/* Copies program output to our stderr, up to the cap. Returns 0, or -1
 * with st->err set. */
static int output_bytes(struct ext_run *st, const char *buf, size_t n)
{
    size_t room = st->output < EXTERNAL_OUTPUT_MAX ? EXTERNAL_OUTPUT_MAX - st->output : 0;
    if (fwrite(buf, 1, n < room ? n : room, stderr) == 0 && room)
        clearerr(stderr);
    st->output += n;
    if (st->output > EXTERNAL_OUTPUT_MAX) {
        snprintf(st->err, sizeof st->err,
                 "the program wrote more than %d bytes to stdout/stderr: report on fd %d, and "
                 "keep output for errors",
                 EXTERNAL_OUTPUT_MAX, EXTERNAL_REPORT_FD);
        return -1;
    }
    return 0;
}

/* Unregisters workers that are no longer live members of our group. */
static void workers_prune(outcome_table_t *t)
{
    int n = atomic_load(&t->n_workers);
    for (int i = 0; i < n; i++) {
        pid_t p = atomic_load(&t->worker_pids[i]);
        if (p > 0 && !pid_in_group(p, NULL))
            outcome_worker_unregister(t, p);
    }
}

/* Polls both pipes to their end; closes both on every return. Returns 0,
 * or -1 with st->err set. */
static int external_pump(struct ext_run *st, const job_t *job, int rep_r, int out_r)
{
    struct pollfd pfd[2] = {{.fd = rep_r, .events = POLLIN}, {.fd = out_r, .events = POLLIN}};
    char buf[16384];

    int failed = 0;

    st->last_line_ns = clock_now_ns();
    while (!failed && !external_signal && (pfd[0].fd >= 0 || pfd[1].fd >= 0)) {
        int rc = poll(pfd, 2, EXTERNAL_TICK_MS);
        int64_t now = clock_now_ns();
        if (rc < 0 && errno != EINTR) {
            snprintf(st->err, sizeof st->err, "poll: %s", strerror(errno));
            failed = 1;
            break;
        }
        for (int k = 0; k < 2 && rc > 0; k++) {
            ssize_t n;
            if (pfd[k].fd < 0 || !pfd[k].revents)
                continue;
            n = read(pfd[k].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                close(pfd[k].fd);
                pfd[k].fd = -1;
                continue;
            }
            if (k == 0 ? report_bytes(st, buf, (size_t)n) : output_bytes(st, buf, (size_t)n)) {
                failed = 1;
                break;
            }
        }
        /* Also once the report is closed: a descendant holding the
         * output open is as hung as a silent program. */
        if (!failed && now - st->last_line_ns > (int64_t)job->stall_timeout_ms * CLOCK_NS_PER_MS) {
            snprintf(st->err, sizeof st->err,
                     "no report line for %d ms (stall_timeout_ms): the program hangs",
                     job->stall_timeout_ms);
            failed = 1;
        }
        workers_prune(job->out);
    }
    for (int k = 0; k < 2; k++)
        if (pfd[k].fd >= 0)
            close(pfd[k].fd);
    if (failed)
        return -1;
    if (st->llen) {
        snprintf(st->err, sizeof st->err,
                 "the report ends in the middle of line %" PRIu64 " (every line ends with \\n)",
                 st->proto.lines + 1);
        return -1;
    }
    return 0;
}

int external_run(const job_t *job)
{
    const external_spec_t *x = job->model_priv;
    struct ext_run st = {.x = x};
    int rep[2] = {-1, -1}, out[2] = {-1, -1}, status = 0, rc = 2;
    pid_t pid;

    prctl(PR_SET_CHILD_SUBREAPER, 1);
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = external_on_signal; /* no SA_RESTART: waits return EINTR */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    if (extproto_init(&st.proto, job->out, job->retries, job->out->run_start_ns)) {
        log_error("%s: out of memory", x->name);
        return 2;
    }
    st.proto.pid_ok = pid_in_group;
    if (pipe2(rep, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
        log_error("%s: pipe: %s", x->name, strerror(errno));
        goto done;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        log_error("%s: fork: %s", x->name, strerror(errno));
        goto done;
    }
    if (pid == 0)
        external_exec(x, job, rep[1], out[1]);
    close(rep[1]);
    close(out[1]);
    rep[1] = out[1] = -1;
    {
        int failed = external_pump(&st, job, rep[0], out[0]);
        rep[0] = out[0] = -1; /* the pump closed them */
        if (external_signal)
            external_stop();
        if (failed) {
            kill_tree_but_self();
            log_error("%s (%s): %s (docs/external-models.md)", x->name, x->argv[0], st.err);
            goto done;
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        if (external_signal)
            external_stop();
    kill_tree_but_self(); /* whatever the program left running */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status))
            log_error("%s (%s): the program exited with status %d", x->name, x->argv[0],
                      WEXITSTATUS(status));
        else
            log_error("%s (%s): the program was killed by signal %d", x->name, x->argv[0],
                      WTERMSIG(status));
        goto done;
    }
    if (extproto_finish(&st.proto, st.err, sizeof st.err)) {
        log_error("%s (%s): the program exited 0 but its report is incomplete: %s "
                  "(docs/external-models.md)",
                  x->name, x->argv[0], st.err);
        goto done;
    }
    rc = 0;
done:
    for (int i = 0; i < 2; i++) {
        if (rep[i] >= 0)
            close(rep[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    reap_all();
    extproto_free(&st.proto);
    return rc;
}

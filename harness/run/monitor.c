#include "harness/run/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"

/* The child: optional preparation, then it waits for the parent to have
 * attached it to the watch, then runs. It dies with the parent (SIGKILL
 * through PR_SET_PDEATHSIG, so a harness killed outright does not leave
 * it working against the API and the database); a parent that died
 * before the prctl is caught by the getppid check. Never returns. */
static void monitor_child(const monitor_t *m, const monitor_hooks_t *h, int go[2], pid_t parent)
{
    char c;

    close(go[1]);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127);
    if (m->new_group)
        setpgid(0, 0);
    if (h->child_prepare)
        h->child_prepare(h->arg);
    while (read(go[0], &c, 1) < 0 && errno == EINTR)
        ;
    close(go[0]);
    h->child_run(h->arg);
    _exit(127);
}

/* Whether the memory figure needs dense samples: it is summed PSS, or the
 * caller wants sampling as dense beside a cgroup too. */
static int monitor_dense(const monitor_t *m)
{
    return m->mw->method == MEM_PROC_PSS || m->full_samples;
}

/* One tick's tree walk and memory samples. When sampling is the figure
 * the tree is walked every LIMIT_RUN_TREE_PSS_MS and its PSS summed every
 * tick. Beside a cgroup the tree comes every LIMIT_RUN_TREE_CGROUP_MS,
 * the summed RSS every LIMIT_RUN_RSS_CHECK_MS, and the summed PSS, which
 * walks every mapping of every process, only every pss_check_ms: a
 * cross-check must not cost what it checks. */
static void monitor_sample(monitor_t *m, int64_t now)
{
    int dense = monitor_dense(m);
    int64_t tree_ns = (dense ? LIMIT_RUN_TREE_PSS_MS : LIMIT_RUN_TREE_CGROUP_MS) * CLOCK_NS_PER_MS;

    m->tree_fresh = 0;
    if (now - m->last_tree >= tree_ns) {
        int pss = dense || (m->pss_check_ms > 0 &&
                            now - m->last_pss >= (int64_t)m->pss_check_ms * CLOCK_NS_PER_MS);
        memwatch_refresh_tree(m->mw);
        if (pss || now - m->last_rss >= LIMIT_RUN_RSS_CHECK_MS * CLOCK_NS_PER_MS) {
            memwatch_sample(m->mw, pss);
            m->last_rss = now;
        }
        if (pss)
            m->last_pss = now;
        m->last_tree = now;
        m->tree_fresh = 1;
    } else if (dense) {
        memwatch_sample(m->mw, 1);
    }
}

void monitor_mem_timeline_init(monitor_mem_timeline_t *tl, int64_t window_ns)
{
    memset(tl, 0, sizeof *tl);
    tl->window_ns = window_ns > 0 ? window_ns : 1;
}

void monitor_mem_timeline_add(monitor_mem_timeline_t *tl, int64_t since_ns, uint64_t bytes)
{
    int64_t k;
    if (since_ns < 0)
        return;
    while ((k = since_ns / tl->window_ns) >= MONITOR_MEM_WINDOWS) {
        for (int i = 0; i < MONITOR_MEM_WINDOWS / 2; i++) {
            uint64_t a = tl->bytes[2 * i], b = tl->bytes[2 * i + 1];
            tl->bytes[i] = a > b ? a : b;
        }
        memset(tl->bytes + MONITOR_MEM_WINDOWS / 2, 0,
               MONITOR_MEM_WINDOWS / 2 * sizeof tl->bytes[0]);
        tl->len = (tl->len + 1) / 2;
        tl->window_ns *= 2;
    }
    if (bytes > tl->bytes[k])
        tl->bytes[k] = bytes;
    if (k + 1 > tl->len)
        tl->len = (int)k + 1;
}

/* Sleeps until the next tick or until the child exits (the pidfd turns
 * readable). */
static void monitor_nap(const monitor_t *m, int pidfd, int cap_ms)
{
    int tick = monitor_dense(m) ? m->sample_ms : LIMIT_RUN_CGROUP_TICK_MS;

    if (cap_ms >= 0 && tick > cap_ms)
        tick = cap_ms;
    if (pidfd >= 0) {
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
        poll(&pfd, 1, tick);
    } else {
        clock_sleep_ms(tick < LIMIT_RUN_NO_PIDFD_NAP_MS ? tick : LIMIT_RUN_NO_PIDFD_NAP_MS);
    }
}

/* Until wait4 reaps the child: sample, let the policy act, nap. */
static void monitor_loop(monitor_t *m, const monitor_hooks_t *h, int pidfd)
{
    for (;;) {
        pid_t w = wait4(m->pid, &m->status, WNOHANG, &m->ru);
        int64_t now;
        uint64_t cur;
        int cap = -1;
        if (w == m->pid)
            break;
        if (w < 0 && errno != EINTR) {
            log_error("wait4: %s", strerror(errno));
            break;
        }
        now = clock_now_ns();
        monitor_sample(m, now);
        if (memwatch_current(m->mw, &cur) == 0)
            monitor_mem_timeline_add(&m->mem_tl, now - m->t0, cur);
        if (h->tick)
            cap = h->tick(m, now, h->arg);
        monitor_nap(m, pidfd, cap);
    }
}

int monitor_run(monitor_t *m, const monitor_hooks_t *h, char *err, size_t errlen)
{
    int go[2], pidfd;
    pid_t parent;

    m->status = 0;
    m->last_tree = m->last_pss = m->last_rss = 0;
    monitor_mem_timeline_init(
        &m->mem_tl,
        (int64_t)(monitor_dense(m) ? m->sample_ms : LIMIT_RUN_CGROUP_TICK_MS) * CLOCK_NS_PER_MS);
    memset(&m->ru, 0, sizeof m->ru);
    if (pipe2(go, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        memwatch_finish(m->mw);
        return -1;
    }
    fflush(NULL);
    parent = getpid();
    m->pid = fork();
    if (m->pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(go[0]);
        close(go[1]);
        memwatch_finish(m->mw);
        return -1;
    }
    if (m->pid == 0)
        monitor_child(m, h, go, parent);
    close(go[0]);
    if (m->new_group)
        setpgid(m->pid, m->pid); /* also here, so a kill(-pid) right away cannot miss */
    memwatch_attach(m->mw, m->pid);
    pidfd = (int)syscall(SYS_pidfd_open, m->pid, 0);
    m->t0 = clock_now_ns();
    if (h->start)
        h->start(m, h->arg);
    if (write(go[1], "g", 1) != 1)
        kill(m->pid, SIGKILL);
    close(go[1]);
    monitor_loop(m, h, pidfd);
    m->t1 = clock_now_ns();
    if (pidfd >= 0)
        close(pidfd);
    /* Anything of the tree still alive (a worker whose parent forgot it)
     * dies now; it would skew the next run's figures. */
    if (m->new_group)
        kill(-m->pid, SIGKILL);
    m->peak_mem = memwatch_finish(m->mw);
    return 0;
}

int monitor_exit_status(const monitor_t *m)
{
    return WIFEXITED(m->status) ? WEXITSTATUS(m->status) : 128 + WTERMSIG(m->status);
}

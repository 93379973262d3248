/* The supervisor: how every private service is started and stopped.
 *
 * Every service is a direct child of the harness, started by svc_spawn() in
 * its own process group (a Ctrl-C on the terminal then reaches only the
 * harness, which stops the services in order), with default signal
 * dispositions, an empty signal mask, stdin on /dev/null and none of the
 * harness's other descriptors. PostgreSQL refuses to run as root, so when we
 * are root the child drops to the `postgres` user before exec: the PID we hold
 * is the postmaster itself, not a wrapper such as runuser.
 *
 * Each child also gets a parent-death signal, so a harness killed with
 * SIGKILL (a CI timeout) does not leave servers behind. Linux ties that signal
 * to the *thread* that forked: start services from a thread that outlives
 * them (the main thread).
 *
 * Started services live in a small static registry (current PID, stop signal,
 * temporary directory). An entry belongs to the process that made it: a
 * forked model child that calls exit() runs our atexit handler too, and must
 * not stop its parent's database. Not thread-safe: start and stop services
 * from one thread. A SIGCHLD handler elsewhere must reap only its own PIDs. */
#include "harness/services/spawn.h"

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/procstat.h"
#include "harness/services/svcfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

void svc_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* What a child reports through the CLOEXEC pipe when it cannot exec. */
struct svc_spawn_failure {
    int stage;
    int err;
};

static const char *const svc_spawn_stages[] = {
    "opening /dev/null",
    "setting up stdio",
    "setgroups",
    "setgid",
    "setuid",
    "changing to its directory",
    "prctl",
    "exec",
};

/* Runs in the forked child: only async-signal-safe calls until exec. */
static _Noreturn void svc_spawn_child(const struct svc_spawn_spec *sp, pid_t parent, long max_fd,
                                      int report_fd)
{
    struct svc_spawn_failure f = {0, 0};
    struct sigaction sa;
    sigset_t none;
    int in, out, errfd;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &sa, NULL); /* fails harmlessly for SIGKILL, SIGSTOP */
    /* In a background process group, a write to the terminal under
     * `stty tostop` would stop the service instead of printing. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGTTOU, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);

    f.stage = 0;
    in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0)
        goto fail;
    /* Lift every source above 2 first so that no dup2 clobbers another. */
    f.stage = 1;
    in = fcntl(in, F_DUPFD_CLOEXEC, 3);
    out = fcntl(sp->out_fd, F_DUPFD_CLOEXEC, 3);
    errfd = fcntl(sp->err_fd, F_DUPFD_CLOEXEC, 3);
    if (in < 0 || out < 0 || errfd < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
        goto fail;
    /* The harness's sockets, DB connections and shared tables stay with it. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        for (long fd = 3; fd < max_fd; fd++)
            fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    if (sp->drop_privs) {
        f.stage = 2;
        if (setgroups(1, &sp->gid) < 0)
            goto fail;
        f.stage = 3;
        if (setgid(sp->gid) < 0)
            goto fail;
        f.stage = 4;
        if (setuid(sp->uid) < 0)
            goto fail;
    }
    f.stage = 5;
    if (sp->cwd && chdir(sp->cwd) < 0)
        goto fail;
    /* After setuid: a change of credentials clears the parent-death signal. */
    f.stage = 6;
    if (sp->death_sig && prctl(PR_SET_PDEATHSIG, sp->death_sig) < 0)
        goto fail;
    if (getppid() != parent)
        _exit(1);
    f.stage = 7;
    execv(sp->path, sp->argv);
fail:
    f.err = errno;
    if (write(report_fd, &f, sizeof f) < 0) {
        /* Nothing left to tell it with; the exit status says it. */
    }
    _exit(127);
}

/* Forks and execs sp->path. Returns the child's PID once exec has succeeded
 * (the child is then its own process group leader), or -1 with a reason in
 * err, the child (if any) reaped. */
pid_t svc_spawn(const struct svc_spawn_spec *sp, const char *what, char *err, size_t errlen)
{
    struct svc_spawn_failure f;
    struct rlimit rl;
    long max_fd = 1024;
    pid_t parent = getpid();
    int report[2];
    ssize_t n;
    pid_t pid;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        max_fd = (long)rl.rlim_cur;
    if (pipe2(report, O_CLOEXEC) < 0) {
        svc_err(err, errlen, "cannot start %s: pipe: %s", what, strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        svc_err(err, errlen, "cannot start %s: fork: %s", what, strerror(errno));
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0)
        svc_spawn_child(sp, parent, max_fd, report[1]);
    close(report[1]);
    /* Also in the parent, so that a kill(-pid) right away cannot miss. It
     * fails harmlessly once the child has exec'd. */
    setpgid(pid, pid);
    do {
        n = read(report[0], &f, sizeof f);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == 0)
        return pid;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (n == (ssize_t)sizeof f && f.stage >= 0 &&
        f.stage < (int)(sizeof svc_spawn_stages / sizeof svc_spawn_stages[0]))
        svc_err(err, errlen, "cannot start %s (%s): %s failed: %s", what, sp->path,
                svc_spawn_stages[f.stage], strerror(f.err));
    else
        svc_err(err, errlen, "cannot start %s (%s): the child failed before exec", what, sp->path);
    return -1;
}

/* Whether our child pid has exited, without reaping it: an exited child
 * stays a zombie that holds its PID and process group ID, so signalling them
 * stays safe until svc_reap(). GONE: not our child any more (reaped
 * elsewhere, or SIGCHLD ignored). si, if given, gets the exit details. */
enum svc_child_state svc_child_state(pid_t pid, siginfo_t *si)
{
    siginfo_t local;

    if (si == NULL)
        si = &local;
    memset(si, 0, sizeof *si);
    if (waitid(P_PID, (id_t)pid, si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == EINTR ? SVC_CHILD_RUNNING : SVC_CHILD_GONE;
    return si->si_pid == 0 ? SVC_CHILD_RUNNING : SVC_CHILD_EXITED;
}

/* Polls svc_child_state until the child is no longer running or timeout_ms
 * has passed; returns the last state. */
enum svc_child_state svc_wait_exit(pid_t pid, int timeout_ms, siginfo_t *si)
{
    int64_t deadline = clock_now_ns() + (int64_t)timeout_ms * CLOCK_NS_PER_MS;
    int nap = 1;
    enum svc_child_state st;

    while ((st = svc_child_state(pid, si)) == SVC_CHILD_RUNNING && clock_now_ns() < deadline) {
        clock_sleep_ms(nap);
        if (nap < LIMIT_SVC_EXIT_POLL_MAX_MS)
            nap *= 2;
    }
    return st;
}

void svc_describe_exit(const siginfo_t *si, char *buf, size_t len)
{
    if (si->si_code == CLD_EXITED)
        snprintf(buf, len, "exit status %d", si->si_status);
    else
        snprintf(buf, len, "killed by signal %d (%s)", si->si_status, strsignal(si->si_status));
}

/* Reaps an exited child; clears the registry's PID first so that
 * svc_kill_all_now() never signals a PID the kernel may hand out again. */
void svc_reap(struct svc_entry *e)
{
    pid_t pid = (pid_t)e->pid;

    e->pid = 0;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* ---- registry -------------------------------------------------------- */

static struct svc_entry svc_registry[LIMIT_SVC_MAX];
static bool svc_atexit_registered;

static void svc_atexit(void)
{
    svc_stop_all();
}

struct svc_entry *svc_reg_alloc(const char *name, char *err, size_t errlen)
{
    for (int i = 0; i < LIMIT_SVC_MAX; i++) {
        struct svc_entry *e = &svc_registry[i];
        if (e->used)
            continue;
        if (!svc_atexit_registered && atexit(svc_atexit) == 0)
            svc_atexit_registered = true;
        memset(e, 0, sizeof *e);
        e->used = true;
        e->owner = getpid();
        e->name = name;
        e->stop_sig = SIGTERM;
        e->stdout_fd = -1;
        return e;
    }
    svc_err(err, errlen, "cannot start more than %d services at once: stop some first",
            LIMIT_SVC_MAX);
    return NULL;
}

static struct svc_entry *svc_reg_find(pid_t pid)
{
    pid_t self = getpid();

    for (int i = 0; pid > 0 && i < LIMIT_SVC_MAX; i++)
        if (svc_registry[i].used && svc_registry[i].owner == self && svc_registry[i].pid == pid)
            return &svc_registry[i];
    return NULL;
}

/* Sends SIGCONT to pid and to each of its children (from /proc): a
 * stopped server (SIGSTOP, a debugger let go) handles no signal but
 * SIGKILL, and a stopped PostgreSQL backend would outlive its postmaster
 * forever. Continuing a running process does nothing. */
static void svc_continue_tree(pid_t pid)
{
    DIR *d = opendir("/proc");
    struct dirent *ent;

    kill(pid, SIGCONT);
    if (!d)
        return;
    while ((ent = readdir(d))) {
        char buf[512];
        const char *f;
        pid_t child = (pid_t)atoi(ent->d_name);
        int ppid;
        if (child <= 0 || !(f = procstat_read(child, buf, sizeof buf)))
            continue;
        if (sscanf(f, "%*c %d", &ppid) == 1 && ppid == pid)
            kill(child, SIGCONT);
    }
    closedir(d);
}

/* Stops the entry's process (graceful signal, then SIGKILL to its whole
 * process group), reaps it, removes its directory and frees the slot.
 * A stopped service and its children are continued first, so that the
 * graceful stop can work. PostgreSQL backends leave the group (setsid);
 * when the postmaster dies they notice and exit on their own. */
void svc_reg_stop(struct svc_entry *e)
{
    pid_t pid = (pid_t)e->pid;

    if (pid > 0) {
        enum svc_child_state st = svc_child_state(pid, NULL);
        if (st == SVC_CHILD_RUNNING) {
            kill(pid, e->stop_sig);
            /* A stopped service (SIGSTOP, a debugger let go) would hold the
             * signal pending for the whole grace period: let it, its group
             * and its children (PostgreSQL's backends left the group) run. */
            kill(-pid, SIGCONT);
            svc_continue_tree(pid);
            st = svc_wait_exit(pid, LIMIT_SVC_STOP_GRACE_MS, NULL);
        }
        if (st == SVC_CHILD_RUNNING) {
            log_error("%s (PID %d) did not stop within %d s: killing it", e->name, (int)pid,
                      LIMIT_SVC_STOP_GRACE_MS / 1000);
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            st = svc_wait_exit(pid, LIMIT_SVC_KILL_WAIT_MS, NULL);
        }
        if (st == SVC_CHILD_EXITED) {
            kill(-pid, SIGKILL); /* stragglers in its group; the zombie still holds the ID */
            svc_reap(e);
        }
        e->pid = 0;
    }
    if (e->stdout_fd >= 0)
        close(e->stdout_fd);
    if (e->tmpdir[0])
        svcfs_rm_tree(e->tmpdir);
    memset(e, 0, sizeof *e);
}

int svc_make_tmpdir(struct svc_entry *e, const char *kind, char *err, size_t errlen)
{
    char dir[sizeof e->tmpdir];

    snprintf(dir, sizeof dir, SVC_TMP_PARENT "/" SVC_TMP_PREFIX "%s-XXXXXX", kind);
    if (mkdtemp(dir) == NULL) {
        svc_err(err, errlen, "cannot create a directory like %s: %s", dir, strerror(errno));
        return -1;
    }
    if (svcfs_mark_owner(dir, err, errlen) < 0) {
        svcfs_rm_tree(dir);
        return -1;
    }
    memcpy(e->tmpdir, dir, sizeof dir);
    return 0;
}

void svc_sweep_stale(void)
{
    static const char *const kinds[] = {"pg", "redis"};
    struct passwd *pw = geteuid() == 0 ? getpwnam("postgres") : NULL;
    char prefix[64];

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        snprintf(prefix, sizeof prefix, SVC_TMP_PREFIX "%s-", kinds[i]);
        /* A private PostgreSQL's folder belongs to the user it runs as. */
        svcfs_sweep(SVC_TMP_PARENT, prefix, pw && i == 0 ? pw->pw_uid : (uid_t)-1);
    }
}

void svc_fill(svc_t *s, const struct svc_entry *e, int port)
{
    s->pid = (pid_t)e->pid;
    s->port = port;
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s", e->tmpdir);
}

void svc_stop(svc_t *s)
{
    struct svc_entry *e;

    if (s == NULL)
        return;
    /* A PID we did not register (the user's own service, or one already
     * stopped and possibly reused by the kernel) is never signalled. */
    e = svc_reg_find(s->pid);
    if (e)
        svc_reg_stop(e);
    s->pid = 0;
    s->tmpdir[0] = '\0';
}

void svc_stop_all(void)
{
    pid_t self = getpid();

    /* Newest first: slots are taken lowest first. */
    for (int i = LIMIT_SVC_MAX - 1; i >= 0; i--)
        if (svc_registry[i].used && svc_registry[i].owner == self)
            svc_reg_stop(&svc_registry[i]);
}

void svc_kill_all_now(void)
{
    int saved = errno;
    pid_t self = getpid();

    for (int i = 0; i < LIMIT_SVC_MAX; i++) {
        pid_t pid = (pid_t)svc_registry[i].pid;
        if (pid > 0 && svc_registry[i].owner == self) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
    }
    errno = saved;
}

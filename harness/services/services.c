/* Private services for a run: mockapi, PostgreSQL and redis-server.
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
#include "harness/services/services.h"

#include "common/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define SVC_MAX 16
#define SVC_STOP_GRACE_MS 10000
#define SVC_KILL_WAIT_MS 5000
#define SVC_START_ATTEMPTS 3 /* a free port can be taken before the server binds it */
#define MOCKAPI_READY_MS 10000
#define PG_INITDB_MS 120000
#define PG_READY_MS 60000
#define REDIS_READY_MS 20000

struct svc_entry {
    bool used;
    volatile sig_atomic_t pid; /* the service's running process, 0 if none */
    pid_t owner;               /* the process that started it; only it stops it */
    const char *name;          /* for messages: "postgres", "initdb", ... */
    int stop_sig;              /* graceful stop: SIGINT for postgres (fast shutdown) */
    int stdout_fd;             /* mockapi's stdout pipe, held open so it never gets SIGPIPE */
    char tmpdir[256];          /* removed on stop, "" if none */
};

static struct svc_entry svc_registry[SVC_MAX];
static bool svc_atexit_registered;

static void svc_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void svc_err(char *err, size_t errlen, const char *fmt, ...)
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

static int64_t svc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- processes ------------------------------------------------------- */

struct svc_spawn_spec {
    const char *path;
    char *const *argv;
    int out_fd;      /* becomes the child's stdout */
    int err_fd;      /* becomes the child's stderr */
    const char *cwd; /* NULL: the harness's */
    bool drop_privs; /* become uid/gid before exec */
    uid_t uid;
    gid_t gid;
    int death_sig; /* delivered to the child if the harness dies */
};

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
static pid_t svc_spawn(const struct svc_spawn_spec *sp, const char *what, char *err, size_t errlen)
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

enum svc_child_state { SVC_CHILD_RUNNING, SVC_CHILD_EXITED, SVC_CHILD_GONE };

/* Whether our child pid has exited, without reaping it: an exited child
 * stays a zombie that holds its PID and process group ID, so signalling them
 * stays safe until svc_reap(). GONE: not our child any more (reaped
 * elsewhere, or SIGCHLD ignored). si, if given, gets the exit details. */
static enum svc_child_state svc_child_state(pid_t pid, siginfo_t *si)
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
static enum svc_child_state svc_wait_exit(pid_t pid, int timeout_ms, siginfo_t *si)
{
    int64_t deadline = svc_now_ms() + timeout_ms;
    int nap = 1;
    enum svc_child_state st;

    while ((st = svc_child_state(pid, si)) == SVC_CHILD_RUNNING && svc_now_ms() < deadline) {
        clock_sleep_ms(nap);
        if (nap < 20)
            nap *= 2;
    }
    return st;
}

static void svc_describe_exit(const siginfo_t *si, char *buf, size_t len)
{
    if (si->si_code == CLD_EXITED)
        snprintf(buf, len, "exit status %d", si->si_status);
    else
        snprintf(buf, len, "killed by signal %d (%s)", si->si_status, strsignal(si->si_status));
}

/* Reaps an exited child; clears the registry's PID first so that
 * svc_kill_all_now() never signals a PID the kernel may hand out again. */
static void svc_reap(struct svc_entry *e)
{
    pid_t pid = (pid_t)e->pid;

    e->pid = 0;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* ---- files ----------------------------------------------------------- */

static int svc_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void svc_rm_tree(const char *dir)
{
    struct stat st;

    nftw(dir, svc_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (lstat(dir, &st) == 0)
        fprintf(stderr, "concbench: could not remove %s: remove it by hand\n", dir);
}

/* Copies the last nlines non-empty lines of the file at path into out,
 * joined with " | ", so that a failure can be told in one line. */
static void svc_log_tail(const char *path, int nlines, char *out, size_t outlen)
{
    char buf[4096], *line[8], *save = NULL;
    int count = 0, fd;
    off_t size, start;
    ssize_t n;
    size_t used = 0;

    out[0] = '\0';
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size = lseek(fd, 0, SEEK_END);
    start = size > (off_t)sizeof buf - 1 ? size - ((off_t)sizeof buf - 1) : 0;
    n = pread(fd, buf, sizeof buf - 1, start);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (nlines > 8)
        nlines = 8;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (count == nlines) {
            memmove(line, line + 1, sizeof line[0] * (size_t)(nlines - 1));
            count--;
        }
        line[count++] = l;
    }
    /* Older lines give way first: the last one usually says why. */
    while (count > 1) {
        size_t total = 0;
        for (int i = 0; i < count; i++)
            total += strlen(line[i]) + 3;
        if (total < outlen)
            break;
        memmove(line, line + 1, sizeof line[0] * (size_t)(count - 1));
        count--;
    }
    for (int i = 0; i < count && used < outlen; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? " | " : "", line[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int svc_append(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    size_t len = strlen(text);
    ssize_t n = -1;

    if (fd >= 0) {
        n = write(fd, text, len);
        if (close(fd) < 0)
            n = -1;
    }
    if (n != (ssize_t)len) {
        svc_err(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int svc_open_log(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    if (fd < 0)
        svc_err(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return fd;
}

/* ---- registry -------------------------------------------------------- */

static void svc_atexit(void)
{
    svc_stop_all();
}

static struct svc_entry *svc_reg_alloc(const char *name, char *err, size_t errlen)
{
    for (int i = 0; i < SVC_MAX; i++) {
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
    svc_err(err, errlen, "cannot start more than %d services at once: stop some first", SVC_MAX);
    return NULL;
}

static struct svc_entry *svc_reg_find(pid_t pid)
{
    pid_t self = getpid();

    for (int i = 0; pid > 0 && i < SVC_MAX; i++)
        if (svc_registry[i].used && svc_registry[i].owner == self && svc_registry[i].pid == pid)
            return &svc_registry[i];
    return NULL;
}

/* Stops the entry's process (graceful signal, then SIGKILL to its whole
 * process group), reaps it, removes its directory and frees the slot.
 * PostgreSQL backends leave the group (setsid); when the postmaster dies
 * they notice and exit on their own. */
static void svc_reg_stop(struct svc_entry *e)
{
    pid_t pid = (pid_t)e->pid;

    if (pid > 0) {
        enum svc_child_state st = svc_child_state(pid, NULL);
        if (st == SVC_CHILD_RUNNING) {
            kill(pid, e->stop_sig);
            st = svc_wait_exit(pid, SVC_STOP_GRACE_MS, NULL);
        }
        if (st == SVC_CHILD_RUNNING) {
            fprintf(stderr, "concbench: %s (PID %d) did not stop within %d s: killing it\n",
                    e->name, (int)pid, SVC_STOP_GRACE_MS / 1000);
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            st = svc_wait_exit(pid, SVC_KILL_WAIT_MS, NULL);
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
        svc_rm_tree(e->tmpdir);
    memset(e, 0, sizeof *e);
}

static int svc_make_tmpdir(struct svc_entry *e, const char *tmpl, char *err, size_t errlen)
{
    char dir[sizeof e->tmpdir];

    snprintf(dir, sizeof dir, "%s", tmpl);
    if (mkdtemp(dir) == NULL) {
        svc_err(err, errlen, "cannot create a directory like %s: %s", tmpl, strerror(errno));
        return -1;
    }
    memcpy(e->tmpdir, dir, sizeof dir);
    return 0;
}

static void svc_fill(svc_t *s, const struct svc_entry *e, int port)
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
    for (int i = SVC_MAX - 1; i >= 0; i--)
        if (svc_registry[i].used && svc_registry[i].owner == self)
            svc_reg_stop(&svc_registry[i]);
}

void svc_kill_all_now(void)
{
    int saved = errno;
    pid_t self = getpid();

    for (int i = 0; i < SVC_MAX; i++) {
        pid_t pid = (pid_t)svc_registry[i].pid;
        if (pid > 0 && svc_registry[i].owner == self) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
    }
    errno = saved;
}

/* ---- ports ----------------------------------------------------------- */

static int svc_bind_loopback(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int got = -1, saved;

    if (fd < 0)
        return -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        got = ntohs(a.sin_port);
    saved = errno;
    close(fd);
    errno = saved;
    return got;
}

int svc_free_port(void)
{
    int port = svc_bind_loopback(0);

    return port > 0 ? port : -1;
}

static bool svc_port_taken(int port)
{
    return svc_bind_loopback(port) < 0 && errno == EADDRINUSE;
}

static int svc_tcp_connect(const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {1, 0};
    int fd;

    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* ---- mockapi --------------------------------------------------------- */

/* Reads mockapi's stdout until the line "mockapi listening on
 * http://HOST:PORT". Returns 0 with host/port set; -1 on EOF (last_line
 * holds the last other line it printed); -2 on timeout. */
static int svc_mockapi_read_line(int fd, char *host, size_t hostlen, int *port, char *last_line,
                                 size_t lastlen)
{
    int64_t deadline = svc_now_ms() + MOCKAPI_READY_MS;
    char buf[1024];
    size_t have = 0, len;

    last_line[0] = '\0';
    for (;;) {
        int64_t left = deadline - svc_now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char *nl;
        ssize_t n;
        int rc;

        if (left <= 0)
            return -2;
        rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return rc == 0 ? -2 : -1;
        n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        have += (size_t)n;
        buf[have] = '\0';
        while ((nl = strchr(buf, '\n')) != NULL || have == sizeof buf - 1) {
            char fmt[64];
            if (nl)
                *nl = '\0';
            snprintf(fmt, sizeof fmt, "mockapi listening on http://%%%zu[^:/]:%%d", hostlen - 1);
            if (sscanf(buf, fmt, host, port) == 2)
                return 0;
            /* Kept for the error message; a long one is cut. */
            len = strnlen(buf, lastlen - 1);
            memcpy(last_line, buf, len);
            last_line[len] = '\0';
            if (nl == NULL) {
                have = 0;
                break;
            }
            have -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, have + 1);
        }
    }
}

int svc_mockapi_start(svc_t *s, const char *binary, char *const argv_extra[], char *err,
                      size_t errlen)
{
    struct svc_entry *e = NULL;
    struct svc_spawn_spec sp = {.out_fd = -1, .err_fd = STDERR_FILENO, .death_sig = SIGTERM};
    char host[64], last[256], status[96], **argv = NULL;
    int pipefd[2] = {-1, -1}, port = 0, rc, nextra = 0, fd;
    siginfo_t si;
    pid_t pid;

    memset(s, 0, sizeof *s);
    if (binary == NULL || access(binary, F_OK) < 0) {
        svc_err(err, errlen, "mockapi not found at %s: build it with ./run_all.sh",
                binary ? binary : "(null)");
        return -1;
    }
    if (access(binary, X_OK) < 0) {
        svc_err(err, errlen, "mockapi at %s is not executable (%s): build it with ./run_all.sh",
                binary, strerror(errno));
        return -1;
    }
    while (argv_extra && argv_extra[nextra])
        nextra++;
    argv = calloc((size_t)nextra + 6, sizeof *argv);
    if (argv == NULL) {
        svc_err(err, errlen, "cannot start mockapi: out of memory");
        return -1;
    }
    argv[0] = (char *)binary;
    argv[1] = "--host";
    argv[2] = "127.0.0.1";
    argv[3] = "--port";
    argv[4] = "0";
    for (int i = 0; i < nextra; i++)
        argv[5 + i] = argv_extra[i];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        svc_err(err, errlen, "cannot start mockapi: pipe: %s", strerror(errno));
        goto fail;
    }
    e = svc_reg_alloc("mockapi", err, errlen);
    if (e == NULL)
        goto fail;
    sp.path = binary;
    sp.argv = argv;
    sp.out_fd = pipefd[1];
    pid = svc_spawn(&sp, "mockapi", err, errlen);
    close(pipefd[1]);
    pipefd[1] = -1;
    if (pid < 0)
        goto fail;
    e->pid = pid;
    e->stdout_fd = pipefd[0];
    pipefd[0] = -1;

    rc = svc_mockapi_read_line(e->stdout_fd, host, sizeof host, &port, last, sizeof last);
    if (rc == -2) {
        svc_err(err, errlen,
                "mockapi (%s) did not print 'mockapi listening on http://HOST:PORT' within %d s",
                binary, MOCKAPI_READY_MS / 1000);
        goto fail;
    }
    if (rc < 0) {
        if (svc_wait_exit(pid, 2000, &si) == SVC_CHILD_EXITED)
            svc_describe_exit(&si, status, sizeof status);
        else
            snprintf(status, sizeof status, "closed its stdout");
        svc_err(err, errlen, "mockapi (%s) exited before listening (%s)%s%s", binary, status,
                last[0] ? ": " : "", last);
        goto fail;
    }
    fd = svc_tcp_connect(host, port);
    if (fd < 0) {
        svc_err(err, errlen, "mockapi (%s) said it listens on %s:%d but connecting failed: %s",
                binary, host, port, strerror(errno));
        goto fail;
    }
    close(fd);
    free(argv);
    svc_fill(s, e, port);
    snprintf(s->address, sizeof s->address, "http://%s:%d", host, port);
    return 0;
fail:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    if (e)
        svc_reg_stop(e);
    free(argv);
    return -1;
}

/* ---- PostgreSQL ------------------------------------------------------ */

static bool svc_pg_bindir_ok(const char *dir)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/postgres", dir);
    if (access(path, X_OK) < 0)
        return false;
    snprintf(path, sizeof path, "%s/initdb", dir);
    return access(path, X_OK) == 0;
}

/* The server's bin directory: `pg_config --bindir`, else the newest
 * /usr/lib/postgresql/N/bin (Debian keeps the server tools off PATH). */
static int svc_pg_find_bindir(char *out, size_t outlen)
{
    FILE *p = popen("pg_config --bindir 2>/dev/null", "re");
    glob_t g;
    double best = -1;

    out[0] = '\0';
    if (p) {
        if (fgets(out, (int)outlen, p) == NULL)
            out[0] = '\0';
        out[strcspn(out, "\r\n")] = '\0';
        pclose(p);
        if (out[0] && svc_pg_bindir_ok(out))
            return 0;
    }
    out[0] = '\0';
    if (glob("/usr/lib/postgresql/*/bin", GLOB_ONLYDIR, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            double v = strtod(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL);
            if (v > best && svc_pg_bindir_ok(g.gl_pathv[i])) {
                best = v;
                snprintf(out, outlen, "%s", g.gl_pathv[i]);
            }
        }
        globfree(&g);
    }
    return out[0] ? 0 : -1;
}

/* Runs initdb into DIR/data as the entry's current process; its output goes
 * to DIR/initdb.log, shown on failure. */
static int svc_pg_initdb(struct svc_entry *e, const char *bindir, struct svc_spawn_spec *sp,
                         char *err, size_t errlen)
{
    char path[PATH_MAX], data[PATH_MAX], logpath[PATH_MAX], tail[512], status[96];
    char *argv[] = {path,   "-D",          data, "-A",        "trust", "-E",
                    "UTF8", "--no-locale", "-U", "concbench", NULL};
    siginfo_t si;
    pid_t pid;
    int log;

    snprintf(path, sizeof path, "%s/initdb", bindir);
    snprintf(data, sizeof data, "%s/data", e->tmpdir);
    snprintf(logpath, sizeof logpath, "%s/initdb.log", e->tmpdir);
    log = svc_open_log(logpath, err, errlen);
    if (log < 0)
        return -1;
    sp->path = path;
    sp->argv = argv;
    sp->out_fd = sp->err_fd = log;
    sp->death_sig = SIGKILL;
    pid = svc_spawn(sp, "initdb", err, errlen);
    close(log);
    if (pid < 0)
        return -1;
    e->pid = pid;
    if (svc_wait_exit(pid, PG_INITDB_MS, &si) != SVC_CHILD_EXITED) {
        svc_err(err, errlen, "initdb (%s) did not finish within %d s", path, PG_INITDB_MS / 1000);
        return -1; /* the caller's svc_reg_stop kills it */
    }
    svc_reap(e);
    if (si.si_code != CLD_EXITED || si.si_status != 0) {
        svc_describe_exit(&si, status, sizeof status);
        svc_log_tail(logpath, 3, tail, sizeof tail);
        svc_err(err, errlen, "initdb (%s) failed (%s): %s", path, status, tail);
        return -1;
    }
    return 0;
}

/* Starts the postmaster on port and waits until it accepts connections.
 * Returns 0 when ready, 1 when it died because the port was taken in the
 * meantime (try another), -1 on failure with err set. */
static int svc_pg_launch(struct svc_entry *e, const char *bindir, struct svc_spawn_spec *sp,
                         int port, char *err, size_t errlen)
{
    char path[PATH_MAX], data[PATH_MAX], logpath[PATH_MAX], dsn[512], tail[512], status[96];
    char *argv[] = {path, "-D", data, NULL};
    int64_t deadline;
    siginfo_t si;
    pid_t pid;
    int log;

    snprintf(path, sizeof path, "%s/postgres", bindir);
    snprintf(data, sizeof data, "%s/data", e->tmpdir);
    snprintf(logpath, sizeof logpath, "%s/postgres.log", e->tmpdir);
    snprintf(dsn, sizeof dsn, "host=%s port=%d user=concbench dbname=postgres connect_timeout=2",
             e->tmpdir, port);
    log = svc_open_log(logpath, err, errlen);
    if (log < 0)
        return -1;
    sp->path = path;
    sp->argv = argv;
    sp->out_fd = sp->err_fd = log;
    sp->death_sig = SIGQUIT; /* immediate shutdown: the postmaster takes its backends along */
    e->stop_sig = SIGINT;    /* fast shutdown */
    e->name = "postgres";
    pid = svc_spawn(sp, "postgres", err, errlen);
    close(log);
    if (pid < 0)
        return -1;
    e->pid = pid;
    deadline = svc_now_ms() + PG_READY_MS;
    for (;;) {
        PGPing ping = PQping(dsn);
        if (ping == PQPING_OK)
            return 0;
        if (ping == PQPING_NO_ATTEMPT) {
            svc_err(err, errlen, "libpq refused the connection string '%s'", dsn);
            return -1;
        }
        if (svc_child_state(pid, &si) != SVC_CHILD_RUNNING) {
            svc_reap(e);
            if (svc_port_taken(port))
                return 1;
            svc_describe_exit(&si, status, sizeof status);
            svc_log_tail(logpath, 3, tail, sizeof tail);
            svc_err(err, errlen, "postgres (%s) exited during startup (%s): %s", path, status,
                    tail);
            return -1;
        }
        if (svc_now_ms() > deadline) {
            svc_log_tail(logpath, 3, tail, sizeof tail);
            svc_err(err, errlen, "postgres (%s) did not accept connections within %d s: %s", path,
                    PG_READY_MS / 1000, tail);
            return -1;
        }
        clock_sleep_ms(20);
    }
}

int svc_pg_start(svc_t *s, int max_conns, char *err, size_t errlen)
{
    struct svc_spawn_spec sp = {0};
    struct svc_entry *e = NULL;
    char bindir[256], conf[PATH_MAX], text[1024]; /* longer bin paths: not found */
    PGconn *conn;
    int port = -1, rc = 1;

    memset(s, 0, sizeof *s);
    if (max_conns < 1) {
        svc_err(err, errlen, "PostgreSQL max_connections must be positive (got %d)", max_conns);
        return -1;
    }
    if (svc_pg_find_bindir(bindir, sizeof bindir) < 0) {
        svc_err(err, errlen,
                "PostgreSQL server not found: install it with "
                "scripts/install-deps.sh (Debian package postgresql)");
        return -1;
    }
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (pw == NULL) {
            svc_err(err, errlen,
                    "PostgreSQL refuses to run as root and there is no `postgres` user to run it "
                    "as: install it with scripts/install-deps.sh (Debian package postgresql) or "
                    "run as a normal user");
            return -1;
        }
        sp.drop_privs = true;
        sp.uid = pw->pw_uid;
        sp.gid = pw->pw_gid;
    }
    e = svc_reg_alloc("initdb", err, errlen);
    if (e == NULL)
        return -1;
    if (svc_make_tmpdir(e, "/tmp/concbench-pg-XXXXXX", err, errlen) < 0)
        goto fail;
    /* The server trusts every connection and its role is a superuser, which
     * can run programs as the server's OS user (COPY ... TO PROGRAM): only
     * the harness's own user may reach it. So no TCP listener (below), and
     * the socket's directory is closed to others; root, when the server
     * runs as `postgres`, passes as it already does to edit the config. */
    if (chmod(e->tmpdir, 0700) < 0 || (sp.drop_privs && chown(e->tmpdir, sp.uid, sp.gid) < 0)) {
        svc_err(err, errlen, "cannot prepare %s: %s", e->tmpdir, strerror(errno));
        goto fail;
    }
    sp.cwd = e->tmpdir; /* the harness's cwd may be unreadable to `postgres` */
    if (svc_pg_initdb(e, bindir, &sp, err, errlen) < 0)
        goto fail;
    /* Durable defaults (fsync and friends) are what users run: kept, and
     * written out so that a reader of the config sees them. */
    snprintf(conf, sizeof conf, "%s/data/postgresql.conf", e->tmpdir);
    snprintf(text, sizeof text,
             "\n# concbench: private benchmark instance\n"
             "listen_addresses = ''\n"
             "unix_socket_directories = '%s'\n"
             "unix_socket_permissions = 0700\n"
             "max_connections = %d\n"
             "shared_buffers = 128MB\n"
             "fsync = on\n"
             "synchronous_commit = on\n"
             "full_page_writes = on\n"
             "logging_collector = off\n",
             e->tmpdir, max_conns);
    if (svc_append(conf, text, err, errlen) < 0)
        goto fail;
    for (int attempt = 0; rc == 1 && attempt < SVC_START_ATTEMPTS; attempt++) {
        port = svc_free_port();
        if (port < 0) {
            svc_err(err, errlen, "no free TCP port on 127.0.0.1 for PostgreSQL");
            goto fail;
        }
        snprintf(text, sizeof text, "port = %d\n", port); /* the last setting wins */
        if (svc_append(conf, text, err, errlen) < 0)
            goto fail;
        rc = svc_pg_launch(e, bindir, &sp, port, err, errlen);
    }
    if (rc != 0) {
        if (rc == 1)
            svc_err(err, errlen, "PostgreSQL could not get a free port in %d tries",
                    SVC_START_ATTEMPTS);
        goto fail;
    }
    svc_fill(s, e, port);
    snprintf(s->address, sizeof s->address, "host=%s port=%d user=concbench dbname=postgres",
             e->tmpdir, port);
    conn = PQconnectdb(s->address);
    if (PQstatus(conn) != CONNECTION_OK) {
        svc_err(err, errlen, "connecting to the private PostgreSQL (%s) failed: %s", s->address,
                PQerrorMessage(conn));
        PQfinish(conn);
        memset(s, 0, sizeof *s);
        goto fail;
    }
    snprintf(s->version, sizeof s->version, "%s",
             PQparameterStatus(conn, "server_version") ? PQparameterStatus(conn, "server_version")
                                                       : "");
    PQfinish(conn);
    return 0;
fail:
    svc_reg_stop(e);
    return -1;
}

/* ---- redis ----------------------------------------------------------- */

static int svc_find_in_path(const char *name, char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    char dirs[4096], *save = NULL;

    snprintf(dirs, sizeof dirs, "%s", path && path[0] ? path : "/usr/local/bin:/usr/bin:/bin");
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        struct stat st;
        snprintf(out, outlen, "%s/%s", d, name);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
    }
    out[0] = '\0';
    return -1;
}

/* Sends one inline command to redis on 127.0.0.1:port and reads one reply,
 * a status line or a bulk string, into buf (truncated to fit). Returns the
 * reply's length or -1. */
static int svc_redis_cmd(int port, const char *cmd, char *buf, size_t len)
{
    size_t have = 0, need = 0, cmdlen = strlen(cmd);
    int fd = svc_tcp_connect("127.0.0.1", port);

    if (fd < 0)
        return -1;
    if (send(fd, cmd, cmdlen, MSG_NOSIGNAL) != (ssize_t)cmdlen) {
        close(fd);
        return -1;
    }
    while (have < len - 1) {
        char *eol;
        ssize_t n = recv(fd, buf + have, len - 1 - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        eol = strstr(buf, "\r\n");
        if (eol == NULL)
            continue;
        if (need == 0)
            need = buf[0] == '$' ? (size_t)(eol + 2 - buf) + strtoul(buf + 1, NULL, 10) + 2
                                 : (size_t)(eol + 2 - buf);
        if (have >= need)
            break;
    }
    close(fd);
    buf[have] = '\0';
    return need && (have >= need || have == len - 1) ? (int)have : -1;
}

int svc_redis_start(svc_t *s, char *err, size_t errlen)
{
    struct svc_spawn_spec sp = {.death_sig = SIGTERM};
    struct svc_entry *e = NULL;
    char path[PATH_MAX], logpath[PATH_MAX], portstr[16], reply[8192], tail[512], status[96];
    char *argv[] = {path, "--port",       portstr, "--bind",           "127.0.0.1", "--save",
                    "",   "--appendonly", "no",    "--daemonize",      "no",        "--dir",
                    NULL, "--logfile",    logpath, "--protected-mode", "yes",       NULL};
    int port = -1, rc = 1, log = -1;
    siginfo_t si;
    pid_t pid;

    memset(s, 0, sizeof *s);
    if (svc_find_in_path("redis-server", path, sizeof path) < 0) {
        svc_err(err, errlen,
                "redis-server not found: install it with scripts/install-deps.sh "
                "(Debian package redis-server)");
        return -1;
    }
    e = svc_reg_alloc("redis-server", err, errlen);
    if (e == NULL)
        return -1;
    if (svc_make_tmpdir(e, "/tmp/concbench-redis-XXXXXX", err, errlen) < 0)
        goto fail;
    argv[12] = e->tmpdir;
    snprintf(logpath, sizeof logpath, "%s/redis.log", e->tmpdir);
    /* Anything it prints before it opens --logfile lands there too. */
    log = svc_open_log(logpath, err, errlen);
    if (log < 0)
        goto fail;
    sp.path = path;
    sp.argv = argv;
    sp.out_fd = sp.err_fd = log;
    sp.cwd = e->tmpdir;
    for (int attempt = 0; rc == 1 && attempt < SVC_START_ATTEMPTS; attempt++) {
        int64_t deadline;
        port = svc_free_port();
        if (port < 0) {
            svc_err(err, errlen, "no free TCP port on 127.0.0.1 for redis-server");
            goto fail;
        }
        snprintf(portstr, sizeof portstr, "%d", port);
        pid = svc_spawn(&sp, "redis-server", err, errlen);
        if (pid < 0)
            goto fail;
        e->pid = pid;
        deadline = svc_now_ms() + REDIS_READY_MS;
        for (;;) {
            if (svc_redis_cmd(port, "PING\r\n", reply, sizeof reply) > 0 &&
                strncmp(reply, "+PONG", 5) == 0) {
                rc = 0;
                break;
            }
            if (svc_child_state(pid, &si) != SVC_CHILD_RUNNING) {
                svc_reap(e);
                if (svc_port_taken(port))
                    break; /* rc stays 1: another try */
                svc_describe_exit(&si, status, sizeof status);
                svc_log_tail(logpath, 3, tail, sizeof tail);
                svc_err(err, errlen, "redis-server (%s) exited during startup (%s): %s", path,
                        status, tail);
                goto fail;
            }
            if (svc_now_ms() > deadline) {
                svc_log_tail(logpath, 3, tail, sizeof tail);
                svc_err(err, errlen, "redis-server (%s) did not answer PING within %d s: %s", path,
                        REDIS_READY_MS / 1000, tail);
                goto fail;
            }
            clock_sleep_ms(10);
        }
    }
    if (rc != 0) {
        svc_err(err, errlen, "redis-server could not get a free port in %d tries",
                SVC_START_ATTEMPTS);
        goto fail;
    }
    close(log);
    svc_fill(s, e, port);
    snprintf(s->address, sizeof s->address, "redis://127.0.0.1:%d", port);
    if (svc_redis_cmd(port, "INFO server\r\n", reply, sizeof reply) > 0) {
        const char *v = strstr(reply, "redis_version:");
        if (v) {
            v += strlen("redis_version:");
            snprintf(s->version, sizeof s->version, "%.*s", (int)strcspn(v, "\r\n"), v);
        }
    }
    return 0;
fail:
    if (log >= 0)
        close(log);
    svc_reg_stop(e);
    return -1;
}

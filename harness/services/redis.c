/* The private redis-server recipe: no persistence, no TCP: a unix socket,
 * its working folder and log in a private (0700) temporary folder. */
#include "harness/services/services.h"

#include "common/clock.h"
#include "common/limits.h"
#include "harness/services/resp.h"
#include "harness/services/spawn.h"
#include "harness/services/svcfs.h"

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Waits until the redis-server just spawned as e->pid answers PING on its
 * unix socket sock. Returns 0 when it does, -1 with err otherwise. */
static int svc_redis_wait_ready(struct svc_entry *e, const char *path, const char *sock,
                                const char *logpath, char *err, size_t errlen)
{
    int64_t deadline = clock_now_ns() + (int64_t)LIMIT_SVC_REDIS_READY_MS * CLOCK_NS_PER_MS;
    char reply[64], tail[512], status[96];
    siginfo_t si;

    for (;;) {
        if (resp_command(sock, "PING\r\n", reply, sizeof reply) > 0 &&
            strncmp(reply, "+PONG", 5) == 0)
            return 0;
        if (svc_child_state(e->pid, &si) != SVC_CHILD_RUNNING) {
            svc_reap(e);
            svc_describe_exit(&si, status, sizeof status);
            svcfs_log_tail(logpath, 3, tail, sizeof tail);
            svc_err(err, errlen, "redis-server (%s) exited during startup (%s): %s", path, status,
                    tail);
            return -1;
        }
        if (clock_now_ns() > deadline) {
            svcfs_log_tail(logpath, 3, tail, sizeof tail);
            svc_err(err, errlen, "redis-server (%s) did not answer PING within %d s: %s", path,
                    LIMIT_SVC_REDIS_READY_MS / 1000, tail);
            return -1;
        }
        clock_sleep_ms(LIMIT_SVC_REDIS_READY_POLL_MS);
    }
}

/* The server's version from INFO, or "" when it does not say. */
static void svc_redis_version(svc_t *s, const char *sock)
{
    char reply[8192];
    const char *v;
    if (resp_command(sock, "INFO server\r\n", reply, sizeof reply) <= 0 ||
        !(v = strstr(reply, "redis_version:")))
        return;
    v += strlen("redis_version:");
    snprintf(s->version, sizeof s->version, "%.*s", (int)strcspn(v, "\r\n"), v);
}

int svc_redis_start(svc_t *s, char *err, size_t errlen)
{
    struct svc_spawn_spec sp = {.death_sig = SIGTERM};
    struct svc_entry *e = NULL;
    char path[PATH_MAX], logpath[PATH_MAX], sock[sizeof s->tmpdir + 16];
    /* No TCP at all (--port 0): the socket is in the 0700 folder, so only
     * our user reaches it, as with the private PostgreSQL. On 127.0.0.1
     * any local user could read the run's configuration, trim its stream,
     * FLUSHALL or SHUTDOWN it (protected mode does not apply once a bind
     * address is given). */
    char *argv[] = {path,  "--port", "0",  "--unixsocket", sock,    "--unixsocketperm",
                    "700", "--save", "",   "--appendonly", "no",    "--daemonize",
                    "no",  "--dir",  NULL, "--logfile",    logpath, NULL};
    int log = -1;
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
    if (svc_make_tmpdir(e, "redis", err, errlen) < 0)
        goto fail;
    argv[14] = e->tmpdir;
    snprintf(logpath, sizeof logpath, "%s/redis.log", e->tmpdir);
    snprintf(sock, sizeof sock, "%s/redis.sock", e->tmpdir);
    /* Anything it prints before it opens --logfile lands there too. */
    log = svcfs_open_log(logpath, err, errlen);
    if (log < 0)
        goto fail;
    sp.path = path;
    sp.argv = argv;
    sp.out_fd = sp.err_fd = log;
    sp.cwd = e->tmpdir;
    pid = svc_spawn(&sp, "redis-server", err, errlen);
    if (pid < 0)
        goto fail;
    e->pid = pid; /* only a real child: a negative pid would reach kill() */
    if (svc_redis_wait_ready(e, path, sock, logpath, err, errlen) < 0)
        goto fail;
    close(log);
    svc_fill(s, e, 0);
    snprintf(s->address, sizeof s->address, "unix://%s", sock);
    svc_redis_version(s, sock);
    return 0;
fail:
    if (log >= 0)
        close(log);
    svc_reg_stop(e);
    return -1;
}

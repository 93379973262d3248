/* The mock API recipe: the bundled mockapi binary on 127.0.0.1 with a port
 * it picks itself (--port 0) and reports on its stdout. */
#include "harness/services/services.h"

#include "common/clock.h"
#include "common/limits.h"
#include "harness/services/ports.h"
#include "harness/services/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads mockapi's stdout until the line "mockapi listening on
 * http://HOST:PORT". Returns 0 with host/port set; -1 on EOF (last_line
 * holds the last other line it printed); -2 on timeout. */
static int svc_mockapi_read_line(int fd, char *host, size_t hostlen, int *port, char *last_line,
                                 size_t lastlen)
{
    int64_t deadline = clock_now_ns() + (int64_t)LIMIT_SVC_MOCKAPI_READY_MS * CLOCK_NS_PER_MS;
    char buf[1024];
    size_t have = 0, len;

    last_line[0] = '\0';
    for (;;) {
        int64_t left = (deadline - clock_now_ns() + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
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

/* The binary exists and is executable. Returns 0 or -1 with what to do. */
static int svc_mockapi_check_binary(const char *binary, char *err, size_t errlen)
{
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
    return 0;
}

/* binary --host 127.0.0.1 --port 0 followed by argv_extra, NULL-ended
 * (free the array, not the strings), or NULL when out of memory. */
static char **svc_mockapi_argv(const char *binary, char *const argv_extra[])
{
    int nextra = 0;
    char **argv;
    while (argv_extra && argv_extra[nextra])
        nextra++;
    argv = calloc((size_t)nextra + 6, sizeof *argv);
    if (argv == NULL)
        return NULL;
    argv[0] = (char *)binary;
    argv[1] = "--host";
    argv[2] = "127.0.0.1";
    argv[3] = "--port";
    argv[4] = "0";
    for (int i = 0; i < nextra; i++)
        argv[5 + i] = argv_extra[i];
    return argv;
}

/* Reads the "listening on" line of the mockapi just started as e and
 * checks that it accepts a connection there. Returns the port (host into
 * host), or -1 with err saying what it did instead. */
static int svc_mockapi_wait_ready(struct svc_entry *e, const char *binary, char *host,
                                  size_t hostcap, char *err, size_t errlen)
{
    char last[256], status[96];
    int port = 0, rc, fd;
    siginfo_t si;

    rc = svc_mockapi_read_line(e->stdout_fd, host, hostcap, &port, last, sizeof last);
    if (rc == -2) {
        svc_err(err, errlen,
                "mockapi (%s) did not print 'mockapi listening on http://HOST:PORT' within %d s",
                binary, LIMIT_SVC_MOCKAPI_READY_MS / 1000);
        return -1;
    }
    if (rc < 0) {
        if (svc_wait_exit(e->pid, LIMIT_SVC_MOCKAPI_EXIT_WAIT_MS, &si) == SVC_CHILD_EXITED)
            svc_describe_exit(&si, status, sizeof status);
        else
            snprintf(status, sizeof status, "closed its stdout");
        svc_err(err, errlen, "mockapi (%s) exited before listening (%s)%s%s", binary, status,
                last[0] ? ": " : "", last);
        return -1;
    }
    fd = svc_tcp_connect(host, port);
    if (fd < 0) {
        svc_err(err, errlen, "mockapi (%s) said it listens on %s:%d but connecting failed: %s",
                binary, host, port, strerror(errno));
        return -1;
    }
    close(fd);
    return port;
}

int svc_mockapi_start(svc_t *s, const char *binary, char *const argv_extra[], char *err,
                      size_t errlen)
{
    struct svc_entry *e = NULL;
    struct svc_spawn_spec sp = {.out_fd = -1, .err_fd = STDERR_FILENO, .death_sig = SIGTERM};
    char host[64], **argv;
    int pipefd[2] = {-1, -1}, port;
    pid_t pid;

    memset(s, 0, sizeof *s);
    if (svc_mockapi_check_binary(binary, err, errlen) < 0)
        return -1;
    argv = svc_mockapi_argv(binary, argv_extra);
    if (argv == NULL) {
        svc_err(err, errlen, "cannot start mockapi: out of memory");
        return -1;
    }
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
    port = svc_mockapi_wait_ready(e, binary, host, sizeof host, err, errlen);
    if (port < 0)
        goto fail;
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

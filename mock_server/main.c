/* mockapi: the mock HTTP API of concbench. See options.c for the flags and
 * mock_server/README.md for what it is for and how it is built. */
#include "mockapi.h"

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/fdlimit.h"
#include "common/log.h"
#include "common/version.h"

#define MOCKAPI_NOFILE_WANT 20000

/* Soft open-file limit up to the hard one: every connection is a descriptor.
 * Sets app->max_conns from the result. */
static void main_raise_nofile(mockapi_t *app)
{
    uint64_t cur = fdlimit_raise(MOCKAPI_NOFILE_WANT - FDLIMIT_RESERVE);
    app->max_conns = cur == UINT64_MAX           ? INT64_MAX
                     : cur > FDLIMIT_RESERVE + 1 ? (int64_t)(cur - FDLIMIT_RESERVE)
                                                 : 1;
}

/* Raises a /proc/sys integer to at least want when it is lower and writable
 * (root); quietly leaves it otherwise. Never lowers a setting. */
static void main_raise_sysctl(const char *path, long want)
{
    FILE *f = fopen(path, "r");
    long cur = 0;
    int ok;

    if (!f)
        return;
    ok = fscanf(f, "%ld", &cur) == 1;
    fclose(f);
    if (!ok || cur >= want)
        return;
    f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "%ld\n", want);
    fclose(f); /* a refused write fails here; nothing to do about it */
}

/* Resolves --host into app->addr (port from --port). Returns 0 or -1 with a
 * message printed. */
static int main_resolve(mockapi_t *app)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%d", app->opt.port);
    rc = getaddrinfo(app->opt.host, port, &hints, &res);
    if (rc != 0 || !res) {
        log_error("cannot resolve --host '%s': %s", app->opt.host,
                  rc ? gai_strerror(rc) : "no address");
        return -1;
    }
    memcpy(&app->addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int main(int argc, char **argv)
{
    static mockapi_t app; /* large (stats timeline): keep it off the stack */
    char err[512];
    int rc;

    log_init("mockapi");
    rc = options_parse(argc, argv, &app.opt, err, sizeof err);
    if (rc == OPTIONS_HELP) {
        fputs(options_usage(), stdout);
        return CB_EXIT_OK;
    }
    if (rc == OPTIONS_VERSION) {
        printf("mockapi %s (git %s)\nlibuv %s\n", cb_version, cb_git_commit, uv_version_string());
        return CB_EXIT_OK;
    }
    if (rc != OPTIONS_OK) {
        log_error("%s", err);
        return CB_EXIT_USAGE;
    }
    if (main_resolve(&app) != 0)
        return CB_EXIT_USAGE;
    signal(SIGPIPE, SIG_IGN);
    main_raise_nofile(&app);
    main_raise_sysctl("/proc/sys/net/core/somaxconn", app.opt.backlog);
    main_raise_sysctl("/proc/sys/net/ipv4/tcp_max_syn_backlog", app.opt.backlog);
    if (app.opt.rate > 0) {
        double ns = 1e9 / app.opt.rate;
        app.rate_interval_ns = ns < 1 ? 1 : (uint64_t)ns;
    }
    if (stats_init(&app.stats, uv_hrtime()) != 0 ||
        attempts_init(&app.attempts, app.opt.max_id) != 0) {
        log_error("out of memory setting up counters");
        return CB_EXIT_FAILED;
    }
    rc = mockapi_server_run(&app);
    attempts_destroy(&app.attempts);
    stats_destroy(&app.stats);
    return rc;
}

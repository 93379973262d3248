/* Event loops, listeners and shutdown.
 *
 * --threads T gives T workers, each an event loop with its own listening
 * socket on the same port (SO_REUSEPORT: the kernel spreads connections).
 * Worker 0 runs on the main thread and also owns the signal handlers and the
 * stats timeline tick. SIGINT/SIGTERM wake every loop through its uv_async;
 * each loop then closes all its handles (listener first among them) and
 * returns, the threads are joined and the process exits 0. */
#include "mockapi.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/log.h"

/* Period of the stats timeline tick (stats_tick): a second is recorded at
 * most this late after it ends, and ten wake-ups a second cost nothing
 * measurable on worker 0. */
#define SERVER_TICK_MS 100

static void server_close_walk_cb(uv_handle_t *h, void *arg)
{
    mockapi_worker_t *w = arg;

    if (uv_is_closing(h))
        return;
    if (h->data == w)
        uv_close(h, NULL);
    else
        mockapi_conn_close_handle(h);
}

static void server_stop_cb(uv_async_t *a)
{
    mockapi_worker_t *w = a->data;
    uv_walk(&w->loop, server_close_walk_cb, w);
}

static void server_signal_cb(uv_signal_t *sig, int signum)
{
    mockapi_worker_t *w = sig->data;
    mockapi_t *app = w->app;

    (void)signum;
    for (int i = 0; i < app->nworkers; i++)
        uv_async_send(&app->workers[i].stop);
}

static void server_tick_cb(uv_timer_t *t)
{
    mockapi_worker_t *w = t->data;
    stats_tick(&w->app->stats, uv_hrtime());
}

static void server_thread_main(void *arg)
{
    mockapi_worker_t *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
}

static socklen_t server_addr_len(const struct sockaddr_storage *a)
{
    return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void server_set_port(struct sockaddr_storage *a, int port)
{
    if (a->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
}

/* With SO_REUSEPORT a second mockapi on the same fixed port would silently
 * share it. Binding a plain socket first finds an existing listener. */
static int server_probe_port(const struct sockaddr_storage *addr)
{
    int one = 1;
    int fd = socket(addr->ss_family, SOCK_STREAM, 0);
    int rc = 0;

    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)addr, server_addr_len(addr)) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* Creates w's listener on app->addr. Returns 0 or a libuv error code. */
static int server_listen(mockapi_worker_t *w, bool reuseport)
{
    mockapi_t *app = w->app;
    uv_os_fd_t fd;
    int one = 1;
    int rc;

    rc = uv_tcp_init_ex(&w->loop, &w->listener, app->addr.ss_family);
    if (rc != 0)
        return rc;
    w->listener.data = w;
    if (reuseport) {
        rc = uv_fileno((uv_handle_t *)&w->listener, &fd);
        if (rc != 0)
            return rc;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
            return uv_translate_sys_error(errno);
    }
    rc = uv_tcp_bind(&w->listener, (const struct sockaddr *)&app->addr, 0);
    if (rc != 0)
        return rc;
    /* Linux copies TCP_NODELAY to every accepted socket: one setsockopt here
     * instead of one per connection (1.3 % of mockapi's CPU at 10K
     * connections, docs/performance-mockapi.md). */
    rc = uv_tcp_nodelay(&w->listener, 1);
    if (rc != 0)
        return rc;
    /* Bind errors such as EADDRINUSE surface here. */
    return uv_listen((uv_stream_t *)&w->listener, app->opt.backlog, mockapi_conn_accept_cb);
}

static int server_bound_port(mockapi_worker_t *w)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;

    if (uv_tcp_getsockname(&w->listener, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

/* Loop and buffers of one worker. Returns 0 or a negative errno. */
static int server_worker_init(mockapi_t *app, mockapi_worker_t *w, int index)
{
    int rc;

    w->app = app;
    w->index = index;
    w->date_sec = -1;
    w->timer_fd = -1;
    deadlines_init(&w->wakeups);
    rc = uv_loop_init(&w->loop);
    if (rc != 0)
        return rc;
    w->loop_ready = true;
    w->body_cap = order_json_max(app->opt.items) + 1;
    w->rbuf = malloc(MOCKAPI_READ_BUF);
    w->body = malloc(w->body_cap);
    w->order = malloc(sizeof *w->order);
    if (!w->rbuf || !w->body || !w->order)
        return UV_ENOMEM;
    rc = uv_async_init(&w->loop, &w->stop, server_stop_cb);
    if (rc != 0)
        return rc;
    w->stop.data = w;
    w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->timer_fd < 0)
        return uv_translate_sys_error(errno);
    if ((rc = uv_poll_init(&w->loop, &w->timer_poll, w->timer_fd)) != 0)
        return rc;
    w->timer_poll.data = w;
    if ((rc = uv_poll_start(&w->timer_poll, UV_READABLE, mockapi_worker_timer_cb)) != 0)
        return rc;
    if (index != 0)
        return 0;
    if ((rc = uv_timer_init(&w->loop, &w->tick)) != 0 ||
        (rc = uv_signal_init(&w->loop, &w->sigint)) != 0 ||
        (rc = uv_signal_init(&w->loop, &w->sigterm)) != 0)
        return rc;
    w->tick.data = w->sigint.data = w->sigterm.data = w;
    if ((rc = uv_timer_start(&w->tick, server_tick_cb, SERVER_TICK_MS, SERVER_TICK_MS)) != 0 ||
        (rc = uv_signal_start(&w->sigint, server_signal_cb, SIGINT)) != 0 ||
        (rc = uv_signal_start(&w->sigterm, server_signal_cb, SIGTERM)) != 0)
        return rc;
    return 0;
}

/* Closes whatever handles are left, then the loop, then frees the buffers.
 * Safe on a partly initialised worker. */
static void server_worker_teardown(mockapi_worker_t *w)
{
    if (w->loop_ready) {
        uv_walk(&w->loop, server_close_walk_cb, w);
        uv_run(&w->loop, UV_RUN_DEFAULT);
        uv_loop_close(&w->loop);
    }
    if (w->timer_fd >= 0)
        close(w->timer_fd);
    deadlines_free(&w->wakeups);
    free(w->rbuf);
    free(w->out);
    free(w->body);
    free(w->order);
}

static void server_print_listening(const mockapi_t *app)
{
    bool v6 = strchr(app->opt.host, ':') != NULL;
    printf("mockapi listening on http://%s%s%s:%d\n", v6 ? "[" : "", app->opt.host, v6 ? "]" : "",
           app->port);
    fflush(stdout);
}

int mockapi_server_run(mockapi_t *app)
{
    int n = app->opt.threads;
    bool reuseport = n > 1;
    int started = 0, inited = 0;
    int rc = 0, status = CB_EXIT_FAILED;
    const char *what = "start";

    app->nworkers = n;
    app->workers = calloc((size_t)n, sizeof *app->workers);
    if (!app->workers) {
        log_error("out of memory allocating %d workers", n);
        return CB_EXIT_FAILED;
    }
    if (reuseport && app->opt.port != 0 && (rc = server_probe_port(&app->addr)) != 0) {
        rc = uv_translate_sys_error(-rc);
        what = "listen on";
        goto fail;
    }
    for (inited = 0; inited < n; inited++) {
        mockapi_worker_t *w = &app->workers[inited];
        if ((rc = server_worker_init(app, w, inited)) != 0) {
            what = "set up an event loop for";
            inited++; /* its loop needs tearing down too */
            goto fail;
        }
        if ((rc = server_listen(w, reuseport)) != 0) {
            inited++;
            what = "listen on";
            goto fail;
        }
        if (inited == 0) {
            /* With --port 0 the others join the port the first one got. */
            app->port = server_bound_port(w);
            server_set_port(&app->addr, app->port);
        }
    }
    server_print_listening(app);
    for (started = 1; started < n; started++) {
        mockapi_worker_t *w = &app->workers[started];
        if ((rc = uv_thread_create(&w->thread, server_thread_main, w)) != 0) {
            log_error("cannot start thread %d: %s", started, uv_strerror(rc));
            for (int i = 0; i < app->nworkers; i++)
                uv_async_send(&app->workers[i].stop);
            break;
        }
    }
    uv_run(&app->workers[0].loop, UV_RUN_DEFAULT);
    for (int i = 1; i < started; i++)
        uv_thread_join(&app->workers[i].thread);
    status = started == n ? CB_EXIT_OK : CB_EXIT_FAILED;
    goto out;
fail:
    log_error("cannot %s %s:%d: %s", what, app->opt.host, app->opt.port, uv_strerror(rc));
out:
    for (int i = 0; i < inited; i++)
        server_worker_teardown(&app->workers[i]);
    free(app->workers);
    app->workers = NULL;
    return status;
}

#include "engine/uv_curl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One socket curl asked us to watch, kept for as long as the fd is open
 * (not just while a transfer uses it), so a keep-alive connection's next
 * request costs no allocation, no uv_poll_init (an ioctl) and no epoll_ctl.
 * Owned by the fd table until the fd is closed (uv_curl_closesocket_fn) or
 * the multi handle goes; then uv_close'd and freed by
 * uv_curl_sock_closed_cb.
 *
 * events is what the poll handle watches now (0: stopped). parked: curl no
 * longer cares about the socket (CURL_POLL_REMOVE: its connection sits idle
 * in the cache), but the poll keeps its events, because libuv's
 * uv_poll_start and uv_poll_stop each cost an epoll_ctl DEL (uv_poll_start
 * stops first) and the next request on the connection usually wants the
 * same events back. An event on a parked socket (the server closed the idle
 * connection) is not curl's business: the poll is stopped then, and curl
 * finds the connection dead when it next looks. */
typedef struct uv_curl_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    int events;
    int parked;
    uv_curl_t *cu;
} uv_curl_sock_t;

struct uv_curl {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    uv_curl_sock_t **socks; /* indexed by fd; NULL: not watched */
    size_t nsocks;
    uv_curl_done_cb done_cb;
    uv_curl_error_cb error_cb;
    void *ud;
    uv_curl_closed_cb closed_cb;
    void *closed_ud;
    char err[256];
};

/* Records the first failure and tells the owner once. */
static void uv_curl_fail(uv_curl_t *cu, const char *where, const char *what)
{
    if (cu->err[0])
        return;
    snprintf(cu->err, sizeof cu->err, "%s: %s", where, what);
    if (cu->error_cb)
        cu->error_cb(cu->ud, cu->err);
}

const char *uv_curl_error(const uv_curl_t *cu)
{
    return cu->err[0] ? cu->err : NULL;
}

static void uv_curl_sock_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

/* Stops watching fd and closes its poll handle, synchronously as far as
 * epoll is concerned (uv_close stops the poll, which takes the fd out of
 * epoll at once), so the fd may be closed right after. No-op for an fd we
 * do not watch. */
static void uv_curl_sock_forget(uv_curl_t *cu, curl_socket_t fd)
{
    uv_curl_sock_t *sk;
    if (fd < 0 || (size_t)fd >= cu->nsocks || !(sk = cu->socks[fd]))
        return;
    cu->socks[fd] = NULL;
    uv_close((uv_handle_t *)&sk->poll, uv_curl_sock_closed_cb);
}

/* Runs the transfers curl reports finished: off the multi handle, then to
 * the owner (who may re-add the handle from done_cb). */
static void uv_curl_check_done(uv_curl_t *cu)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(cu->multi, &left))) {
        CURL *easy;
        CURLcode rc;
        CURLMcode mc;
        if (m->msg != CURLMSG_DONE)
            continue;
        easy = m->easy_handle;
        rc = m->data.result;
        mc = curl_multi_remove_handle(cu->multi, easy);
        if (mc != CURLM_OK) {
            uv_curl_fail(cu, "check_done: curl_multi_remove_handle", curl_multi_strerror(mc));
            continue;
        }
        cu->done_cb(cu->ud, easy, rc);
    }
}

static void uv_curl_poll_cb(uv_poll_t *h, int status, int events)
{
    uv_curl_sock_t *sk = h->data;
    uv_curl_t *cu = sk->cu;
    int flags = 0, running;
    CURLMcode mc;

    if (sk->parked) {
        uv_poll_stop(&sk->poll); /* cannot fail for a poll handle */
        sk->events = 0;
        return;
    }
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    /* sk may be closed inside this call (CURL_POLL_REMOVE): not used after. */
    mc = curl_multi_socket_action(cu->multi, sk->fd, flags, &running);
    if (mc != CURLM_OK) {
        uv_curl_fail(cu, "poll_cb: curl_multi_socket_action", curl_multi_strerror(mc));
        return;
    }
    uv_curl_check_done(cu);
}

static void uv_curl_timer_cb(uv_timer_t *t)
{
    uv_curl_t *cu = t->data;
    int running;
    CURLMcode mc = curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    if (mc != CURLM_OK) {
        uv_curl_fail(cu, "timer_cb: curl_multi_socket_action", curl_multi_strerror(mc));
        return;
    }
    uv_curl_check_done(cu);
}

/* CURLMOPT_TIMERFUNCTION: one-shot timer; -1 stops it. A 0 timeout fires on
 * the next loop iteration, never from inside this callback. */
static int uv_curl_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
    uv_curl_t *cu = userp;
    int rc;
    (void)multi;
    if (timeout_ms < 0) {
        uv_timer_stop(&cu->timer);
        return 0;
    }
    rc = uv_timer_start(&cu->timer, uv_curl_timer_cb, (uint64_t)timeout_ms, 0);
    if (rc) {
        uv_curl_fail(cu, "timer_fn: uv_timer_start", uv_strerror(rc));
        return -1;
    }
    return 0;
}

static int uv_curl_table_grow(uv_curl_t *cu, size_t need)
{
    size_t n = cu->nsocks ? cu->nsocks : 1024;
    uv_curl_sock_t **p;
    while (n < need)
        n *= 2;
    p = realloc(cu->socks, n * sizeof *p);
    if (!p)
        return -1;
    memset(p + cu->nsocks, 0, (n - cu->nsocks) * sizeof *p);
    cu->socks = p;
    cu->nsocks = n;
    return 0;
}

/* The poll handle of fd, created on first use. NULL after uv_curl_fail. */
static uv_curl_sock_t *uv_curl_sock_get(uv_curl_t *cu, curl_socket_t fd)
{
    uv_curl_sock_t *sk;
    int rc;
    if ((size_t)fd >= cu->nsocks && uv_curl_table_grow(cu, (size_t)fd + 1)) {
        uv_curl_fail(cu, "socket_fn: growing the socket table", "out of memory");
        return NULL;
    }
    if ((sk = cu->socks[fd]))
        return sk;
    if (!(sk = calloc(1, sizeof *sk))) {
        uv_curl_fail(cu, "socket_fn: calloc", "out of memory");
        return NULL;
    }
    rc = uv_poll_init_socket(cu->loop, &sk->poll, fd);
    if (rc) {
        free(sk); /* a failed init leaves nothing to close */
        uv_curl_fail(cu, "socket_fn: uv_poll_init_socket", uv_strerror(rc));
        return NULL;
    }
    sk->fd = fd;
    sk->cu = cu;
    sk->poll.data = sk;
    cu->socks[fd] = sk;
    return sk;
}

/* CURLMOPT_SOCKETFUNCTION. Returning -1 makes curl abort every transfer on
 * the multi handle, which is what a failing uv call deserves: we could no
 * longer tell curl about its sockets. */
static int uv_curl_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    uv_curl_t *cu = userp;
    uv_curl_sock_t *sk;
    int events = 0, rc;
    (void)easy;
    (void)socketp;

    if (what == CURL_POLL_REMOVE) {
        /* The fd stays open (closes come through uv_curl_closesocket_fn):
         * park its poll handle for the connection's next request. */
        if (fd >= 0 && (size_t)fd < cu->nsocks && (sk = cu->socks[fd]))
            sk->parked = 1;
        return 0;
    }
    if (fd < 0) {
        uv_curl_fail(cu, "socket_fn", "negative socket");
        return -1;
    }
    if (!(sk = uv_curl_sock_get(cu, fd)))
        return -1;
    sk->parked = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    if (events == sk->events)
        return 0; /* already watching exactly these: no epoll_ctl */
    rc = events ? uv_poll_start(&sk->poll, events, uv_curl_poll_cb) : uv_poll_stop(&sk->poll);
    if (rc) {
        uv_curl_fail(cu, "socket_fn: uv_poll_start", uv_strerror(rc));
        return -1;
    }
    sk->events = events;
    return 0;
}

/* CURLOPT_CLOSESOCKETFUNCTION: every socket of a transfer added here is
 * closed through this (curl records the function on the connection), so
 * this is where a socket's poll handle goes: before the fd is closed, so
 * libuv never watches a closed, possibly reused, fd. */
static int uv_curl_closesocket_fn(void *clientp, curl_socket_t fd)
{
    uv_curl_sock_forget(clientp, fd);
    return close(fd);
}

uv_curl_t *uv_curl_create(uv_loop_t *loop, long maxconnects, uv_curl_done_cb done_cb,
                          uv_curl_error_cb error_cb, void *ud, char *err, size_t errlen)
{
    uv_curl_t *cu = calloc(1, sizeof *cu);
    CURLMcode mc = CURLM_OK;
    const char *where = "calloc";
    int rc;

    if (!cu)
        goto fail;
    cu->loop = loop;
    cu->done_cb = done_cb;
    cu->error_cb = error_cb;
    cu->ud = ud;
    where = "curl_multi_init";
    if (!(cu->multi = curl_multi_init()))
        goto fail;
    where = "curl_multi_setopt";
    if ((mc = curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, uv_curl_socket_fn)) ||
        (mc = curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu)) ||
        (mc = curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, uv_curl_timer_fn)) ||
        (mc = curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu)) ||
        (mc = curl_multi_setopt(cu->multi, CURLMOPT_MAXCONNECTS, maxconnects)))
        goto fail;
    rc = uv_timer_init(loop, &cu->timer);
    if (rc) {
        snprintf(err, errlen, "uv_curl: uv_timer_init: %s", uv_strerror(rc));
        curl_multi_cleanup(cu->multi);
        free(cu);
        return NULL;
    }
    cu->timer.data = cu;
    return cu;
fail:
    snprintf(err, errlen, "uv_curl: %s: %s", where,
             mc != CURLM_OK ? curl_multi_strerror(mc) : "out of memory");
    if (cu && cu->multi)
        curl_multi_cleanup(cu->multi);
    free(cu);
    return NULL;
}

int uv_curl_add(uv_curl_t *cu, CURL *easy)
{
    CURLcode ec;
    CURLMcode mc;
    if ((ec = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, uv_curl_closesocket_fn)) ||
        (ec = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, cu))) {
        if (!cu->err[0])
            snprintf(cu->err, sizeof cu->err, "add: curl_easy_setopt: %s", curl_easy_strerror(ec));
        return -1;
    }
    mc = curl_multi_add_handle(cu->multi, easy);
    if (mc != CURLM_OK) {
        if (!cu->err[0])
            snprintf(cu->err, sizeof cu->err, "add: curl_multi_add_handle: %s",
                     curl_multi_strerror(mc));
        return -1;
    }
    return 0;
}

int uv_curl_remove(uv_curl_t *cu, CURL *easy)
{
    CURLMcode mc = curl_multi_remove_handle(cu->multi, easy);
    if (mc != CURLM_OK) {
        if (!cu->err[0])
            snprintf(cu->err, sizeof cu->err, "remove: curl_multi_remove_handle: %s",
                     curl_multi_strerror(mc));
        return -1;
    }
    return 0;
}

static void uv_curl_timer_closed_cb(uv_handle_t *h)
{
    uv_curl_t *cu = h->data;
    uv_curl_closed_cb cb = cu->closed_cb;
    void *ud = cu->closed_ud;
    free(cu);
    if (cb)
        cb(ud);
}

void uv_curl_close(uv_curl_t *cu, uv_curl_closed_cb closed_cb, void *ud)
{
    CURLMcode mc;
    cu->closed_cb = closed_cb;
    cu->closed_ud = ud;
    cu->error_cb = NULL; /* the owner is tearing down; nobody to tell */
    /* Closes the cached connections, calling back into the socket and
     * close-socket functions, which still need the fd table. */
    mc = curl_multi_cleanup(cu->multi);
    if (mc != CURLM_OK)
        uv_curl_fail(cu, "close: curl_multi_cleanup", curl_multi_strerror(mc));
    cu->multi = NULL;
    for (size_t fd = 0; fd < cu->nsocks; fd++)
        uv_curl_sock_forget(cu, (curl_socket_t)fd);
    free(cu->socks);
    cu->socks = NULL;
    cu->nsocks = 0;
    uv_close((uv_handle_t *)&cu->timer, uv_curl_timer_closed_cb);
}

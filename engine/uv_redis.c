#include "engine/uv_redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/adapters/libuv.h>

#include "common/clock.h"
#include "common/limits.h"

typedef enum uv_redis_state {
    UV_REDIS_CONNECTING,
    UV_REDIS_READY,
    UV_REDIS_FAILED,
    UV_REDIS_CLOSED
} uv_redis_state_t;

struct uv_redis {
    redisAsyncContext *ac; /* NULL once hiredis or we freed it */
    uv_timer_t timer;      /* connect deadline, then the reply watchdog */
    uv_redis_state_t state;
    int outstanding;
    int64_t progress_ns; /* last reply, or when outstanding went 0 -> 1 */
    int connect_timeout_ms, reply_timeout_ms;
    uv_redis_event_cb event_cb;
    void *ud;
    char where[300]; /* host:port or the socket path, for messages */
};

/* One command in flight: hiredis hands privdata back with the reply. */
typedef struct uv_redis_cmd {
    uv_redis_t *c;
    uv_redis_reply_cb cb;
    void *pd;
} uv_redis_cmd_t;

static void uv_redis_fail(uv_redis_t *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    if (c->state != UV_REDIS_CONNECTING && c->state != UV_REDIS_READY)
        return;
    c->state = UV_REDIS_FAILED;
    uv_timer_stop(&c->timer);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->event_cb(c, msg, c->ud);
}

static void uv_redis_reply_trampoline(redisAsyncContext *ac, void *reply, void *privdata)
{
    uv_redis_cmd_t k = *(uv_redis_cmd_t *)privdata;
    uv_redis_t *c = k.c;
    free(privdata);
    c->outstanding--;
    if (!reply) {
        /* hiredis is freeing the context: an error we hear about here
         * first, or our own uv_redis_close. */
        uv_redis_fail(c, "lost the connection to Redis at %s: %s", c->where,
                      ac->errstr ? ac->errstr : "disconnected");
        return;
    }
    c->progress_ns = clock_now_ns();
    if (c->state == UV_REDIS_READY)
        k.cb(c, reply, k.pd);
}

static uv_redis_cmd_t *uv_redis_cmd_new(uv_redis_t *c, uv_redis_reply_cb cb, void *pd)
{
    uv_redis_cmd_t *k;
    if ((c->state != UV_REDIS_CONNECTING && c->state != UV_REDIS_READY) || !c->ac)
        return NULL;
    if (!(k = malloc(sizeof *k))) {
        uv_redis_fail(c, "out of memory queueing a Redis command");
        return NULL;
    }
    k->c = c;
    k->cb = cb;
    k->pd = pd;
    return k;
}

static void uv_redis_cmd_sent(uv_redis_t *c)
{
    if (c->outstanding++ == 0)
        c->progress_ns = clock_now_ns();
}

int uv_redis_command(uv_redis_t *c, uv_redis_reply_cb cb, void *pd, const char *fmt, ...)
{
    uv_redis_cmd_t *k = uv_redis_cmd_new(c, cb, pd);
    va_list ap;
    int rc;
    if (!k)
        return -1;
    va_start(ap, fmt);
    rc = redisvAsyncCommand(c->ac, uv_redis_reply_trampoline, k, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK) {
        free(k);
        return -1;
    }
    uv_redis_cmd_sent(c);
    return 0;
}

int uv_redis_command_argv(uv_redis_t *c, uv_redis_reply_cb cb, void *pd, int argc,
                          const char **argv, const size_t *argvlen)
{
    uv_redis_cmd_t *k = uv_redis_cmd_new(c, cb, pd);
    if (!k)
        return -1;
    if (redisAsyncCommandArgv(c->ac, uv_redis_reply_trampoline, k, argc, argv, argvlen) !=
        REDIS_OK) {
        free(k);
        return -1;
    }
    uv_redis_cmd_sent(c);
    return 0;
}

int uv_redis_outstanding(const uv_redis_t *c)
{
    return c->outstanding;
}

static void uv_redis_watch_cb(uv_timer_t *t)
{
    uv_redis_t *c = t->data;
    if (c->state == UV_REDIS_CONNECTING) {
        uv_redis_fail(c, "connecting to Redis at %s timed out after %d ms", c->where,
                      c->connect_timeout_ms);
        return;
    }
    if (c->outstanding > 0 &&
        clock_now_ns() - c->progress_ns > c->reply_timeout_ms * CLOCK_NS_PER_MS)
        uv_redis_fail(c, "Redis at %s has not answered for %d ms", c->where, c->reply_timeout_ms);
}

/* Setup replies (AUTH, SELECT) only need checking; the last one (CLIENT
 * SETNAME) makes the connection ready. */
static void uv_redis_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    uv_redis_t *c = privdata;
    redisReply *r = reply;
    (void)ac;
    c->outstanding--;
    if (!r)
        return; /* the connect or disconnect callback reports it */
    c->progress_ns = clock_now_ns();
    if (c->state != UV_REDIS_CONNECTING)
        return;
    if (r->type == REDIS_REPLY_ERROR)
        uv_redis_fail(c, "Redis at %s refused the connection setup: %s", c->where, r->str);
}

static void uv_redis_ready_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    uv_redis_t *c = privdata;
    uv_redis_setup_reply(ac, reply, privdata);
    if (!reply || c->state != UV_REDIS_CONNECTING)
        return;
    c->state = UV_REDIS_READY;
    uv_timer_start(&c->timer, uv_redis_watch_cb, LIMIT_REDIS_WATCH_MS, LIMIT_REDIS_WATCH_MS);
    c->event_cb(c, NULL, c->ud);
}

static void uv_redis_connect_cb(const redisAsyncContext *ac, int status)
{
    uv_redis_t *c = ac->data;
    if (!c || status == REDIS_OK)
        return;
    /* hiredis frees the context right after this callback. */
    c->ac = NULL;
    uv_redis_fail(c, "cannot connect to Redis at %s: %s", c->where,
                  ac->errstr ? ac->errstr : "connect failed");
}

static void uv_redis_disconnect_cb(const redisAsyncContext *ac, int status)
{
    uv_redis_t *c = ac->data;
    (void)status;
    if (!c)
        return; /* uv_redis_close freed it */
    c->ac = NULL;
    uv_redis_fail(c, "lost the connection to Redis at %s: %s", c->where,
                  ac->errstr ? ac->errstr : "disconnected");
}

uv_redis_t *uv_redis_open(uv_loop_t *loop, const redis_addr_t *a, const char *client_name,
                          int connect_timeout_ms, int reply_timeout_ms, uv_redis_event_cb event_cb,
                          void *ud, char *err, size_t errlen)
{
    uv_redis_t *c = calloc(1, sizeof *c);
    redisAsyncContext *ac;
    int rc;

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    redis_addr_where(a, c->where, sizeof c->where);
    c->connect_timeout_ms = connect_timeout_ms;
    c->reply_timeout_ms = reply_timeout_ms;
    c->event_cb = event_cb;
    c->ud = ud;
    ac = a->path[0] ? redisAsyncConnectUnix(a->path) : redisAsyncConnect(a->host, a->port);
    if (!ac) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    if (ac->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s: %s", c->where, ac->errstr);
        redisAsyncFree(ac);
        free(c);
        return NULL;
    }
    if ((rc = uv_timer_init(loop, &c->timer))) {
        snprintf(err, errlen, "uv_timer_init: %s", uv_strerror(rc));
        redisAsyncFree(ac);
        free(c);
        return NULL;
    }
    c->timer.data = c;
    ac->data = c;
    c->ac = ac;
    if (redisLibuvAttach(ac, loop) != REDIS_OK ||
        redisAsyncSetConnectCallback(ac, uv_redis_connect_cb) != REDIS_OK ||
        redisAsyncSetDisconnectCallback(ac, uv_redis_disconnect_cb) != REDIS_OK) {
        snprintf(err, errlen, "cannot attach the Redis connection to the event loop");
        goto fail;
    }
    rc = REDIS_OK;
    if (a->password[0] && a->user[0])
        rc = redisAsyncCommand(ac, uv_redis_setup_reply, c, "AUTH %s %s", a->user, a->password);
    else if (a->password[0])
        rc = redisAsyncCommand(ac, uv_redis_setup_reply, c, "AUTH %s", a->password);
    if (rc == REDIS_OK && a->password[0])
        c->outstanding++;
    if (rc == REDIS_OK && a->db &&
        (rc = redisAsyncCommand(ac, uv_redis_setup_reply, c, "SELECT %d", a->db)) == REDIS_OK)
        c->outstanding++;
    if (rc == REDIS_OK && (rc = redisAsyncCommand(ac, uv_redis_ready_reply, c, "CLIENT SETNAME %s",
                                                  client_name)) == REDIS_OK)
        c->outstanding++;
    if (rc != REDIS_OK) {
        snprintf(err, errlen, "cannot queue the Redis connection setup");
        goto fail;
    }
    c->progress_ns = clock_now_ns();
    uv_timer_start(&c->timer, uv_redis_watch_cb, (uint64_t)connect_timeout_ms, 0);
    return c;
fail:
    /* Nothing was reported yet: close quietly through the usual path. */
    c->state = UV_REDIS_CLOSED;
    uv_redis_close(c);
    return NULL;
}

static void uv_redis_freed_cb(uv_handle_t *h)
{
    free(h->data);
}

void uv_redis_close(uv_redis_t *c)
{
    redisAsyncContext *ac = c->ac;
    c->state = UV_REDIS_CLOSED;
    uv_timer_stop(&c->timer);
    c->ac = NULL;
    if (ac) {
        ac->data = NULL; /* the disconnect callback must not find us */
        redisAsyncFree(ac);
    }
    uv_close((uv_handle_t *)&c->timer, uv_redis_freed_cb);
}

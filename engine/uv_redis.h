/* Glue between hiredis 0.14 and libuv (the blocking connections and the
 * Redis address are engine/redis_sync.h).
 *
 * Connections ride on hiredis's own libuv adapter
 * (redisLibuvAttach). hiredis 0.14 has no timeouts in its async API and
 * that adapter drops poll errors (a refused or reset connection may then
 * never be reported), so every connection here carries one uv_timer: a
 * connect deadline until the connection is ready, then a watchdog that
 * declares the connection lost when commands are outstanding and no reply
 * has come for reply_timeout_ms. Either way the owner hears about it once,
 * through the event callback, and never hangs.
 *
 * A connection is "ready" once its setup commands (AUTH and SELECT from
 * the URL, then CLIENT SETNAME) have been answered, so a wrong password is
 * a connect error, not the first command's. */
#ifndef CONCBENCH_ENGINE_UV_REDIS_H
#define CONCBENCH_ENGINE_UV_REDIS_H

#include <stddef.h>
#include <hiredis/hiredis.h>
#include <uv.h>

#include "engine/redis_sync.h"

typedef struct uv_redis uv_redis_t;

/* A reply to one command (possibly an error reply), never NULL: once the
 * connection has failed or is closing, outstanding commands are dropped
 * silently and the event callback is the only notice. r is freed after
 * the call. */
typedef void (*uv_redis_reply_cb)(uv_redis_t *c, redisReply *r, void *pd);
/* err NULL: the connection is ready. Else it failed (connect error or
 * timeout, lost, watchdog) and err is one line; it is reported once and no
 * ready follows. The owner still calls uv_redis_close. */
typedef void (*uv_redis_event_cb)(uv_redis_t *c, const char *err, void *ud);

/* Starts connecting on loop. client_name is set with CLIENT SETNAME (no
 * spaces). Returns NULL with a reason in err (nothing to close then). */
uv_redis_t *uv_redis_open(uv_loop_t *loop, const redis_addr_t *a, const char *client_name,
                          int connect_timeout_ms, int reply_timeout_ms, uv_redis_event_cb event_cb,
                          void *ud, char *err, size_t errlen);

/* Queues a command (sent as soon as the socket allows; commands queued
 * before ready go after the setup commands). Returns 0, or -1 when the
 * connection failed or is closing (cb is then never called). */
int uv_redis_command(uv_redis_t *c, uv_redis_reply_cb cb, void *pd, const char *fmt, ...);
int uv_redis_command_argv(uv_redis_t *c, uv_redis_reply_cb cb, void *pd, int argc,
                          const char **argv, const size_t *argvlen);

/* Commands sent and not yet answered. */
int uv_redis_outstanding(const uv_redis_t *c);

/* Frees the connection: outstanding commands are dropped without their
 * callbacks and no event follows. The memory goes once the loop has run
 * the timer's close callback. Safe from inside this connection's reply
 * callbacks. */
void uv_redis_close(uv_redis_t *c);

#endif

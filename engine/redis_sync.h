/* Blocking hiredis connections with bounds on every step, for the
 * stream-workers coordinator and `concbench worker` start-up, and the
 * Redis address both they and the libuv connections (engine/uv_redis.h)
 * are given. Nothing here is on a per-request path. */
#ifndef CONCBENCH_ENGINE_REDIS_SYNC_H
#define CONCBENCH_ENGINE_REDIS_SYNC_H

#include <stddef.h>
#include <hiredis/hiredis.h>

/* The environment variable a Redis password is taken from when the URL has
 * none: a command line is readable by every user of the machine (ps,
 * /proc/PID/cmdline), a process's environment only by its owner and root. */
#define REDIS_PASSWORD_ENV "CONCBENCH_REDIS_PASSWORD"

/* Where a Redis is: redis://[[user]:password@]host[:port][/db], or a unix
 * socket: unix://[[user]:password@]/path/to/socket[?db=N]. */
typedef struct redis_addr {
    char path[108]; /* the unix socket ("" for TCP); sun_path's size */
    char host[256];
    int port;            /* default 6379 */
    char user[128];      /* "" for none */
    char password[256];  /* "" for none */
    int password_in_url; /* the password came from the URL, not the environment */
    int db;              /* default 0 */
} redis_addr_t;

/* Parses url ("redis://" optional). A redis:// URL without a password
 * takes the value of REDIS_PASSWORD_ENV when that is set (a unix:// one,
 * concbench's private server, does not). Returns 0, or -1 with a reason in
 * err (which never repeats a password). */
int redis_addr_parse(const char *url, redis_addr_t *a, char *err, size_t errlen);

/* Writes a as a URL without its password (redis://[user@]host:port[/db]
 * or unix://[user@]/path[?db=N]), for command lines others may read. */
void redis_addr_public_url(const redis_addr_t *a, char *out, size_t cap);

/* Connects within timeout_ms, authenticates and selects the db; every later
 * command on the context times out after timeout_ms too. Returns NULL with
 * a one-line reason in err. */
redisContext *redis_sync_connect(const redis_addr_t *a, int timeout_ms, char *err, size_t errlen);

/* Replaces a->host with the numeric address c is connected to, so later
 * asynchronous connections (which take the first address a name resolves
 * to, and cannot fall back from a refused ::1 to 127.0.0.1) reach the
 * server this one did. Leaves a unchanged if the peer is unknown. */
void redis_sync_pin_host(redisContext *c, redis_addr_t *a);

/* "host:port" or the socket's path, for messages. */
const char *redis_addr_where(const redis_addr_t *a, char *buf, size_t len);

/* Runs one command. Returns its reply (the caller frees it), or NULL with a
 * one-line reason in err for an I/O failure or an error reply; after an I/O
 * failure the context is unusable. */
redisReply *redis_sync_command(redisContext *c, char *err, size_t errlen, const char *fmt, ...);

#endif

/* The services a run needs, started privately by the harness unless the
 * user names their own: the mock API, a PostgreSQL instance in a temporary
 * directory, and a redis-server. Each start returns only once the service
 * answers; every started service is registered so that svc_stop_all() —
 * called on every exit path, including from the signal path — stops it by
 * PID and removes its temporary directory. Nothing is left behind.
 *
 * This is the folder's public interface. Behind it: spawn.c (the
 * supervisor and its registry), pg.c, redis.c and mockapi.c (one recipe
 * each), with svcfs.c, ports.c and resp.c as their helpers. */
#ifndef CONCBENCH_SERVICES_H
#define CONCBENCH_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct svc {
    pid_t pid; /* 0 when not started by us */
    int port;
    char tmpdir[256];  /* removed on stop ("" if none) */
    char address[512]; /* URL or DSN clients use */
    char version[64];  /* server version string, if known */
    char note[1024];   /* how it was set up, for the log ("" if nothing to say) */
} svc_t;

/* Starts `mockapi` (path to the binary) on 127.0.0.1 with a free port and
 * the extra arguments argv_extra (NULL-terminated, may be NULL). On success
 * s->address is "http://127.0.0.1:PORT". Returns 0, or -1 with a one-line
 * reason in err. */
int svc_mockapi_start(svc_t *s, const char *binary, char *const argv_extra[], char *err,
                      size_t errlen);

/* A fresh cluster in a temporary directory (initdb, or with use_cache a
 * copy of the template an earlier initdb left in the user's cache folder:
 * pgcache.h) and postgres on its own port and unix socket (as the
 * `postgres` user when we are root), with max_connections = max_conns.
 * s->address is a libpq DSN; s->note says how the cluster was made. Waits
 * until it accepts connections (up to LIMIT_SVC_PG_READY_MS). Returns 0,
 * or -1 with a reason that says what to do (e.g. install postgresql). */
int svc_pg_start(svc_t *s, int max_conns, bool use_cache, char *err, size_t errlen);

/* Starts redis-server with no persistence and no TCP listener: a unix
 * socket in its private (0700) temporary directory, which is also its
 * working directory. s->address is "unix://DIR/redis.sock" (s->port 0).
 * Returns 0, or -1 with a reason. */
int svc_redis_start(svc_t *s, char *err, size_t errlen);

/* Stops one service (SIGTERM, then SIGKILL after LIMIT_SVC_STOP_GRACE_MS), reaps it
 * and removes its temporary directory. Safe to call twice. */
void svc_stop(svc_t *s);

/* Stops every service still registered. Idempotent. */
void svc_stop_all(void);

/* Async-signal-safe: SIGKILLs every registered service. For the second
 * Ctrl-C, right before _exit; temporary directories are then left. */
void svc_kill_all_now(void);

/* Removes the private folders (/tmp/concbench-pg-*, -redis-*) that
 * concbench processes which are gone left behind (a harness killed
 * outright or by a second Ctrl-C), and SIGKILLs a server still working in
 * one. Only folders marked as made by a dead process of our PID namespace
 * are touched (svcfs.h says how carefully). Cannot fail. */
void svc_sweep_stale(void);

/* Finds a free TCP port on 127.0.0.1. Returns the port or -1. */
int svc_free_port(void);

#endif

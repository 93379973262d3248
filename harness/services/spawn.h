/* The supervisor behind every service recipe of this folder (pg.c,
 * redis.c, mockapi.c): it forks and execs a server with clean process
 * hygiene and keeps a registry of what it started, so that svc_stop_all()
 * (services.h) can stop everything on any exit path. Internal to
 * harness/services/: other folders use services.h.
 *
 * A recipe takes a registry entry (svc_reg_alloc), starts its processes
 * with svc_spawn and stores the current PID in the entry, and on failure
 * hands the entry back with svc_reg_stop, which stops whatever runs,
 * removes the entry's temporary folder and frees the slot. Not
 * thread-safe: start and stop services from one thread (the main one:
 * the parent-death signal is tied to the thread that forked). */
#ifndef CONCBENCH_SERVICES_SPAWN_H
#define CONCBENCH_SERVICES_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness/services/services.h"

/* One started service. */
struct svc_entry {
    bool used;
    volatile sig_atomic_t pid; /* the service's running process, 0 if none */
    pid_t owner;               /* the process that started it; only it stops it */
    const char *name;          /* for messages: "postgres", "initdb", ... */
    int stop_sig;              /* graceful stop: SIGINT for postgres (fast shutdown) */
    int stdout_fd;             /* mockapi's stdout pipe, held open so it never gets SIGPIPE */
    char tmpdir[256];          /* removed on stop, "" if none */
};

/* How to start one process. */
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

enum svc_child_state { SVC_CHILD_RUNNING, SVC_CHILD_EXITED, SVC_CHILD_GONE };

/* Formats a one-line reason into err (newlines become spaces). Does
 * nothing when err is NULL or errlen 0. */
void svc_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Forks and execs sp->path in its own process group, with default signal
 * dispositions, an empty mask, stdin on /dev/null, only stdout/stderr of
 * the harness's descriptors, and sp's credentials, directory and
 * parent-death signal. Returns the child's PID once exec has succeeded, or
 * -1 with a reason in err naming what (the stage that failed), the child
 * (if any) reaped. */
pid_t svc_spawn(const struct svc_spawn_spec *sp, const char *what, char *err, size_t errlen);

/* Whether our child pid has exited, without reaping it (a zombie keeps
 * its PID and group safe to signal until svc_reap). GONE: not our child
 * any more. si, if given, gets the exit details. */
enum svc_child_state svc_child_state(pid_t pid, siginfo_t *si);
/* Polls svc_child_state until the child is no longer running or timeout_ms
 * has passed; returns the last state. */
enum svc_child_state svc_wait_exit(pid_t pid, int timeout_ms, siginfo_t *si);
/* "exit status N" or "killed by signal N (name)" into buf. */
void svc_describe_exit(const siginfo_t *si, char *buf, size_t len);
/* Reaps the entry's exited process, clearing its PID first. */
void svc_reap(struct svc_entry *e);

/* Takes a free registry slot for a service called name (stop signal
 * SIGTERM, no stdout pipe, no folder). Returns it, or NULL with a reason
 * when every slot is taken. The first call registers svc_stop_all with
 * atexit. */
struct svc_entry *svc_reg_alloc(const char *name, char *err, size_t errlen);
/* Stops the entry's process (its stop signal, then SIGKILL to its whole
 * group after a grace), reaps it, removes its folder and frees the slot.
 * NULL is ignored. */
void svc_reg_stop(struct svc_entry *e);
/* Where the services' private folders go, and how their names start. */
#define SVC_TMP_PARENT "/tmp"
#define SVC_TMP_PREFIX "concbench-"

/* Creates the entry's private folder, SVC_TMP_PARENT/SVC_TMP_PREFIX
 * KIND-XXXXXX (mkdtemp: 0700, a fresh random name), with its owner file
 * (svcfs.h) so that a later run can remove it if we never do. Returns 0,
 * or -1 with a reason; the entry is then untouched. */
int svc_make_tmpdir(struct svc_entry *e, const char *kind, char *err, size_t errlen);
/* Copies the entry's PID and folder and port into the caller's svc_t. */
void svc_fill(svc_t *s, const struct svc_entry *e, int port);

#endif

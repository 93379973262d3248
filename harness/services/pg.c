/* The private PostgreSQL recipe: a fresh cluster in a temporary folder
 * (initdb, or a copy of the template an earlier run's initdb left in the
 * user's cache: pgcache.h), then a postmaster on its own unix socket only
 * (as the `postgres` user when we are root), with durable defaults. */
#include "harness/services/services.h"

#include "common/clock.h"
#include "common/limits.h"
#include "harness/services/pgcache.h"
#include "harness/services/ports.h"
#include "harness/services/spawn.h"
#include "harness/services/svcfs.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

static bool svc_pg_bindir_ok(const char *dir)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/postgres", dir);
    if (access(path, X_OK) < 0)
        return false;
    snprintf(path, sizeof path, "%s/initdb", dir);
    return access(path, X_OK) == 0;
}

/* The server's bin directory: `pg_config --bindir`, else the newest
 * /usr/lib/postgresql/N/bin (Debian keeps the server tools off PATH). */
static int svc_pg_find_bindir(char *out, size_t outlen)
{
    FILE *p = popen("pg_config --bindir 2>/dev/null", "re");
    glob_t g;
    double best = -1;

    out[0] = '\0';
    if (p) {
        if (fgets(out, (int)outlen, p) == NULL)
            out[0] = '\0';
        out[strcspn(out, "\r\n")] = '\0';
        pclose(p);
        if (out[0] && svc_pg_bindir_ok(out))
            return 0;
    }
    out[0] = '\0';
    if (glob("/usr/lib/postgresql/*/bin", GLOB_ONLYDIR, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            double v = strtod(g.gl_pathv[i] + strlen("/usr/lib/postgresql/"), NULL);
            if (v > best && svc_pg_bindir_ok(g.gl_pathv[i])) {
                best = v;
                snprintf(out, outlen, "%s", g.gl_pathv[i]);
            }
        }
        globfree(&g);
    }
    return out[0] ? 0 : -1;
}

/* Spawns BINDIR/PROG (argv[0] is set to it) with stdout and stderr going
 * to DIR/LOGNAME and its working directory, identity and signals from sp.
 * Records the pid in e. Returns the pid, or -1 with err set. path and
 * logpath (PATH_MAX each) receive the program's and the log's paths. */
static pid_t svc_pg_spawn(struct svc_entry *e, const char *bindir, const char *prog,
                          const char *logname, char **argv, struct svc_spawn_spec *sp, char *path,
                          char *logpath, char *err, size_t errlen)
{
    pid_t pid;
    int log;

    snprintf(path, PATH_MAX, "%s/%s", bindir, prog);
    snprintf(logpath, PATH_MAX, "%s/%s", e->tmpdir, logname);
    log = svcfs_open_log(logpath, err, errlen);
    if (log < 0)
        return -1;
    argv[0] = path;
    sp->path = path;
    sp->argv = argv;
    sp->out_fd = sp->err_fd = log;
    pid = svc_spawn(sp, prog, err, errlen);
    close(log);
    if (pid > 0)
        e->pid = pid; /* only a real child: a negative pid would reach kill() */
    return pid;
}

/* initdb's arguments after -D DIR. They name the cache's template too:
 * a change here makes the next run initdb afresh. */
#define SVC_PG_INITDB_ARGS "-A", "trust", "-E", "UTF8", "--no-locale", "-U", "concbench"
#define SVC_PG_INITDB_ARGS_TEXT "-A trust -E UTF8 --no-locale -U concbench"

/* Runs initdb into DIR/data as the entry's current process; its output goes
 * to DIR/initdb.log, shown on failure. */
static int svc_pg_initdb(struct svc_entry *e, const char *bindir, struct svc_spawn_spec *sp,
                         char *err, size_t errlen)
{
    char path[PATH_MAX], data[PATH_MAX], logpath[PATH_MAX], tail[512], status[96];
    char *argv[] = {NULL, "-D", data, SVC_PG_INITDB_ARGS, NULL};
    siginfo_t si;
    pid_t pid;

    snprintf(data, sizeof data, "%s/data", e->tmpdir);
    sp->death_sig = SIGKILL;
    pid = svc_pg_spawn(e, bindir, "initdb", "initdb.log", argv, sp, path, logpath, err, errlen);
    if (pid < 0)
        return -1;
    if (svc_wait_exit(pid, LIMIT_SVC_PG_INITDB_MS, &si) != SVC_CHILD_EXITED) {
        svc_err(err, errlen, "initdb (%s) did not finish within %d s", path,
                LIMIT_SVC_PG_INITDB_MS / 1000);
        return -1; /* the caller's svc_reg_stop kills it */
    }
    svc_reap(e);
    if (si.si_code != CLD_EXITED || si.si_status != 0) {
        svc_describe_exit(&si, status, sizeof status);
        svcfs_log_tail(logpath, 3, tail, sizeof tail);
        svc_err(err, errlen, "initdb (%s) failed (%s): %s", path, status, tail);
        return -1;
    }
    return 0;
}

/* Starts the postmaster on port and waits until it accepts connections.
 * Returns 0 when ready, 1 when it died because the port was taken in the
 * meantime (try another), -1 on failure with err set. */
static int svc_pg_launch(struct svc_entry *e, const char *bindir, struct svc_spawn_spec *sp,
                         int port, char *err, size_t errlen)
{
    char path[PATH_MAX], data[PATH_MAX], logpath[PATH_MAX], dsn[512], tail[512], status[96];
    char *argv[] = {NULL, "-D", data, NULL};
    int64_t deadline;
    siginfo_t si;
    pid_t pid;

    snprintf(data, sizeof data, "%s/data", e->tmpdir);
    snprintf(dsn, sizeof dsn, "host=%s port=%d user=concbench dbname=postgres connect_timeout=%d",
             e->tmpdir, port, LIMIT_SVC_PG_PROBE_TIMEOUT_S);
    sp->death_sig = SIGQUIT; /* immediate shutdown: the postmaster takes its backends along */
    e->stop_sig = SIGINT;    /* fast shutdown */
    e->name = "postgres";
    pid = svc_pg_spawn(e, bindir, "postgres", "postgres.log", argv, sp, path, logpath, err, errlen);
    if (pid < 0)
        return -1;
    deadline = clock_now_ns() + (int64_t)LIMIT_SVC_PG_READY_MS * CLOCK_NS_PER_MS;
    for (;;) {
        PGPing ping = PQping(dsn);
        if (ping == PQPING_OK)
            return 0;
        if (ping == PQPING_NO_ATTEMPT) {
            svc_err(err, errlen, "libpq refused the connection string '%s'", dsn);
            return -1;
        }
        if (svc_child_state(pid, &si) != SVC_CHILD_RUNNING) {
            svc_reap(e);
            if (svc_port_taken(port))
                return 1;
            svc_describe_exit(&si, status, sizeof status);
            svcfs_log_tail(logpath, 3, tail, sizeof tail);
            svc_err(err, errlen, "postgres (%s) exited during startup (%s): %s", path, status,
                    tail);
            return -1;
        }
        if (clock_now_ns() > deadline) {
            svcfs_log_tail(logpath, 3, tail, sizeof tail);
            svc_err(err, errlen, "postgres (%s) did not accept connections within %d s: %s", path,
                    LIMIT_SVC_PG_READY_MS / 1000, tail);
            return -1;
        }
        clock_sleep_ms(LIMIT_SVC_PG_READY_POLL_MS);
    }
}

/* PostgreSQL refuses to run as root: when we are root, the server runs as
 * the `postgres` user the Debian package creates. Returns 0 (sp set up),
 * or -1 with what to do in err. */
static int svc_pg_identity(struct svc_spawn_spec *sp, char *err, size_t errlen)
{
    struct passwd *pw;
    if (geteuid() != 0)
        return 0;
    pw = getpwnam("postgres");
    if (pw == NULL) {
        svc_err(err, errlen,
                "PostgreSQL refuses to run as root and there is no `postgres` user to run it "
                "as: install it with scripts/install-deps.sh (Debian package postgresql) or "
                "run as a normal user");
        return -1;
    }
    sp->drop_privs = true;
    sp->uid = pw->pw_uid;
    sp->gid = pw->pw_gid;
    return 0;
}

/* The cluster in e's folder (owned by us, 0700, given to the server's
 * user here): a copy of the cache's template when use_cache and there is
 * one, else initdb's, of which the cache then keeps a copy. What happened
 * goes into note (for the log). Returns 0, or -1 with err when no cluster
 * could be made. */
static int svc_pg_cluster(struct svc_entry *e, const char *bindir, struct svc_spawn_spec *sp,
                          bool use_cache, char *note, size_t notelen, char *err, size_t errlen)
{
    pgcache_t pc = {.dirfd = -1};
    char why[320], data[PATH_MAX];
    int dir, rc = 1;
    bool store = false;

    dir = open(e->tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) {
        svc_err(err, errlen, "cannot open %s: %s", e->tmpdir, strerror(errno));
        return -1;
    }
    snprintf(note, notelen, "made by initdb (pg_cache=0)");
    if (use_cache && pgcache_open(&pc, bindir, SVC_PG_INITDB_ARGS_TEXT, why, sizeof why) < 0)
        snprintf(note, notelen, "made by initdb; no template kept: %s", why);
    if (pc.dirfd >= 0) {
        /* Copied while the folder is still ours alone, then handed over. */
        rc = pgcache_restore(&pc, dir, sp->drop_privs ? sp->uid : (uid_t)-1, sp->gid, why,
                             sizeof why);
        store = rc == 1; /* none yet; a damaged one is the user's to look at */
        if (rc == 0) {
            snprintf(note, notelen, "a copy of %s/%s", pc.dir, pc.name);
        } else if (rc < 0) {
            snprintf(data, sizeof data, "%s/data", e->tmpdir);
            svcfs_rm_tree(data);
            snprintf(note, notelen,
                     "made by initdb; the template was not usable (%s): remove %s/%s, or run "
                     "with pg_cache=0",
                     why, pc.dir, pc.name);
        }
    }
    if (sp->drop_privs && fchown(dir, sp->uid, sp->gid) < 0) {
        svc_err(err, errlen, "cannot prepare %s: %s", e->tmpdir, strerror(errno));
        rc = -1;
    } else if (rc != 0 && svc_pg_initdb(e, bindir, sp, err, errlen) == 0) {
        rc = 0;
        if (store && pgcache_store(&pc, dir, why, sizeof why) == 0)
            snprintf(note, notelen, "made by initdb; kept as %s/%s for the next runs", pc.dir,
                     pc.name);
        else if (store)
            snprintf(note, notelen, "made by initdb; no template kept: %s", why);
    } else if (rc != 0) {
        rc = -1;
    }
    pgcache_close(&pc);
    close(dir);
    return rc;
}

/* The private folder, closed to others, and a fresh cluster in it with
 * our settings appended to its postgresql.conf (path into conf). The
 * server trusts every connection and its role is a superuser, which can
 * run programs as the server's OS user (COPY ... TO PROGRAM): only the
 * harness's own user may reach it. So no TCP listener, and the socket's
 * directory is closed to others; root, when the server runs as `postgres`,
 * passes as it already does to edit the config. Durable defaults (fsync
 * and friends) are what users run: kept, and written out so that a reader
 * of the config sees them. Returns 0 or -1 with err. */
static int svc_pg_prepare(struct svc_entry *e, const char *bindir, struct svc_spawn_spec *sp,
                          int max_conns, bool use_cache, char *note, size_t notelen, char *conf,
                          size_t confcap, char *err, size_t errlen)
{
    char text[1024];
    if (svc_make_tmpdir(e, "pg", err, errlen) < 0)
        return -1;
    if (chmod(e->tmpdir, 0700) < 0) {
        svc_err(err, errlen, "cannot prepare %s: %s", e->tmpdir, strerror(errno));
        return -1;
    }
    sp->cwd = e->tmpdir; /* the harness's cwd may be unreadable to `postgres` */
    if (svc_pg_cluster(e, bindir, sp, use_cache, note, notelen, err, errlen) < 0)
        return -1;
    snprintf(conf, confcap, "%s/data/postgresql.conf", e->tmpdir);
    snprintf(text, sizeof text,
             "\n# concbench: private benchmark instance\n"
             "listen_addresses = ''\n"
             "unix_socket_directories = '%s'\n"
             "unix_socket_permissions = 0700\n"
             "max_connections = %d\n"
             "shared_buffers = 128MB\n"
             "fsync = on\n"
             "synchronous_commit = on\n"
             "full_page_writes = on\n"
             "logging_collector = off\n",
             e->tmpdir, max_conns);
    return svcfs_append(conf, text, err, errlen);
}

/* Starts the server on a free port (the port names its socket file),
 * trying again when another process took the port first. Returns the
 * port, or -1 with err. */
static int svc_pg_launch_free_port(struct svc_entry *e, const char *bindir,
                                   struct svc_spawn_spec *sp, const char *conf, char *err,
                                   size_t errlen)
{
    char text[64];
    int port, rc = 1;
    for (int attempt = 0; attempt < LIMIT_SVC_START_ATTEMPTS; attempt++) {
        port = svc_free_port();
        if (port < 0) {
            svc_err(err, errlen, "no free TCP port on 127.0.0.1 for PostgreSQL");
            return -1;
        }
        snprintf(text, sizeof text, "port = %d\n", port); /* the last setting wins */
        if (svcfs_append(conf, text, err, errlen) < 0)
            return -1;
        rc = svc_pg_launch(e, bindir, sp, port, err, errlen);
        if (rc != 1)
            return rc == 0 ? port : -1;
    }
    svc_err(err, errlen, "PostgreSQL could not get a free port in %d tries",
            LIMIT_SVC_START_ATTEMPTS);
    return -1;
}

/* Connects once as a client would and records the server's version.
 * Returns 0 or -1 with err. */
static int svc_pg_check(svc_t *s, char *err, size_t errlen)
{
    PGconn *conn = PQconnectdb(s->address);
    if (PQstatus(conn) != CONNECTION_OK) {
        svc_err(err, errlen, "connecting to the private PostgreSQL (%s) failed: %s", s->address,
                PQerrorMessage(conn));
        PQfinish(conn);
        return -1;
    }
    snprintf(s->version, sizeof s->version, "%s",
             PQparameterStatus(conn, "server_version") ? PQparameterStatus(conn, "server_version")
                                                       : "");
    PQfinish(conn);
    return 0;
}

int svc_pg_start(svc_t *s, int max_conns, bool use_cache, char *err, size_t errlen)
{
    struct svc_spawn_spec sp = {0};
    struct svc_entry *e = NULL;
    char bindir[256], conf[PATH_MAX]; /* longer bin paths: not found */
    char note[sizeof s->note];
    int port;

    memset(s, 0, sizeof *s);
    if (max_conns < 1) {
        svc_err(err, errlen, "PostgreSQL max_connections must be positive (got %d)", max_conns);
        return -1;
    }
    if (svc_pg_find_bindir(bindir, sizeof bindir) < 0) {
        svc_err(err, errlen,
                "PostgreSQL server not found: install it with "
                "scripts/install-deps.sh (Debian package postgresql)");
        return -1;
    }
    if (svc_pg_identity(&sp, err, errlen) < 0)
        return -1;
    e = svc_reg_alloc("initdb", err, errlen);
    if (e == NULL)
        return -1;
    if (svc_pg_prepare(e, bindir, &sp, max_conns, use_cache, note, sizeof note, conf, sizeof conf,
                       err, errlen) < 0 ||
        (port = svc_pg_launch_free_port(e, bindir, &sp, conf, err, errlen)) < 0) {
        if (strncmp(note, "a copy of ", 10) == 0) /* a damaged template fails every run */
            snprintf(err + strlen(err), errlen - strlen(err),
                     "; the cluster was %s: remove it, or run with pg_cache=0", note);
        goto fail;
    }
    svc_fill(s, e, port);
    memcpy(s->note, note, sizeof note);
    snprintf(s->address, sizeof s->address, "host=%s port=%d user=concbench dbname=postgres",
             e->tmpdir, port);
    if (svc_pg_check(s, err, errlen) < 0) {
        memset(s, 0, sizeof *s);
        goto fail;
    }
    return 0;
fail:
    svc_reg_stop(e);
    return -1;
}

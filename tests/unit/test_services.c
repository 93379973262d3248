/* Tests for harness/services/ against the real PostgreSQL and redis-server
 * of this machine: each service must answer once started, and be gone —
 * process and temporary directory — once stopped. mockapi is stood in for by
 * small shell scripts, so these tests do not depend on mock_server/. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "harness/services/services.h"

static char err[512];

static void assert_started(int rc)
{
    if (rc != 0)
        print_error("start failed: %s\n", err);
    assert_int_equal(rc, 0);
}

static bool pid_gone(pid_t pid)
{
    return kill(pid, 0) < 0 && errno == ESRCH;
}

static bool path_gone(const char *path)
{
    struct stat st;

    return lstat(path, &st) < 0 && errno == ENOENT;
}

/* Reads field `key` ("PPid:", "Uid:") of /proc/PID/status as a number. */
static long proc_status_field(pid_t pid, const char *key)
{
    char path[64], line[256];
    long v = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtol(line + strlen(key), NULL, 10);
    fclose(f);
    return v;
}

/* PING over the unix socket of a redis started by svc_redis_start
 * (address "unix://PATH"). Returns 0 with the reply, or -1. */
static int redis_ping(const svc_t *s, char *reply, size_t len)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ssize_t n = -1;

    snprintf(a.sun_path, sizeof a.sun_path, "%s", s->address + strlen("unix://"));
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6)
        n = recv(fd, reply, len - 1, 0);
    if (fd >= 0)
        close(fd);
    reply[n > 0 ? n : 0] = '\0';
    return n > 0 ? 0 : -1;
}

/* Listening TCP sockets (IPv4 or IPv6) held by pid, from /proc: the
 * inodes of its socket fds matched against /proc/net/tcp{,6}. */
static int tcp_listeners(pid_t pid)
{
    char path[64], line[512], link[64];
    int count = 0;

    for (int v6 = 0; v6 < 2; v6++) {
        FILE *f = fopen(v6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
        while (f && fgets(line, sizeof line, f)) {
            unsigned st = 0;
            unsigned long inode = 0;
            if (sscanf(line, "%*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &st, &inode) != 2 ||
                st != 0x0A)
                continue;
            for (int fd = 0; fd < 256; fd++) {
                ssize_t n;
                snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
                n = readlink(path, link, sizeof link - 1);
                if (n <= 0)
                    continue;
                link[n] = '\0';
                if (strncmp(link, "socket:[", 8) == 0 && strtoul(link + 8, NULL, 10) == inode)
                    count++;
            }
        }
        if (f)
            fclose(f);
    }
    return count;
}

static void query_one(PGconn *c, const char *sql, const char *want)
{
    PGresult *r = PQexec(c, sql);

    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        print_error("%s: %s\n", sql, PQresultErrorMessage(r));
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), want);
    PQclear(r);
}

static void test_free_port(void **state)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    int port = svc_free_port();
    int fd;

    (void)state;
    assert_in_range(port, 1, 65535);
    /* Free means we can bind it ourselves. */
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);
}

static void test_pg_start_stop(void **state)
{
    svc_t s;
    char tmpdir[sizeof s.tmpdir];
    PGconn *c;
    pid_t pid;

    (void)state;
    assert_started(svc_pg_start(&s, 150, false, err, sizeof err));
    pid = s.pid;
    snprintf(tmpdir, sizeof tmpdir, "%s", s.tmpdir);
    assert_true(pid > 0);
    assert_true(s.port > 0);
    assert_non_null(strstr(s.address, "host=/tmp/concbench-pg-"));
    assert_true(s.version[0] != '\0');
    /* The PID we hold is the postmaster itself, our direct child, and as
     * root it runs as the unprivileged `postgres` user. */
    assert_int_equal(proc_status_field(pid, "PPid:"), getpid());
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        assert_non_null(pw);
        assert_int_equal(proc_status_field(pid, "Uid:"), pw->pw_uid);
    }

    c = PQconnectdb(s.address);
    if (PQstatus(c) != CONNECTION_OK)
        print_error("connect %s: %s\n", s.address, PQerrorMessage(c));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    query_one(c, "SELECT 1", "1");
    query_one(c, "SHOW max_connections", "150");
    query_one(c, "SHOW fsync", "on");
    PQfinish(c);

    svc_stop(&s);
    assert_int_equal(s.pid, 0);
    assert_true(pid_gone(pid));
    assert_true(path_gone(tmpdir));
    svc_stop(&s); /* idempotent */
}

/* Starts a private PostgreSQL with the template cache on, checks that it
 * answers with the max_connections asked for (our settings are appended to
 * every cluster, copied or not) and stops it. Returns its note. */
static const char *pg_cached_run(svc_t *s, int max_conns)
{
    char want[16];
    PGconn *c;

    assert_started(svc_pg_start(s, max_conns, true, err, sizeof err));
    c = PQconnectdb(s->address);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    snprintf(want, sizeof want, "%d", max_conns);
    query_one(c, "SHOW max_connections", want);
    PQfinish(c);
    if (geteuid() == 0) { /* the copy's files were given to the server's user */
        char data[sizeof s->tmpdir + 16];
        struct stat st;
        snprintf(data, sizeof data, "%s/data/PG_VERSION", s->tmpdir);
        assert_int_equal(stat(data, &st), 0);
        assert_int_equal(st.st_uid, getpwnam("postgres")->pw_uid);
    }
    svc_stop(s);
    return s->note;
}

/* The cluster template: the first start keeps initdb's cluster in the
 * cache folder, the next starts from a copy of it; a template or cache
 * folder that is not ours alone, or holds a symlink, is not used, and the
 * server still starts (from initdb). */
static void test_pg_template(void **state)
{
    char base[] = "/tmp/cb-test-cache-XXXXXX", dir[64], tmpl[128], link[192];
    const char *old = getenv("XDG_CACHE_HOME");
    char *saved = old ? strdup(old) : NULL;
    svc_t s;

    (void)state;
    assert_non_null(mkdtemp(base));
    setenv("XDG_CACHE_HOME", base, 1);
    snprintf(dir, sizeof dir, "%s/concbench", base);

    assert_non_null(strstr(pg_cached_run(&s, 150), "made by initdb; kept as "));
    /* The note names the template, which is ours and closed to others. */
    assert_non_null(strstr(s.note, dir));
    snprintf(tmpl, sizeof tmpl, "%s", strstr(s.note, dir));
    tmpl[strcspn(tmpl, " ")] = '\0';
    {
        struct stat st;
        char ver[sizeof tmpl + 16];
        assert_int_equal(lstat(tmpl, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 077, 0);
        assert_int_equal(st.st_uid, geteuid());
        snprintf(ver, sizeof ver, "%s/PG_VERSION", tmpl);
        assert_int_equal(stat(ver, &st), 0);
        assert_int_equal(st.st_uid, geteuid());
    }

    assert_non_null(strstr(pg_cached_run(&s, 170), "a copy of "));
    assert_non_null(strstr(s.note, tmpl));

    /* Opened to the group: not used, and not replaced by this run. */
    assert_int_equal(chmod(tmpl, 0750), 0);
    assert_non_null(strstr(pg_cached_run(&s, 150), "the template was not usable"));
    assert_int_equal(chmod(tmpl, 0700), 0);

    /* A symlink in it: the copy stops; the server starts from initdb. */
    snprintf(link, sizeof link, "%s/base/planted", tmpl);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_non_null(strstr(pg_cached_run(&s, 150), "planted is neither a folder nor a plain file"));
    assert_int_equal(unlink(link), 0);

    /* A cache folder the group can write: no template read or kept. */
    assert_int_equal(chmod(dir, 0770), 0);
    assert_non_null(strstr(pg_cached_run(&s, 150), "no template kept"));
    assert_non_null(strstr(s.note, "writable by group or others"));
    assert_int_equal(chmod(dir, 0700), 0);

    assert_non_null(strstr(pg_cached_run(&s, 150), "a copy of "));
    if (saved)
        setenv("XDG_CACHE_HOME", saved, 1);
    else
        unsetenv("XDG_CACHE_HOME");
    free(saved);
    {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_pg_bad_max_conns(void **state)
{
    svc_t s;

    (void)state;
    assert_int_equal(svc_pg_start(&s, 0, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "max_connections"));
    assert_int_equal(s.pid, 0);
}

static void test_redis_start_stop(void **state)
{
    svc_t s;
    char tmpdir[sizeof s.tmpdir], want[sizeof s.address], reply[64];
    struct stat st;
    pid_t pid;

    (void)state;
    assert_started(svc_redis_start(&s, err, sizeof err));
    pid = s.pid;
    snprintf(tmpdir, sizeof tmpdir, "%s", s.tmpdir);
    assert_true(pid > 0);
    assert_int_equal(proc_status_field(pid, "PPid:"), getpid());
    /* No TCP listener: only a unix socket in a folder closed to others. */
    snprintf(want, sizeof want, "unix://%s/redis.sock", tmpdir);
    assert_string_equal(s.address, want);
    assert_int_equal(s.port, 0);
    assert_int_equal(stat(tmpdir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_true(s.version[0] != '\0');
    assert_int_equal(redis_ping(&s, reply, sizeof reply), 0);
    assert_string_equal(reply, "+PONG\r\n");
    assert_int_equal(tcp_listeners(pid), 0);

    svc_stop(&s);
    assert_int_equal(s.pid, 0);
    assert_true(pid_gone(pid));
    assert_true(path_gone(tmpdir));
    assert_int_equal(redis_ping(&s, reply, sizeof reply), -1);
    svc_stop(&s);
}

/* A forked child (a model run) that exits, or even calls the stop functions,
 * must leave its parent's services alone. */
static void test_forked_child_leaves_services(void **state)
{
    svc_t s;
    char reply[64];
    int status;
    pid_t child;

    (void)state;
    assert_started(svc_redis_start(&s, err, sizeof err));
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        svc_kill_all_now();
        svc_stop_all();
        _exit(0);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(redis_ping(&s, reply, sizeof reply), 0);
    assert_string_equal(reply, "+PONG\r\n");
    svc_stop(&s);
}

/* After svc_kill_all_now (the second Ctrl-C), svc_stop_all still reaps the
 * killed services and removes their directories. */
static void test_kill_all_now_then_stop_all(void **state)
{
    svc_t s;
    char tmpdir[sizeof s.tmpdir];
    pid_t pid;

    (void)state;
    assert_started(svc_redis_start(&s, err, sizeof err));
    pid = s.pid;
    snprintf(tmpdir, sizeof tmpdir, "%s", s.tmpdir);
    svc_kill_all_now();
    svc_stop_all();
    assert_true(pid_gone(pid));
    assert_true(path_gone(tmpdir));
    svc_stop(&s); /* its entry is gone: a no-op, and it never signals pid */
    assert_int_equal(s.pid, 0);
}

static void test_mockapi_missing(void **state)
{
    svc_t s;

    (void)state;
    assert_int_equal(svc_mockapi_start(&s, "/nonexistent/dir/mockapi", NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/dir/mockapi"));
    assert_non_null(strstr(err, "./run_all.sh"));
    assert_int_equal(s.pid, 0);
}

/* Writes an executable shell script standing in for mockapi. */
static void write_script(const char *path, const char *body)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
}

/* The protocol: mockapi gets --host 127.0.0.1 --port 0 and the extra
 * arguments, and announces its address on stdout. The stand-in announces the
 * port of a socket this test listens on, passed as the last extra argument. */
static void test_mockapi_protocol(void **state)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    char dir[] = "/tmp/concbench-test-XXXXXX", script[128], portstr[16], want[64];
    char *extra[] = {"--latency-ms", "5", portstr, NULL};
    svc_t s;
    pid_t pid;
    int lfd;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(script, sizeof script, "%s/mockapi", dir);
    write_script(script,
                 "[ \"$1 $2 $3 $4 $5 $6\" = '--host 127.0.0.1 --port 0 --latency-ms 5' ] || "
                 "{ echo \"bad args: $*\"; exit 3; }\n"
                 "echo 'some banner'\n"
                 "echo \"mockapi listening on http://127.0.0.1:$7\"\n"
                 "exec sleep 60\n");
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    snprintf(portstr, sizeof portstr, "%d", ntohs(a.sin_port));

    assert_started(svc_mockapi_start(&s, script, extra, err, sizeof err));
    pid = s.pid;
    snprintf(want, sizeof want, "http://127.0.0.1:%s", portstr);
    assert_string_equal(s.address, want);
    assert_int_equal(s.port, atoi(portstr));
    assert_string_equal(s.tmpdir, "");
    svc_stop(&s);
    assert_true(pid_gone(pid));

    /* One that exits without announcing: the reason names it and quotes it. */
    extra[1] = "6";
    assert_int_equal(svc_mockapi_start(&s, script, extra, err, sizeof err), -1);
    assert_non_null(strstr(err, script));
    assert_non_null(strstr(err, "exit status 3"));
    assert_non_null(strstr(err, "bad args"));
    assert_int_equal(s.pid, 0);

    close(lfd);
    unlink(script);
    rmdir(dir);
}

/* A failed assertion leaves its services running: stop them before the
 * next test, which may otherwise see them (svc_kill_all_now kills all). */
static int stop_all(void **state)
{
    (void)state;
    svc_stop_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_free_port, stop_all),
        cmocka_unit_test_teardown(test_pg_start_stop, stop_all),
        cmocka_unit_test_teardown(test_pg_template, stop_all),
        cmocka_unit_test_teardown(test_pg_bad_max_conns, stop_all),
        cmocka_unit_test_teardown(test_redis_start_stop, stop_all),
        cmocka_unit_test_teardown(test_forked_child_leaves_services, stop_all),
        cmocka_unit_test_teardown(test_kill_all_now_then_stop_all, stop_all),
        cmocka_unit_test_teardown(test_mockapi_missing, stop_all),
        cmocka_unit_test_teardown(test_mockapi_protocol, stop_all),
    };

    return cmocka_run_group_tests_name("services", tests, NULL, NULL);
}

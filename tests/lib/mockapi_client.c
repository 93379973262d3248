/* Helpers of mockapi's end-to-end tests; see test_mockapi_client.h. Servers
 * are started with PR_SET_PDEATHSIG so they never outlive a crashed test. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/lib/mockapi_client.h"
#include "workload/order.h"

const char *mockapi_path;

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Starts mockapi --port 0 plus the NULL-terminated extra args and reads its
 * listening line. */
void server_start(server_t *s, const char *const *extra)
{
    const char *argv[40] = {mockapi_path, "--port", "0"};
    int n = 3, fds[2];
    char line[256];
    size_t len = 0;
    uint64_t deadline = now_ms() + 5000;

    for (; extra && *extra; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0); /* dup2 onto 1 clears it there */
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (s->nofile > 0) {
            struct rlimit rl = {(rlim_t)s->nofile, (rlim_t)s->nofile};
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (s->stderr_path) {
            FILE *f = freopen(s->stderr_path, "w", stderr);
            (void)f;
        }
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(mockapi_path, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    while (len < sizeof line - 1 && !memchr(line, '\n', len)) {
        struct pollfd p = {fds[0], POLLIN, 0};
        ssize_t r;
        if (now_ms() > deadline || poll(&p, 1, 100) < 0)
            break;
        if (!(p.revents & (POLLIN | POLLHUP)))
            continue;
        r = read(fds[0], line + len, sizeof line - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        line[len] = '\0';
    }
    close(fds[0]);
    line[len] = '\0';
    if (sscanf(line, "mockapi listening on http://127.0.0.1:%d\n", &s->port) != 1) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
        fail_msg("no listening line from mockapi, got '%s'", line);
    }
    /* Exactly one line, nothing else. */
    assert_ptr_equal(strchr(line, '\n'), line + len - 1);
}

/* SIGTERM; the server must exit 0 within 3 s. */
void server_stop(server_t *s)
{
    int st = 0;
    uint64_t deadline = now_ms() + 3000;

    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    while (waitpid(s->pid, &st, WNOHANG) == 0) {
        if (now_ms() > deadline) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            s->pid = 0;
            fail_msg("mockapi did not exit within 3 s of SIGTERM");
        }
        usleep(10000);
    }
    s->pid = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int server_teardown(void **state)
{
    server_t *s = *state;
    if (s) {
        server_stop(s);
        free(s);
    }
    return 0;
}

server_t *server_new(void **state, const char *const *extra)
{
    server_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    *state = s;
    server_start(s, extra);
    return s;
}

/* ---- a minimal HTTP/1.1 client ---- */

int client_connect(client_t *c, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;

    memset(c, 0, sizeof *c);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* servers never inherit it */
    if (c->fd < 0)
        return -errno;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = -errno;
        close(c->fd);
        c->fd = -1;
        return e;
    }
    return 0;
}

void client_close(client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

void client_send(client_t *c, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        data += w;
        n -= (size_t)w;
    }
}

void client_sendf(client_t *c, const char *fmt, ...)
{
    char req[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(req, sizeof req, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof req);
    client_send(c, req, (size_t)n);
}

/* Waits up to timeout_ms for more bytes. Returns bytes read, 0 on EOF,
 * -ETIMEDOUT, or -errno (e.g. -ECONNRESET). */
ssize_t client_fill(client_t *c, int timeout_ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    ssize_t r;

    if (c->cap - c->len < 4096) {
        c->cap = c->cap ? c->cap * 2 : 8192;
        c->buf = realloc(c->buf, c->cap);
        assert_non_null(c->buf);
    }
    r = poll(&p, 1, timeout_ms);
    if (r == 0)
        return -ETIMEDOUT;
    r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    if (r < 0)
        return -errno;
    c->len += (size_t)r;
    return r;
}

/* Reads one response. Returns its status, 0 on EOF before any byte, or a
 * negative errno. r->body must be freed by the caller (response_free). */
int client_read(client_t *c, response_t *r, int timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    char *end;
    size_t head_len, clen;
    const char *cl;

    memset(r, 0, sizeof *r);
    for (;;) {
        if (c->len) {
            c->buf[c->len] = '\0';
            end = strstr(c->buf, "\r\n\r\n");
            if (end) {
                head_len = (size_t)(end - c->buf) + 4;
                cl = strcasestr(c->buf, "\r\nContent-Length: ");
                assert_true(cl != NULL && cl < end);
                clen = strtoul(cl + 18, NULL, 10);
                if (c->len >= head_len + clen)
                    break;
            }
        }
        int left = (int)(deadline > now_ms() ? deadline - now_ms() : 0);
        ssize_t n = client_fill(c, left);
        if (n == 0)
            return c->len ? -EPROTO : 0;
        if (n < 0)
            return (int)n;
    }
    assert_true(head_len < sizeof r->head);
    memcpy(r->head, c->buf, head_len);
    r->head[head_len] = '\0';
    r->status = atoi(c->buf + 9);
    r->body = malloc(clen + 1);
    assert_non_null(r->body);
    memcpy(r->body, c->buf + head_len, clen);
    r->body[clen] = '\0';
    r->body_len = clen;
    memmove(c->buf, c->buf + head_len + clen, c->len - head_len - clen);
    c->len -= head_len + clen;
    return r->status;
}

void response_free(response_t *r)
{
    free(r->body);
    r->body = NULL;
}

/* After a "close" answer the server must close: EOF (not a reset). */
void assert_closed_by_server(client_t *c)
{
    ssize_t n;
    do
        n = client_fill(c, 3000);
    while (n > 0);
    assert_int_equal(n, 0);
}

char *expected_order(uint64_t seed, uint64_t id, int items)
{
    static order_t o;
    size_t cap = order_json_max(items) + 1;
    char *buf = malloc(cap);

    assert_non_null(buf);
    order_generate(seed, id, items, &o);
    assert_true(order_to_json(&o, buf, cap) < cap);
    return buf;
}

/* One request on a fresh connection; returns the status, body in r. */
int get_once(int port, const char *method, const char *path, response_t *r)
{
    client_t c;
    int st;

    assert_int_equal(client_connect(&c, port), 0);
    client_sendf(&c, "%s %s HTTP/1.1\r\nHost: t\r\n\r\n", method, path);
    st = client_read(&c, r, 5000);
    client_close(&c);
    return st;
}

json_t *get_stats(int port)
{
    response_t r;
    json_t *j;

    assert_int_equal(get_once(port, "GET", "/__stats", &r), 200);
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    response_free(&r);
    return j;
}

json_int_t stat_int(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    if (!v || !json_is_integer(v))
        fail_msg("/__stats has no integer '%s'", key);
    return json_integer_value(v);
}

long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* Sends snd->buf with blocking writes; runs beside a reader. */
void *sender_main(void *arg)
{
    struct sender *snd = arg;
    while (snd->sent < snd->len) {
        ssize_t w = send(snd->c->fd, snd->buf + snd->sent, snd->len - snd->sent, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        snd->sent += (size_t)w;
    }
    return NULL;
}

/* A later request whose latency is shorter still waits for the earlier one. */

void burst(int port, int n, int *ok, int *throttled)
{
    client_t *cs = calloc((size_t)n, sizeof *cs);
    response_t r;

    assert_non_null(cs);
    *ok = *throttled = 0;
    for (int i = 0; i < n; i++)
        assert_int_equal(client_connect(&cs[i], port), 0);
    for (int i = 0; i < n; i++)
        client_sendf(&cs[i], "GET /orders/%d HTTP/1.1\r\n\r\n", i + 1);
    for (int i = 0; i < n; i++) {
        int st = client_read(&cs[i], &r, 5000);
        if (st == 429) {
            assert_non_null(strstr(r.head, "Retry-After: 1\r\n"));
            (*throttled)++;
        } else {
            assert_int_equal(st, 200);
            (*ok)++;
        }
        response_free(&r);
        client_close(&cs[i]);
    }
    free(cs);
}

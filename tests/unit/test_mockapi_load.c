/* End-to-end tests of the real mockapi binary (path in argv[1]) under
 * concurrency: pipelining, throttling, 2,000 connections, --threads. */
#include <errno.h>
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/fdlimit.h"
#include "mock_server/faults.h"
#include "tests/lib/mockapi_client.h"

static void test_pipelining_in_order(void **state)
{
    static const char *const args[] = {
        "--latency-dist", "uniform", "--latency-min-ms", "0", "--latency-max-ms", "400", NULL};
    latency_cfg_t lc = {.dist = LATENCY_UNIFORM, .min_ms = 0, .max_ms = 400};
    server_t *s = server_new(state, args);
    uint64_t slow = 0, fast = 0;
    client_t c;
    response_t r;
    uint64_t t0, t1;
    char req[4096];
    size_t n = 0;

    for (uint64_t id = 1; id < 1000 && (!slow || !fast); id++) {
        double ms = faults_latency_ms(&lc, 42, id, 0);
        if (!slow && ms > 300)
            slow = id;
        else if (!fast && ms < 20)
            fast = id;
    }
    assert_true(slow && fast);
    assert_int_equal(client_connect(&c, s->port), 0);
    t0 = now_ms();
    client_sendf(&c, "GET /orders/%llu HTTP/1.1\r\n\r\nGET /orders/%llu HTTP/1.1\r\n\r\n",
                 (unsigned long long)slow, (unsigned long long)fast);
    assert_int_equal(client_read(&c, &r, 5000), 200);
    t1 = now_ms();
    assert_true(strstr(r.body, "\"id\":") &&
                strtoull(strstr(r.body, "\"id\":") + 5, NULL, 10) == slow);
    assert_true(t1 - t0 >= 295);
    response_free(&r);
    assert_int_equal(client_read(&c, &r, 5000), 200);
    assert_true(strtoull(strstr(r.body, "\"id\":") + 5, NULL, 10) == fast);
    response_free(&r);

    /* 60 pipelined requests in one write come back complete and in order. */
    for (int i = 1; i <= 60; i++)
        n += (size_t)snprintf(req + n, sizeof req - n, "GET /orders/%d HTTP/1.1\r\n\r\n", i);
    client_send(&c, req, n);
    for (int i = 1; i <= 60; i++) {
        char *want = expected_order(42, (uint64_t)i, 10);
        assert_int_equal(client_read(&c, &r, 5000), 200);
        assert_string_equal(r.body, want);
        free(want);
        response_free(&r);
    }

    /* 2,000 pipelined requests, about 200 KB: more than one read and more
     * than the server queues per connection, so it must stop reading and
     * resume. A thread sends while this one reads, as a real pipelining
     * client must. All come back, in order. */
    {
        struct sender snd = {.c = &c};
        pthread_t th;
        snd.buf = malloc(2000 * 128);
        assert_non_null(snd.buf);
        for (int i = 1; i <= 2000; i++)
            snd.len += (size_t)snprintf(snd.buf + snd.len, 128,
                                        "GET /orders/%d HTTP/1.1\r\nX-Pad: %060d\r\n\r\n", i, i);
        assert_int_equal(pthread_create(&th, NULL, sender_main, &snd), 0);
        for (int i = 1; i <= 2000; i++) {
            assert_int_equal(client_read(&c, &r, 5000), 200);
            assert_int_equal(strtoull(strstr(r.body, "\"id\":") + 5, NULL, 10), i);
            response_free(&r);
        }
        pthread_join(th, NULL);
        assert_int_equal(snd.sent, snd.len);
        free(snd.buf);
    }
    client_close(&c);
}

/* Opens n connections and sends GET /orders/1 on each at once; returns the
 * number of 200s and of 429s (each 429 must carry Retry-After: 1). */

static void test_max_inflight(void **state)
{
    static const char *const args[] = {"--latency-ms", "600", "--max-inflight", "5", NULL};
    server_t *s = server_new(state, args);
    int ok, thr;
    json_t *j;

    burst(s->port, 5, &ok, &thr); /* at the limit: nothing throttled */
    assert_int_equal(ok, 5);
    assert_int_equal(thr, 0);
    burst(s->port, 8, &ok, &thr); /* over it: exactly the excess */
    assert_int_equal(ok, 5);
    assert_int_equal(thr, 3);
    j = get_stats(s->port);
    assert_int_equal(stat_int(j, "throttled"), 3);
    assert_int_equal(stat_int(j, "peak_inflight"), 5);
    assert_int_equal(stat_int(j, "served"), 10);
    json_decref(j);
}

static void test_rate_limit(void **state)
{
    static const char *const args[] = {"--rate", "2", "--burst", "4", NULL};
    server_t *s = server_new(state, args);
    int ok, thr;

    /* 20 at once: the bucket of 4 gets through (5 if sending took 0.5 s). */
    burst(s->port, 20, &ok, &thr);
    assert_true(ok >= 4 && ok <= 5);
    assert_int_equal(ok + thr, 20);
    usleep(1100 * 1000); /* two tokens back at 2/s */
    burst(s->port, 5, &ok, &thr);
    assert_true(ok >= 2 && ok <= 3);
}

#define MANY 2000

/* 2,000 keep-alive connections open at once, each with a request waiting in
 * its latency timer at the same time; two rounds on the same sockets. */
static void test_many_connections(void **state)
{
    static const char *const args[] = {"--latency-ms", "300", NULL};
    server_t *s = server_new(state, args);
    client_t *cs = calloc(MANY, sizeof *cs);
    char *want = expected_order(42, 77, 10);
    long rss0, rss1;
    json_t *j;

    assert_non_null(cs);
    rss0 = rss_kib(s->pid);
    for (int i = 0; i < MANY; i++)
        assert_int_equal(client_connect(&cs[i], s->port), 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < MANY; i++)
            client_sendf(&cs[i], "GET /orders/77 HTTP/1.1\r\nHost: t\r\n\r\n");
        for (int i = 0; i < MANY; i++) {
            response_t r;
            assert_int_equal(client_read(&cs[i], &r, 10000), 200);
            assert_string_equal(r.body, want);
            response_free(&r);
        }
    }
    rss1 = rss_kib(s->pid);
    j = get_stats(s->port);
    assert_true(stat_int(j, "peak_connections") >= MANY);
    assert_int_equal(stat_int(j, "connections"), MANY + 1);
    assert_int_equal(stat_int(j, "served"), 2 * MANY);
    /* All 2,000 were sent within the 300 ms latency, so nearly all overlap. */
    assert_true(stat_int(j, "peak_inflight") >= MANY * 3 / 4);
    assert_int_equal(stat_int(j, "accept_errors"), 0);
    /* The timers fire close to on time: answers leave well within a second
     * of their due time even with 2,000 due together (a design that waits
     * serially would be minutes late). The bound is loose because a loaded
     * machine can starve the server of CPU for a while. */
    if (stat_int(json_object_get(j, "late_ms"), "p99") > 1000)
        fail_msg("answers were late: late_ms.p99 = %lld ms",
                 (long long)stat_int(json_object_get(j, "late_ms"), "p99"));
    json_decref(j);
    /* Small per-connection memory: well under 8 KiB each. */
    if (rss1 - rss0 > MANY * 8L)
        fail_msg("RSS grew by %ld KiB for %d connections", rss1 - rss0, MANY);
    for (int i = 0; i < MANY; i++)
        client_close(&cs[i]);
    free(cs);
    free(want);
}

static void test_threads(void **state)
{
    static const char *const args[] = {"--threads", "2", NULL};
    server_t *s = server_new(state, args);
    int ok, thr;
    json_t *j;

    burst(s->port, 200, &ok, &thr);
    assert_int_equal(ok, 200);
    j = get_stats(s->port);
    assert_int_equal(stat_int(j, "served"), 200);
    assert_int_equal(stat_int(j, "connections_total"), 201);
    json_decref(j);
}

/* Past the open-file limit connections are refused (reset), counted, logged
 * once; the server keeps serving. */
static void test_fd_limit(void **state)
{
    static const char *const args[] = {"--latency-ms", "100", NULL};
    static const char req[] = "GET /orders/1 HTTP/1.1\r\n\r\n";
    char errpath[] = "/tmp/test_mockapi_fdXXXXXX";
    server_t *s = calloc(1, sizeof *s);
    client_t cs[150];
    int ok = 0, refused = 0, fd;
    response_t r;
    char text[4096] = "";
    FILE *f;
    json_t *j;

    assert_non_null(s);
    *state = s;
    fd = mkstemp(errpath);
    assert_true(fd >= 0);
    close(fd);
    s->nofile = 128; /* leaves 128 - 64 = 64 for connections */
    s->stderr_path = errpath;
    server_start(s, args);
    for (int i = 0; i < 150; i++)
        assert_int_equal(client_connect(&cs[i], s->port), 0);
    /* A refused connection may already be reset: its failure shows on read. */
    for (int i = 0; i < 150; i++)
        (void)send(cs[i].fd, req, strlen(req), MSG_NOSIGNAL);
    for (int i = 0; i < 150; i++) {
        int st = client_read(&cs[i], &r, 5000);
        if (st == 200) {
            ok++;
            response_free(&r);
        } else {
            assert_true(st == 0 || st == -ECONNRESET || st == -EPIPE);
            refused++;
        }
    }
    assert_int_equal(ok, 64);
    assert_int_equal(refused, 86);
    for (int i = 0; i < 150; i++)
        client_close(&cs[i]);
    usleep(100 * 1000);
    j = get_stats(s->port); /* and still serving */
    assert_int_equal(stat_int(j, "accept_errors"), 86);
    assert_int_equal(stat_int(j, "served"), 64);
    assert_int_equal(stat_int(json_object_get(j, "responses"), "400"), 0);
    json_decref(j);
    assert_int_equal(get_once(s->port, "GET", "/orders/2", &r), 200);
    response_free(&r);
    f = fopen(errpath, "r");
    assert_non_null(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    unlink(errpath);
    /* One line about the limit, one about refusing; nothing else. */
    assert_non_null(strstr(text, "refusing connections"));
    assert_null(strstr(strstr(text, "refusing connections") + 1, "refusing connections"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_pipelining_in_order, server_teardown),
        cmocka_unit_test_teardown(test_max_inflight, server_teardown),
        cmocka_unit_test_teardown(test_rate_limit, server_teardown),
        cmocka_unit_test_teardown(test_many_connections, server_teardown),
        cmocka_unit_test_teardown(test_threads, server_teardown),
        cmocka_unit_test_teardown(test_fd_limit, server_teardown),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH-TO-MOCKAPI\n", argv[0]);
        return 2;
    }
    mockapi_path = argv[1];
    signal(SIGPIPE, SIG_IGN);
    fdlimit_raise(0); /* the test's own client sockets */
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* End-to-end tests of the real mockapi binary (path in argv[1]): HTTP
 * behaviour, stats, faults. Each test starts its own server with --port 0,
 * talks raw HTTP/1.1 over sockets and stops it with SIGTERM, asserting a
 * prompt exit 0. Expected bodies and fault decisions are recomputed with the
 * generator and decision functions the server uses. */
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

static void test_orders_match_generator(void **state)
{
    static const char *const args[] = {"--seed", "7", "--items", "3", NULL};
    server_t *s = server_new(state, args);
    client_t c;
    response_t r;

    assert_int_equal(client_connect(&c, s->port), 0);
    /* 50 requests on one keep-alive connection. */
    for (uint64_t id = 1; id <= 50; id++) {
        char *want = expected_order(7, id * 7919, 3);
        client_sendf(&c, "GET /orders/%llu HTTP/1.1\r\nHost: t\r\n\r\n",
                     (unsigned long long)(id * 7919));
        assert_int_equal(client_read(&c, &r, 5000), 200);
        assert_string_equal(r.body, want);
        assert_non_null(strstr(r.head, "Content-Type: application/json\r\n"));
        assert_null(strstr(r.head, "Connection: close"));
        free(want);
        response_free(&r);
    }
    client_close(&c);

    assert_int_equal(get_once(s->port, "GET", "/orders/0", &r), 404);
    response_free(&r);
    assert_int_equal(get_once(s->port, "GET", "/orders/abc", &r), 404);
    response_free(&r);
    assert_int_equal(get_once(s->port, "GET", "/orders/10000001", &r), 404); /* > --max-id */
    response_free(&r);
    assert_int_equal(get_once(s->port, "GET", "/orders/1/x", &r), 404);
    response_free(&r);
    assert_int_equal(get_once(s->port, "GET", "/nope", &r), 404);
    response_free(&r);
    assert_int_equal(get_once(s->port, "DELETE", "/orders/1", &r), 405);
    assert_non_null(strstr(r.head, "Allow: GET, HEAD\r\n"));
    response_free(&r);
    assert_int_equal(get_once(s->port, "GET", "/orders/5?trace=1", &r), 200);
    response_free(&r);

    /* HEAD is GET without the body: a 200 with the body's length and
     * nothing after the blank line; the connection stays usable. */
    assert_int_equal(client_connect(&c, s->port), 0);
    client_sendf(&c, "HEAD /orders/1 HTTP/1.1\r\n\r\n");
    while (!c.len || !strstr(c.buf, "\r\n\r\n"))
        assert_true(client_fill(&c, 3000) > 0);
    assert_int_equal(strncmp(c.buf, "HTTP/1.1 200 ", 13), 0);
    assert_non_null(strstr(c.buf, "Content-Length: "));
    assert_null(strstr(c.buf, "Content-Length: 0\r\n"));
    assert_ptr_equal(strstr(c.buf, "\r\n\r\n") + 4, c.buf + c.len);
    assert_int_equal(client_fill(&c, 100), -ETIMEDOUT);
    c.len = 0;
    client_sendf(&c, "GET /orders/1 HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&c, &r, 5000), 200);
    response_free(&r);
    client_close(&c);
}

static void test_stats_and_reset(void **state)
{
    static const char *const args[] = {"--fail-rate", "0.5", NULL};
    static const char *const keys[] = {"served",           "throttled",   "peak_inflight",
                                       "peak_connections", "connections", "inflight",
                                       "requests",         NULL};
    fault_cfg_t f = {.fail_rate = 0.5};
    server_t *s = server_new(state, args);
    response_t r;
    json_t *j;
    int want_served = 0, want_503 = 0;

    /* Attempts 0..9 of id 3 follow faults_decide(seed 42, id 3, attempt). */
    for (uint32_t a = 0; a < 10; a++) {
        int want = faults_decide(&f, 42, 3, a) == FAULT_FAIL ? 503 : 200;
        assert_int_equal(get_once(s->port, "GET", "/orders/3", &r), want);
        want_served += want == 200;
        want_503 += want == 503;
        response_free(&r);
    }
    assert_true(want_served > 0 && want_503 > 0); /* both kinds exercised */
    j = get_stats(s->port);
    for (int k = 0; keys[k]; k++)
        stat_int(j, keys[k]);
    assert_int_equal(stat_int(j, "served"), want_served);
    assert_int_equal(stat_int(json_object_get(j, "faults"), "fail"), want_503);
    assert_int_equal(stat_int(json_object_get(j, "responses"), "503"), want_503);
    assert_int_equal(stat_int(j, "inflight"), 0);
    assert_int_equal(stat_int(j, "peak_inflight"), 1);
    assert_true(json_is_number(json_object_get(j, "cpu_user_s")));
    assert_true(json_is_number(json_object_get(j, "cpu_sys_s")));
    assert_true(json_is_array(json_object_get(j, "per_second")));
    json_decref(j);

    assert_int_equal(get_once(s->port, "POST", "/__reset", &r), 200);
    assert_string_equal(r.body, "{\"reset\":true}");
    response_free(&r);
    j = get_stats(s->port);
    assert_int_equal(stat_int(j, "served"), 0);
    assert_int_equal(stat_int(json_object_get(j, "faults"), "fail"), 0);
    json_decref(j);
    /* Attempt counters restart: the first request of id 3 is attempt 0 again. */
    assert_int_equal(get_once(s->port, "GET", "/orders/3", &r),
                     faults_decide(&f, 42, 3, 0) == FAULT_FAIL ? 503 : 200);
    response_free(&r);
    assert_int_equal(get_once(s->port, "GET", "/__reset", &r), 405);
    response_free(&r);
}

static void test_bad_requests(void **state)
{
    static const char *const bad[] = {
        "garbage garbage garbage\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /orders/1 HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET /orders/1 HTTP/2.0\r\n\r\n",
    };
    server_t *s = server_new(state, NULL);
    client_t c;
    response_t r;
    char *big;
    json_t *j;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(client_connect(&c, s->port), 0);
        client_send(&c, bad[i], strlen(bad[i]));
        assert_int_equal(client_read(&c, &r, 5000), 400);
        assert_non_null(strstr(r.head, "Connection: close\r\n"));
        response_free(&r);
        assert_closed_by_server(&c);
        client_close(&c);
    }
    /* A 9 KiB header block. */
    big = malloc(9300);
    assert_non_null(big);
    strcpy(big, "GET /orders/1 HTTP/1.1\r\nX-Big: ");
    memset(big + strlen(big), 'a', 9200);
    strcpy(big + 9200, "\r\n\r\n");
    assert_int_equal(client_connect(&c, s->port), 0);
    client_send(&c, big, strlen(big));
    assert_int_equal(client_read(&c, &r, 5000), 400);
    response_free(&r);
    assert_closed_by_server(&c);
    client_close(&c);
    free(big);
    /* A body over the limit. */
    assert_int_equal(client_connect(&c, s->port), 0);
    client_sendf(&c, "POST /__reset HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n");
    assert_int_equal(client_read(&c, &r, 5000), 413);
    response_free(&r);
    client_close(&c);
    /* A good request before a bad one on the same connection is answered first. */
    assert_int_equal(client_connect(&c, s->port), 0);
    client_sendf(&c, "GET /orders/9 HTTP/1.1\r\n\r\nBAD\x01 / HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&c, &r, 5000), 200);
    response_free(&r);
    assert_int_equal(client_read(&c, &r, 5000), 400);
    response_free(&r);
    assert_closed_by_server(&c);
    client_close(&c);
    /* Still serving. */
    assert_int_equal(get_once(s->port, "GET", "/orders/1", &r), 200);
    response_free(&r);
    j = get_stats(s->port);
    assert_int_equal(stat_int(json_object_get(j, "responses"), "400"), 7);
    json_decref(j);
}

static void test_connection_close_and_http10(void **state)
{
    server_t *s = server_new(state, NULL);
    client_t c;
    response_t r;

    assert_int_equal(client_connect(&c, s->port), 0);
    client_sendf(&c, "GET /orders/1 HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_int_equal(client_read(&c, &r, 5000), 200);
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    response_free(&r);
    assert_closed_by_server(&c);
    client_close(&c);

    assert_int_equal(client_connect(&c, s->port), 0);
    client_sendf(&c, "GET /orders/1 HTTP/1.0\r\n\r\n");
    assert_int_equal(client_read(&c, &r, 5000), 200);
    response_free(&r);
    assert_closed_by_server(&c);
    client_close(&c);

    assert_int_equal(client_connect(&c, s->port), 0);
    for (int i = 0; i < 3; i++) {
        client_sendf(&c, "GET /orders/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert_int_equal(client_read(&c, &r, 5000), 200);
        assert_non_null(strstr(r.head, "Connection: keep-alive\r\n"));
        response_free(&r);
    }
    client_close(&c);
}

static void test_header_timeout(void **state)
{
    static const char *const args[] = {"--header-timeout-ms", "300", NULL};
    server_t *s = server_new(state, args);
    client_t slow, idle;
    response_t r;
    uint64_t t0;

    assert_int_equal(client_connect(&slow, s->port), 0);
    assert_int_equal(client_connect(&idle, s->port), 0);
    t0 = now_ms();
    client_sendf(&slow, "GET /orders/1 HTTP/1.1\r\nHost: t\r\n");
    usleep(150 * 1000);
    client_sendf(&slow, "X-Drip: 1\r\n"); /* trickling does not extend the deadline */
    assert_int_equal(client_read(&slow, &r, 3000), 408);
    assert_true(now_ms() - t0 >= 290 && now_ms() - t0 < 2000);
    response_free(&r);
    assert_closed_by_server(&slow);
    client_close(&slow);
    /* A connection idle between requests is left alone. */
    client_sendf(&idle, "GET /orders/2 HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&idle, &r, 3000), 200);
    response_free(&r);
    client_close(&idle);
}

/* --idle-timeout-ms: a connection that sends nothing, or keeps still after
 * its answers, is closed after it; one waiting for its answer is not. */
static void test_idle_timeout(void **state)
{
    static const char *const args[] = {"--idle-timeout-ms", "300", "--latency-ms", "800", NULL};
    server_t *s = server_new(state, args);
    client_t mute, done, waiting;
    response_t r;
    uint64_t t0;

    assert_int_equal(client_connect(&mute, s->port), 0);
    assert_int_equal(client_connect(&waiting, s->port), 0);
    t0 = now_ms();
    client_sendf(&waiting, "GET /orders/3 HTTP/1.1\r\n\r\n");
    assert_closed_by_server(&mute);
    assert_true(now_ms() - t0 >= 290 && now_ms() - t0 < 2000);
    client_close(&mute);
    /* Its answer is due at 800 ms, past the idle timeout: it arrives. */
    assert_int_equal(client_read(&waiting, &r, 3000), 200);
    response_free(&r);
    assert_closed_by_server(&waiting); /* and then it is idle */
    client_close(&waiting);
    assert_int_equal(client_connect(&done, s->port), 0);
    client_sendf(&done, "GET /orders/4 HTTP/1.1\r\n\r\n");
    assert_int_equal(client_read(&done, &r, 3000), 200);
    response_free(&r);
    t0 = now_ms();
    assert_closed_by_server(&done);
    assert_true(now_ms() - t0 >= 250);
    client_close(&done);
}

/* Faults follow faults_decide(seed 42, id, 0) exactly, request by request. */
static void test_faults_deterministic(void **state)
{
    static const char *const args[] = {"--fail-rate", "0.2", "--reset-rate",    "0.15",
                                       "--hang-rate", "0.1", "--bad-body-rate", "0.2",
                                       NULL};
    fault_cfg_t f = {.fail_rate = 0.2, .reset_rate = 0.15, .hang_rate = 0.1, .bad_body_rate = 0.2};
    server_t *s = server_new(state, args);
    int seen[FAULT_KINDS] = {0};
    client_t hung[64];
    int nhung = 0;
    json_t *j;

    for (uint64_t id = 1; id <= 60; id++) {
        fault_kind_t k = faults_decide(&f, 42, id, 0);
        client_t c;
        response_t r;
        int st;

        seen[k]++;
        assert_int_equal(client_connect(&c, s->port), 0);
        client_sendf(&c, "GET /orders/%llu HTTP/1.1\r\n\r\n", (unsigned long long)id);
        switch (k) {
        case FAULT_NONE:
        case FAULT_BAD_BODY: {
            char *want = expected_order(42, id, 10);
            json_t *parsed;
            assert_int_equal(client_read(&c, &r, 5000), 200);
            parsed = json_loadb(r.body, r.body_len, 0, NULL);
            if (k == FAULT_NONE) {
                assert_string_equal(r.body, want);
                assert_non_null(parsed);
            } else {
                assert_string_not_equal(r.body, want);
                assert_null(parsed); /* not JSON at all */
            }
            json_decref(parsed);
            free(want);
            response_free(&r);
            break;
        }
        case FAULT_FAIL:
            assert_int_equal(client_read(&c, &r, 5000), 503);
            response_free(&r);
            break;
        case FAULT_RESET:
            st = client_read(&c, &r, 5000);
            assert_int_equal(st, -ECONNRESET);
            break;
        case FAULT_HANG:
            st = client_read(&c, &r, 150);
            assert_int_equal(st, -ETIMEDOUT);
            hung[nhung++] = c; /* still open; closed below */
            continue;
        default:
            fail();
        }
        client_close(&c);
    }
    for (int k = 0; k < FAULT_KINDS; k++)
        assert_true(seen[k] > 0);
    j = get_stats(s->port);
    assert_int_equal(stat_int(json_object_get(j, "faults"), "fail"), seen[FAULT_FAIL]);
    assert_int_equal(stat_int(json_object_get(j, "faults"), "reset"), seen[FAULT_RESET]);
    assert_int_equal(stat_int(json_object_get(j, "faults"), "hang"), seen[FAULT_HANG]);
    assert_int_equal(stat_int(json_object_get(j, "faults"), "bad_body"), seen[FAULT_BAD_BODY]);
    assert_int_equal(stat_int(j, "inflight"), nhung); /* hung requests wait forever */
    assert_int_equal(stat_int(j, "connections"), nhung + 1);
    json_decref(j);
    for (int i = 0; i < nhung; i++)
        client_close(&hung[i]);
    usleep(100 * 1000);
    j = get_stats(s->port);
    assert_int_equal(stat_int(j, "inflight"), 0);
    assert_int_equal(stat_int(j, "connections"), 1);
    json_decref(j);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_orders_match_generator, server_teardown),
        cmocka_unit_test_teardown(test_stats_and_reset, server_teardown),
        cmocka_unit_test_teardown(test_bad_requests, server_teardown),
        cmocka_unit_test_teardown(test_connection_close_and_http10, server_teardown),
        cmocka_unit_test_teardown(test_header_timeout, server_teardown),
        cmocka_unit_test_teardown(test_idle_timeout, server_teardown),
        cmocka_unit_test_teardown(test_faults_deterministic, server_teardown),
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

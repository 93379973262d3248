/* Unit tests of mockapi's HTTP request-head parser (mock_server/http_parser.c)
 * and of the request framing conn.c runs every read through
 * (mock_server/http_framing.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mock_server/http_framing.h"
#include "mock_server/http_parser.h"

/* Parses one complete head from s in a single call. */
static int parse_all(const char *s, size_t len, http_request_t *req)
{
    http_parser_t p;
    http_parser_init(&p);
    return http_parser_execute(&p, s, len, req);
}

static void assert_target(const http_request_t *req, const char *target)
{
    assert_int_equal(req->target_len, strlen(target));
    assert_memory_equal(req->target, target, strlen(target));
}

static void assert_method(const http_request_t *req, const char *method)
{
    assert_int_equal(req->method_len, strlen(method));
    assert_memory_equal(req->method, method, strlen(method));
}

static void test_simple_get(void **state)
{
    const char *s = "GET /orders/17 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: t\r\n\r\n";
    http_request_t req;

    (void)state;
    assert_int_equal(parse_all(s, strlen(s), &req), (int)strlen(s));
    assert_method(&req, "GET");
    assert_target(&req, "/orders/17");
    assert_int_equal(req.version_minor, 1);
    assert_true(req.keep_alive);
    assert_int_equal(req.content_length, 0);
    assert_false(req.expect_continue);
}

static void test_incomplete_then_complete(void **state)
{
    const char *s = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    http_parser_t p;
    http_request_t req;
    size_t n = strlen(s);

    (void)state;
    http_parser_init(&p);
    assert_int_equal(http_parser_execute(&p, s, n - 1, &req), 0);
    assert_true(http_parser_in_head(&p));
    assert_int_equal(http_parser_execute(&p, s, n, &req), (int)n);
    assert_false(http_parser_in_head(&p));
}

static void test_pipelined_two(void **state)
{
    const char *s = "GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    "POST /__reset HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /orders/2 HTTP/1.1\r\n\r\n";
    http_parser_t p;
    http_request_t req;
    size_t off = 0, n = strlen(s);
    int r;

    (void)state;
    http_parser_init(&p);
    r = http_parser_execute(&p, s, n, &req);
    assert_true(r > 0);
    assert_target(&req, "/orders/1");
    off += (size_t)r;
    r = http_parser_execute(&p, s + off, n - off, &req);
    assert_true(r > 0);
    assert_method(&req, "POST");
    assert_target(&req, "/__reset");
    assert_int_equal(req.content_length, 3);
    off += (size_t)r + req.content_length; /* the caller skips the body */
    r = http_parser_execute(&p, s + off, n - off, &req);
    assert_int_equal(r, (int)(n - off));
    assert_target(&req, "/orders/2");
}

/* Feeds s to the parser the way a connection would: the buffer grows by
 * `step` bytes at a time, a completed head is cut off the front and its body
 * skipped. Records each completed request's target, joined with '|'. Returns
 * the first error, or 0. */
static int feed_chunked(const char *s, size_t n, size_t step, char *targets, size_t cap)
{
    http_parser_t p;
    http_request_t req;
    size_t start = 0, avail = 0;

    http_parser_init(&p);
    targets[0] = '\0';
    while (start < n) {
        int r;
        if (avail < n)
            avail = avail + step > n ? n : avail + step;
        r = http_parser_execute(&p, s + start, avail - start, &req);
        if (r < 0)
            return r;
        if (r == 0) {
            if (avail == n)
                return 0; /* incomplete tail */
            continue;
        }
        strncat(targets, req.target,
                req.target_len < cap - strlen(targets) - 2 ? req.target_len
                                                           : cap - strlen(targets) - 2);
        strcat(targets, "|");
        start += (size_t)r + req.content_length;
        if (start > avail)
            avail = start > n ? n : start;
    }
    return 0;
}

static void test_byte_by_byte(void **state)
{
    const char *s = "GET /orders/5 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
                    "POST /__reset HTTP/1.1\r\ncontent-length: 4\r\n\r\nbody"
                    "GET /orders/6?x=1 HTTP/1.0\r\n\r\n";
    char a[256], b[256];

    (void)state;
    assert_int_equal(feed_chunked(s, strlen(s), strlen(s), a, sizeof a), 0);
    assert_string_equal(a, "/orders/5|/__reset|/orders/6?x=1|");
    for (size_t step = 1; step <= 7; step++) {
        assert_int_equal(feed_chunked(s, strlen(s), step, b, sizeof b), 0);
        assert_string_equal(a, b);
    }
}

static void test_headers_case_insensitive(void **state)
{
    http_request_t req;
    const char *s1 = "GET / HTTP/1.1\r\nconnection: CLOSE\r\n\r\n";
    const char *s2 = "POST / HTTP/1.1\r\nCONTENT-LENGTH: 42\r\n\r\n";
    const char *s3 = "GET / HTTP/1.1\r\nCoNnEcTiOn: Upgrade, Close \r\n\r\n";
    const char *s4 = "GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n";
    const char *s5 = "POST / HTTP/1.1\r\nexpect: 100-Continue\r\nContent-Length:7\r\n\r\n";

    (void)state;
    assert_true(parse_all(s1, strlen(s1), &req) > 0);
    assert_false(req.keep_alive);
    assert_true(parse_all(s2, strlen(s2), &req) > 0);
    assert_int_equal(req.content_length, 42);
    assert_true(req.keep_alive);
    assert_true(parse_all(s3, strlen(s3), &req) > 0);
    assert_false(req.keep_alive);
    assert_true(parse_all(s4, strlen(s4), &req) > 0);
    assert_true(req.keep_alive);
    assert_true(parse_all(s5, strlen(s5), &req) > 0);
    assert_true(req.expect_continue);
    assert_int_equal(req.content_length, 7);
}

static void test_http10(void **state)
{
    http_request_t req;
    const char *s1 = "GET /orders/1 HTTP/1.0\r\n\r\n";
    const char *s2 = "GET /orders/1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    const char *s3 = "GET /orders/1 HTTP/1.0\n\n"; /* bare LF line ends */

    (void)state;
    assert_int_equal(parse_all(s1, strlen(s1), &req), (int)strlen(s1));
    assert_int_equal(req.version_minor, 0);
    assert_false(req.keep_alive);
    assert_true(parse_all(s2, strlen(s2), &req) > 0);
    assert_true(req.keep_alive);
    assert_int_equal(parse_all(s3, strlen(s3), &req), (int)strlen(s3));
    assert_false(req.keep_alive);
}

static void test_leading_empty_lines(void **state)
{
    http_request_t req;
    const char *s = "\r\n\r\nGET /a HTTP/1.1\r\n\r\n";

    (void)state;
    assert_int_equal(parse_all(s, strlen(s), &req), (int)strlen(s));
    assert_method(&req, "GET");
    assert_target(&req, "/a");
}

static void test_malformed_request_line(void **state)
{
    static const struct {
        const char *s;
        int err;
    } cases[] = {
        {"GET /x\r\n\r\n", HTTP_PARSE_ETARGET}, /* HTTP/0.9 style */
        {"GET  / HTTP/1.1\r\n\r\n", HTTP_PARSE_ETARGET},
        {"G@T / HTTP/1.1\r\n\r\n", HTTP_PARSE_EMETHOD},
        {" GET / HTTP/1.1\r\n\r\n", HTTP_PARSE_EMETHOD},
        {"GET / HTTP/2.0\r\n\r\n", HTTP_PARSE_EVERSION},
        {"GET / HTTP/1.1x\r\n\r\n", HTTP_PARSE_EVERSION},
        {"GET / http/1.1\r\n\r\n", HTTP_PARSE_EVERSION},
        {"GET / HTTP/1.1\rX\r\n\r\n", HTTP_PARSE_ELINE},
        {"GET /\x01 HTTP/1.1\r\n\r\n", HTTP_PARSE_ETARGET},
        {"AVERYVERYLONGMETHODNAME / HTTP/1.1\r\n\r\n", HTTP_PARSE_EMETHOD},
        {"GET / HTTP/1.1\r\n folded: x\r\n\r\n", HTTP_PARSE_EHEADER},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", HTTP_PARSE_EHEADER},
        {"GET / HTTP/1.1\r\nno-colon\r\n\r\n", HTTP_PARSE_EHEADER},
        {"GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", HTTP_PARSE_EHEADER},
        {"GET / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", HTTP_PARSE_ECONTENT_LENGTH},
        {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", HTTP_PARSE_ECONTENT_LENGTH},
        {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
         HTTP_PARSE_ECONTENT_LENGTH},
        {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
         HTTP_PARSE_EBODY_TOO_LARGE},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_PARSE_ETRANSFER_ENCODING},
    };
    http_request_t req;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int r = parse_all(cases[i].s, strlen(cases[i].s), &req);
        if (r != cases[i].err)
            fail_msg("case %zu (%s): got %d want %d", i, cases[i].s, r, cases[i].err);
        assert_non_null(http_parse_strerror(r));
    }
}

static void test_error_is_sticky(void **state)
{
    const char *bad = "G@T / HTTP/1.1\r\n\r\n";
    const char *good = "GET / HTTP/1.1\r\n\r\n";
    http_parser_t p;
    http_request_t req;

    (void)state;
    http_parser_init(&p);
    assert_int_equal(http_parser_execute(&p, bad, strlen(bad), &req), HTTP_PARSE_EMETHOD);
    assert_int_equal(http_parser_execute(&p, good, strlen(good), &req), HTTP_PARSE_EMETHOD);
    http_parser_init(&p);
    assert_true(http_parser_execute(&p, good, strlen(good), &req) > 0);
}

/* A head of exactly HTTP_HEAD_MAX bytes is accepted, one byte more is not,
 * and the error comes as soon as the limit is crossed, before any end. */
static void test_oversized_head(void **state)
{
    const char *line = "GET / HTTP/1.1\r\nX-Pad: ";
    char *buf = malloc(HTTP_HEAD_MAX + 64);
    size_t fixed = strlen(line) + 4; /* + "\r\n\r\n" */
    http_parser_t p;
    http_request_t req;

    (void)state;
    assert_non_null(buf);
    strcpy(buf, line);
    memset(buf + strlen(line), 'a', HTTP_HEAD_MAX - fixed);
    memcpy(buf + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
    assert_int_equal(parse_all(buf, HTTP_HEAD_MAX, &req), HTTP_HEAD_MAX);

    memset(buf + strlen(line), 'a', HTTP_HEAD_MAX + 1 - fixed);
    memcpy(buf + HTTP_HEAD_MAX - 3, "\r\n\r\n", 4);
    assert_int_equal(parse_all(buf, HTTP_HEAD_MAX + 1, &req), HTTP_PARSE_ETOO_LARGE);

    /* No terminator at all: refused once HTTP_HEAD_MAX bytes are in. */
    memset(buf + strlen(line), 'a', HTTP_HEAD_MAX);
    http_parser_init(&p);
    assert_int_equal(http_parser_execute(&p, buf, HTTP_HEAD_MAX - 1, &req), 0);
    assert_int_equal(http_parser_execute(&p, buf, HTTP_HEAD_MAX, &req), HTTP_PARSE_ETOO_LARGE);
    free(buf);
}

/* Garbage is refused within its first bytes, not after buffering 8 KiB. */
static void test_garbage(void **state)
{
    static const char tls_hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
    static const char zeros[16] = {0};
    const char *junk = "hello there, this is not http\r\n\r\n";
    http_request_t req;

    (void)state;
    assert_true(parse_all(tls_hello, sizeof tls_hello - 1, &req) < 0);
    assert_true(parse_all(zeros, sizeof zeros, &req) < 0);
    assert_true(parse_all(junk, strlen(junk), &req) < 0);
    /* "hello" and "there," pass as method and target; the version check
     * refuses the 't' of "this", the 14th byte, without waiting for more. */
    assert_int_equal(parse_all(junk, 13, &req), 0);
    assert_int_equal(parse_all(junk, 14, &req), HTTP_PARSE_EVERSION);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Mutated requests fed in random chunk sizes must give the same outcome as
 * one call with the whole buffer, and never read out of bounds (run it under
 * CONCBENCH_SANITIZE). */
static void test_fuzz_chunking_agrees(void **state)
{
    const char *seedreq = "GET /orders/123 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy"
                          "POST /__reset HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    size_t n = strlen(seedreq);
    uint64_t rng = 12345;
    char one[512], many[512];
    int complete = 0, errors = 0;

    (void)state;
    for (int iter = 0; iter < 20000; iter++) {
        char *buf = malloc(n);
        int mutations = (int)(rng_next(&rng) % 4);
        int r1, r2;

        assert_non_null(buf);
        memcpy(buf, seedreq, n);
        for (int m = 0; m < mutations; m++)
            buf[rng_next(&rng) % n] = (char)(rng_next(&rng) & 0xff);
        r1 = feed_chunked(buf, n, n, one, sizeof one);
        r2 = feed_chunked(buf, n, 1 + rng_next(&rng) % 9, many, sizeof many);
        assert_int_equal(r1, r2);
        if (r1 == 0)
            assert_string_equal(one, many);
        complete += r1 == 0;
        errors += r1 < 0;
        free(buf);
    }
    /* Both outcomes must have been exercised for the test to mean anything. */
    assert_true(complete > 1000);
    assert_true(errors > 1000);
}

/* ---- request framing (http_framing.c) ---- */

static void assert_frame(const http_frame_t *fr, const char *target, size_t head_len)
{
    assert_target(&fr->req, target);
    assert_int_equal(fr->head_len, head_len);
}

/* Three pipelined requests in one read give three frames, in order, parsed
 * in place (no copy), and nothing is left over. */
static void test_framer_pipelined_three(void **state)
{
    /* 35 bytes each: "GET /orders/N HTTP/1.1" (22) + CRLF + "Host: x" (7)
     * + CRLF + CRLF. */
    const char *s = "GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /orders/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                    "GET /orders/3 HTTP/1.1\r\nHost: x\r\n\r\n";
    http_framer_t f = {0};
    http_frame_t fr;

    (void)state;
    assert_int_equal(http_framer_begin(&f, s, 105), 0);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/orders/1", 35);
    assert_ptr_equal(fr.head, s);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/orders/2", 35);
    assert_ptr_equal(fr.head, s + 35);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/orders/3", 35);
    assert_ptr_equal(fr.head, s + 70);
    assert_int_equal(http_framer_next(&f, &fr), 0);
    assert_int_equal(http_framer_end(&f), 0);
    assert_false(http_framer_in_request(&f));
    http_framer_reset(&f);
}

/* A head split across two reads: the first read's bytes are kept (copied,
 * since the read buffer is reused) and the head completes on the second. */
static void test_framer_split_across_reads(void **state)
{
    char read1[32], read2[32];
    http_framer_t f = {0};
    http_frame_t fr;

    (void)state;
    /* "GET /orders/7 HTT" is 17 bytes; the rest, "P/1.1\r\nHost: x\r\n\r\n",
     * 18: one 35-byte head. */
    memcpy(read1, "GET /orders/7 HTT", 17);
    assert_int_equal(http_framer_begin(&f, read1, 17), 0);
    assert_int_equal(http_framer_next(&f, &fr), 0);
    assert_int_equal(http_framer_end(&f), 0);
    assert_true(http_framer_in_request(&f));
    memset(read1, 'X', sizeof read1); /* the loop reuses its read buffer */

    memcpy(read2, "P/1.1\r\nHost: x\r\n\r\n", 18);
    assert_int_equal(http_framer_begin(&f, read2, 18), 0);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/orders/7", 35);
    assert_memory_equal(fr.head, "GET /orders/7 HTTP/1.1\r\nHost: x\r\n\r\n", 35);
    assert_int_equal(fr.req.version_minor, 1);
    assert_int_equal(http_framer_next(&f, &fr), 0);
    assert_int_equal(http_framer_end(&f), 0);
    assert_false(http_framer_in_request(&f));
    http_framer_reset(&f);
}

/* A body split across reads is skipped, and the request after it framed:
 * the 5-byte body "hello" arrives as "he" + "llo". */
static void test_framer_body_skipped(void **state)
{
    /* "POST /__reset HTTP/1.1" (22) + CRLF + "Content-Length: 5" (17) + CRLF
     * + CRLF = 45. */
    const char *r1 = "POST /__reset HTTP/1.1\r\nContent-Length: 5\r\n\r\nhe";
    const char *r2 = "lloGET /orders/9 HTTP/1.0\r\n\r\n";
    http_framer_t f = {0};
    http_frame_t fr;

    (void)state;
    assert_int_equal(http_framer_begin(&f, r1, 47), 0);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/__reset", 45);
    assert_int_equal(fr.req.content_length, 5);
    assert_int_equal(http_framer_next(&f, &fr), 0);
    assert_int_equal(http_framer_end(&f), 0);
    assert_true(http_framer_in_request(&f)); /* 3 body bytes owed */

    /* "GET /orders/9 HTTP/1.0" (22) + CRLF + CRLF = 26, after "llo". */
    assert_int_equal(http_framer_begin(&f, r2, 29), 0);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/orders/9", 26);
    assert_ptr_equal(fr.head, r2 + 3);
    assert_false(fr.req.keep_alive);
    assert_int_equal(http_framer_next(&f, &fr), 0);
    assert_int_equal(http_framer_end(&f), 0);
    assert_false(http_framer_in_request(&f));
    http_framer_reset(&f);
}

/* A header that never ends is refused once the head passes HTTP_HEAD_MAX
 * bytes, however it is cut into reads, and answered 400; a declared body
 * above HTTP_BODY_MAX is answered 413. */
static void test_framer_oversized_header(void **state)
{
    const char *line = "GET / HTTP/1.1\r\nX-Pad: ";
    char read[1000];
    http_framer_t f = {0};
    http_frame_t fr;
    size_t fed = 0;
    int r = 0;

    (void)state;
    memset(read, 'a', sizeof read);
    memcpy(read, line, strlen(line));
    while (r == 0) {
        assert_int_equal(http_framer_begin(&f, read, sizeof read), 0);
        fed += sizeof read;
        r = http_framer_next(&f, &fr);
        if (r == 0) {
            assert_true(fed < HTTP_HEAD_MAX);
            assert_int_equal(http_framer_end(&f), 0);
            assert_true(http_framer_in_request(&f));
            memset(read, 'a', sizeof read); /* later reads: more of the value */
        }
    }
    /* 8 reads hold 8000 bytes, the 9th crosses 8192. */
    assert_int_equal(fed, 9000);
    assert_int_equal(r, HTTP_PARSE_ETOO_LARGE);
    assert_int_equal(http_framer_error_status(r), 400);
    http_framer_reset(&f);
    assert_false(http_framer_in_request(&f));

    {
        const char *big = "POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n";
        assert_int_equal(http_framer_begin(&f, big, strlen(big)), 0);
        r = http_framer_next(&f, &fr);
        assert_int_equal(r, HTTP_PARSE_EBODY_TOO_LARGE);
        assert_int_equal(http_framer_error_status(r), 413);
        http_framer_reset(&f);
    }
}

/* Garbage after a good request: the good one is framed, then an error that
 * stays (sticky) until reset, answered 400. */
static void test_framer_garbage(void **state)
{
    /* "GET /a HTTP/1.1" (15) + CRLF + CRLF = 19, then a TLS hello. */
    const char s[] = "GET /a HTTP/1.1\r\n\r\n\x16\x03\x01\x02\x00\x01";
    http_framer_t f = {0};
    http_frame_t fr;
    int r;

    (void)state;
    assert_int_equal(http_framer_begin(&f, s, sizeof s - 1), 0);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/a", 19);
    r = http_framer_next(&f, &fr);
    assert_int_equal(r, HTTP_PARSE_EMETHOD);
    assert_int_equal(http_framer_next(&f, &fr), HTTP_PARSE_EMETHOD);
    assert_int_equal(http_framer_error_status(r), 400);
    http_framer_reset(&f);

    /* After reset the framer is fresh. */
    assert_int_equal(http_framer_begin(&f, s, 19), 0);
    assert_int_equal(http_framer_next(&f, &fr), 1);
    assert_frame(&fr, "/a", 19);
    http_framer_reset(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_incomplete_then_complete),
        cmocka_unit_test(test_pipelined_two),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_headers_case_insensitive),
        cmocka_unit_test(test_http10),
        cmocka_unit_test(test_leading_empty_lines),
        cmocka_unit_test(test_malformed_request_line),
        cmocka_unit_test(test_error_is_sticky),
        cmocka_unit_test(test_oversized_head),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_fuzz_chunking_agrees),
        cmocka_unit_test(test_framer_pipelined_three),
        cmocka_unit_test(test_framer_split_across_reads),
        cmocka_unit_test(test_framer_body_skipped),
        cmocka_unit_test(test_framer_oversized_header),
        cmocka_unit_test(test_framer_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

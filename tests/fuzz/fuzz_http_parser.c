/* libFuzzer target: mockapi's incremental request-head parser
 * (mock_server/http_parser.c).
 *
 * The input is a byte stream a client might send on one connection. It is
 * parsed twice, the way mock_server/conn.c uses the parser:
 *   - whole: the entire stream in one buffer, head after head, bodies skipped;
 *   - in pieces: the stream cut into chunks (sizes drawn from a seed taken
 *     from the input's first byte), each chunk appended to the unparsed rest
 *     of the previous ones in a fresh exact-size heap buffer, so AddressSan-
 *     itizer sees any read past what was fed.
 * Both passes must report the same heads at the same stream offsets and end
 * the same way (same error, or waiting for more at the same offset): a parser
 * that resumes wrongly across calls disagrees with itself. Every head must
 * also satisfy what the header promises (see head_check). A violation
 * aborts, which libFuzzer reports as a crash with the input saved. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_server/http_parser.h"

/* The shortest valid head: "A / HTTP/1.0\n\n". */
#define FUZZ_MIN_HEAD 14
/* Heads remembered per pass; a longer stream compares the first ones. */
#define FUZZ_MAX_EVENTS 256

typedef struct fuzz_event {
    size_t off; /* stream offset of the head's first byte */
    int result; /* > 0 head length; < 0 error; 0 waiting for more (last event) */
    size_t method_off, method_len, target_off, target_len;
    int version_minor;
    int keep_alive, expect_continue;
    uint64_t content_length;
} fuzz_event_t;

typedef struct fuzz_trace {
    fuzz_event_t ev[FUZZ_MAX_EVENTS];
    size_t n;
    int truncated;
} fuzz_trace_t;

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http_parser: invariant failed: %s (line %d)\n", #cond,           \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int fuzz_is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Whether buf[0..len) may say "keep-alive" in any case (letters are folded
 * loosely: a false yes only skips the check that uses it). */
static int fuzz_mentions_keep_alive(const char *buf, size_t len)
{
    static const char lit[] = "keep-alive";
    const size_t n = sizeof lit - 1;

    for (size_t i = 0; i + n <= len; i++) {
        size_t j = 0;
        while (j < n && (buf[i + j] | 0x20) == lit[j])
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

/* What http_parser.h promises about a complete head of length r parsed from
 * buf[0..len). */
static void head_check(const char *buf, size_t len, int r, const http_request_t *req)
{
    size_t hl = (size_t)r;

    FUZZ_CHECK(hl <= len);
    FUZZ_CHECK(hl >= FUZZ_MIN_HEAD);
    FUZZ_CHECK(hl <= HTTP_HEAD_MAX);
    /* A head ends with an empty line: LF LF or LF CR LF. */
    FUZZ_CHECK(buf[hl - 1] == '\n');
    FUZZ_CHECK(buf[hl - 2] == '\n' || (buf[hl - 2] == '\r' && buf[hl - 3] == '\n'));
    FUZZ_CHECK(req->method >= buf && req->method + req->method_len <= buf + hl);
    FUZZ_CHECK(req->method_len >= 1 && req->method_len <= HTTP_METHOD_MAX);
    for (size_t i = 0; i < req->method_len; i++)
        FUZZ_CHECK(fuzz_is_tchar((unsigned char)req->method[i]));
    FUZZ_CHECK(req->method[req->method_len] == ' ');
    FUZZ_CHECK(req->target > req->method && req->target + req->target_len <= buf + hl);
    FUZZ_CHECK(req->target_len >= 1);
    for (size_t i = 0; i < req->target_len; i++)
        FUZZ_CHECK(req->target[i] >= 0x21 && req->target[i] <= 0x7e);
    FUZZ_CHECK(req->version_minor == 0 || req->version_minor == 1);
    FUZZ_CHECK(req->content_length <= HTTP_BODY_MAX);
    /* HTTP/1.0 without "Connection: keep-alive" is never kept alive. */
    if (req->version_minor == 0 && !fuzz_mentions_keep_alive(buf, hl))
        FUZZ_CHECK(!req->keep_alive);
}

static void trace_add(fuzz_trace_t *t, size_t off, int r, const char *buf,
                      const http_request_t *req)
{
    fuzz_event_t *e;

    if (t->n == FUZZ_MAX_EVENTS) {
        t->truncated = 1;
        return;
    }
    e = &t->ev[t->n++];
    memset(e, 0, sizeof *e);
    e->off = off;
    e->result = r;
    if (r > 0) {
        e->method_off = off + (size_t)(req->method - buf);
        e->method_len = req->method_len;
        e->target_off = off + (size_t)(req->target - buf);
        e->target_len = req->target_len;
        e->version_minor = req->version_minor;
        e->keep_alive = req->keep_alive;
        e->expect_continue = req->expect_continue;
        e->content_length = req->content_length;
    }
}

/* One connection's parsing state, as in conn.c. */
typedef struct fuzz_conn {
    http_parser_t parser;
    uint64_t body_skip;
    size_t stream_off; /* stream offset of the first byte not yet consumed */
    int done;          /* an error was reported: nothing more is parsed */
} fuzz_conn_t;

/* Parses buf[0..len), which starts at stream offset c->stream_off, like
 * conn_parse(). Returns the bytes consumed; the rest starts an incomplete
 * head. */
static size_t conn_parse(fuzz_conn_t *c, fuzz_trace_t *t, const char *buf, size_t len)
{
    size_t off = 0;

    while (off < len && !c->done) {
        http_request_t req;
        int r;

        if (c->body_skip) {
            size_t k = len - off < c->body_skip ? len - off : (size_t)c->body_skip;
            off += k;
            c->body_skip -= k;
            continue;
        }
        r = http_parser_execute(&c->parser, buf + off, len - off, &req);
        if (r == 0) {
            /* Waiting: every byte given was examined, and fewer than the
             * limit, or it would have said ETOO_LARGE. */
            FUZZ_CHECK(len - off < HTTP_HEAD_MAX);
            FUZZ_CHECK(http_parser_in_head(&c->parser));
            break;
        }
        if (r < 0) {
            FUZZ_CHECK(r >= HTTP_PARSE_ETRANSFER_ENCODING);
            FUZZ_CHECK(strcmp(http_parse_strerror(r), "unknown parse error") != 0);
            /* Errors are sticky. */
            FUZZ_CHECK(http_parser_execute(&c->parser, buf + off, len - off, &req) == r);
            FUZZ_CHECK(!http_parser_in_head(&c->parser));
            trace_add(t, c->stream_off + off, r, NULL, NULL);
            c->done = 1;
            return len;
        }
        head_check(buf + off, len - off, r, &req);
        FUZZ_CHECK(!http_parser_in_head(&c->parser));
        trace_add(t, c->stream_off + off, r, buf + off, &req);
        off += (size_t)r;
        c->body_skip = req.content_length;
    }
    return off;
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* The whole stream at once. */
static void pass_whole(const char *s, size_t n, fuzz_trace_t *t)
{
    fuzz_conn_t c = {0};
    size_t used;

    http_parser_init(&c.parser);
    used = conn_parse(&c, t, s, n);
    if (!c.done && used < n)
        trace_add(t, used, 0, NULL, NULL);
}

/* The stream in chunks of 1..max_chunk bytes, each parse call given a fresh
 * heap copy of exactly the unconsumed bytes (like conn_feed's partial). */
static void pass_pieces(const char *s, size_t n, uint32_t seed, size_t max_chunk, fuzz_trace_t *t)
{
    fuzz_conn_t c = {0};
    char *pending = NULL;
    size_t pending_len = 0, fed = 0;

    http_parser_init(&c.parser);
    while (fed < n && !c.done) {
        size_t k = 1 + xorshift32(&seed) % max_chunk, used;
        char *buf;

        if (k > n - fed)
            k = n - fed;
        buf = malloc(pending_len + k);
        if (!buf)
            abort();
        if (pending_len)
            memcpy(buf, pending, pending_len);
        memcpy(buf + pending_len, s + fed, k);
        free(pending);
        pending = NULL;
        fed += k;
        used = conn_parse(&c, t, buf, pending_len + k);
        c.stream_off += used;
        pending_len = pending_len + k - used;
        if (pending_len && !c.done) {
            pending = malloc(pending_len);
            if (!pending)
                abort();
            memcpy(pending, buf + used, pending_len);
        } else {
            pending_len = 0;
        }
        free(buf);
    }
    if (!c.done && pending_len)
        trace_add(t, c.stream_off, 0, NULL, NULL);
    free(pending);
}

static void trace_compare(const fuzz_trace_t *a, const fuzz_trace_t *b)
{
    FUZZ_CHECK(a->truncated == b->truncated);
    FUZZ_CHECK(a->n == b->n);
    for (size_t i = 0; i < a->n; i++)
        FUZZ_CHECK(memcmp(&a->ev[i], &b->ev[i], sizeof a->ev[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_trace_t whole, pieces;
    const char *s;
    size_t n;
    uint32_t seed;

    if (size < 1)
        return 0;
    /* Byte 0 shapes the chunking: small chunks (down to one byte at a time)
     * stress resumption, larger ones cross head boundaries. */
    seed = 0x9e3779b9u ^ (uint32_t)data[0] * 0x01000193u;
    s = (const char *)data + 1;
    n = size - 1;
    memset(&whole, 0, sizeof whole);
    memset(&pieces, 0, sizeof pieces);
    pass_whole(s, n, &whole);
    pass_pieces(s, n, seed, (size_t)(data[0] % 64) + 1, &pieces);
    trace_compare(&whole, &pieces);
    return 0;
}

/* libFuzzer target: mockapi's request framing (mock_server/http_framing.c)
 * and the incremental head parser under it (mock_server/http_parser.c), the
 * very code mock_server/conn.c runs on every read.
 *
 * The input is a byte stream a client might send on one connection. It is
 * framed twice, one read at a time as conn_feed() does:
 *   - whole: the entire stream in one read;
 *   - in pieces: the stream cut into reads (sizes drawn from a seed taken
 *     from the input's first byte), each an exact-size heap copy freed once
 *     the read is framed, so AddressSanitizer sees a framer that reads past
 *     a read or keeps pointing into one after http_framer_end().
 * Both passes must report the same heads at the same stream offsets and end
 * the same way (same error, or waiting for more at the same offset): a
 * framer or parser that resumes wrongly across reads disagrees with itself.
 * Every head must also hold the stream's own bytes at its offset and satisfy
 * what http_parser.h promises (see head_check). A violation aborts, which
 * libFuzzer reports as a crash with the input saved. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_server/http_framing.h"

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

/* What http_parser.h promises about a complete head. */
static void head_check(const http_frame_t *fr)
{
    const char *buf = fr->head;
    const http_request_t *req = &fr->req;
    size_t hl = fr->head_len;

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

/* Records a head (fr, r = its length), an error (r < 0) or the wait for
 * more (r = 0) at stream offset off. */
static void trace_add(fuzz_trace_t *t, size_t off, int r, const http_frame_t *fr)
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
    if (fr) {
        const http_request_t *req = &fr->req;
        e->method_off = off + (size_t)(req->method - fr->head);
        e->method_len = req->method_len;
        e->target_off = off + (size_t)(req->target - fr->head);
        e->target_len = req->target_len;
        e->version_minor = req->version_minor;
        e->keep_alive = req->keep_alive;
        e->expect_continue = req->expect_continue;
        e->content_length = req->content_length;
    }
}

/* One connection, framed as in conn.c. */
typedef struct fuzz_conn {
    http_framer_t framer;
    const char *stream; /* the whole input, to check frames against */
    size_t fed;         /* stream bytes given to the framer so far */
    size_t next_head;   /* stream offset where the next head starts */
    int done;           /* an error was reported: nothing more is framed */
    fuzz_trace_t *t;
} fuzz_conn_t;

/* Frames one read of len bytes (the stream's next ones) like conn_feed(). */
static void fuzz_read(fuzz_conn_t *c, const char *data, size_t len)
{
    http_frame_t fr;
    int r;

    FUZZ_CHECK(http_framer_begin(&c->framer, data, len) == 0);
    c->fed += len;
    while ((r = http_framer_next(&c->framer, &fr)) > 0) {
        head_check(&fr);
        /* The head is the stream's bytes at its offset, all of them fed. */
        FUZZ_CHECK(c->next_head + fr.head_len <= c->fed);
        FUZZ_CHECK(memcmp(fr.head, c->stream + c->next_head, fr.head_len) == 0);
        trace_add(c->t, c->next_head, (int)fr.head_len, &fr);
        c->next_head += fr.head_len + fr.req.content_length;
    }
    if (r < 0) {
        FUZZ_CHECK(r >= HTTP_PARSE_ETRANSFER_ENCODING);
        FUZZ_CHECK(strcmp(http_parse_strerror(r), "unknown parse error") != 0);
        FUZZ_CHECK(http_framer_error_status(r) == (r == HTTP_PARSE_EBODY_TOO_LARGE ? 413 : 400));
        /* Errors are sticky. */
        FUZZ_CHECK(http_framer_next(&c->framer, &fr) == r);
        trace_add(c->t, c->next_head, r, NULL);
        http_framer_reset(&c->framer);
        FUZZ_CHECK(!http_framer_in_request(&c->framer));
        c->done = 1;
        return;
    }
    FUZZ_CHECK(http_framer_end(&c->framer) == 0);
    /* Waiting inside a head: every byte was examined, and fewer than the
     * limit, or the parser would have said ETOO_LARGE. */
    if (c->next_head < c->fed) {
        FUZZ_CHECK(c->fed - c->next_head < HTTP_HEAD_MAX);
        FUZZ_CHECK(http_framer_in_request(&c->framer));
    }
}

/* Records how the stream ended: waiting for the rest of a request, or not. */
static void fuzz_finish(fuzz_conn_t *c)
{
    if (!c->done && http_framer_in_request(&c->framer))
        trace_add(c->t, c->next_head, 0, NULL);
    http_framer_reset(&c->framer);
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* The whole stream in one read: heads are framed in place, never copied. */
static void pass_whole(const char *s, size_t n, fuzz_trace_t *t)
{
    fuzz_conn_t c = {.stream = s, .t = t};

    fuzz_read(&c, s, n);
    fuzz_finish(&c);
}

/* The stream in reads of 1..max_chunk bytes, each a fresh heap copy of
 * exactly that read, freed as soon as it is framed (like the loop's shared
 * read buffer, reused by the next read). */
static void pass_pieces(const char *s, size_t n, uint32_t seed, size_t max_chunk, fuzz_trace_t *t)
{
    fuzz_conn_t c = {.stream = s, .t = t};

    while (c.fed < n && !c.done) {
        size_t k = 1 + xorshift32(&seed) % max_chunk;
        char *buf;

        if (k > n - c.fed)
            k = n - c.fed;
        buf = malloc(k);
        if (!buf)
            abort();
        memcpy(buf, s + c.fed, k);
        fuzz_read(&c, buf, k);
        free(buf);
    }
    fuzz_finish(&c);
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

/* Request framing for one connection: how the bytes read from a socket are
 * cut into request heads (parsed by http_parser), bodies (skipped, never
 * stored) and the start of a head still incomplete when the read ends.
 *
 * Pure: no I/O, no clock, no global state. mockapi's conn.c frames every
 * read through it and the fuzzer (tests/fuzz/fuzz_http_parser.c) drives the
 * same code with arbitrary streams cut at arbitrary points.
 *
 * Copies are kept to the minimum a server needs: complete heads are parsed
 * straight from the caller's bytes; only the bytes of a head that is still
 * incomplete when a read ends are copied, into the framer's own buffer, so an
 * idle keep-alive connection holds no buffer at all.
 *
 * One read is framed in three steps:
 *   http_framer_begin(f, data, n);
 *   while ((r = http_framer_next(f, &frame)) > 0)
 *       ...act on frame.req...
 *   if r < 0: the stream is malformed; answer http_framer_error_status(r)
 *       and call http_framer_reset(f) (nothing more is framed);
 *   else http_framer_end(f) keeps the incomplete head for the next read.
 * The caller may stop calling next() early (its last answer is queued) and
 * then calls http_framer_reset(f) instead of http_framer_end(f). */
#ifndef CONCBENCH_HTTP_FRAMING_H
#define CONCBENCH_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parser.h"

/* Framer state. Fields are private; a zeroed struct is a fresh framer. */
typedef struct http_framer {
    http_parser_t parser;
    uint64_t body_skip; /* body bytes still to discard */
    char *partial;      /* own copy of an incomplete head; NULL when none */
    size_t partial_len, partial_cap;
    const char *buf; /* between begin and end: the bytes being framed */
    size_t len, off; /* ... their length and how many are used */
} http_framer_t;

/* One complete request head. */
typedef struct http_frame {
    http_request_t req;
    const char *head; /* the head's first byte (leading empty lines included) */
    size_t head_len;  /* its length; content_length body bytes follow it */
} http_frame_t;

/* Starts framing n bytes just read (data must stay valid until
 * http_framer_end or http_framer_reset). When a head was left incomplete by
 * the previous read, data is appended to the framer's copy of it so the
 * parser sees the head from its start. Returns 0, or -ENOMEM with the framer
 * unchanged (the caller then resets it and drops the connection). */
int http_framer_begin(http_framer_t *f, const char *data, size_t n);

/* Frames the next request from the bytes given to begin, skipping the body
 * of the one before. Returns 1 and fills *out when a head is complete; 0
 * when the bytes end before the next head does (or inside a body); a
 * negative http_parse_error when the stream is malformed, and then the same
 * error on every later call until http_framer_reset. out's pointers point
 * into data or the framer's copy and stay valid until http_framer_end or
 * http_framer_reset. */
int http_framer_next(http_framer_t *f, http_frame_t *out);

/* Ends the read started by http_framer_begin after next() returned 0: keeps
 * the bytes of the incomplete head (if any) in the framer's own buffer and
 * releases that buffer when there are none. Returns 0, or -ENOMEM (the
 * caller then resets the framer and drops the connection). */
int http_framer_end(http_framer_t *f);

/* True between reads (after http_framer_end) when a head or a body has
 * started and not finished: the client owes bytes. */
bool http_framer_in_request(const http_framer_t *f);

/* Frees the framer's buffer and makes *f a fresh framer. Cannot fail. */
void http_framer_reset(http_framer_t *f);

/* The status a server answers a malformed stream with (err < 0 from
 * http_framer_next): 413 when the declared body is too large, else 400. */
int http_framer_error_status(int err);

#endif

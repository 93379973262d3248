/* A small incremental HTTP/1.x request-head parser for mockapi.
 *
 * Pure: no allocation, no I/O, no global state. The caller owns the bytes.
 * It parses the request line and the header fields up to the empty line and
 * reports the few facts the server needs (method, target, version,
 * keep-alive, Content-Length). The body is not parsed: the caller discards
 * content_length bytes after the head. Transfer-Encoding is rejected.
 *
 * Incremental contract: call http_parser_execute() with a buffer that starts
 * at the first byte of the head. When it returns 0 it has examined every byte
 * given and wants more; call it again with the same bytes at the start of the
 * buffer followed by the new ones (it resumes where it stopped, so feeding a
 * head byte by byte costs O(n), not O(n^2)). When it returns > 0 the head is
 * complete and the parser is ready for the next head, which starts at
 * buf + return value. */
#ifndef CONCBENCH_HTTP_PARSER_H
#define CONCBENCH_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest accepted head (request line + headers + empty line), in bytes. */
#define HTTP_HEAD_MAX 8192
/* Largest accepted Content-Length. The server discards bodies, so this only
 * bounds how long a connection may be spent skipping one. */
#define HTTP_BODY_MAX (1024 * 1024)
#define HTTP_METHOD_MAX 16

/* Negative results of http_parser_execute(). */
enum http_parse_error {
    HTTP_PARSE_EMETHOD = -1,           /* method is not a 1..16 byte token */
    HTTP_PARSE_ETARGET = -2,           /* empty target or a byte outside 0x21..0x7e */
    HTTP_PARSE_EVERSION = -3,          /* version is not HTTP/1.x */
    HTTP_PARSE_ELINE = -4,             /* CR not followed by LF */
    HTTP_PARSE_EHEADER = -5,           /* malformed header field (or obs-fold) */
    HTTP_PARSE_ETOO_LARGE = -6,        /* head longer than HTTP_HEAD_MAX */
    HTTP_PARSE_ECONTENT_LENGTH = -7,   /* non-numeric or conflicting Content-Length */
    HTTP_PARSE_EBODY_TOO_LARGE = -8,   /* Content-Length above HTTP_BODY_MAX */
    HTTP_PARSE_ETRANSFER_ENCODING = -9 /* Transfer-Encoding present: not supported */
};

/* One parsed request head. The pointers point into the buffer given to
 * http_parser_execute() and stay valid as long as those bytes do. */
typedef struct http_request {
    const char *method;
    size_t method_len;
    const char *target;
    size_t target_len;
    int version_minor;       /* 0 for HTTP/1.0, 1 for HTTP/1.1 (and later 1.x) */
    bool keep_alive;         /* the connection may carry another request after this one */
    bool expect_continue;    /* "Expect: 100-continue" was sent */
    uint64_t content_length; /* body bytes that follow the head */
} http_request_t;

/* Parser state. Fields are private; a zeroed struct is a fresh parser. */
typedef struct http_parser {
    uint32_t pos; /* bytes of the current head examined so far */
    uint8_t state;
    int8_t error; /* sticky error, 0 if none */
    uint8_t flags;
    uint8_t version_minor;
    uint16_t method_off, method_len, target_off;
    uint16_t target_len, version_off, name_off, name_len, value_off, value_end;
    uint64_t content_length;
} http_parser_t;

/* Resets *p to expect the first byte of a new head. Cannot fail. */
void http_parser_init(http_parser_t *p);

/* Parses the head at the start of buf (len bytes, see the incremental
 * contract above). Returns the head length (> 0) and fills *req when the head
 * is complete; 0 when more bytes are needed; a negative http_parse_error on a
 * malformed head. After an error every later call returns the same error until
 * http_parser_init(). Never reads outside buf[0..len). */
int http_parser_execute(http_parser_t *p, const char *buf, size_t len, http_request_t *req);

/* True when the parser has examined bytes of a head it has not finished. */
bool http_parser_in_head(const http_parser_t *p);

/* A short English description of an http_parse_error (never NULL). */
const char *http_parse_strerror(int err);

#endif

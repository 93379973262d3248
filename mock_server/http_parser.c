#include "http_parser.h"

#include <string.h>

/* The head is scanned one byte at a time by a state machine whose position
 * survives between calls, so a head that arrives in pieces is examined once.
 *
 * S_START      before the method; empty lines (CR/LF) are skipped, as RFC 9112
 *              asks servers to tolerate one after a previous request's body.
 * S_METHOD     inside the method token; one SP ends it.
 * S_TARGET0    first byte of the target (must be visible ASCII).
 * S_TARGET     inside the target; one SP ends it.
 * S_VERSION    inside "HTTP/1.x"; each byte is checked as it arrives so that
 *              garbage is refused at once rather than after HTTP_HEAD_MAX.
 * S_LINE_LF    after a CR that ends the request line or a header line.
 * S_HDR_START  at the start of a header line: a token starts a field name, an
 *              empty line ends the head, leading whitespace (obs-fold) is an
 *              error.
 * S_HDR_NAME   inside a field name; ':' ends it, whitespace before it is an
 *              error (RFC 9112 5.1).
 * S_HDR_OWS    whitespace between ':' and the value.
 * S_HDR_VALUE  inside a value; trailing whitespace is not part of it.
 * S_END_LF     after the CR of the empty line that ends the head.
 *
 * A bare LF is accepted wherever CRLF is expected. */
enum {
    S_START,
    S_METHOD,
    S_TARGET0,
    S_TARGET,
    S_VERSION,
    S_LINE_LF,
    S_HDR_START,
    S_HDR_NAME,
    S_HDR_OWS,
    S_HDR_VALUE,
    S_END_LF
};

enum {
    F_CLOSE = 1,          /* Connection: close */
    F_KEEP_ALIVE = 2,     /* Connection: keep-alive */
    F_HAVE_LENGTH = 4,    /* a Content-Length was seen */
    F_EXPECT = 8,         /* Expect: 100-continue */
    F_IN_REQ_LINE = 0x10, /* S_LINE_LF ends the request line, not a header */
};

/* tchar from RFC 9110 5.6.2. */
static bool http_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char http_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool http_ieq(const char *a, size_t alen, const char *lit)
{
    size_t n = strlen(lit);
    if (alen != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (http_lower((unsigned char)a[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* Applies the comma-separated Connection tokens in v[0..n). */
static void http_connection_tokens(http_parser_t *p, const char *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (http_ieq(v + start, end - start, "close"))
            p->flags |= F_CLOSE;
        else if (http_ieq(v + start, end - start, "keep-alive"))
            p->flags |= F_KEEP_ALIVE;
    }
}

/* Acts on one complete header field. Returns 0 or an http_parse_error. */
static int http_header_done(http_parser_t *p, const char *buf)
{
    const char *name = buf + p->name_off;
    const char *val = buf + p->value_off;
    size_t vlen = p->value_end > p->value_off ? (size_t)(p->value_end - p->value_off) : 0;

    if (http_ieq(name, p->name_len, "content-length")) {
        uint64_t v = 0;
        if (vlen == 0)
            return HTTP_PARSE_ECONTENT_LENGTH;
        for (size_t i = 0; i < vlen; i++) {
            if (val[i] < '0' || val[i] > '9')
                return HTTP_PARSE_ECONTENT_LENGTH;
            v = v * 10 + (uint64_t)(val[i] - '0');
            if (v > HTTP_BODY_MAX)
                return HTTP_PARSE_EBODY_TOO_LARGE;
        }
        if ((p->flags & F_HAVE_LENGTH) && v != p->content_length)
            return HTTP_PARSE_ECONTENT_LENGTH;
        p->flags |= F_HAVE_LENGTH;
        p->content_length = v;
    } else if (http_ieq(name, p->name_len, "transfer-encoding")) {
        return HTTP_PARSE_ETRANSFER_ENCODING;
    } else if (http_ieq(name, p->name_len, "connection")) {
        http_connection_tokens(p, val, vlen);
    } else if (http_ieq(name, p->name_len, "expect")) {
        if (http_ieq(val, vlen, "100-continue"))
            p->flags |= F_EXPECT;
    }
    return 0;
}

void http_parser_init(http_parser_t *p)
{
    memset(p, 0, sizeof *p);
}

bool http_parser_in_head(const http_parser_t *p)
{
    return p->pos > 0 && p->error == 0;
}

static int http_fail(http_parser_t *p, int err)
{
    p->error = (int8_t)err;
    return err;
}

static int http_head_done(http_parser_t *p, const char *buf, http_request_t *req)
{
    int len = (int)p->pos + 1;

    req->method = buf + p->method_off;
    req->method_len = p->method_len;
    req->target = buf + p->target_off;
    req->target_len = p->target_len;
    req->version_minor = p->version_minor;
    if (p->flags & F_CLOSE)
        req->keep_alive = false;
    else
        req->keep_alive = p->version_minor >= 1 || (p->flags & F_KEEP_ALIVE);
    req->expect_continue = (p->flags & F_EXPECT) != 0;
    req->content_length = p->content_length;
    http_parser_init(p);
    return len;
}

int http_parser_execute(http_parser_t *p, const char *buf, size_t len, http_request_t *req)
{
    static const char version[] = "HTTP/1.";

    if (p->error)
        return p->error;
    for (; p->pos < len; p->pos++) {
        unsigned char c = (unsigned char)buf[p->pos];
        uint16_t pos = (uint16_t)p->pos;

        /* pos < HTTP_HEAD_MAX here, so every offset fits in 16 bits. */
        if (p->pos >= HTTP_HEAD_MAX)
            return http_fail(p, HTTP_PARSE_ETOO_LARGE);
        switch (p->state) {
        case S_START:
            if (c == '\r' || c == '\n')
                break;
            p->method_off = pos;
            p->state = S_METHOD;
            /* fall through */
        case S_METHOD:
            if (c == ' ') {
                p->method_len = (uint16_t)(pos - p->method_off);
                if (p->method_len == 0)
                    return http_fail(p, HTTP_PARSE_EMETHOD);
                p->state = S_TARGET0;
            } else if (!http_is_tchar(c) || pos - p->method_off >= HTTP_METHOD_MAX) {
                return http_fail(p, HTTP_PARSE_EMETHOD);
            }
            break;
        case S_TARGET0:
            if (c < 0x21 || c > 0x7e)
                return http_fail(p, HTTP_PARSE_ETARGET);
            p->target_off = pos;
            p->state = S_TARGET;
            break;
        case S_TARGET:
            if (c == ' ') {
                p->target_len = (uint16_t)(pos - p->target_off);
                p->version_off = (uint16_t)(pos + 1);
                p->state = S_VERSION;
            } else if (c < 0x21 || c > 0x7e) {
                return http_fail(p, HTTP_PARSE_ETARGET);
            }
            break;
        case S_VERSION: {
            size_t i = (size_t)(pos - p->version_off);
            if (i < sizeof version - 1) {
                if (c != (unsigned char)version[i])
                    return http_fail(p, HTTP_PARSE_EVERSION);
            } else if (i == sizeof version - 1) {
                if (c < '0' || c > '9')
                    return http_fail(p, HTTP_PARSE_EVERSION);
                p->version_minor = c == '0' ? 0 : 1;
            } else if (c == '\r') {
                p->flags |= F_IN_REQ_LINE;
                p->state = S_LINE_LF;
            } else if (c == '\n') {
                p->state = S_HDR_START;
            } else {
                return http_fail(p, HTTP_PARSE_EVERSION);
            }
            break;
        }
        case S_LINE_LF:
            if (c != '\n')
                return http_fail(p, HTTP_PARSE_ELINE);
            if (p->flags & F_IN_REQ_LINE) {
                p->flags &= (uint8_t)~F_IN_REQ_LINE;
            } else {
                int err = http_header_done(p, buf);
                if (err)
                    return http_fail(p, err);
            }
            p->state = S_HDR_START;
            break;
        case S_HDR_START:
            if (c == '\r') {
                p->state = S_END_LF;
            } else if (c == '\n') {
                return http_head_done(p, buf, req);
            } else if (http_is_tchar(c)) {
                p->name_off = pos;
                p->state = S_HDR_NAME;
            } else {
                return http_fail(p, HTTP_PARSE_EHEADER);
            }
            break;
        case S_HDR_NAME:
            if (c == ':') {
                p->name_len = (uint16_t)(pos - p->name_off);
                p->value_off = p->value_end = (uint16_t)(pos + 1);
                p->state = S_HDR_OWS;
            } else if (!http_is_tchar(c)) {
                return http_fail(p, HTTP_PARSE_EHEADER);
            }
            break;
        case S_HDR_OWS:
            if (c == ' ' || c == '\t') {
                p->value_off = p->value_end = (uint16_t)(pos + 1);
                break;
            }
            p->state = S_HDR_VALUE;
            /* fall through */
        case S_HDR_VALUE:
            if (c == '\r' || c == '\n') {
                if (c == '\r') {
                    p->state = S_LINE_LF;
                } else {
                    int err = http_header_done(p, buf);
                    if (err)
                        return http_fail(p, err);
                    p->state = S_HDR_START;
                }
            } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return http_fail(p, HTTP_PARSE_EHEADER);
            } else if (c != ' ' && c != '\t') {
                p->value_end = (uint16_t)(pos + 1);
            }
            break;
        case S_END_LF:
            if (c != '\n')
                return http_fail(p, HTTP_PARSE_ELINE);
            return http_head_done(p, buf, req);
        }
    }
    if (p->pos >= HTTP_HEAD_MAX)
        return http_fail(p, HTTP_PARSE_ETOO_LARGE);
    return 0;
}

const char *http_parse_strerror(int err)
{
    switch (err) {
    case 0:
        return "no error";
    case HTTP_PARSE_EMETHOD:
        return "malformed method";
    case HTTP_PARSE_ETARGET:
        return "malformed request target";
    case HTTP_PARSE_EVERSION:
        return "unsupported or malformed HTTP version";
    case HTTP_PARSE_ELINE:
        return "CR not followed by LF";
    case HTTP_PARSE_EHEADER:
        return "malformed header field";
    case HTTP_PARSE_ETOO_LARGE:
        return "request head too large";
    case HTTP_PARSE_ECONTENT_LENGTH:
        return "invalid Content-Length";
    case HTTP_PARSE_EBODY_TOO_LARGE:
        return "request body too large";
    case HTTP_PARSE_ETRANSFER_ENCODING:
        return "Transfer-Encoding is not supported";
    default:
        return "unknown parse error";
    }
}

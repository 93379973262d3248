/* See transform_json.h. Two parts: a validator that decides, once, whether
 * json_loadb would accept the body, and accessors that walk the validated
 * text (they assume it is valid and check only types). */
#include "workload/transform_json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jansson 2.14's JSON_PARSER_DEFAULT_MAX_DEPTH. */
#define TJ_MAX_DEPTH 2048

typedef struct tj_in {
    const unsigned char *p, *end;
} tj_in_t;

static int tj_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void tj_ws(tj_in_t *in)
{
    while (in->p < in->end && tj_is_ws(*in->p))
        in->p++;
}

static int tj_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), else 0. */
static size_t tj_utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    uint32_t v;
    size_t n;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

/* jansson reads one byte past a number or a literal and pushes it back;
 * a pushed-back NUL byte is lost (its one-character buffer reads as empty),
 * so json_loadb accepts {"a":5\0} but not {"a":"x"\0}. Done here too. */
static void tj_after_token(tj_in_t *in)
{
    if (in->p < in->end && *in->p == '\0')
        in->p++;
}

static int tj_hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A \u escape at in->p (just after the backslash and 'u'), with its low
 * surrogate if it is a high one. Sets *cp; -1 when json_loadb refuses it. */
static int tj_unicode_escape(tj_in_t *in, uint32_t *cp)
{
    uint32_t v, lo;

    if (in->end - in->p < 4 || tj_hex4(in->p, &v))
        return -1;
    in->p += 4;
    if (v >= 0xdc00 && v <= 0xdfff)
        return -1; /* a lone low surrogate */
    if (v >= 0xd800 && v <= 0xdbff) {
        if (in->end - in->p < 6 || in->p[0] != '\\' || in->p[1] != 'u' || tj_hex4(in->p + 2, &lo) ||
            lo < 0xdc00 || lo > 0xdfff)
            return -1;
        in->p += 6;
        v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (v == 0)
        return -1; /* \u0000 needs JSON_ALLOW_NUL */
    *cp = v;
    return 0;
}

/* Validates a string whose opening quote is at in->p. */
static int tj_check_string(tj_in_t *in)
{
    in->p++;
    while (in->p < in->end) {
        unsigned char c = *in->p;
        uint32_t cp;

        if (c == '"') {
            in->p++;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (++in->p >= in->end)
                return -1;
            c = *in->p++;
            if (c == 'u') {
                if (tj_unicode_escape(in, &cp))
                    return -1;
            } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
                return -1;
            }
        } else if (c >= 0x80) {
            size_t n = tj_utf8_len(in->p, in->end);
            if (!n)
                return -1;
            in->p += n;
        } else {
            in->p++;
        }
    }
    return -1;
}

/* Validates a number at in->p as jansson lexes it: an integer must fit a
 * long long, a real must not overflow. */
static int tj_check_number(tj_in_t *in)
{
    const unsigned char *start = in->p;
    int is_real = 0;
    char small[64], *text;
    size_t n;
    int rc = 0;

    if (in->p < in->end && *in->p == '-')
        in->p++;
    if (in->p >= in->end || !tj_is_digit(*in->p))
        return -1;
    if (*in->p == '0') {
        in->p++;
        if (in->p < in->end && tj_is_digit(*in->p))
            return -1; /* leading zero */
    } else {
        while (in->p < in->end && tj_is_digit(*in->p))
            in->p++;
    }
    if (in->p < in->end && *in->p == '.') {
        is_real = 1;
        in->p++;
        if (in->p >= in->end || !tj_is_digit(*in->p))
            return -1;
        while (in->p < in->end && tj_is_digit(*in->p))
            in->p++;
    }
    if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
        is_real = 1;
        in->p++;
        if (in->p < in->end && (*in->p == '+' || *in->p == '-'))
            in->p++;
        if (in->p >= in->end || !tj_is_digit(*in->p))
            return -1;
        while (in->p < in->end && tj_is_digit(*in->p))
            in->p++;
    }
    n = (size_t)(in->p - start);
    tj_after_token(in);
    text = n < sizeof small ? small : malloc(n + 1);
    if (!text)
        return -1;
    memcpy(text, start, n);
    text[n] = '\0';
    errno = 0;
    if (is_real) {
        double d = strtod(text, NULL);
        if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
            rc = -1;
    } else {
        (void)strtoll(text, NULL, 10);
        if (errno == ERANGE)
            rc = -1;
    }
    if (text != small)
        free(text);
    return rc;
}

static int tj_check_value(tj_in_t *in, int depth);

/* Validates an object or array whose bracket is at in->p. */
static int tj_check_container(tj_in_t *in, int depth)
{
    unsigned char close = *in->p == '{' ? '}' : ']';

    if (depth > TJ_MAX_DEPTH)
        return -1;
    in->p++;
    tj_ws(in);
    if (in->p < in->end && *in->p == close) {
        in->p++;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            if (in->p >= in->end || *in->p != '"' || tj_check_string(in))
                return -1;
            tj_ws(in);
            if (in->p >= in->end || *in->p != ':')
                return -1;
            in->p++;
            tj_ws(in);
        }
        if (tj_check_value(in, depth))
            return -1;
        tj_ws(in);
        if (in->p >= in->end)
            return -1;
        if (*in->p == close) {
            in->p++;
            return 0;
        }
        if (*in->p != ',')
            return -1;
        in->p++;
        tj_ws(in);
    }
}

static int tj_check_literal(tj_in_t *in, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(in->end - in->p) < n || memcmp(in->p, word, n) != 0)
        return -1;
    in->p += n;
    /* jansson lexes a run of letters as one token: "truex" is not "true". */
    if (in->p < in->end && ((*in->p | 0x20) >= 'a' && (*in->p | 0x20) <= 'z'))
        return -1;
    tj_after_token(in);
    return 0;
}

/* Validates the value at in->p (no leading whitespace). */
static int tj_check_value(tj_in_t *in, int depth)
{
    if (in->p >= in->end)
        return -1;
    switch (*in->p) {
    case '{':
    case '[':
        return tj_check_container(in, depth + 1);
    case '"':
        return tj_check_string(in);
    case 't':
        return tj_check_literal(in, "true");
    case 'f':
        return tj_check_literal(in, "false");
    case 'n':
        return tj_check_literal(in, "null");
    default:
        return tj_check_number(in);
    }
}

int tj_parse(const char *json, size_t len, tj_span_t *root)
{
    tj_in_t in = {(const unsigned char *)json, (const unsigned char *)json + len};
    const unsigned char *start;

    tj_ws(&in);
    if (in.p >= in.end || (*in.p != '{' && *in.p != '['))
        return -1; /* json_loadb wants an object or an array */
    start = in.p;
    if (tj_check_value(&in, 0))
        return -1;
    root->p = (const char *)start;
    root->end = (const char *)in.p;
    tj_ws(&in);
    return in.p == in.end ? 0 : -1;
}

/* The accessors: the text is valid, so skipping needs no checks. */

static const char *tj_skip_ws(const char *p)
{
    while (tj_is_ws((unsigned char)*p))
        p++;
    return p;
}

static const char *tj_skip_string(const char *p)
{
    for (p++; *p != '"'; p++)
        if (*p == '\\')
            p++;
    return p + 1;
}

static const char *tj_skip_value(const char *p)
{
    int depth = 0;

    do {
        switch (*p) {
        case '"':
            p = tj_skip_string(p);
            continue;
        case '{':
        case '[':
            depth++;
            break;
        case '}':
        case ']':
            depth--;
            break;
        case ',':
        case ':':
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            if (depth == 0)
                return p;
            break;
        default:
            break;
        }
        p++;
    } while (depth > 0 || (*p != ',' && *p != '}' && *p != ']' && !tj_is_ws((unsigned char)*p)));
    return p;
}

int tj_object_fields(tj_span_t v, const char *const *keys, int n, tj_span_t *out)
{
    const char *p = v.p;
    char name[64];
    size_t nlen;

    if (*p != '{')
        return -1;
    for (int i = 0; i < n; i++)
        out[i].p = out[i].end = NULL;
    p = tj_skip_ws(p + 1);
    while (*p == '"') {
        tj_span_t k = {p, NULL};
        int which = -1;

        p = tj_skip_string(p);
        k.end = p;
        tj_string(k, name, sizeof name, &nlen);
        for (int i = 0; i < n && which < 0; i++)
            if (strlen(keys[i]) == nlen && memcmp(name, keys[i], nlen) == 0)
                which = i;
        p = tj_skip_ws(tj_skip_ws(p) + 1); /* the ':' */
        if (which >= 0) {
            out[which].p = p;
            out[which].end = p = tj_skip_value(p);
        } else {
            p = tj_skip_value(p);
        }
        p = tj_skip_ws(p);
        if (*p == ',')
            p = tj_skip_ws(p + 1);
    }
    return 0;
}

int tj_integer(tj_span_t v, long long *out)
{
    const char *p = v.p;

    if (*p != '-' && !tj_is_digit((unsigned char)*p))
        return -1;
    for (const char *q = p; q < v.end; q++)
        if (*q == '.' || *q == 'e' || *q == 'E')
            return -1;
    *out = strtoll(p, NULL, 10); /* validated: it fits, and ends at v.end */
    return 0;
}

static size_t tj_put_utf8(char *buf, uint32_t cp)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xc0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    buf[0] = (char)(0xf0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    buf[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

int tj_string(tj_span_t v, char *out, size_t cap, size_t *len)
{
    tj_in_t in = {(const unsigned char *)v.p + 1, (const unsigned char *)v.end - 1};
    size_t n = 0;

    if (*v.p != '"')
        return -1;
    while (in.p < in.end) {
        char tmp[4];
        size_t k = 1;
        unsigned char c = *in.p++;

        if (c == '\\') {
            uint32_t cp;
            c = *in.p++;
            switch (c) {
            case 'b':
                tmp[0] = '\b';
                break;
            case 'f':
                tmp[0] = '\f';
                break;
            case 'n':
                tmp[0] = '\n';
                break;
            case 'r':
                tmp[0] = '\r';
                break;
            case 't':
                tmp[0] = '\t';
                break;
            case 'u':
                tj_unicode_escape(&in, &cp);
                k = tj_put_utf8(tmp, cp);
                break;
            default: /* " \ / */
                tmp[0] = (char)c;
                break;
            }
        } else {
            tmp[0] = (char)c;
        }
        for (size_t i = 0; i < k; i++, n++)
            if (n + 1 < cap)
                out[n] = tmp[i];
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    *len = n;
    return 0;
}

int tj_array_begin(tj_span_t v, tj_iter_t *it)
{
    if (*v.p != '[')
        return -1;
    it->p = tj_skip_ws(v.p + 1);
    it->end = v.end;
    return 0;
}

int tj_array_next(tj_iter_t *it, tj_span_t *elem)
{
    if (*it->p == ']')
        return 0;
    elem->p = it->p;
    elem->end = tj_skip_value(it->p);
    it->p = tj_skip_ws(elem->end);
    if (*it->p == ',')
        it->p = tj_skip_ws(it->p + 1);
    return 1;
}

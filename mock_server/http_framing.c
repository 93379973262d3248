#include "http_framing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Smallest copy of an incomplete head: most heads fit, so a head split over
 * several reads is copied into one buffer that does not grow on each. */
#define FRAMING_PARTIAL_MIN 1024

/* Grows f->partial to hold need bytes, keeping its contents. */
static int framer_reserve(http_framer_t *f, size_t need)
{
    size_t cap = need < FRAMING_PARTIAL_MIN ? FRAMING_PARTIAL_MIN : need;
    char *p;

    if (need <= f->partial_cap)
        return 0;
    p = realloc(f->partial, cap);
    if (!p)
        return -ENOMEM;
    f->partial = p;
    f->partial_cap = cap;
    return 0;
}

static void framer_partial_free(http_framer_t *f)
{
    free(f->partial);
    f->partial = NULL;
    f->partial_len = f->partial_cap = 0;
}

int http_framer_begin(http_framer_t *f, const char *data, size_t n)
{
    if (f->partial_len) {
        /* partial_len < HTTP_HEAD_MAX (the parser refuses longer heads), so
         * the copy is bounded by one head plus one read. */
        if (framer_reserve(f, f->partial_len + n) != 0)
            return -ENOMEM;
        memcpy(f->partial + f->partial_len, data, n);
        f->partial_len += n;
        data = f->partial;
        n = f->partial_len;
    }
    f->buf = data;
    f->len = n;
    f->off = 0;
    return 0;
}

int http_framer_next(http_framer_t *f, http_frame_t *out)
{
    while (f->off < f->len) {
        int r;

        if (f->body_skip) {
            size_t k = f->len - f->off < f->body_skip ? f->len - f->off : (size_t)f->body_skip;
            f->off += k;
            f->body_skip -= k;
            continue;
        }
        r = http_parser_execute(&f->parser, f->buf + f->off, f->len - f->off, &out->req);
        if (r <= 0)
            return r; /* 0: every byte left is the start of a head */
        out->head = f->buf + f->off;
        out->head_len = (size_t)r;
        f->off += (size_t)r;
        f->body_skip = out->req.content_length;
        return 1;
    }
    return 0;
}

int http_framer_end(http_framer_t *f)
{
    size_t rest = f->len - f->off;
    const char *from = f->buf + f->off;

    f->buf = NULL;
    f->len = f->off = 0;
    if (rest == 0) {
        framer_partial_free(f);
        return 0;
    }
    /* When from points into partial itself, rest <= partial_cap: no realloc
     * moves it under us. */
    if (framer_reserve(f, rest) != 0)
        return -ENOMEM;
    memmove(f->partial, from, rest);
    f->partial_len = rest;
    return 0;
}

bool http_framer_in_request(const http_framer_t *f)
{
    return f->partial_len > 0 || f->body_skip > 0;
}

void http_framer_reset(http_framer_t *f)
{
    framer_partial_free(f);
    memset(f, 0, sizeof *f);
}

int http_framer_error_status(int err)
{
    return err == HTTP_PARSE_EBODY_TOO_LARGE ? 413 : 400;
}

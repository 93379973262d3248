#include "common/redact.h"

#include <stdio.h>
#include <string.h>

/* A URL's "scheme://user:password@": the password ends at the last '@'
 * before the host part ('/', '?' or the end). */
static void redact_url(const char *v, const char *scheme_end, char *out, size_t cap)
{
    const char *auth = scheme_end + 3, *end = auth + strcspn(auth, "/?#"), *at = NULL, *colon;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        snprintf(out, cap, "%s", v);
        return;
    }
    snprintf(out, cap, "%.*s***%s", (int)(colon + 1 - v), v, at);
}

void redact_secrets(const char *value, char *out, size_t cap)
{
    const char *scheme_end = strstr(value, "://");
    size_t len = 0;

    if (scheme_end) {
        redact_url(value, scheme_end, out, cap);
        return;
    }
    /* Keyword DSN: "host=... password=secret user=..." or password='a b'. */
    for (const char *p = value; *p && len + 1 < cap;) {
        if ((p == value || p[-1] == ' ') && strncmp(p, "password", 8) == 0) {
            const char *q = p + 8;
            while (*q == ' ')
                q++;
            if (*q == '=') {
                q++;
                while (*q == ' ')
                    q++;
                if (*q == '\'') {
                    for (q++; *q && *q != '\''; q++)
                        if (*q == '\\' && q[1])
                            q++;
                    if (*q)
                        q++;
                } else {
                    q += strcspn(q, " ");
                }
                len += (size_t)snprintf(out + len, cap - len, "password=***");
                p = q;
                continue;
            }
        }
        out[len++] = *p++;
    }
    out[len < cap ? len : cap - 1] = '\0';
}

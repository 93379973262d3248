#include "engine/redis_sync.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* userinfo: [user]:password@ before end; advances *p past it. Error
 * messages name the URL with the password blanked. */
static int redis_addr_userinfo(const char *url, const char **p, const char *end, redis_addr_t *a,
                               char *err, size_t errlen)
{
    const char *at = memchr(*p, '@', (size_t)(end - *p));
    if (at) {
        const char *colon = memchr(*p, ':', (size_t)(at - *p));
        size_t ulen = colon ? (size_t)(colon - *p) : 0;
        const char *pw = colon ? colon + 1 : *p;
        size_t plen = (size_t)(at - pw);
        if (ulen >= sizeof a->user || plen >= sizeof a->password) {
            snprintf(err, errlen, "Redis URL %.*s...: user or password too long", (int)(*p - url),
                     url);
            return -1;
        }
        memcpy(a->user, *p, ulen);
        memcpy(a->password, pw, plen);
        a->password_in_url = plen > 0;
        *p = at + 1;
    }
    return 0;
}

/* A URL without a password takes REDIS_PASSWORD_ENV's, if set: a password
 * on a command line is readable by every local user. */
static int redis_addr_env_password(redis_addr_t *a, char *err, size_t errlen)
{
    const char *pw = getenv(REDIS_PASSWORD_ENV);
    if (a->password[0] || !pw)
        return 0;
    if (strlen(pw) >= sizeof a->password) {
        snprintf(err, errlen, "%s: password too long", REDIS_PASSWORD_ENV);
        return -1;
    }
    snprintf(a->password, sizeof a->password, "%s", pw);
    return 0;
}

/* unix://[[user]:password@]/path[?db=N]; p is just past "unix://". */
static int redis_addr_parse_unix(const char *url, const char *p, redis_addr_t *a, char *err,
                                 size_t errlen)
{
    const char *q, *end = p + strlen(p);
    char *num_end;
    long v;

    if (redis_addr_userinfo(url, &p, p + strcspn(p, "/"), a, err, errlen))
        return -1;
    q = strchr(p, '?');
    if (*p != '/' || (size_t)((q ? q : end) - p) >= sizeof a->path) {
        snprintf(err, errlen,
                 "Redis URL %s: want unix:///absolute/path/to/socket (at most %zu "
                 "bytes)",
                 p, sizeof a->path - 1);
        return -1;
    }
    memcpy(a->path, p, (size_t)((q ? q : end) - p));
    if (q) {
        errno = 0;
        v = strncmp(q, "?db=", 4) == 0 ? strtol(q + 4, &num_end, 10) : -1;
        if (v < 0 || errno || *num_end || v > 1000000) {
            snprintf(err, errlen, "Redis URL unix://%s: want ?db=N after the path", a->path);
            return -1;
        }
        a->db = (int)v;
    }
    return 0;
}

int redis_addr_parse(const char *url, redis_addr_t *a, char *err, size_t errlen)
{
    const char *p = url, *hostend, *end, *hide;
    char *num_end;
    long v;

    memset(a, 0, sizeof *a);
    a->port = 6379;
    if (!url || !*url) {
        snprintf(err, errlen, "empty Redis URL");
        return -1;
    }
    if (strncmp(p, "unix://", 7) == 0)
        return redis_addr_parse_unix(url, p + 7, a, err, errlen) ||
                       redis_addr_env_password(a, err, errlen)
                   ? -1
                   : 0;
    if (strncmp(p, "redis://", 8) == 0)
        p += 8;
    end = p + strcspn(p, "/?#");
    if (redis_addr_userinfo(url, &p, end, a, err, errlen))
        return -1;
    /* Messages show the URL from the host on: never its password. */
    hide = p != url && p[-1] == '@' ? "***@" : "";
    if (*p == '[') { /* IPv6 literal */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) {
            snprintf(err, errlen, "Redis URL %s%s: unterminated [", hide, p);
            return -1;
        }
        if ((size_t)(rb - p - 1) >= sizeof a->host)
            goto bad_host;
        memcpy(a->host, p + 1, (size_t)(rb - p - 1));
        hostend = rb + 1;
    } else {
        hostend = memchr(p, ':', (size_t)(end - p));
        if (!hostend)
            hostend = end;
        if ((size_t)(hostend - p) >= sizeof a->host)
            goto bad_host;
        memcpy(a->host, p, (size_t)(hostend - p));
    }
    if (!a->host[0])
        goto bad_host;
    if (hostend < end && *hostend == ':') {
        errno = 0;
        v = strtol(hostend + 1, &num_end, 10);
        if (errno || num_end != end || v < 1 || v > 65535) {
            snprintf(err, errlen, "Redis URL %s%s: bad port", hide, p);
            return -1;
        }
        a->port = (int)v;
    } else if (hostend != end) {
        goto bad_host;
    }
    if (*end == '/' && end[1]) {
        errno = 0;
        v = strtol(end + 1, &num_end, 10);
        if (errno || *num_end || v < 0 || v > 1000000) {
            snprintf(err, errlen, "Redis URL %s%s: bad database number", hide, p);
            return -1;
        }
        a->db = (int)v;
    } else if (*end && strcmp(end, "/") != 0) {
        snprintf(err, errlen, "Redis URL %s%s: unexpected \"%s\"", hide, p, end);
        return -1;
    }
    return redis_addr_env_password(a, err, errlen);
bad_host:
    snprintf(err, errlen, "Redis URL %s%s: bad host (want redis://HOST:PORT)", hide, p);
    return -1;
}

void redis_addr_public_url(const redis_addr_t *a, char *out, size_t cap)
{
    int v6 = strchr(a->host, ':') != NULL;
    int n = a->path[0]
                ? snprintf(out, cap, "unix://%s%s%s", a->user, a->user[0] ? "@" : "", a->path)
                : snprintf(out, cap, "redis://%s%s%s%s%s:%d", a->user, a->user[0] ? "@" : "",
                           v6 ? "[" : "", a->host, v6 ? "]" : "", a->port);
    if (a->db && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, a->path[0] ? "?db=%d" : "/%d", a->db);
}

static struct timeval redis_tv(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

redisReply *redis_sync_command(redisContext *c, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;
    char verb[32];

    snprintf(verb, sizeof verb, "%.*s", (int)strcspn(fmt, " "), fmt);
    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r) {
        snprintf(err, errlen, "%s: %s", verb, c->errstr[0] ? c->errstr : "no reply");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s: %s", verb, r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

const char *redis_addr_where(const redis_addr_t *a, char *buf, size_t len)
{
    if (a->path[0])
        snprintf(buf, len, "%s", a->path);
    else
        snprintf(buf, len, "%s:%d", a->host, a->port);
    return buf;
}

redisContext *redis_sync_connect(const redis_addr_t *a, int timeout_ms, char *err, size_t errlen)
{
    redisContext *c = a->path[0] ? redisConnectUnixWithTimeout(a->path, redis_tv(timeout_ms))
                                 : redisConnectWithTimeout(a->host, a->port, redis_tv(timeout_ms));
    redisReply *r = NULL;
    char why[256], where[300];

    redis_addr_where(a, where, sizeof where);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (c->err) {
        snprintf(err, errlen, "cannot connect to Redis at %s: %s", where, c->errstr);
        goto fail;
    }
    if (redisSetTimeout(c, redis_tv(timeout_ms)) != REDIS_OK) {
        snprintf(err, errlen, "Redis at %s: cannot set a socket timeout", where);
        goto fail;
    }
    if (a->password[0]) {
        r = a->user[0] ? redis_sync_command(c, why, sizeof why, "AUTH %s %s", a->user, a->password)
                       : redis_sync_command(c, why, sizeof why, "AUTH %s", a->password);
        if (!r)
            goto fail_why;
        freeReplyObject(r);
    }
    if (a->db) {
        if (!(r = redis_sync_command(c, why, sizeof why, "SELECT %d", a->db)))
            goto fail_why;
        freeReplyObject(r);
    }
    return c;
fail_why:
    snprintf(err, errlen, "Redis at %s: %s", where, why);
fail:
    redisFree(c);
    return NULL;
}

void redis_sync_pin_host(redisContext *c, redis_addr_t *a)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char buf[INET6_ADDRSTRLEN];
    const void *addr;
    if (c->fd < 0 || getpeername(c->fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET)
        addr = &((struct sockaddr_in *)&ss)->sin_addr;
    else if (ss.ss_family == AF_INET6)
        addr = &((struct sockaddr_in6 *)&ss)->sin6_addr;
    else
        return;
    if (inet_ntop(ss.ss_family, addr, buf, sizeof buf))
        snprintf(a->host, sizeof a->host, "%s", buf);
}

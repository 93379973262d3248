#include "harness/config/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/opt.h"
#include "harness/config/paths.h"

int config_init(config_t *c)
{
    char err[256];
    memset(c, 0, sizeof *c);
    for (const knob_t *k = config_knobs; k->name; k++)
        if (config_set(c, k->name, k->def, err, sizeof err))
            return -1;
    return 0;
}

void config_free(config_t *c)
{
    for (const knob_t *k = config_knobs; k->name; k++) {
        if (k->type == KNOB_STR) {
            char **p = (char **)((char *)c + k->offset);
            free(*p);
            *p = NULL;
        }
    }
    free(c->scenario_question);
    free(c->scenario_expect);
    c->scenario_question = c->scenario_expect = NULL;
}

/* Numbers go through common/opt's strict parsers, so a knob refuses
 * "1e3" for a whole number, a sign, or trailing text the same way a
 * command's own flags do, with the knob's name and range in the message;
 * durations take units and fractions a '%' (common/opt.h). */
static int config_set_number(const knob_t *k, void *p, const char *value, char *err, size_t errlen)
{
    uint64_t u;
    double d;

    if (k->flags & KNOB_DURATION) {
        if (opt_parse_ms(k->name, value, k->min, k->max, k->type != KNOB_DOUBLE, &d, err, errlen))
            return -1;
        if (k->type == KNOB_DOUBLE)
            *(double *)p = d;
        else
            *(int *)p = (int)d; /* duration knobs are KNOB_DOUBLE or KNOB_INT */
        return 0;
    }
    if (k->type == KNOB_DOUBLE) {
        if ((k->flags & KNOB_FRACTION)
                ? opt_parse_fraction(k->name, value, k->min, k->max, &d, err, errlen)
                : opt_parse_double(k->name, value, k->min, k->max, &d, err, errlen))
            return -1;
        *(double *)p = d;
        return 0;
    }
    /* The bound of a U64 knob near 2^64 is no exact double: clamp it. */
    if (opt_parse_u64(k->name, value, (uint64_t)k->min,
                      k->max >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)k->max, &u, err,
                      errlen))
        return -1;
    if (k->type == KNOB_INT)
        *(int *)p = (int)u;
    else if (k->type == KNOB_U32)
        *(uint32_t *)p = (uint32_t)u;
    else
        *(uint64_t *)p = u;
    return 0;
}

int config_set(config_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    const knob_t *k = config_knob_find(name);
    void *p;
    char *s;

    if (!k) {
        snprintf(err, errlen, "unknown knob '%s' (concbench list shows them all)", name);
        return -1;
    }
    p = (char *)c + k->offset;
    if (k->type == KNOB_CHOICE) {
        int i = opt_parse_choice(name, value, k->choices, err, errlen);
        if (i < 0)
            return -1;
        *(int *)p = i;
        return 0;
    }
    if (k->type != KNOB_STR)
        return config_set_number(k, p, value, err, errlen);
    if (k->choices && opt_parse_choice(name, value, k->choices, err, errlen) < 0)
        return -1;
    if (k->check && k->check(name, value, err, errlen))
        return -1;
    s = strdup(value);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(*(char **)p);
    *(char **)p = s;
    return 0;
}

static char *trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Rewrites err in place so that it shows no byte a terminal could take
 * as a command: control characters and bytes above 0x7e become \xNN (a
 * binary file's bytes end up in messages that quote its lines). */
static void config_err_printable(char *err, size_t errlen)
{
    char buf[1024];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)err; *p && o + 5 < sizeof buf; p++) {
        if (*p < 0x20 || *p > 0x7e)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o] = '\0';
    snprintf(err, errlen, "%s", buf);
}

/* Opens a scenario file for reading: a regular file (never a FIFO, which
 * would block, or a device, which never ends) of at most
 * LIMIT_SCENARIO_FILE_BYTES. Returns the stream, or NULL with err set. */
static FILE *config_scenario_open(const char *path, char *err, size_t errlen)
{
    struct stat st;
    FILE *f;
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "cannot read scenario %s: %s (concbench list shows the presets)",
                 path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > LIMIT_SCENARIO_FILE_BYTES) {
        snprintf(err, errlen, "cannot read scenario %s: %s", path,
                 S_ISDIR(st.st_mode)    ? strerror(EISDIR)
                 : !S_ISREG(st.st_mode) ? "not a regular file (a scenario is a small text file)"
                                        : "larger than " LIMIT_STR(
                                              LIMIT_SCENARIO_FILE_BYTES) " bytes: not a scenario");
        close(fd);
        return NULL;
    }
    if (fcntl(fd, F_SETFL, 0) || !(f = fdopen(fd, "r"))) {
        snprintf(err, errlen, "cannot read scenario %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    return f;
}

/* One `key = value` line (line is NUL-free; the BOM of line 1 is gone).
 * seen[] remembers the knobs set so far and the line that set each. Returns
 * 0, or -1 with "FILE:LINE: reason" in err. */
static int config_scenario_line(config_t *c, const char *file, int lineno, char *line,
                                int *seen_line, char *err, size_t errlen)
{
    char msg[300], *eq, *key, *val;
    const knob_t *k;

    key = trim(line);
    if (*key == '\0' || *key == '#' || *key == ';')
        return 0;
    eq = strchr(key, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%d: expected 'key = value', got '%.80s'", file, lineno, key);
        return -1;
    }
    *eq = '\0';
    val = trim(eq + 1);
    key = trim(key);
    if (strcmp(key, "scenario") == 0) {
        snprintf(err, errlen, "%s:%d: a scenario cannot include another", file, lineno);
        return -1;
    }
    if (config_set(c, key, val, msg, sizeof msg)) {
        snprintf(err, errlen, "%s:%d: %s", file, lineno, msg);
        return -1;
    }
    /* A key given twice: one of the two values is a mistake, and which one
     * wins would be an accident of order. */
    k = config_knob_find(key);
    if (seen_line[k - config_knobs]) {
        snprintf(err, errlen, "%s:%d: %s is already set on line %d; keep one", file, lineno, key,
                 seen_line[k - config_knobs]);
        return -1;
    }
    seen_line[k - config_knobs] = lineno;
    return 0;
}

/* Adds one header comment line (the '#' and one space gone) to the text
 * being gathered in *buf: joined with a space, "name — " dropped from the
 * first line. Returns -1 when out of memory. */
static int config_header_append(char **buf, size_t *len, const char *text)
{
    size_t n;
    char *grown;
    const char *dash;
    if (*len == 0 && (dash = strstr(text, " \u2014 ")))
        text = dash + strlen(" \u2014 ");
    n = strlen(text);
    if (!(grown = realloc(*buf, *len + n + 2)))
        return -1;
    *buf = grown;
    if (*len)
        grown[(*len)++] = ' ';
    memcpy(grown + *len, text, n + 1);
    *len += n;
    return 0;
}

/* Makes header text safe to print and to store as a JSON string: control
 * characters (C0, DEL and C1, which a terminal may act on) become spaces,
 * bytes that are not valid UTF-8 become '?'. In place; the text only
 * shrinks or keeps its length. */
static void config_header_printable(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 1
                : (*p & 0xE0) == 0xC0 ? 2
                : (*p & 0xF0) == 0xE0 ? 3
                : (*p & 0xF8) == 0xF0 ? 4
                                      : 0;
        int ok = n > 0 && !(n == 2 && *p < 0xC2);
        for (int k = 1; ok && k < n; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (!ok) {
            *p++ = '?';
            continue;
        }
        if (n == 1 && (*p < 0x20 || *p == 0x7f))
            *p = ' ';
        else if (n == 2 && *p == 0xC2 && p[1] < 0xA0) /* U+0080..U+009F */
            p[0] = p[1] = ' ';
        p += n;
    }
}

/* Splits the gathered header at "Expect:" into the scenario's question
 * and expectation (trimmed; the whole header is the question without
 * one). Takes over header. */
static void config_header_set(config_t *c, char *header)
{
    char *expect;
    free(c->scenario_question);
    free(c->scenario_expect);
    c->scenario_question = c->scenario_expect = NULL;
    if (!header)
        return;
    config_header_printable(header);
    if ((expect = strstr(header, "Expect:"))) {
        *expect = '\0';
        c->scenario_expect = strdup(trim(expect + strlen("Expect:")));
    }
    c->scenario_question = strdup(trim(header));
    free(header);
}

int config_load_file(config_t *c, const char *path, char *err, size_t errlen)
{
    char *header = NULL;
    size_t header_len = 0;
    int in_header = 1;
    char resolved[PATH_MAX], *line = NULL;
    size_t cap = 0, nknobs = 0;
    ssize_t n;
    FILE *f;
    int lineno = 0, rc = 0, w, *seen;

    if (!strchr(path, '/') && !strstr(path, ".conf"))
        w = snprintf(resolved, sizeof resolved, "%s/%s.conf", config_scenario_dir(), path);
    else
        w = snprintf(resolved, sizeof resolved, "%s", path);
    if (w < 0 || (size_t)w >= sizeof resolved) {
        snprintf(err, errlen, "cannot read scenario %.64s...: path too long", path);
        config_err_printable(err, errlen);
        return -1;
    }
    if (!(f = config_scenario_open(resolved, err, errlen))) {
        config_err_printable(err, errlen);
        return -1;
    }
    while (config_knobs[nknobs].name)
        nknobs++;
    if (!(seen = calloc(nknobs, sizeof *seen))) {
        snprintf(err, errlen, "out of memory");
        fclose(f);
        return -1;
    }
    /* getline, not fgets: a line of any length is read whole, and its length
     * tells a NUL byte (which would silently cut the value short) from the
     * line's end. The file is bounded (config_scenario_open), so is a line. */
    errno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        char *text = line;
        lineno++;
        if (memchr(line, '\0', (size_t)n)) {
            snprintf(err, errlen, "%s:%d: NUL byte: not a text file of 'key = value' lines",
                     resolved, lineno);
            rc = -1;
            break;
        }
        if (n > LIMIT_SCENARIO_LINE_BYTES) {
            snprintf(err, errlen, "%s:%d: line longer than %d bytes: not a 'key = value' line",
                     resolved, lineno, LIMIT_SCENARIO_LINE_BYTES);
            rc = -1;
            break;
        }
        /* A UTF-8 byte order mark (editors on Windows write one) is not
         * part of the first key. */
        if (lineno == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;
        if (in_header && text[0] == '#') {
            text[strcspn(text, "\r\n")] = '\0';
            if (config_header_append(&header, &header_len, text + 1 + (text[1] == ' '))) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            continue;
        }
        in_header = 0;
        if (config_scenario_line(c, resolved, lineno, text, seen, err, errlen)) {
            rc = -1;
            break;
        }
        errno = 0;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read scenario %s: %s", resolved,
                 strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (rc)
        config_err_printable(err, errlen);
    if (rc == 0)
        config_header_set(c, header);
    else
        free(header);
    free(seen);
    free(line);
    fclose(f);
    return rc;
}

/* The latency, seed and items always go to the mock API: they define the
 * workload the verifier checks against. */
static int mock_knob_always(const knob_t *k)
{
    return strcmp(k->name, "latency_ms") == 0 || strcmp(k->name, "seed") == 0 ||
           strcmp(k->name, "items") == 0;
}

int64_t config_request_worst_ms(const config_t *c)
{
    int64_t attempts = (int64_t)c->job.retries + 1, backoff = c->job.backoff_ms, sum = 0;

    for (int64_t i = 1; i < attempts; i++) {
        sum += backoff < LIMIT_RETRY_BACKOFF_MAX_MS ? backoff : LIMIT_RETRY_BACKOFF_MAX_MS;
        if (backoff < LIMIT_RETRY_BACKOFF_MAX_MS)
            backoff *= 2;
    }
    return attempts * c->job.timeout_ms + sum;
}

int config_stall_timeout_s(const config_t *c)
{
    int64_t worst_s;

    if (c->stall_timeout_s > 0)
        return c->stall_timeout_s;
    worst_s = (config_request_worst_ms(c) + 999) / 1000;
    return worst_s > LIMIT_STALL_DEFAULT_S ? (int)worst_s : LIMIT_STALL_DEFAULT_S;
}

int config_mock_customised(const config_t *c)
{
    char buf[512], def[512];
    config_t d;
    int n = 0;
    if (config_init(&d))
        return 0;
    for (const knob_t *k = config_knobs; k->name; k++) {
        if (!(k->flags & KNOB_MOCK) || mock_knob_always(k))
            continue;
        config_format(c, k, buf, sizeof buf);
        config_format(&d, k, def, sizeof def);
        n += strcmp(buf, def) != 0;
    }
    config_free(&d);
    return n;
}

int config_mock_args(const config_t *c, char **argv, int cap)
{
    char buf[512], def[512];
    config_t d;
    int n = 0;
    if (config_init(&d))
        return 0;
    for (const knob_t *k = config_knobs; k->name && n + 2 < cap; k++) {
        if (!(k->flags & KNOB_MOCK))
            continue;
        config_format(c, k, buf, sizeof buf);
        config_format(&d, k, def, sizeof def);
        if (strcmp(buf, def) == 0 && !mock_knob_always(k))
            continue;
        argv[n++] = strdup(k->mock_flag);
        argv[n++] = strdup(buf);
    }
    argv[n] = NULL;
    config_free(&d);
    return n;
}

void config_mock_args_free(char **argv)
{
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
}

/* The shortest text that reads back as the same double: 0.1, not
 * 0.10000000000000001. */
static void config_format_double(double v, char *buf, size_t cap)
{
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, cap, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* The i-th name of "a|b|c". */
static void config_format_choice(const char *choices, int i, char *buf, size_t cap)
{
    const char *p = choices;
    for (; i > 0 && p; i--)
        if ((p = strchr(p, '|')))
            p++;
    snprintf(buf, cap, "%.*s", p ? (int)strcspn(p, "|") : 0, p ? p : "");
}

void config_format(const config_t *c, const knob_t *k, char *buf, size_t cap)
{
    const void *p = (const char *)c + k->offset;
    switch (k->type) {
    case KNOB_INT:
        snprintf(buf, cap, "%d", *(const int *)p);
        break;
    case KNOB_U32:
        snprintf(buf, cap, "%u", *(const uint32_t *)p);
        break;
    case KNOB_U64:
        snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)p);
        break;
    case KNOB_DOUBLE:
        config_format_double(*(const double *)p, buf, cap);
        break;
    case KNOB_CHOICE:
        config_format_choice(k->choices, *(const int *)p, buf, cap);
        break;
    default:
        snprintf(buf, cap, "%s", *(char *const *)p ? *(char *const *)p : "");
        break;
    }
}

#include "models/external/protocol.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where one id stands. A delivery (`take`) moves it TAKEN -> SENT ->
 * ANSWERED, back to SENT for each retry, then ANSWERED -> FETCHED -> DONE,
 * or to FAILED from ANSWERED (an HTTP or payload class) or FETCHED (db).
 * A new `take` starts a re-delivery from any state. */
enum { XS_NEW = 0, XS_TAKEN, XS_SENT, XS_ANSWERED, XS_FETCHED, XS_DONE, XS_FAILED };

struct extproto_id {
    int64_t last_ns;   /* the id's latest timestamp: its events never go back */
    int16_t status;    /* the latest answered attempt's HTTP status (0: none) */
    uint16_t attempts; /* `send` lines of the current delivery */
    uint8_t state;
    uint8_t deliveries;
};

int extproto_init(extproto_t *p, outcome_table_t *t, int retries, int64_t start_ns)
{
    memset(p, 0, sizeof *p);
    p->t = t;
    p->retries = retries;
    p->start_ns = start_ns;
    p->ids = calloc(t->n ? t->n : 1, sizeof *p->ids);
    return p->ids ? 0 : -1;
}

void extproto_free(extproto_t *p)
{
    free(p->ids);
    p->ids = NULL;
}

static int fail_msg(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A field: a decimal number without sign or leading zeros, at most 19
 * digits (fits int64). Returns 0 or -1. */
static int field_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Splits line into at most 5 fields separated by single spaces. Returns
 * the count, or -1 for an empty field (two spaces, or a space at either
 * end) or too many fields. */
static int split_fields(const char *line, size_t len, const char *f[5], size_t flen[5])
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ' ')
            continue;
        if (i == start || n == 5)
            return -1;
        f[n] = line + start;
        flen[n++] = i - start;
        start = i + 1;
    }
    return n;
}

static int field_is(const char *f, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(f, word, len) == 0;
}

/* The error class a `fail` line may name after an attempt answered with
 * status: the class must say what the last attempt saw. */
static int class_fits_status(err_class_t c, int status)
{
    switch (c) {
    case ERR_HTTP_429:
        return status == 429;
    case ERR_HTTP_4XX:
        return status >= 400 && status < 500 && status != 429;
    case ERR_HTTP_5XX:
        return status >= 500 && status < 600;
    case ERR_TIMEOUT:
    case ERR_CONNECT:
    case ERR_RESET:
        return status == 0;
    case ERR_BAD_PAYLOAD:
        return status >= 100 && status < 400;
    default:
        return 0;
    }
}

static int class_parse(const char *f, size_t len, err_class_t *c)
{
    for (int k = ERR_HTTP_429; k < ERR__COUNT; k++)
        if (field_is(f, len, err_class_name((err_class_t)k))) {
            *c = (err_class_t)k;
            return 0;
        }
    return -1;
}

/* The version line. */
static int extproto_version(extproto_t *p, const char *line, size_t len, char *err, size_t errlen)
{
    const char *f[5];
    size_t fl[5];
    uint64_t v;
    int n = split_fields(line, len, f, fl);

    if (n != 2 || !field_is(f[0], fl[0], EXTPROTO_MAGIC))
        return fail_msg(err, errlen, "the first line must be '%s %d', not '%.*s'", EXTPROTO_MAGIC,
                        EXTPROTO_VERSION, (int)len, line);
    if (field_u64(f[1], fl[1], &v) || v != EXTPROTO_VERSION)
        return fail_msg(err, errlen,
                        "the program speaks protocol version '%.*s'; this concbench speaks "
                        "version %d",
                        (int)fl[1], f[1], EXTPROTO_VERSION);
    p->version_ok = 1;
    return 0;
}

/* One id's event: the state machine above. */
static int extproto_event(extproto_t *p, const char *verb, size_t vlen, uint64_t id, int64_t ts,
                          const char *arg, size_t alen, int nargs, char *err, size_t errlen)
{
    extproto_id_t *x = &p->ids[id - 1];
    outcome_table_t *t = p->t;
    uint64_t status;
    err_class_t c;

#define WANT_ARGS(k)                                                                               \
    do {                                                                                           \
        if (nargs != (k))                                                                          \
            return fail_msg(err, errlen, "'%.*s' takes %d field(s) after the id, not %d",          \
                            (int)vlen, verb, (k), nargs);                                          \
    } while (0)

    if (ts < x->last_ns)
        return fail_msg(err, errlen,
                        "timestamp %" PRId64 " of id %" PRIu64 " is before its previous event's "
                        "(%" PRId64 "): an id's events must be in time order",
                        ts, id, x->last_ns);
    if (field_is(verb, vlen, "take")) {
        WANT_ARGS(0);
        if (x->deliveries >= EXTPROTO_DELIVERIES_MAX)
            return fail_msg(err, errlen, "id %" PRIu64 " taken more than %d times", id,
                            EXTPROTO_DELIVERIES_MAX);
        if (x->state == XS_SENT) /* the attempt died with the worker that held it */
            outcome_attempt_end_at(t, id, 0, ts);
        /* Taken again: handed out again if its previous delivery had
         * started (an attempt sent), else only queued again. */
        if (x->deliveries > 0)
            atomic_fetch_add(x->state == XS_TAKEN ? &t->requeued : &t->redelivered, 1);
        outcome_queued_at(t, id, ts);
        x->deliveries++;
        x->attempts = 0;
        x->status = 0;
        x->state = XS_TAKEN;
    } else if (field_is(verb, vlen, "send")) {
        WANT_ARGS(0);
        if (x->state != XS_TAKEN && x->state != XS_ANSWERED)
            return fail_msg(err, errlen,
                            "'send' for id %" PRIu64 ", which is not taken or has an attempt "
                            "open or is finished",
                            id);
        if (x->state == XS_ANSWERED && x->status >= 400 && x->status < 500 && x->status != 429)
            return fail_msg(err, errlen,
                            "id %" PRIu64 " retried after a %d: a 4xx other than 429 is final", id,
                            x->status);
        if (x->attempts >= p->retries + 1)
            return fail_msg(err, errlen,
                            "id %" PRIu64 " sent a %dth attempt: retries = %d allows %d per "
                            "delivery",
                            id, x->attempts + 1, p->retries, p->retries + 1);
        /* An external program reports one moment for both: the attempt
         * starts and its request is on the wire (docs/external-models.md:
         * its connecting, if any, is inside the attempt). */
        outcome_attempt_start_at(t, id, ts);
        outcome_attempt_wire_at(t, id, ts);
        x->attempts++;
        x->state = XS_SENT;
    } else if (field_is(verb, vlen, "recv")) {
        WANT_ARGS(1);
        if (x->state != XS_SENT)
            return fail_msg(err, errlen, "'recv' for id %" PRIu64 ", which has no attempt open",
                            id);
        if (field_u64(arg, alen, &status) || (status != 0 && (status < 100 || status > 599)))
            return fail_msg(err, errlen,
                            "'recv' status '%.*s' is not an HTTP status (100..599) or 0 (no "
                            "response)",
                            (int)alen, arg);
        outcome_attempt_end_at(t, id, (int)status, ts);
        x->status = (int16_t)status;
        x->state = XS_ANSWERED;
    } else if (field_is(verb, vlen, "fetched")) {
        WANT_ARGS(0);
        if (x->state != XS_ANSWERED || x->status < 200 || x->status > 299)
            return fail_msg(err, errlen,
                            "'fetched' for id %" PRIu64 ", whose last attempt did not answer "
                            "2xx",
                            id);
        outcome_fetched_at(t, id, ts);
        x->state = XS_FETCHED;
    } else if (field_is(verb, vlen, "done")) {
        WANT_ARGS(0);
        if (x->state != XS_FETCHED)
            return fail_msg(err, errlen, "'done' for id %" PRIu64 ", which was not fetched", id);
        outcome_done_at(t, id, ts);
        x->state = XS_DONE;
    } else if (field_is(verb, vlen, "fail")) {
        WANT_ARGS(1);
        if (class_parse(arg, alen, &c))
            return fail_msg(err, errlen,
                            "'fail' class '%.*s' is none of http_429 http_4xx http_5xx timeout "
                            "connect reset bad_payload db",
                            (int)alen, arg);
        if (c == ERR_DB ? x->state != XS_FETCHED
                        : x->state != XS_ANSWERED || !class_fits_status(c, x->status))
            return fail_msg(err, errlen,
                            "'fail %s' for id %" PRIu64 " does not follow from its last event "
                            "(db after fetched; an HTTP class after a recv with that status; "
                            "timeout/connect/reset after recv 0; bad_payload after a 1xx-3xx)",
                            err_class_name(c), id);
        if (c != ERR_DB && c != ERR_HTTP_4XX && x->attempts < p->retries + 1)
            return fail_msg(err, errlen,
                            "id %" PRIu64 " failed with %s after %d attempt(s): a transient "
                            "failure is retried until retries + 1 = %d attempts",
                            id, err_class_name(c), x->attempts, p->retries + 1);
        outcome_fail_at(t, id, c, ts);
        x->state = XS_FAILED;
    } else {
        return fail_msg(err, errlen,
                        "unknown event '%.*s' (take send recv fetched done fail worker dbconn)",
                        (int)vlen, verb);
    }
#undef WANT_ARGS
    x->last_ns = ts;
    return 0;
}

int extproto_line(extproto_t *p, const char *line, size_t len, int64_t now_ns, char *err,
                  size_t errlen)
{
    const char *f[5];
    size_t fl[5];
    uint64_t ts, v;
    int n;

    if (len > EXTPROTO_LINE_MAX)
        return fail_msg(err, errlen, "a line of %zu bytes (at most %d)", len, EXTPROTO_LINE_MAX);
    for (size_t i = 0; i < len; i++)
        if (line[i] < 0x20 || line[i] > 0x7e)
            return fail_msg(err, errlen, "byte 0x%02x at column %zu: lines are printable ASCII",
                            (unsigned char)line[i], i + 1);
    if (!p->version_ok) {
        if (extproto_version(p, line, len, err, errlen))
            return -1;
        p->lines++;
        return 0;
    }
    n = split_fields(line, len, f, fl);
    if (n < 2)
        return fail_msg(err, errlen,
                        "'%.*s' is not EVENT TIMESTAMP [FIELDS...] separated by single spaces",
                        (int)len, line);
    if (field_u64(f[1], fl[1], &ts))
        return fail_msg(err, errlen, "timestamp '%.*s' is not a decimal number of nanoseconds",
                        (int)fl[1], f[1]);
    if ((int64_t)ts < p->start_ns || (int64_t)ts > now_ns)
        return fail_msg(err, errlen,
                        "timestamp %" PRIu64 " is outside the run (%" PRId64 "..%" PRId64
                        "): timestamps are CLOCK_MONOTONIC nanoseconds, taken when the event "
                        "happens",
                        ts, p->start_ns, now_ns);
    if (field_is(f[0], fl[0], "worker")) {
        if (n != 3 || field_u64(f[2], fl[2], &v) || v == 0 || v > INT32_MAX)
            return fail_msg(err, errlen, "'worker' takes a timestamp and a process id");
        if (p->pid_ok && !p->pid_ok((pid_t)v, p->pid_arg))
            return fail_msg(err, errlen,
                            "worker %" PRIu64 " is not a live process of the model's own "
                            "process group",
                            v);
        if (outcome_worker_register(p->t, (pid_t)v) < 0)
            return fail_msg(err, errlen, "more than %d workers", OUTCOME_MAX_WORKERS);
    } else if (field_is(f[0], fl[0], "dbconn")) {
        if (n != 2)
            return fail_msg(err, errlen, "'dbconn' takes a timestamp only");
        if (++p->dbconns > EXTPROTO_DBCONNS_MAX)
            return fail_msg(err, errlen, "more than %d 'dbconn' lines", EXTPROTO_DBCONNS_MAX);
        atomic_fetch_add(&p->t->db_conns, 1);
    } else {
        if (n < 3 || field_u64(f[2], fl[2], &v) || v < 1 || v > p->t->n)
            return fail_msg(err, errlen, "'%.*s' needs an id in 1..%u after the timestamp",
                            (int)len, line, p->t->n);
        if (extproto_event(p, f[0], fl[0], v, (int64_t)ts, n > 3 ? f[3] : NULL, n > 3 ? fl[3] : 0,
                           n - 3, err, errlen))
            return -1;
    }
    p->lines++;
    return 0;
}

int extproto_finish(const extproto_t *p, char *err, size_t errlen)
{
    static const char *const why[] = {"never taken", "taken, never sent", "an attempt open",
                                      "answered, no final outcome",
                                      "fetched, never done or failed"};
    if (!p->version_ok)
        return fail_msg(err, errlen, "the report is empty: no '%s %d' line", EXTPROTO_MAGIC,
                        EXTPROTO_VERSION);
    for (uint32_t i = 0; i < p->t->n; i++) {
        uint8_t s = p->ids[i].state;
        if (s != XS_DONE && s != XS_FAILED) {
            uint32_t left = 0;
            for (uint32_t j = i; j < p->t->n; j++)
                left += p->ids[j].state != XS_DONE && p->ids[j].state != XS_FAILED;
            return fail_msg(err, errlen,
                            "%u id(s) without a final outcome ('done' or 'fail'); the first, "
                            "id %u: %s",
                            left, i + 1, why[s]);
        }
    }
    return 0;
}

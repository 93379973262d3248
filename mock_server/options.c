#include "options.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/opt.h"

static const char usage[] =
    "usage: mockapi [--host ADDR] [--port P] [--latency-ms L] [knobs...]\n"
    "\n"
    "Mock HTTP/1.1 API for concbench. Prints one line 'mockapi listening on\n"
    "http://HOST:PORT' once it accepts connections; SIGINT/SIGTERM stop it.\n"
    "\n"
    "  GET  /orders/{id}   the order JSON for id (1..max-id), after the latency\n"
    "  GET  /__stats       counters as JSON (never delayed or throttled)\n"
    "  POST /__reset       clear counters, peaks and per-id attempt counts\n"
    "\n"
    "Server:\n"
    "  --host ADDR               address to bind (default 127.0.0.1)\n"
    "  --port P                  TCP port, 0 = any free port (default 8080)\n"
    "  --threads T               event loops sharing the port via SO_REUSEPORT (default 1)\n"
    "  --backlog N               listen backlog (default 65535)\n"
    "  --header-timeout-ms MS    408 + close when a request head is not complete\n"
    "                            this long after its first byte (default 10000)\n"
    "Orders:\n"
    "  --seed S                  generator and decision seed (default 42)\n"
    "  --items K                 line items per order, 1..1000 (default 10)\n"
    "  --max-id N                largest valid id (default 10000000)\n"
    "Latency (decided per (seed, id, attempt)):\n"
    "  --latency-ms L            fixed latency; mean (normal, exponential);\n"
    "                            median (lognormal) (default 0: answer at once)\n"
    "  --latency-dist D          fixed|uniform|normal|lognormal|exponential (default fixed)\n"
    "  --latency-min-ms A        uniform lower bound (default 0)\n"
    "  --latency-max-ms B        uniform upper bound (required for uniform)\n"
    "  --latency-sd-ms SD        normal standard deviation (result clamped at 0)\n"
    "  --latency-sigma S         lognormal shape (sigma of the underlying normal)\n"
    "  --tail-pct P --tail-ms X  P% of requests get X ms extra\n"
    "Throttling (0 = off):\n"
    "  --max-inflight M          more than M requests in flight -> 429, Retry-After: 1\n"
    "  --rate R                  token bucket refill in requests/s -> 429 when empty\n"
    "  --burst B                 token bucket size (default max(1, R))\n"
    "Faults (probabilities 0..1, sum <= 1, decided per (seed, id, attempt)):\n"
    "  --fail-rate F             answer 503\n"
    "  --reset-rate F            reset the connection (RST) instead of answering\n"
    "  --hang-rate F             never answer (until the client closes)\n"
    "  --bad-body-rate F         answer 200 with a truncated or invalid JSON body\n"
    "  --help                    this text\n";

const char *options_usage(void)
{
    return usage;
}

static int options_fail(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int options_fail(char *err, size_t errcap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
    return OPTIONS_ERROR;
}

enum mock_opt_kind { K_U64, K_INT, K_DOUBLE, K_HOST, K_DIST };

/* Which knobs were given, to refuse ones the chosen distribution ignores. */
enum {
    SET_MIN = 1,
    SET_MAX = 2,
    SET_SD = 4,
    SET_SIGMA = 8,
    SET_TAIL_PCT = 16,
    SET_TAIL_MS = 32,
    SET_BURST = 64,
};

struct opt_spec {
    const char *name;
    enum mock_opt_kind kind;
    double lo, hi;
    size_t offset;
    int set_bit;
    const char *expect; /* for the error line */
};

#define OFF(field) offsetof(mockapi_options_t, field)
static const struct opt_spec specs[] = {
    {"--host", K_HOST, 0, 0, OFF(host), 0, "an address"},
    {"--port", K_INT, 0, 65535, OFF(port), 0, "an integer 0..65535"},
    {"--threads", K_INT, 1, 64, OFF(threads), 0, "an integer 1..64"},
    {"--backlog", K_INT, 1, 1048576, OFF(backlog), 0, "an integer 1..1048576"},
    {"--header-timeout-ms", K_U64, 1, 86400000, OFF(header_timeout_ms), 0,
     "an integer 1..86400000"},
    {"--seed", K_U64, 0, (double)UINT64_MAX, OFF(seed), 0, "an unsigned 64-bit integer"},
    {"--items", K_INT, 1, 1000, OFF(items), 0, "an integer 1..1000"},
    {"--max-id", K_U64, 1, 4294967295.0, OFF(max_id), 0, "an integer 1..4294967295"},
    {"--latency-ms", K_DOUBLE, 0, 3600000, OFF(latency.ms), 0, "milliseconds 0..3600000"},
    {"--latency-dist", K_DIST, 0, 0, OFF(latency.dist), 0,
     "fixed, uniform, normal, lognormal or exponential"},
    {"--latency-min-ms", K_DOUBLE, 0, 3600000, OFF(latency.min_ms), SET_MIN,
     "milliseconds 0..3600000"},
    {"--latency-max-ms", K_DOUBLE, 0, 3600000, OFF(latency.max_ms), SET_MAX,
     "milliseconds 0..3600000"},
    {"--latency-sd-ms", K_DOUBLE, 0, 3600000, OFF(latency.sd_ms), SET_SD,
     "milliseconds 0..3600000"},
    {"--latency-sigma", K_DOUBLE, 0, 10, OFF(latency.sigma), SET_SIGMA, "a number 0..10"},
    {"--tail-pct", K_DOUBLE, 0, 100, OFF(latency.tail_pct), SET_TAIL_PCT, "a percentage 0..100"},
    {"--tail-ms", K_DOUBLE, 0, 3600000, OFF(latency.tail_ms), SET_TAIL_MS,
     "milliseconds 0..3600000"},
    {"--max-inflight", K_U64, 0, 1e15, OFF(max_inflight), 0, "an integer >= 0"},
    {"--rate", K_DOUBLE, 0, 1e9, OFF(rate), 0, "requests per second 0..1e9"},
    {"--burst", K_U64, 1, 1e9, OFF(burst), SET_BURST, "an integer 1..1000000000"},
    {"--fail-rate", K_DOUBLE, 0, 1, OFF(faults.fail_rate), 0, "a probability 0..1"},
    {"--reset-rate", K_DOUBLE, 0, 1, OFF(faults.reset_rate), 0, "a probability 0..1"},
    {"--hang-rate", K_DOUBLE, 0, 1, OFF(faults.hang_rate), 0, "a probability 0..1"},
    {"--bad-body-rate", K_DOUBLE, 0, 1, OFF(faults.bad_body_rate), 0, "a probability 0..1"},
};
#undef OFF

static void options_defaults(mockapi_options_t *o)
{
    memset(o, 0, sizeof *o);
    strcpy(o->host, "127.0.0.1");
    o->port = 8080;
    o->threads = 1;
    o->backlog = 65535;
    o->seed = 42;
    o->items = 10;
    o->max_id = 10000000;
    o->latency.dist = LATENCY_FIXED;
    o->header_timeout_ms = 10000;
}

/* Sets sp's field from v. Returns 0, or -1 with the reason in err. */
static int options_apply(const struct opt_spec *sp, const char *v, mockapi_options_t *o, char *err,
                         size_t errcap)
{
    char *field = (char *)o + sp->offset;
    uint64_t hi = sp->hi >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)sp->hi;
    int i;

    switch (sp->kind) {
    case K_HOST:
        if (*v == '\0' || strlen(v) >= sizeof o->host)
            return options_fail(err, errcap, "invalid value '%s' for %s (expected %s)", v, sp->name,
                                sp->expect);
        strcpy(o->host, v);
        return 0;
    case K_DIST:
        /* The names in latency_dist_t order. */
        if ((i = opt_parse_choice(sp->name, v, "fixed|uniform|normal|lognormal|exponential", err,
                                  errcap)) < 0)
            return -1;
        *(latency_dist_t *)(void *)field = (latency_dist_t)i;
        return 0;
    case K_INT:
        return opt_parse_int(sp->name, v, (int)sp->lo, (int)sp->hi, (int *)(void *)field, err,
                             errcap);
    case K_U64:
        return opt_parse_u64(sp->name, v, (uint64_t)sp->lo, hi, (uint64_t *)(void *)field, err,
                             errcap);
    case K_DOUBLE:
        return opt_parse_double(sp->name, v, sp->lo, sp->hi, (double *)(void *)field, err, errcap);
    }
    return -1;
}

/* Cross-flag rules: every given knob must have an effect. */
static int options_check(mockapi_options_t *o, int set, char *err, size_t errcap)
{
    latency_cfg_t *l = &o->latency;
    fault_cfg_t *f = &o->faults;

    if ((set & (SET_MIN | SET_MAX)) && l->dist != LATENCY_UNIFORM)
        return options_fail(
            err, errcap, "--latency-min-ms/--latency-max-ms apply only to --latency-dist uniform");
    if (l->dist == LATENCY_UNIFORM) {
        if (!(set & SET_MAX))
            return options_fail(err, errcap, "--latency-dist uniform needs --latency-max-ms");
        if (l->min_ms > l->max_ms)
            return options_fail(err, errcap, "--latency-min-ms must not exceed --latency-max-ms");
    }
    if ((set & SET_SD) && l->dist != LATENCY_NORMAL)
        return options_fail(err, errcap, "--latency-sd-ms applies only to --latency-dist normal");
    if ((set & SET_SIGMA) && l->dist != LATENCY_LOGNORMAL)
        return options_fail(err, errcap,
                            "--latency-sigma applies only to --latency-dist lognormal");
    if (((set & SET_TAIL_PCT) != 0) != ((set & SET_TAIL_MS) != 0))
        return options_fail(err, errcap, "--tail-pct and --tail-ms go together (give both)");
    if ((set & SET_BURST) && o->rate <= 0)
        return options_fail(err, errcap, "--burst needs --rate");
    if (f->fail_rate + f->reset_rate + f->hang_rate + f->bad_body_rate > 1.0 + 1e-9)
        return options_fail(err, errcap,
                            "--fail-rate + --reset-rate + --hang-rate + "
                            "--bad-body-rate must not exceed 1");
    if (o->rate > 0 && !(set & SET_BURST))
        o->burst = o->rate < 1 ? 1 : (uint64_t)ceil(o->rate);
    return OPTIONS_OK;
}

int options_parse(int argc, char **argv, mockapi_options_t *o, char *err, size_t errcap)
{
    const struct opt_spec *sp;
    const char *val;
    opt_iter_t it;
    int set = 0, kind;

    options_defaults(o);
    opt_iter_init(&it, argc - 1, argv + 1);
    while ((kind = opt_iter_next(&it)) != OPT_END) {
        if (kind == OPT_HELP)
            return OPTIONS_HELP;
        sp = NULL;
        for (size_t k = 0; k < sizeof specs / sizeof specs[0] && !sp; k++)
            if (opt_iter_is(&it, specs[k].name))
                sp = &specs[k];
        if (!sp)
            return options_fail(err, errcap, "unknown option '%s' (see --help)", it.arg);
        if (!(val = opt_iter_value(&it)))
            return options_fail(err, errcap, "option %s needs a value (%s)", sp->name, sp->expect);
        if (options_apply(sp, val, o, err, errcap) != 0)
            return OPTIONS_ERROR;
        set |= sp->set_bit;
    }
    return options_check(o, set, err, errcap);
}

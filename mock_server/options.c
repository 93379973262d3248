#include "options.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/opt.h"
#include "workload/mock_knobs.h"
#include "workload/order.h"

/* The server's own flags; the behaviour knobs are listed from their rows
 * (workload/mock_knobs.h) after these, so mockapi --help and `concbench
 * list` describe them in the same words. */
static const char usage_head[] =
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
    "  --backlog N               listen backlog (default 65535)\n"
    "  --header-timeout-ms MS    408 + close when a request head is not complete\n"
    "                            this long after its first byte (default 10000)\n"
    "  --idle-timeout-ms MS      close a connection that has no request in progress\n"
    "                            and sent nothing for this long, a new one too\n"
    "                            (default 60000)\n"
    "Orders:\n"
    "  --seed S                  generator and decision seed (default 42)\n"
    "  --items K                 line items per order, 1..1000 (default 10)\n"
    "  --max-id N                largest valid id (default 10000000)\n"
    "Behaviour (the knobs of the same names in `concbench list`; latency and\n"
    "faults are decided per (seed, id, attempt); fault rates must sum to <= 1):\n";

static char usage[4096];

const char *options_usage(void)
{
    size_t len;
    if (usage[0])
        return usage;
    len = (size_t)snprintf(usage, sizeof usage, "%s", usage_head);
#define MOCK_USAGE(name, flag, type, lo, hi, api_def, run_def, help)                               \
    if (len < sizeof usage)                                                                        \
        len += (size_t)snprintf(usage + len, sizeof usage - len, "  %-24s  %s (default %s)\n",     \
                                flag, help, api_def);
    MOCK_KNOBS(MOCK_USAGE)
#undef MOCK_USAGE
    if (len < sizeof usage)
        snprintf(usage + len, sizeof usage - len,
                 "  --version                 version, git commit and libuv version\n"
                 "  --help                    this text\n");
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

enum mock_opt_kind { K_U64, K_INT, K_DOUBLE, K_MS, K_RATE, K_HOST, K_DIST, K_WHOLE_MS };

/* Index of each behaviour knob, so the cross-flag rules can ask whether it
 * was given (a default value and an explicit one can be equal). */
enum {
#define MOCK_INDEX(name, flag, type, lo, hi, api_def, run_def, help) MK_##name,
    MOCK_KNOBS(MOCK_INDEX)
#undef MOCK_INDEX
        MK__N
};

struct opt_spec {
    const char *name;
    enum mock_opt_kind kind;
    double lo, hi;
    size_t offset;   /* into mockapi_options_t, or into its mock_settings_t */
    int behaviour;   /* 1: a row of MOCK_KNOBS (offset into the settings) */
    const char *def; /* default, parsed like a given value */
};

#define OFF(field) offsetof(mockapi_options_t, field)
static const struct opt_spec specs[] = {
#define MOCK_SPEC(name, flag, type, lo, hi, api_def, run_def, help)                                \
    {flag, K_##type, lo, hi, offsetof(mock_settings_t, name), 1, api_def},
    MOCK_KNOBS(MOCK_SPEC)
#undef MOCK_SPEC
        {"--host", K_HOST, 0, 0, OFF(host), 0, "127.0.0.1"},
    {"--port", K_INT, 0, 65535, OFF(port), 0, "8080"},
    {"--backlog", K_INT, 1, 1048576, OFF(backlog), 0, "65535"},
    {"--header-timeout-ms", K_WHOLE_MS, 1, 86400000, OFF(header_timeout_ms), 0, "10000"},
    {"--idle-timeout-ms", K_WHOLE_MS, 1, 86400000, OFF(idle_timeout_ms), 0, "60000"},
    {"--seed", K_U64, 0, (double)UINT64_MAX, OFF(seed), 0, "42"},
    {"--items", K_INT, 1, ORDER_ITEMS_MAX, OFF(items), 0, "10"},
    {"--max-id", K_U64, 1, 4294967295.0, OFF(max_id), 0, "10000000"},
};
#undef OFF
#define NSPECS (sizeof specs / sizeof specs[0])

/* Sets sp's field from v. Returns 0, or -1 with the reason in err. */
static int options_apply(const struct opt_spec *sp, const char *v, mockapi_options_t *o,
                         mock_settings_t *m, char *err, size_t errcap)
{
    char *field = sp->behaviour ? (char *)m + sp->offset : (char *)o + sp->offset;
    uint64_t hi = sp->hi >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)sp->hi;
    int i;

    switch (sp->kind) {
    case K_HOST:
        if (*v == '\0' || strlen(v) >= sizeof o->host)
            return options_fail(err, errcap, "invalid value '%s' for %s (expected an address)", v,
                                sp->name);
        strcpy(o->host, v);
        return 0;
    case K_DIST:
        if ((i = opt_parse_choice(sp->name, v, MOCK_LATENCY_DISTS, err, errcap)) < 0)
            return -1;
        *(int *)(void *)field = i;
        return 0;
    case K_INT:
        return opt_parse_int(sp->name, v, (int)sp->lo, (int)sp->hi, (int *)(void *)field, err,
                             errcap);
    case K_U64:
        return opt_parse_u64(sp->name, v, (uint64_t)sp->lo, hi, (uint64_t *)(void *)field, err,
                             errcap);
    case K_DOUBLE:
        return opt_parse_double(sp->name, v, sp->lo, sp->hi, (double *)(void *)field, err, errcap);
    case K_MS:
        return opt_parse_ms(sp->name, v, sp->lo, sp->hi, 0, (double *)(void *)field, err, errcap);
    case K_RATE:
        return opt_parse_fraction(sp->name, v, sp->lo, sp->hi, (double *)(void *)field, err,
                                  errcap);
    case K_WHOLE_MS: {
        double ms;
        if (opt_parse_ms(sp->name, v, sp->lo, sp->hi, 1, &ms, err, errcap))
            return -1;
        *(uint64_t *)(void *)field = (uint64_t)ms;
        return 0;
    }
    }
    return -1;
}

/* Every field at its default, parsed from the same text a flag would be. */
static void options_defaults(mockapi_options_t *o, mock_settings_t *m)
{
    char err[256];
    memset(o, 0, sizeof *o);
    memset(m, 0, sizeof *m);
    for (size_t k = 0; k < NSPECS; k++)
        options_apply(&specs[k], specs[k].def, o, m, err, sizeof err);
}

/* The settings into the shapes the server's code uses. */
static void options_take(mockapi_options_t *o, const mock_settings_t *m)
{
    o->latency = (latency_cfg_t){
        .dist = (latency_dist_t)m->latency_dist,
        .ms = m->latency_ms,
        .min_ms = m->latency_min_ms,
        .max_ms = m->latency_max_ms,
        .sd_ms = m->latency_sd_ms,
        .sigma = m->latency_sigma,
        .tail_pct = m->tail_pct,
        .tail_ms = m->tail_ms,
    };
    o->faults = (fault_cfg_t){m->fail_rate, m->reset_rate, m->hang_rate, m->bad_body_rate};
    o->max_inflight = m->mock_max_inflight;
    o->rate = m->mock_rate;
    o->burst = m->mock_burst;
    o->threads = m->mock_threads;
}

/* Cross-flag rules: every given knob must have an effect. */
static int options_check(mockapi_options_t *o, uint32_t set, char *err, size_t errcap)
{
    latency_cfg_t *l = &o->latency;
    fault_cfg_t *f = &o->faults;

    if ((set & ((1u << MK_latency_min_ms) | (1u << MK_latency_max_ms))) &&
        l->dist != LATENCY_UNIFORM)
        return options_fail(
            err, errcap, "--latency-min-ms/--latency-max-ms apply only to --latency-dist uniform");
    if (l->dist == LATENCY_UNIFORM) {
        if (!(set & (1u << MK_latency_max_ms)))
            return options_fail(err, errcap, "--latency-dist uniform needs --latency-max-ms");
        if (l->min_ms > l->max_ms)
            return options_fail(err, errcap, "--latency-min-ms must not exceed --latency-max-ms");
    }
    if ((set & (1u << MK_latency_sd_ms)) && l->dist != LATENCY_NORMAL)
        return options_fail(err, errcap, "--latency-sd-ms applies only to --latency-dist normal");
    if ((set & (1u << MK_latency_sigma)) && l->dist != LATENCY_LOGNORMAL)
        return options_fail(err, errcap,
                            "--latency-sigma applies only to --latency-dist lognormal");
    if (((set & (1u << MK_tail_pct)) != 0) != ((set & (1u << MK_tail_ms)) != 0))
        return options_fail(err, errcap, "--tail-pct and --tail-ms go together (give both)");
    if (o->burst > 0 && o->rate <= 0)
        return options_fail(err, errcap, "--burst needs --rate");
    if (f->fail_rate + f->reset_rate + f->hang_rate + f->bad_body_rate > 1.0 + 1e-9)
        return options_fail(err, errcap,
                            "--fail-rate + --reset-rate + --hang-rate + "
                            "--bad-body-rate must not exceed 1");
    if (o->rate > 0 && o->burst == 0)
        o->burst = o->rate < 1 ? 1 : (uint64_t)ceil(o->rate);
    return OPTIONS_OK;
}

int options_parse(int argc, char **argv, mockapi_options_t *o, char *err, size_t errcap)
{
    const struct opt_spec *sp;
    const char *val;
    mock_settings_t m;
    opt_iter_t it;
    uint32_t set = 0;
    int kind;

    options_defaults(o, &m);
    opt_iter_init(&it, argc - 1, argv + 1);
    while ((kind = opt_iter_next(&it)) != OPT_END) {
        if (kind == OPT_HELP)
            return OPTIONS_HELP;
        if (strcmp(it.arg, "--version") == 0)
            return OPTIONS_VERSION;
        sp = NULL;
        for (size_t k = 0; k < NSPECS && !sp; k++)
            if (opt_iter_is(&it, specs[k].name))
                sp = &specs[k];
        if (!sp)
            return options_fail(err, errcap, "unknown option '%s' (see --help)", it.arg);
        if (!(val = opt_iter_value(&it)))
            return options_fail(err, errcap, "option %s needs a value", sp->name);
        if (options_apply(sp, val, o, &m, err, errcap) != 0)
            return OPTIONS_ERROR;
        if (sp->behaviour) /* the behaviour rows come first, in MK_ order */
            set |= 1u << (sp - specs);
    }
    options_take(o, &m);
    return options_check(o, set, err, errcap);
}

#include "common/opt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void opt_iter_init(opt_iter_t *it, int argc, char **argv)
{
    memset(it, 0, sizeof *it);
    it->argc = argc;
    it->argv = argv;
}

int opt_iter_next(opt_iter_t *it)
{
    const char *eq;

    if (it->next >= it->argc)
        return OPT_END;
    it->arg = it->argv[it->next++];
    eq = strchr(it->arg, '=');
    it->name_len = eq ? (size_t)(eq - it->arg) : strlen(it->arg);
    it->value = eq ? eq + 1 : NULL;
    if (strcmp(it->arg, "-h") == 0 || strcmp(it->arg, "--help") == 0)
        return OPT_HELP;
    return it->arg[0] == '-' ? OPT_OPTION : OPT_OPERAND;
}

int opt_iter_is(const opt_iter_t *it, const char *name)
{
    return strlen(name) == it->name_len && strncmp(it->arg, name, it->name_len) == 0;
}

const char *opt_iter_value(opt_iter_t *it)
{
    if (it->value)
        return it->value;
    if (it->next < it->argc)
        return it->argv[it->next++];
    return NULL;
}

int opt_parse_u64(const char *name, const char *text, uint64_t lo, uint64_t hi, uint64_t *out,
                  char *err, size_t errlen)
{
    unsigned long long v;
    char *end;

    /* strtoull alone would take " 5", "+5" and "-1" (as 2^64 - 1). */
    if (*text < '0' || *text > '9') {
        snprintf(err, errlen, "%s: '%s' is not a whole number in [%llu, %llu]", name, text,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    errno = 0;
    v = strtoull(text, &end, 10);
    if (*end != '\0') {
        snprintf(err, errlen, "%s: '%s' is not a whole number in [%llu, %llu]", name, text,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        snprintf(err, errlen, "%s: %s is out of range [%llu, %llu]", name, text,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

int opt_parse_int(const char *name, const char *text, int lo, int hi, int *out, char *err,
                  size_t errlen)
{
    uint64_t v;

    if (opt_parse_u64(name, text, lo < 0 ? 0 : (uint64_t)lo, hi < 0 ? 0 : (uint64_t)hi, &v, err,
                      errlen))
        return -1;
    *out = (int)v;
    return 0;
}

/* Reads a plain decimal number (digits, optionally '.' and digits; or
 * '.' and digits) at the start of text. Returns the number of characters
 * it took (0: none) and the value in *v. */
static size_t opt_scan_decimal(const char *text, double *v)
{
    size_t i = 0, digits = 0;
    char buf[64];

    while (text[i] >= '0' && text[i] <= '9')
        i++, digits++;
    if (text[i] == '.') {
        size_t j = i + 1;
        while (text[j] >= '0' && text[j] <= '9')
            j++;
        if (j > i + 1) {
            digits += j - i - 1;
            i = j;
        }
    }
    if (digits == 0 || i >= sizeof buf)
        return 0;
    memcpy(buf, text, i);
    buf[i] = '\0';
    *v = strtod(buf, NULL);
    return isfinite(*v) ? i : 0;
}

int opt_parse_double(const char *name, const char *text, double lo, double hi, double *out,
                     char *err, size_t errlen)
{
    double v;
    size_t n = opt_scan_decimal(text, &v);

    if (n == 0 || text[n] != '\0') {
        snprintf(err, errlen, "%s: '%s' is not a number in [%g, %g]", name, text, lo, hi);
        return -1;
    }
    if (v < lo || v > hi) {
        snprintf(err, errlen, "%s: %s is out of range [%g, %g]", name, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* The duration units and their length in milliseconds. */
static const struct {
    const char *unit;
    double ms;
} opt_units[] = {{"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"min", 60e3}, {"", 1}};

int opt_parse_ms(const char *name, const char *text, double lo_ms, double hi_ms, int whole,
                 double *out, char *err, size_t errlen)
{
    double v, ms = -1;
    size_t n = opt_scan_decimal(text, &v);

    for (size_t u = 0; n && u < sizeof opt_units / sizeof opt_units[0] && ms < 0; u++)
        if (strcmp(text + n, opt_units[u].unit) == 0)
            ms = v * opt_units[u].ms;
    if (ms < 0) {
        snprintf(err, errlen,
                 "%s: '%s' is not a duration: write e.g. 50ms, 2s, 500us, 1.5min or a number "
                 "of milliseconds, in [%g, %g] ms",
                 name, text, lo_ms, hi_ms);
        return -1;
    }
    /* 1.1s is 1100.0000000000002 ms in binary: round off what the unit's
     * scaling adds before asking whether it is whole. */
    if (fabs(ms - round(ms)) < 1e-9 * (ms > 1 ? ms : 1))
        ms = round(ms);
    if (whole && ms != floor(ms)) {
        snprintf(err, errlen, "%s: '%s' is not a whole number of milliseconds", name, text);
        return -1;
    }
    if (ms < lo_ms || ms > hi_ms) {
        snprintf(err, errlen, "%s: %s is out of range [%g, %g] ms", name, text, lo_ms, hi_ms);
        return -1;
    }
    *out = ms;
    return 0;
}

int opt_parse_fraction(const char *name, const char *text, double lo, double hi, double *out,
                       char *err, size_t errlen)
{
    double v;
    size_t n = opt_scan_decimal(text, &v);
    int pct = n && strcmp(text + n, "%") == 0;

    if (n == 0 || (text[n] != '\0' && !pct)) {
        snprintf(err, errlen,
                 "%s: '%s' is not a fraction: write a percentage like 10%% or a fraction like "
                 "0.1, in [%g%%, %g%%]",
                 name, text, 100 * lo, 100 * hi);
        return -1;
    }
    if (!pct && v > 1) {
        snprintf(err, errlen,
                 "%s: '%s' is ambiguous: write %s%% for a percentage, or a fraction "
                 "like 0.1",
                 name, text, text);
        return -1;
    }
    if (pct)
        v /= 100;
    if (v < lo || v > hi) {
        snprintf(err, errlen, "%s: %s is out of range [%g%%, %g%%]", name, text, 100 * lo,
                 100 * hi);
        return -1;
    }
    *out = v;
    return 0;
}

int opt_parse_choice(const char *name, const char *text, const char *choices, char *err,
                     size_t errlen)
{
    size_t n = strlen(text);
    int i = 0;

    for (const char *p = choices; *p; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, text, n) == 0)
            return i;
        p += len + (bar ? 1 : 0);
    }
    snprintf(err, errlen, "%s: '%s' is not one of %s", name, text, choices);
    return -1;
}

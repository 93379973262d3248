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

int opt_parse_double(const char *name, const char *text, double lo, double hi, double *out,
                     char *err, size_t errlen)
{
    char *end;
    double v;

    errno = 0;
    /* strtod skips leading spaces; a value is the whole text or nothing. */
    v = *text == '\0' || *text == ' ' || *text == '\t' ? NAN : strtod(text, &end);
    if (isnan(v) || *end != '\0') {
        snprintf(err, errlen, "%s: '%s' is not a number in [%g, %g]", name, text, lo, hi);
        return -1;
    }
    if (errno == ERANGE || !isfinite(v) || v < lo || v > hi) {
        snprintf(err, errlen, "%s: %s is out of range [%g, %g]", name, text, lo, hi);
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

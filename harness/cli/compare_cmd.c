#include "harness/cli/compare_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "harness/report/compare.h"

static void compare_usage(FILE *f)
{
    fprintf(f, "usage: concbench compare BASELINE RESULTS [--threshold 10%%] "
               "[--metric wall,cpu,rss,errors,p99]\n"
               "BASELINE and RESULTS are results.json files or folders holding one.\n"
               "Exit status: 0 no regression; 1 a metric worse beyond the threshold and the\n"
               "noise, or an unverified run in RESULTS; 2 the two cannot be compared.\n");
}

/* "10%" or a fraction "0.1". A bare number of 1 or more is refused rather
 * than guessed at: "10" could mean 10% or 1000%. */
static int compare_threshold_parse(const char *s, double *t, char *err, size_t errlen)
{
    char *end;
    double v;
    errno = 0;
    v = isdigit((unsigned char)s[0]) || s[0] == '.' ? strtod(s, &end) : NAN;
    if (isnan(v) || errno || !isfinite(v) || !(*end == '\0' || (end[0] == '%' && !end[1]))) {
        snprintf(err, errlen,
                 "bad threshold '%s': want a percentage like 10%% or a fraction like 0.10", s);
        return -1;
    }
    if (*end == '\0' && v >= 1) {
        snprintf(err, errlen, "ambiguous threshold '%s': write %g%% or %g", s, v, v / 100);
        return -1;
    }
    if (*end == '%')
        v /= 100;
    if (v > 10) {
        snprintf(err, errlen, "threshold '%s' is above 1000%%: nothing could ever regress", s);
        return -1;
    }
    *t = v;
    return 0;
}

int compare_cmd(int argc, char **argv)
{
    compare_opts_t o = {0.10, COMPARE_M_ALL};
    const char *paths[2];
    json_t *docs[2] = {NULL, NULL};
    char err[4400];
    int npaths = 0, rc = CB_EXIT_USAGE;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val;
        size_t n = strcspn(a, "=");
        int is_threshold = n == 11 && strncmp(a, "--threshold", n) == 0;
        int is_metric = (n == 8 && strncmp(a, "--metric", n) == 0) ||
                        (n == 9 && strncmp(a, "--metrics", n) == 0);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            compare_usage(stdout);
            return CB_EXIT_OK;
        }
        if (a[0] != '-') {
            if (npaths == 2) {
                snprintf(err, sizeof err,
                         "unexpected argument '%s': want BASELINE and RESULTS only", a);
                goto bad;
            }
            paths[npaths++] = a;
            continue;
        }
        if (!is_threshold && !is_metric) {
            snprintf(err, sizeof err,
                     "unknown option '%.*s' (options: --threshold PCT, --metric LIST)", (int)n, a);
            goto bad;
        }
        val = a[n] == '=' ? a + n + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!val) {
            snprintf(err, sizeof err, "option '%s' needs a value", a);
            goto bad;
        }
        if (is_threshold ? compare_threshold_parse(val, &o.threshold, err, sizeof err)
                         : compare_metrics_parse(val, &o.metrics, err, sizeof err))
            goto bad;
    }
    if (npaths != 2) {
        snprintf(err, sizeof err,
                 "want two files, BASELINE and RESULTS (concbench compare --help)");
        goto bad;
    }
    docs[0] = compare_load("baseline", paths[0], err, sizeof err);
    docs[1] = docs[0] ? compare_load("results", paths[1], err, sizeof err) : NULL;
    if (docs[0] && docs[1]) {
        rc = compare_results(docs[0], docs[1], &o, stdout, err, sizeof err);
    }
    json_decref(docs[0]);
    json_decref(docs[1]);
    if (rc != CB_EXIT_USAGE)
        return rc;
bad:
    fprintf(stderr, "concbench compare: %s\n", err);
    return CB_EXIT_USAGE;
}

#include "harness/cli/compare_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"
#include "harness/config/config.h"
#include "harness/report/compare.h"

static void compare_usage(FILE *f)
{
    fprintf(f, "usage: concbench compare BASELINE RESULTS [--threshold 10%%] "
               "[--metric wall,cpu,rss,errors,p99]\n"
               "BASELINE and RESULTS are results.json files or folders holding one.\n"
               "Exit status: 0 no regression; 1 a metric worse beyond the threshold and the\n"
               "noise, or an unverified run in RESULTS; 2 the two cannot be compared.\n");
}

/* --threshold: the same row, parser and range as `concbench run`'s
 * threshold knob, so "10%" and "0.1" mean the same in both and "10" is
 * refused by both as ambiguous. */
static int compare_threshold_parse(const char *s, double *t, char *err, size_t errlen)
{
    const knob_t *k = config_knob_find("threshold");
    return opt_parse_fraction("--threshold", s, k->min, k->max, t, err, errlen);
}

/* Reads the arguments into o and paths[0..1]. Returns 0, 1 after --help
 * (printed), or -1 with the reason in err. */
static int compare_args_parse(int argc, char **argv, compare_opts_t *o, const char **paths,
                              char *err, size_t errlen)
{
    opt_iter_t it;
    const char *val;
    int kind, npaths = 0;

    opt_iter_init(&it, argc, argv);
    while ((kind = opt_iter_next(&it)) != OPT_END) {
        int is_threshold = opt_iter_is(&it, "--threshold");
        if (kind == OPT_HELP) {
            compare_usage(stdout);
            return 1;
        }
        if (kind == OPT_OPERAND) {
            if (npaths == 2) {
                snprintf(err, errlen, "unexpected argument '%s': want BASELINE and RESULTS only",
                         it.arg);
                return -1;
            }
            paths[npaths++] = it.arg;
            continue;
        }
        if (!is_threshold && !opt_iter_is(&it, "--metric") && !opt_iter_is(&it, "--metrics")) {
            snprintf(err, errlen, "unknown option '%.*s' (options: --threshold PCT, --metric LIST)",
                     (int)it.name_len, it.arg);
            return -1;
        }
        if (!(val = opt_iter_value(&it))) {
            snprintf(err, errlen, "option '%s' needs a value", it.arg);
            return -1;
        }
        if (is_threshold ? compare_threshold_parse(val, &o->threshold, err, errlen)
                         : compare_metrics_parse(val, &o->metrics, err, errlen))
            return -1;
    }
    if (npaths != 2) {
        snprintf(err, errlen, "want two files, BASELINE and RESULTS (concbench compare --help)");
        return -1;
    }
    return 0;
}

int compare_cmd(int argc, char **argv)
{
    compare_opts_t o = {0.10, COMPARE_M_ALL};
    const char *paths[2];
    json_t *docs[2] = {NULL, NULL};
    char err[4400];
    int rc = CB_EXIT_USAGE;

    log_init("concbench compare");
    switch (compare_args_parse(argc, argv, &o, paths, err, sizeof err)) {
    case 1:
        return CB_EXIT_OK;
    case -1:
        log_error("%s", err);
        return CB_EXIT_USAGE;
    }
    docs[0] = compare_load("baseline", paths[0], err, sizeof err);
    docs[1] = docs[0] ? compare_load("results", paths[1], err, sizeof err) : NULL;
    if (docs[0] && docs[1])
        rc = compare_results(docs[0], docs[1], &o, stdout, err, sizeof err);
    json_decref(docs[0]);
    json_decref(docs[1]);
    if (rc == CB_EXIT_USAGE)
        log_error("%s", err);
    return rc;
}

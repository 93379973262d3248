#include "harness/cli/compare_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"
#include "harness/config/config.h"
#include "harness/report/compare.h"
#include "harness/report/limits.h"

static void compare_usage(FILE *f)
{
    fprintf(f,
            "usage: concbench compare BASELINE RESULTS [--threshold 10%%] "
            "[--metric wall,cpu,mem,errors,p99]\n"
            "                         [--max-error-rate F] [--max-p99-ms D] [--max-mem-mib M]\n"
            "                         [--allow-invalid] [--html FILE]\n"
            "       concbench compare RESULTS --max-error-rate F|--max-p99-ms D|--max-mem-mib M\n"
            "BASELINE and RESULTS are results.json files or folders holding one. The limits\n"
            "are absolute: every run's error rate, each model's median p99 and peak memory\n"
            "in RESULTS (docs/ci.md), each for every model (5%%) or per model\n"
            "(unbounded-loop=10%%,1%%). --allow-invalid judges runs that were not valid\n"
            "measurements (mock API late, machine busy) instead of refusing them. --html FILE\n"
            "also writes the comparison as a page: the verdict, the table with regressions\n"
            "in red and a chart of each model's baseline beside its current figures.\n"
            "Exit status: 0 no regression and every limit kept; 1 a metric worse beyond the\n"
            "threshold and the noise, a limit exceeded, or an unverified run in RESULTS;\n"
            "2 the two cannot be compared, or a run was not a valid measurement (without\n"
            "--allow-invalid).\n");
}

/* --threshold: the same row, parser and range as `concbench run`'s
 * threshold knob, so "10%" and "0.1" mean the same in both and "10" is
 * refused by both as ambiguous. */
static int compare_threshold_parse(const char *s, double *t, char *err, size_t errlen)
{
    const knob_t *k = config_knob_find("threshold");
    return opt_parse_fraction("--threshold", s, k->min, k->max, t, err, errlen);
}

/* --max-error-rate, --max-p99-ms, --max-mem-mib: for every model ("5%")
 * or per model ("unbounded-loop=2s,200ms"), values in the syntax of the
 * run knobs of the same names (harness/config/limit_spec.h). Returns 0,
 * or -1 with err. */
static int compare_limit_parse(const opt_iter_t *it, const char *val, limits_t *l, char *err,
                               size_t errlen)
{
    if (opt_iter_is(it, "--max-error-rate"))
        return limit_spec_parse("--max-error-rate", LIMIT_KIND_FRACTION, val, &l->error_rate, err,
                                errlen);
    if (opt_iter_is(it, "--max-p99-ms"))
        return limit_spec_parse("--max-p99-ms", LIMIT_KIND_DURATION_MS, val, &l->p99_ms, err,
                                errlen);
    return limit_spec_parse("--max-mem-mib", LIMIT_KIND_MIB, val, &l->mem_mib, err, errlen);
}

/* Reads the arguments into o and paths[0..1]. Returns 0, 1 after --help
 * (printed), or -1 with the reason in err. */
static int compare_args_parse(int argc, char **argv, compare_opts_t *o, limits_t *l,
                              const char **paths, int *npaths, char *err, size_t errlen)
{
    opt_iter_t it;
    const char *val;
    int kind, is_metric, is_limit;

    *npaths = 0;
    opt_iter_init(&it, argc, argv);
    while ((kind = opt_iter_next(&it)) != OPT_END) {
        int is_threshold = opt_iter_is(&it, "--threshold");
        if (kind == OPT_HELP) {
            compare_usage(stdout);
            return 1;
        }
        if (kind == OPT_OPERAND) {
            if (*npaths == 2) {
                snprintf(err, errlen, "unexpected argument '%s': want BASELINE and RESULTS only",
                         it.arg);
                return -1;
            }
            paths[(*npaths)++] = it.arg;
            continue;
        }
        if (opt_iter_is(&it, "--allow-invalid")) {
            o->allow_invalid = 1;
            continue;
        }
        if (opt_iter_is(&it, "--html")) {
            if (!(val = opt_iter_value(&it)) || !*val) {
                snprintf(err, errlen, "option '--html' needs a file name (the page to write)");
                return -1;
            }
            o->html = val;
            continue;
        }
        is_metric = opt_iter_is(&it, "--metric") || opt_iter_is(&it, "--metrics");
        is_limit = opt_iter_is(&it, "--max-error-rate") || opt_iter_is(&it, "--max-p99-ms") ||
                   opt_iter_is(&it, "--max-mem-mib");
        if (!is_threshold && !is_metric && !is_limit) {
            snprintf(err, errlen,
                     "unknown option '%.*s' (options: --threshold PCT, --metric LIST, "
                     "--max-error-rate F, --max-p99-ms D, --max-mem-mib M, --allow-invalid, "
                     "--html FILE)",
                     (int)it.name_len, it.arg);
            return -1;
        }
        if (!(val = opt_iter_value(&it))) {
            snprintf(err, errlen, "option '%s' needs a value", it.arg);
            return -1;
        }
        if (is_limit       ? compare_limit_parse(&it, val, l, err, errlen) < 0
            : is_threshold ? compare_threshold_parse(val, &o->threshold, err, errlen)
                           : compare_metrics_parse(val, &o->metrics, err, errlen))
            return -1;
    }
    if (*npaths == 1 && !limits_any(l)) {
        snprintf(err, errlen,
                 "want two files, BASELINE and RESULTS, or one with a --max-* limit to check "
                 "(concbench compare --help)");
        return -1;
    }
    if (o->html && *npaths != 2) {
        snprintf(err, errlen, "--html compares two results: give BASELINE and RESULTS");
        return -1;
    }
    if (*npaths == 0) {
        snprintf(err, errlen, "want two files, BASELINE and RESULTS (concbench compare --help)");
        return -1;
    }
    return 0;
}

int compare_cmd(int argc, char **argv)
{
    compare_opts_t o = {0.10, COMPARE_M_ALL, 0, NULL, NULL, NULL};
    char dirs[2][4096];
    limits_t l;
    const char *paths[2];
    json_t *docs[2] = {NULL, NULL};
    char err[4400];
    int rc = CB_EXIT_USAGE, npaths, nlim = 0;

    log_init("concbench compare");
    limits_init(&l);
    switch (compare_args_parse(argc, argv, &o, &l, paths, &npaths, err, sizeof err)) {
    case 1:
        return CB_EXIT_OK;
    case -1:
        log_error("%s", err);
        return CB_EXIT_USAGE;
    }
    /* With one file, it is RESULTS and only the limits are checked. */
    docs[1] = compare_load("results", paths[npaths - 1], err, sizeof err);
    docs[0] = docs[1] && npaths == 2 ? compare_load("baseline", paths[0], err, sizeof err) : NULL;
    if (npaths == 2) {
        o.base_dir = compare_results_dir(paths[0], dirs[0], sizeof dirs[0]);
        o.cur_dir = compare_results_dir(paths[1], dirs[1], sizeof dirs[1]);
    }
    if (docs[1] && (npaths == 1 || docs[0]))
        rc = npaths == 2 ? compare_results(docs[0], docs[1], &o, stdout, err, sizeof err)
                         : CB_EXIT_OK;
    if (rc != CB_EXIT_USAGE && limits_any(&l)) {
        nlim = limits_check(docs[1], &l, stdout, err, sizeof err);
        if (nlim < 0)
            rc = CB_EXIT_USAGE;
        else if (nlim > 0)
            printf("LIMITS EXCEEDED: %d figure(s) beyond the --max-* limits\n", nlim);
        else
            printf("LIMITS KEPT: every run and model within the --max-* limits\n");
        if (nlim > 0 && rc == CB_EXIT_OK)
            rc = CB_EXIT_FAILED;
    }
    json_decref(docs[0]);
    json_decref(docs[1]);
    if (rc == CB_EXIT_USAGE)
        log_error("%s", err);
    return rc;
}

#include "harness/cli/plot_cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/safe_dir.h"
#include "harness/report/plot.h"

/* argv holds the arguments after `plot` (main passes argc - 2, argv + 2). */
int plot_cmd(int argc, char **argv)
{
    char err[1024];
    const char *dir;
    opt_iter_t it;
    int kind;

    log_init("concbench plot");
    opt_iter_init(&it, argc, argv);
    kind = opt_iter_next(&it);
    if (kind == OPT_HELP && argc == 1) {
        printf("usage: concbench plot DIR\n"
               "Regenerates DIR's summary.csv, summary.md, charts (PNG and SVG, with gnuplot)\n"
               "and report.html from DIR/results.json and the per-run CSVs.\n");
        return CB_EXIT_OK;
    }
    dir = it.arg;
    if (kind != OPT_OPERAND || opt_iter_next(&it) != OPT_END) {
        fprintf(stderr, "usage: concbench plot DIR (a folder written by concbench run)\n");
        return CB_EXIT_USAGE;
    }
    /* The folder is written to, read back and drawn from: it must be ours
     * alone, as concbench run's --out must. */
    if (safe_dir_check(dir, err, sizeof err) || plot_results_dir(dir, err, sizeof err)) {
        log_error("%s", err);
        return CB_EXIT_USAGE;
    }
    printf("summary: %s/summary.md\nreport:  %s/report.html\n", dir, dir);
    return CB_EXIT_OK;
}

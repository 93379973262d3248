#include "harness/cli/plot_cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/exitcode.h"
#include "harness/report/plot.h"

/* argv holds the arguments after `plot` (main passes argc - 2, argv + 2). */
int plot_cmd(int argc, char **argv)
{
    char err[1024];
    if (argc == 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
        printf("usage: concbench plot DIR\n"
               "Regenerates DIR's summary.csv, summary.md, charts (PNG and SVG, with gnuplot)\n"
               "and report.html from DIR/results.json and the per-run CSVs.\n");
        return 0;
    }
    if (argc != 1 || argv[0][0] == '-') {
        fprintf(stderr, "usage: concbench plot DIR (a folder written by concbench run)\n");
        return CB_EXIT_USAGE;
    }
    if (plot_results_dir(argv[0], err, sizeof err)) {
        fprintf(stderr, "concbench plot: %s\n", err);
        return CB_EXIT_USAGE;
    }
    printf("summary: %s/summary.md\nreport:  %s/report.html\n", argv[0], argv[0]);
    return 0;
}

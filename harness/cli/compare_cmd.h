/* `concbench compare BASELINE RESULTS [--threshold 10%] [--metric
 * wall,cpu,rss,errors,p99]`: the CI regression gate's command line; the
 * rules are compare_results' (harness/report/compare.h). */
#ifndef CONCBENCH_CLI_COMPARE_CMD_H
#define CONCBENCH_CLI_COMPARE_CMD_H

/* Each side a results.json or a folder holding one; argv holds the
 * arguments after "compare". Prints the table to stdout and any error as
 * one line on stderr. Returns the exit status. */
int compare_cmd(int argc, char **argv);

#endif

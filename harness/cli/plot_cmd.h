/* `concbench plot DIR`: regenerates a results folder's summaries, charts
 * and report.html (harness/report/plot.h). */
#ifndef CONCBENCH_CLI_PLOT_CMD_H
#define CONCBENCH_CLI_PLOT_CMD_H

/* argv holds the arguments after `plot`. Returns the process exit status
 * (0, or 2 with a clear message for a missing or unreadable folder). */
int plot_cmd(int argc, char **argv);

#endif

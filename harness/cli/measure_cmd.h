/* `concbench measure -- CMD...`: the harness's measurement of any command. */
#ifndef CONCBENCH_MEASURE_CMD_H
#define CONCBENCH_MEASURE_CMD_H

/* Returns the command's exit status, or 2 on a usage or set-up error. */
int measure_cmd(int argc, char **argv);

#endif

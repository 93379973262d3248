/* `concbench run`. Exit status (the contract): 0 every run verified; 1 a
 * run failed verification or a baseline comparison found a regression; 2
 * bad usage, a service that could not be reached, or an incomplete run;
 * 128 + signal when interrupted. */
#ifndef CONCBENCH_RUN_CMD_H
#define CONCBENCH_RUN_CMD_H

/* argv holds the arguments after `run`. Returns the exit status. */
int run_cmd(int argc, char **argv);

#endif

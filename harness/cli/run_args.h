/* The command line of `concbench run`: knobs from a scenario file, then
 * from the command line in order (later wins), and the model list. */
#ifndef CONCBENCH_CLI_RUN_ARGS_H
#define CONCBENCH_CLI_RUN_ARGS_H

#include "harness/config/config.h"
#include "models/model.h"

/* run's synopsis, "usage: concbench run ..." (several lines). */
extern const char run_args_synopsis[];

/* Prints run's usage on stdout. */
void run_args_usage(void);

/* Parses run's arguments (argv after `run`) into cfg: the scenario file
 * first, then the command line in order, so the command line wins.
 * Returns 0, or -1 after printing why. --help prints usage and exits 0. */
int run_args_parse(int argc, char **argv, config_t *cfg);

/* Resolves "all" or comma-separated model names into out (room for cap).
 * Returns the count, or -1 after printing which name is unknown. */
int run_args_models(const char *spec, const model_ops_t **out, int cap);

#endif

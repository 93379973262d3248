/* Exit statuses, one vocabulary for every command (concbench's
 * subcommands and mockapi). The numbers are the documented contract
 * (README, "Exit status"): scripts and CI depend on them. */
#ifndef CONCBENCH_COMMON_EXITCODE_H
#define CONCBENCH_COMMON_EXITCODE_H

enum {
    /* Everything asked for was done, every run ok, no gate failed. */
    CB_EXIT_OK = 0,
    /* The command ran to the end and its verdict is "no": a run not ok
     * (wrong rows, failures beyond max_error_rate), or a regression gate
     * (compare, --baseline) failed. */
    CB_EXIT_FAILED = 1,
    /* Bad usage, a service that died or could not be used, inputs that
     * cannot be compared, or a run that could not be completed. */
    CB_EXIT_USAGE = 2,
    /* Interrupted: 128 + the signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP,
     * 131 SIGQUIT), whatever the phase. */
    CB_EXIT_SIGNAL_BASE = 128,
};

#endif

/* The harness's signal handling during `concbench run`, in one place.
 *
 * SIGINT (Ctrl-C), SIGTERM, SIGHUP (the terminal or SSH session went
 * away) and SIGQUIT (Ctrl-\) are one thing: an interruption. The first
 * one only records itself: the runner sends the model's process group
 * SIGTERM (then SIGKILL after a grace), a service start-up in progress
 * gives up, and the run writes what it has, marked incomplete, and exits
 * 128 + the signal (130, 143, 129, 131) whatever phase it came in. A
 * second one leaves at once with 128 + the signal, SIGKILLing the model's
 * group and every private service on the way out and removing a
 * results.json that would still say the run was complete (the temporary
 * folders are then left; the next run sweeps them). */
#ifndef CONCBENCH_RUN_SIGNALS_H
#define CONCBENCH_RUN_SIGNALS_H

#include <signal.h>

/* The first signal received (0: none yet). */
extern volatile sig_atomic_t signals_interrupted;
/* The process group of the model running now (0: none), for the second
 * signal. The runner sets and clears it. */
extern volatile sig_atomic_t signals_model_pgid;

/* Installs the handler for SIGINT, SIGTERM, SIGHUP and SIGQUIT (without
 * SA_RESTART: a blocking wait returns EINTR and can look at
 * signals_interrupted) and ignores SIGPIPE (a peer that goes away is an
 * error return, not a death). Cannot fail. */
void signals_install(void);

/* The exit status of an interrupted invocation: 128 + the first signal,
 * or 0 when none came. */
int signals_exit_status(void);

/* Names a results.json that says the run was complete (NULL: none any
 * more), so that a second signal, which leaves without rewriting it,
 * removes it instead of leaving a complete-looking file behind an
 * interrupted exit. The path is copied; an overlong one is ignored. */
void signals_set_complete_file(const char *path);

#endif

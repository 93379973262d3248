/* The harness's signal handling during `concbench run`, in one place.
 *
 * The first SIGINT or SIGTERM only records itself: the runner sends the
 * model's process group SIGTERM (then SIGKILL after a grace) and the run
 * writes what it has, marked interrupted. A second one leaves at once
 * with 128 + the signal, SIGKILLing the model's group and every private
 * service on the way out (the temporary folders are then left). */
#ifndef CONCBENCH_RUN_SIGNALS_H
#define CONCBENCH_RUN_SIGNALS_H

#include <signal.h>

/* The first signal received (0: none yet). */
extern volatile sig_atomic_t signals_interrupted;
/* The process group of the model running now (0: none), for the second
 * signal. The runner sets and clears it. */
extern volatile sig_atomic_t signals_model_pgid;

/* Installs the SIGINT and SIGTERM handler and ignores SIGPIPE (a peer
 * that goes away is an error return, not a death). Cannot fail. */
void signals_install(void);

#endif

#include "harness/run/signals.h"

#include <string.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "harness/services/services.h"

volatile sig_atomic_t signals_interrupted;
volatile sig_atomic_t signals_model_pgid;

/* Only async-signal-safe calls: kill, svc_kill_all_now, _exit. */
static void signals_on_signal(int sig)
{
    if (signals_interrupted) {
        /* Second Ctrl-C: leave at once, but take the model's tree and the
         * services down. */
        if (signals_model_pgid > 0)
            kill(-(pid_t)signals_model_pgid, SIGKILL);
        svc_kill_all_now();
        _exit(CB_EXIT_SIGNAL_BASE + sig);
    }
    signals_interrupted = sig;
}

void signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = signals_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

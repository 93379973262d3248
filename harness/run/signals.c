#include "harness/run/signals.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "harness/services/services.h"

volatile sig_atomic_t signals_interrupted;
volatile sig_atomic_t signals_model_pgid;

/* The results.json to remove on a second signal ("" none); written only
 * with the signals blocked, so the handler never sees half a path. */
static char signals_complete_file[PATH_MAX];

static const int signals_handled[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define SIGNALS_N ((int)(sizeof signals_handled / sizeof signals_handled[0]))

/* Only async-signal-safe calls: kill, unlink, svc_kill_all_now, _exit. */
static void signals_on_signal(int sig)
{
    if (signals_interrupted) {
        /* Second signal: leave at once, but take the model's tree and the
         * services down, and leave no results.json saying "complete". */
        if (signals_model_pgid > 0)
            kill(-(pid_t)signals_model_pgid, SIGKILL);
        svc_kill_all_now();
        if (signals_complete_file[0])
            unlink(signals_complete_file);
        _exit(CB_EXIT_SIGNAL_BASE + signals_interrupted);
    }
    signals_interrupted = sig;
}

void signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = signals_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < SIGNALS_N; i++)
        sigaddset(&sa.sa_mask, signals_handled[i]);
    for (int i = 0; i < SIGNALS_N; i++)
        sigaction(signals_handled[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int signals_exit_status(void)
{
    return signals_interrupted ? CB_EXIT_SIGNAL_BASE + signals_interrupted : 0;
}

void signals_set_complete_file(const char *path)
{
    sigset_t block, old;

    if (path && strlen(path) >= sizeof signals_complete_file)
        return;
    sigemptyset(&block);
    for (int i = 0; i < SIGNALS_N; i++)
        sigaddset(&block, signals_handled[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    if (path)
        memcpy(signals_complete_file, path, strlen(path) + 1);
    else
        signals_complete_file[0] = '\0';
    sigprocmask(SIG_SETMASK, &old, NULL);
}

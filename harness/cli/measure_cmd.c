/* `concbench measure [--memory-method M] [--sample-ms N] [--json] -- CMD...`:
 * runs any command as a measured process tree, through the same monitor a
 * model run uses (harness/run/monitor.h) (a fresh cgroup or /proc sampling for peak memory, wait4
 * for the CPU of the tree). It makes the harness's figures checkable
 * against an independent tool (GNU time, for one) on the same command.
 * Beside a cgroup it samples the tree as densely as without one: the
 * cross-check figures are what it is for. Messages keep the "concbench
 * measure:" prefix the tests and users know. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/limits.h"
#include "common/opt.h"
#include "harness/cli/measure_cmd.h"
#include "harness/run/measure.h"
#include "harness/run/monitor.h"

static void measure_usage(FILE *f)
{
    fprintf(f, "usage: concbench measure [--memory-method auto|cgroup-v2|cgroup-v1|proc-pss] "
               "[--sample-ms MS] [--json] -- COMMAND [ARGS...]\n"
               "Runs COMMAND as a measured process tree and prints its wall time, CPU and peak\n"
               "memory (--json: one JSON object on stdout). Exit status: COMMAND's.\n");
}

/* The child: the command, or a line saying why it could not run. */
static void measure_child_run(void *arg)
{
    char **argv = arg;

    execvp(argv[0], argv);
    fprintf(stderr, "concbench measure: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void measure_print(const monitor_t *m, const memwatch_t *mw, int json)
{
    double wall = (double)(m->t1 - m->t0) / 1e9;
    double user = m->ru.ru_utime.tv_sec + m->ru.ru_utime.tv_usec / 1e6;
    double sys = m->ru.ru_stime.tv_sec + m->ru.ru_stime.tv_usec / 1e6;

    if (json)
        printf("{\"wall_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"peak_mem_bytes\":%llu,"
               "\"memory_method\":\"%s\",\"peak_pss_sum_bytes\":%llu,\"peak_rss_sum_bytes\":%llu,"
               "\"processes_peak\":%d,\"exit_status\":%d}\n",
               wall, user, sys, (unsigned long long)m->peak_mem,
               mem_method_desc(mw->method, mw->sockets_counted), (unsigned long long)mw->peak_pss,
               (unsigned long long)mw->peak_rss_sum, mw->processes_peak, monitor_exit_status(m));
    else
        fprintf(stderr,
                "wall %.3f s  cpu user %.3f s sys %.3f s  peak memory %.1f MiB (%s; summed PSS "
                "%.1f MiB, summed RSS %.1f MiB)  processes %d\n",
                wall, user, sys, (double)m->peak_mem / 1048576.0,
                mem_method_desc(mw->method, mw->sockets_counted), (double)mw->peak_pss / 1048576.0,
                (double)mw->peak_rss_sum / 1048576.0, mw->processes_peak);
}

int measure_cmd(int argc, char **argv)
{
    const char *method = "auto";
    int sample_ms = LIMIT_MEASURE_SAMPLE_MS_DEFAULT, json = 0, i;
    memwatch_t mw;
    monitor_t m = {.mw = &mw, .full_samples = 1};
    monitor_hooks_t hooks = {.child_run = measure_child_run};
    char err[256];

    for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            measure_usage(stdout);
            return CB_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--memory-method") == 0 && i + 1 < argc) {
            method = argv[++i];
        } else if (strcmp(argv[i], "--sample-ms") == 0 && i + 1 < argc) {
            double ms;
            if (opt_parse_ms("--sample-ms", argv[++i], 1, LIMIT_MEASURE_SAMPLE_MS_MAX, 1, &ms, err,
                             sizeof err)) {
                fprintf(stderr, "concbench measure: %s\n", err);
                return CB_EXIT_USAGE;
            }
            sample_ms = (int)ms;
        } else if (argv[i][0] != '-') {
            /* The command must come after "--", so that its own options
             * are never taken for measure's. */
            fprintf(stderr,
                    "concbench measure: put the command after --: concbench measure [options] -- "
                    "%s ...\n",
                    argv[i]);
            return CB_EXIT_USAGE;
        } else {
            fprintf(stderr, "concbench measure: unknown option '%s' (concbench measure --help)\n",
                    argv[i]);
            return CB_EXIT_USAGE;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "concbench measure: no command to measure: give it after --\n");
        measure_usage(stderr);
        return CB_EXIT_USAGE;
    }
    hooks.arg = argv + i + 1;
    memwatch_sweep_stale();
    if (memwatch_init(&mw, "measure", method)) {
        fprintf(stderr, "concbench measure: memory method %s is not usable here\n", method);
        return CB_EXIT_USAGE;
    }
    m.sample_ms = sample_ms;
    if (monitor_run(&m, &hooks, err, sizeof err)) {
        fprintf(stderr, "concbench measure: %s\n", err);
        return CB_EXIT_USAGE;
    }
    measure_print(&m, &mw, json);
    return monitor_exit_status(&m);
}

/* `concbench measure [--memory-method M] [--sample-ms N] [--json] -- CMD...`:
 * runs any command as a measured process tree, with the same machinery a
 * model run uses (a fresh cgroup or /proc sampling for peak memory, wait4
 * for the CPU of the tree). It makes the harness's figures checkable
 * against an independent tool (GNU time, for one) on the same command. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "harness/cli/measure_cmd.h"
#include "harness/run/measure.h"
#include "workload/outcome.h"

static void measure_usage(void)
{
    fprintf(stderr, "usage: concbench measure [--memory-method auto|cgroup-v2|cgroup-v1|proc-pss] "
                    "[--sample-ms N] [--json] -- COMMAND [ARGS...]\n");
}

int measure_cmd(int argc, char **argv)
{
    const char *method = "auto";
    int sample_ms = 10, json = 0, i, go[2], status = 0, pidfd;
    memwatch_t mw;
    struct rusage ru;
    int64_t t0, t1, last_tree = 0;
    uint64_t peak;
    pid_t pid;

    for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--memory-method") == 0 && i + 1 < argc) {
            method = argv[++i];
        } else if (strcmp(argv[i], "--sample-ms") == 0 && i + 1 < argc) {
            sample_ms = atoi(argv[++i]);
            if (sample_ms < 1 || sample_ms > 10000) {
                fprintf(stderr, "concbench measure: --sample-ms must be 1..10000\n");
                return 2;
            }
        } else {
            fprintf(stderr, "concbench measure: unknown option '%s'\n", argv[i]);
            measure_usage();
            return 2;
        }
    }
    if (i + 1 >= argc) {
        measure_usage();
        return 2;
    }
    argv += i + 1;
    if (memwatch_init(&mw, "measure", method)) {
        fprintf(stderr, "concbench measure: memory method %s is not usable here\n", method);
        return 2;
    }
    if (pipe2(go, O_CLOEXEC)) {
        fprintf(stderr, "concbench measure: pipe: %s\n", strerror(errno));
        memwatch_finish(&mw);
        return 2;
    }
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "concbench measure: fork: %s\n", strerror(errno));
        memwatch_finish(&mw);
        return 2;
    }
    if (pid == 0) {
        char c;
        close(go[1]);
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        execvp(argv[0], argv);
        fprintf(stderr, "concbench measure: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(go[0]);
    memwatch_attach(&mw, pid);
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    t0 = clock_now_ns();
    if (write(go[1], "g", 1) != 1)
        kill(pid, SIGKILL);
    close(go[1]);
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        int64_t now = clock_now_ns();
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (now - last_tree >= 100000000LL) {
            memwatch_refresh_tree(&mw);
            last_tree = now;
        }
        memwatch_sample(&mw, 1);
        if (pidfd >= 0) {
            struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
            poll(&pfd, 1, sample_ms);
        } else {
            usleep((useconds_t)sample_ms * 1000);
        }
    }
    t1 = clock_now_ns();
    if (pidfd >= 0)
        close(pidfd);
    peak = memwatch_finish(&mw);
    if (json)
        printf("{\"wall_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"peak_bytes\":%llu,"
               "\"memory_method\":\"%s\",\"peak_pss_sum_bytes\":%llu,\"peak_rss_sum_bytes\":%llu,"
               "\"processes_peak\":%d,\"exit_status\":%d}\n",
               (double)(t1 - t0) / 1e9, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
               ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, (unsigned long long)peak,
               mem_method_name(mw.method), (unsigned long long)mw.peak_pss,
               (unsigned long long)mw.peak_rss_sum, mw.processes_peak,
               WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    else
        fprintf(stderr,
                "wall %.3f s  cpu user %.3f s sys %.3f s  peak memory %.1f MiB (%s; summed PSS "
                "%.1f MiB, summed RSS %.1f MiB)  processes %d\n",
                (double)(t1 - t0) / 1e9, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
                ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, (double)peak / 1048576.0,
                mem_method_name(mw.method), (double)mw.peak_pss / 1048576.0,
                (double)mw.peak_rss_sum / 1048576.0, mw.processes_peak);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

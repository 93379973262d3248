#include "harness/run/validity.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/procstat.h"

/* include/linux/sched.h: the flag of a kernel thread in /proc/PID/stat. */
#define VALIDITY_PF_KTHREAD 0x00200000UL

int validity_cpu_parse(const char *line, double tck, validity_cpu_t *c)
{
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal = 0;
    memset(c, 0, sizeof *c);
    /* steal is missing on kernels before 2.6.11 */
    if (strncmp(line, "cpu ", 4) != 0 || tck <= 0 ||
        sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
               &iowait, &irq, &softirq, &steal) < 7)
        return -1;
    /* irq and softirq time belongs to no process: on loopback most of it
     * is the run's own traffic, which no rusage counts, so it is left out
     * of both sides. guest time is already inside user. */
    c->busy_s = (double)(user + nice + sys) / tck;
    c->steal_s = (double)steal / tck;
    return 0;
}

/* The user + system CPU of every kernel thread (PF_KTHREAD in the flags
 * of /proc/PID/stat), in seconds. Kernel threads live as long as the
 * machine, so the difference of two sums is what they spent between. */
static double validity_kernel_threads_s(double tck)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    double total = 0;
    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char buf[1024];
        const char *f;
        unsigned long flags;
        unsigned long long ut, st;
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        f = procstat_read((pid_t)atoi(e->d_name), buf, sizeof buf);
        if (f &&
            sscanf(f, "%*c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %llu %llu", &flags, &ut, &st) ==
                3 &&
            (flags & VALIDITY_PF_KTHREAD))
            total += (double)(ut + st) / tck;
    }
    closedir(d);
    return total;
}

int validity_cpu_read(validity_cpu_t *c)
{
    char line[512];
    double tck = (double)sysconf(_SC_CLK_TCK);
    struct rusage ru;
    FILE *f = fopen("/proc/stat", "re");
    int rc = -1;
    memset(c, 0, sizeof *c);
    if (f) {
        if (fgets(line, sizeof line, f))
            rc = validity_cpu_parse(line, tck, c);
        fclose(f);
    }
    c->kernel_s = validity_kernel_threads_s(tck);
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        c->self_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    c->at_ns = clock_now_ns();
    return rc;
}

void validity_load_read(double load[3])
{
    FILE *f = fopen("/proc/loadavg", "re");
    load[0] = load[1] = load[2] = -1;
    if (!f)
        return;
    if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
        load[0] = load[1] = load[2] = -1;
    fclose(f);
}

/* The latency the mock API injects on average, from the settings it
 * echoes in /__stats (a server started with --api has its own), else the
 * run's knob. Uniform draws between min and max; the others centre on
 * latency_ms. */
static double validity_api_latency(json_t *stats, double fallback)
{
    json_t *conf = json_object_get(stats, "config");
    const char *dist = json_string_value(json_object_get(conf, "latency_dist"));
    json_t *ms = json_object_get(conf, "latency_ms");
    if (!json_is_number(ms))
        return fallback;
    if (dist && strcmp(dist, "uniform") == 0)
        return (json_number_value(json_object_get(conf, "latency_min_ms")) +
                json_number_value(json_object_get(conf, "latency_max_ms"))) /
               2;
    return json_number_value(ms);
}

void validity_measure(validity_t *v, const validity_cpu_t *c0, const validity_cpu_t *c1,
                      double ours_s, json_t *mock_stats, double latency_ms)
{
    json_t *p99 = json_object_get(json_object_get(mock_stats, "late_ms"), "p99");

    v->late_p99_ms = json_is_number(p99) ? json_number_value(p99) : -1;
    v->api_latency_ms = validity_api_latency(mock_stats, latency_ms);
    v->window_s = (double)(c1->at_ns - c0->at_ns) / 1e9;
    v->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (c0->busy_s > 0 && c1->busy_s >= c0->busy_s) {
        double others;
        v->own_cpu_s = ours_s + (c1->self_s - c0->self_s);
        v->kernel_cpu_s = c1->kernel_s - c0->kernel_s;
        others = (c1->busy_s - c0->busy_s) - v->kernel_cpu_s - v->own_cpu_s;
        /* /proc/stat counts in ticks, rusage in microseconds: the run's
         * own CPU can exceed the ticks by a tick or so per core; that
         * is no one else's. */
        v->others_cpu_s = others > 0 ? others : 0;
        v->steal_s = c1->steal_s - c0->steal_s;
    } else {
        v->others_cpu_s = v->steal_s = v->own_cpu_s = v->kernel_cpu_s = -1;
    }
    validity_judge(v);
}

void validity_judge(validity_t *v)
{
    double limit = LIMIT_VALID_LATE_FRACTION * v->api_latency_ms;
    if (limit > LIMIT_VALID_LATE_MAX_MS)
        limit = LIMIT_VALID_LATE_MAX_MS;
    if (limit < LIMIT_VALID_LATE_RESOLUTION_MS)
        limit = LIMIT_VALID_LATE_RESOLUTION_MS;
    v->late_limit_ms = limit;
    v->reasons = 0;
    if (v->late_p99_ms >= 0 && v->late_p99_ms > limit)
        v->reasons |= VALIDITY_MOCK_LATE;
    v->others_share = -1;
    if (v->others_cpu_s >= 0 && v->cores > 0 && v->window_s > 0) {
        v->others_share =
            (v->others_cpu_s + (v->steal_s > 0 ? v->steal_s : 0)) / (v->cores * v->window_s);
        if (v->others_share > LIMIT_VALID_OTHERS_CPU_SHARE)
            v->reasons |= VALIDITY_OTHERS_CPU;
    }
}

const char *validity_reason_name(unsigned bit)
{
    switch (bit) {
    case VALIDITY_MOCK_LATE:
        return "mock_late";
    case VALIDITY_OTHERS_CPU:
        return "others_cpu";
    default:
        return "?";
    }
}

void validity_describe(const validity_t *v, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (v->reasons & VALIDITY_MOCK_LATE)
        len += (size_t)snprintf(buf + len, cap - len,
                                "the mock API answered late: p99 %.0f ms after the due time > %g "
                                "ms (%.0f%% of its %g ms latency, at most %g ms)",
                                v->late_p99_ms, v->late_limit_ms, 100 * LIMIT_VALID_LATE_FRACTION,
                                v->api_latency_ms, LIMIT_VALID_LATE_MAX_MS);
    if ((v->reasons & VALIDITY_OTHERS_CPU) && len < cap)
        snprintf(buf + len, cap - len,
                 "%sother processes took %.0f%% of the machine's CPU during the run (%.2f s of "
                 "%d cores x %.2f s, stolen time included) > %.0f%%",
                 len ? "; " : "", 100 * v->others_share, v->others_cpu_s + v->steal_s, v->cores,
                 v->window_s, 100 * LIMIT_VALID_OTHERS_CPU_SHARE);
}

static json_t *validity_num(double v)
{
    return v < 0 ? json_null() : json_real(v);
}

json_t *validity_json(const validity_t *v)
{
    json_t *o = json_object(), *reasons = json_array(), *load = json_array();
    for (unsigned bit = 1; bit <= VALIDITY_LAST; bit <<= 1)
        if (v->reasons & bit)
            json_array_append_new(reasons, json_string(validity_reason_name(bit)));
    for (int k = 0; k < 3; k++)
        json_array_append_new(load, validity_num(v->load_start[k]));
    json_object_set_new(o, "reasons", reasons);
    json_object_set_new(o, "mock_late_p99_ms", validity_num(v->late_p99_ms));
    json_object_set_new(o, "mock_late_limit_ms", json_real(v->late_limit_ms));
    json_object_set_new(o, "api_latency_ms", json_real(v->api_latency_ms));
    json_object_set_new(o, "others_cpu_s", validity_num(v->others_cpu_s));
    json_object_set_new(o, "own_cpu_s", validity_num(v->own_cpu_s));
    json_object_set_new(o, "kernel_threads_cpu_s", validity_num(v->kernel_cpu_s));
    json_object_set_new(o, "steal_s", validity_num(v->steal_s));
    json_object_set_new(o, "window_s", json_real(v->window_s));
    json_object_set_new(o, "others_cpu_share", validity_num(v->others_share));
    json_object_set_new(o, "others_cpu_limit", json_real(LIMIT_VALID_OTHERS_CPU_SHARE));
    json_object_set_new(o, "cores", json_integer(v->cores));
    json_object_set_new(o, "load_avg_start", load);
    return o;
}

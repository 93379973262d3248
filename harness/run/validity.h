/* Whether a run's measurement can be trusted, checked in every run: a
 * figure taken while the mock API answered late, or while other processes
 * took the machine's CPU, measures the machine, not the model. The run's
 * figures are kept either way; `valid` and its reasons say what to make
 * of them (docs/results.md, "Validity").
 *
 * The checks (limits in common/limits.h):
 *   - mock_late: the mock API's p99 lateness (GET /__stats late_ms.p99:
 *     how long after its due time an answer left, the upper bound of its
 *     1 ms bucket) above the limit: 10% of the API's latency, at most 5
 *     ms, never below the mock's 1 ms resolution;
 *   - others_cpu: the machine's busy CPU time from just before the model
 *     starts to just after it is reaped (/proc/stat: user + nice + system
 *     over every core) less what the run spent itself (the model's tree,
 *     the services concbench started, the harness) and less the kernel's
 *     own threads (softirq work, writeback, reclaim: mostly on the run's
 *     behalf), plus the time the hypervisor stole, above
 *     LIMIT_VALID_OTHERS_CPU_SHARE of cores x that window.
 * The load average at the start of each run is recorded, not judged: a
 * 1-minute average includes the previous model's run. */
#ifndef CONCBENCH_RUN_VALIDITY_H
#define CONCBENCH_RUN_VALIDITY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The reasons a run is not valid, as bits of validity_t.reasons. */
enum { VALIDITY_MOCK_LATE = 1, VALIDITY_OTHERS_CPU = 2, VALIDITY_LAST = VALIDITY_OTHERS_CPU };

/* The machine's CPU counters at one moment, in seconds over every core. */
typedef struct validity_cpu {
    int64_t at_ns;   /* clock_now_ns() when read */
    double busy_s;   /* /proc/stat user + nice + system */
    double steal_s;  /* taken by the hypervisor for other guests */
    double kernel_s; /* the kernel threads' user + system */
    double self_s;   /* the harness's own (getrusage RUSAGE_SELF) */
} validity_cpu_t;

typedef struct validity {
    /* Measured; a negative value is unknown (the check is then skipped). */
    double late_p99_ms;    /* the mock API's p99 lateness */
    double api_latency_ms; /* the latency it was asked to inject */
    double others_cpu_s;   /* busy CPU not the run's own nor the kernel's */
    double own_cpu_s;      /* the run's own: model tree, services, harness */
    double kernel_cpu_s;   /* the kernel threads' */
    double steal_s;
    double window_s; /* between the two readings */
    int cores;
    double load_start[3]; /* 1, 5, 15-minute load average as the run began */
    /* Judged by validity_judge. */
    double late_limit_ms;
    double others_share; /* (others_cpu_s + steal_s) / (cores x window_s) */
    unsigned reasons;    /* VALIDITY_* bits; 0: valid */
} validity_t;

/* Parses the aggregate "cpu " line of /proc/stat (ticks of tck per
 * second) into busy_s and steal_s. Returns 0, or -1 when the line is not
 * one. */
int validity_cpu_parse(const char *line, double tck, validity_cpu_t *c);
/* Reads every counter now (a walk over /proc for the kernel threads: a
 * few ms, so never inside the measured wall time). Returns 0, or -1 when
 * /proc/stat is unreadable (busy_s is then 0 and the check is skipped). */
int validity_cpu_read(validity_cpu_t *c);
/* The 1, 5 and 15-minute load averages, or -1s when unreadable. */
void validity_load_read(double load[3]);

/* Fills v's measured fields from the two readings around the run, the
 * CPU the run's model tree and services spent (ours_s; the harness's is
 * in the readings), and the mock API's /__stats (NULL: lateness
 * unknown); then judges it. */
void validity_measure(validity_t *v, const validity_cpu_t *c0, const validity_cpu_t *c1,
                      double ours_s, json_t *mock_stats, double latency_ms);
/* Sets the limits, others_share and reasons from the measured fields.
 * Pure: the thresholds' logic, unit-tested. */
void validity_judge(validity_t *v);

/* One sentence naming every reason with its figure and limit ("the mock
 * API answered late: p99 12 ms > 5 ms (...); ..."); "" when valid. */
void validity_describe(const validity_t *v, char *buf, size_t cap);
/* The reason's code in results.json ("mock_late", "others_cpu"). */
const char *validity_reason_name(unsigned bit);
/* runs[].validity (docs/results.md). */
json_t *validity_json(const validity_t *v);

#endif

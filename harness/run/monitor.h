/* Measuring one process tree: the single place where the harness forks
 * what it measures, for a model run (runner.c) and for `concbench
 * measure` alike, so both get the same figures by the same means.
 *
 * monitor_run forks a child (which dies with the harness: PR_SET_PDEATHSIG)
 * that first waits on a pipe, attaches it to the
 * memory watch while it is still idle (so the cgroup charges everything it
 * allocates), starts the clock and lets it go. Then, until wait4 reaps the
 * child: re-enumerates the tree and samples its memory at the cadence the
 * memory method needs, calls the caller's tick hook (its policy: progress,
 * interruption, crash injection...), and sleeps on the child's pidfd, so
 * the wall time ends when the child does, not at the next tick. */
#ifndef CONCBENCH_RUN_MONITOR_H
#define CONCBENCH_RUN_MONITOR_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "harness/run/measure.h"

typedef struct monitor monitor_t;

/* Windows a memory timeline keeps at most, whatever the run's length. */
#define MONITOR_MEM_WINDOWS 1024

/* The tree's memory over the run, bounded: bytes[k] is the most memory
 * sampled in window k, [k, k + 1) x window_ns after the clock started
 * (0: no sample fell in it). Windows start one tick long; once
 * MONITOR_MEM_WINDOWS are used, neighbours merge (the larger is kept, so
 * a spike survives) and the window doubles. */
typedef struct monitor_mem_timeline {
    int64_t window_ns;
    int len;
    uint64_t bytes[MONITOR_MEM_WINDOWS];
} monitor_mem_timeline_t;

/* Starts an empty timeline of window_ns windows. */
void monitor_mem_timeline_init(monitor_mem_timeline_t *tl, int64_t window_ns);
/* Records bytes sampled at since_ns after the start (< 0: ignored). */
void monitor_mem_timeline_add(monitor_mem_timeline_t *tl, int64_t since_ns, uint64_t bytes);

typedef struct monitor_hooks {
    /* In the child, before it waits to be let go (NULL: nothing). */
    void (*child_prepare)(void *arg);
    /* In the child once let go: execs or _exits; if it returns the child
     * exits 127. */
    void (*child_run)(void *arg);
    /* In the parent, the clock started (m->t0 set), right before the
     * child is let go (NULL: nothing). */
    void (*start)(monitor_t *m, void *arg);
    /* Every tick, after sampling (NULL: nothing). Returns the longest nap
     * it allows before the next tick, in ms, or -1 for no limit. */
    int (*tick)(monitor_t *m, int64_t now, void *arg);
    void *arg;
} monitor_hooks_t;

struct monitor {
    /* Set by the caller. */
    memwatch_t *mw;   /* initialised; monitor_run always finishes it */
    int sample_ms;    /* the PSS sampling period when that is the figure */
    int new_group;    /* the child leads its own process group, SIGKILLed at the end */
    int full_samples; /* beside a cgroup too, sample as densely as without one */
    int pss_check_ms; /* else, beside a cgroup: summed PSS this often (0: never) */
    /* While it runs. */
    pid_t pid;
    int64_t t0;     /* clock_now_ns() when the child was let go */
    int tree_fresh; /* the tree was re-enumerated this tick */
    /* Results. */
    int64_t t1;        /* clock_now_ns() once the child was reaped */
    struct rusage ru;  /* the reaped tree's */
    int status;        /* wait4's */
    uint64_t peak_mem; /* memwatch_finish's */
    int64_t last_tree, last_pss, last_rss;
    monitor_mem_timeline_t mem_tl; /* memwatch_current every tick */
};

/* Runs the child under the watch to its end. Returns 0 with the results
 * filled, or -1 with a reason in err when it could not start (pipe,
 * fork); the memory watch is finished either way. */
int monitor_run(monitor_t *m, const monitor_hooks_t *h, char *err, size_t errlen);

/* The child's exit code, or 128 + the signal that killed it. */
int monitor_exit_status(const monitor_t *m);

#endif

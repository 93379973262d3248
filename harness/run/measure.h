/* Measuring a model's process tree and the services around it.
 *
 * Peak memory, in order of preference: a fresh cgroup per run (v2
 * memory.peak, or v1 memory.max_usage_in_bytes plus the group's TCP buffer
 * peak, memory.kmem.tcp.max_usage_in_bytes, with TCP accounting switched on
 * for the group) that holds the whole tree (named after its owner,
 * common/owner.h, so a leftover is recognised) — exact, includes page cache,
 * kernel memory and socket buffers charged to the group — or,
 * where no cgroup can be made, sampling /proc/PID/smaps_rollup of every
 * process of the tree every sample_ms and keeping the peak of the summed
 * PSS (copy-on-write pages after fork split honestly) and of the summed RSS
 * (which overstates forked pools). Never the largest single child. */
#ifndef CONCBENCH_MEASURE_H
#define CONCBENCH_MEASURE_H

#include <stdint.h>
#include <sys/types.h>

typedef enum mem_method { MEM_CGROUP_V2, MEM_CGROUP_V1, MEM_PROC_PSS } mem_method_t;

/* The knob's name of a method: "cgroup-v2", "cgroup-v1", "proc-pss". */
const char *mem_method_name(mem_method_t m);
/* What a figure taken by method m is, for results.json's memory_method:
 * the counters read, and whether socket buffers are in it. */
const char *mem_method_desc(mem_method_t m, int sockets_counted);

typedef struct memwatch {
    mem_method_t method;
    char cgroup_dir[512]; /* "" when sampling /proc */
    pid_t root;
    uint64_t peak_pss, peak_rss_sum; /* sampling only */
    uint64_t last_pss;               /* the summed PSS of the last sample that took it */
    /* Socket buffers are in the figure: always on v2 (memory.peak counts
     * them); on v1 when the group's TCP accounting could be switched on
     * (memory.kmem.tcp.limit_in_bytes written), never for proc-pss. */
    int sockets_counted;
    uint64_t peak_sock; /* v1: the TCP buffers' own peak, part of the figure */
    int processes_peak;
    int threads_peak;
    int npids; /* the tree as last enumerated */
    pid_t pids[4096];
} memwatch_t;

/* Prepares a cgroup for the next run if one can be made (tag names it);
 * want is "auto" (cgroup v2, then v1, then /proc), or one method's name to
 * insist on it. Returns 0, or -1 when the method asked for is not usable
 * here (the watch then samples /proc). */
int memwatch_init(memwatch_t *w, const char *tag, const char *want);
/* Moves pid (not yet running the model) into the group. Returns 0 or -1;
 * on -1 the watch falls back to sampling. */
int memwatch_attach(memwatch_t *w, pid_t pid);
/* Re-enumerates the tree under root from /proc (a walk over every process:
 * do it every ~100 ms, not every sample) and records the process and
 * thread counts. */
void memwatch_refresh_tree(memwatch_t *w);
/* Sums RSS (and PSS when with_pss, which costs a walk of every mapping of
 * every process) over the tree as last enumerated and keeps the peaks: the
 * figure when the method is proc-pss, a cross-check beside a cgroup. */
void memwatch_sample(memwatch_t *w, int with_pss);
/* The tree's memory now, by the watch's method: the group's
 * memory.current (v2), memory.usage_in_bytes plus its TCP buffers' usage
 * when those are counted (v1), or the summed PSS of the last sample.
 * Returns 0, or -1 when there is no figure (yet). */
int memwatch_current(memwatch_t *w, uint64_t *bytes);
/* The peak in bytes (PSS sum when sampling; on v1 the group's peak plus
 * its TCP buffers' peak, which may come at another moment, so the sum can
 * exceed the true peak by at most the smaller of the two), then removes
 * the cgroup. */
uint64_t memwatch_finish(memwatch_t *w);
/* Removes the cgroups (killing what is left in them) that concbench
 * processes which are gone left behind: a harness killed outright, a
 * second Ctrl-C. Only groups named by a dead owner of our PID namespace
 * (owner.h) are touched. Cannot fail; what cannot be removed is said. */
void memwatch_sweep_stale(void);

/* CPU seconds (user+sys) a service has used so far: the process itself, its
 * live children and the children it has reaped (so PostgreSQL's finished
 * backends count). Returns -1 if the process is gone. */
double measure_service_cpu_s(pid_t pid);

/* The state letter of pid from /proc/PID/stat ('R', 'S', 'T' for stopped,
 * 'Z'...), or '\0' when the process is gone. */
char measure_proc_state(pid_t pid);

/* Collects the pids of root and all its descendants (from /proc). Returns
 * the count written to pids (at most cap). */
int measure_tree_pids(pid_t root, pid_t *pids, int cap);

#endif

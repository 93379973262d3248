/* The three intervals of a request, one definition for every model
 * (docs/results.md "Latency: wait, api, e2e"), reduced from an outcome
 * table after a run:
 *
 *   wait  the model took the id (outcome_queued) -> its first request went
 *         on the wire (outcome_attempt_wire): slot, queue, stream, connect
 *         and event-loop backlog;
 *   api   the final attempt's request on the wire -> its response complete
 *         (outcome_attempt_end): what the API and the network took;
 *   e2e   the run's start (the model released) -> the row committed.
 *
 * Over succeeded requests only: a failed request has no row, and its
 * timings would mix timeouts into the figures. Percentiles are nearest-rank
 * (common/stats.h). */
#ifndef CONCBENCH_RUN_INTERVALS_H
#define CONCBENCH_RUN_INTERVALS_H

#include <stdint.h>

#include "workload/outcome.h"

enum { IV_P50, IV_P90, IV_P99, IV_P999, IV_MAX, IV__N };
extern const char *const intervals_pct_keys[IV__N]; /* "p50" .. "max" */

typedef struct intervals {
    double wait_ms[IV__N], api_ms[IV__N], e2e_ms[IV__N];
    uint64_t n; /* succeeded requests the figures are over */
    /* Succeeded requests whose times do not add up: a time missing, or
     * wait + api > e2e (each interval lies within the e2e one, so a
     * request that breaks it was timed wrongly). 0 in a sound run. */
    uint64_t inconsistent;
    /* The most ids the model held at once: taken (outcome_queued) and not
     * yet settled (committed or failed for good: end_ns), over every id,
     * succeeded or not; an id that settles at the very moment another is
     * taken is not counted with it. N for a model that takes every id at
     * the start; bounded by its slots and queues for one that takes an id
     * only when it has room (pipeline, thread-pool). */
    uint64_t held_peak;
    double *api_sorted;  /* api_ms of each, ascending (malloc'd; the CDF) */
    double *wait_sorted; /* wait_ms of each, ascending (malloc'd) */
} intervals_t;

/* Fills *iv from t, the run having started at run_start_ns. Returns 0, or
 * -1 out of memory (*iv then all zero). Free with intervals_free. */
int intervals_collect(const outcome_table_t *t, int64_t run_start_ns, intervals_t *iv);
void intervals_free(intervals_t *iv);

#endif

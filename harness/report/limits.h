/* Absolute limits for CI: figures a run must stay within whatever the
 * baseline did (docs/ci.md "Absolute limits"). One rule for `concbench
 * run` (knobs max_p99_ms, max_mem_mib, with max_error_rate deciding each
 * run's ok) and `concbench compare` (--max-error-rate, --max-p99-ms,
 * --max-mem-mib on RESULTS):
 *   - the error rate (failed / requests) of every measured run;
 *   - the API p99 latency (api_ms.p99; schema 1: latency_ms.p99) and the
 *     peak memory (peak_mem_bytes; schema 1: peak_rss_bytes) of each model
 *     as the median of its measured runs,
 *     the figure the table shows, so one noisy repetition does not decide.
 * Each limit is for every model or per model (harness/config/limit_spec.h);
 * a model a limit names must be in the results. */
#ifndef CONCBENCH_REPORT_LIMITS_H
#define CONCBENCH_REPORT_LIMITS_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "harness/config/limit_spec.h"

typedef struct limits {
    limit_spec_t error_rate; /* fractions */
    limit_spec_t p99_ms;
    limit_spec_t mem_mib;
} limits_t;

/* No limit at all. */
void limits_init(limits_t *l);

/* Whether any limit is on. */
int limits_any(const limits_t *l);

/* Checks the runs of a results.json document against l and prints one
 * "LIMIT: <model> ..." line to out per figure beyond its limit. Returns
 * how many there were, or -1 with the reason in err when doc is not a
 * readable results.json or a limit names a model it lacks. doc is only
 * read. */
int limits_check(json_t *doc, const limits_t *l, FILE *out, char *err, size_t errlen);

#endif

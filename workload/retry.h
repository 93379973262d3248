/* The retry policy every model shares: which failures are worth another
 * attempt and how long to wait before it (exponential backoff with
 * deterministic jitter, honouring the server's Retry-After). */
#ifndef CONCBENCH_RETRY_H
#define CONCBENCH_RETRY_H

#include <stdint.h>

#include "workload/job.h"
#include "workload/outcome.h"

typedef struct retry_policy {
    int retries;    /* further attempts after the first */
    int backoff_ms; /* first backoff; doubles per attempt */
    int backoff_max_ms;
    uint64_t seed;
} retry_policy_t;

/* The policy of a job: its retries and first backoff, capped at
 * LIMIT_RETRY_BACKOFF_MAX_MS, with jitter drawn from its seed. */
retry_policy_t retry_policy_of(const job_t *job);

/* 429, 5xx, timeout, connect, reset and bad payload are transient; any other
 * 4xx and a DB failure are not. */
int retry_is_transient(err_class_t c);

/* Milliseconds to wait before attempt number `attempt` (2 = the first
 * retry) of id; retry_after_ms >= 0 is the server's Retry-After and is a
 * lower bound. Jitter is "equal jitter": half fixed, half drawn from
 * (seed, id, attempt), so a retry storm spreads out reproducibly. */
int retry_backoff_ms(const retry_policy_t *p, uint64_t id, int attempt, long retry_after_ms);

#endif

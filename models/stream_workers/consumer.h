/* One stream-workers worker process: a libuv loop that reads a run's work
 * stream as one consumer of its group and runs the ids through the shared
 * event-loop engine (loop_engine: curl multi + async libpq), acknowledging
 * each entry once its row is committed. The coordinator forks W of these;
 * `concbench worker` runs one on any host (worker_cmd.c). The
 * design, state by state, is at the top of consumer.c. */
#ifndef CONCBENCH_STREAM_WORKERS_CONSUMER_H
#define CONCBENCH_STREAM_WORKERS_CONSUMER_H

#include <stdint.h>

#include "engine/uv_redis.h"
#include "models/model.h"

typedef struct consumer_cfg {
    redis_addr_t redis;
    /* api_url, pg_dsn, run_id, seed, requests, items, transform_cost,
     * batch_size, timeout_ms, retries, backoff_ms; out is the harness's
     * shared table for a forked worker, a private one for an external. */
    job_t job;
    int consumers;     /* K: requests in flight at most (>= 1) */
    int db_conns;      /* PostgreSQL connections of this process (>= 1) */
    int claim_idle_ms; /* take over others' entries idle this long */
    /* External: report each final outcome and each claim to the run's
     * outcomes stream (the coordinator records them), register in the
     * run's external hash, and print a summary line when done. */
    int external;
} consumer_cfg_t;

typedef struct consumer_stats {
    char consumer[160]; /* this worker's consumer name in the group */
    uint64_t read;      /* entries delivered by XREADGROUP */
    uint64_t claimed;   /* entries taken over with XAUTOCLAIM */
    uint64_t committed; /* ids whose rows this worker committed */
    uint64_t failed;    /* ids that failed for good here */
    int run_over;       /* the run's stream went away (the coordinator ended it) */
} consumer_stats_t;

/* Runs until the process is asked to stop (SIGTERM/SIGINT: it finishes the
 * ids it holds, at most STREAM_WORKER_DRAIN_MS, then exits) or the run's
 * stream is deleted. Returns 0, or 2 after printing one line on stderr
 * (prefixed with the consumer name) when it could not go on: Redis or
 * PostgreSQL unreachable or lost, an engine failure. Ids it held are then
 * still pending in the group, for the other workers to claim. */
int consumer_run(const consumer_cfg_t *cfg, consumer_stats_t *stats);

#endif

/* The job: the workload parameters every model takes, identical for all
 * of them (N request ids, where the API, PostgreSQL and Redis are, the
 * transform's cost, batching, timeouts and retries) plus the model knobs.
 * The harness fills it from the configuration; a model reads it and must
 * not change it. */
#ifndef CONCBENCH_WORKLOAD_JOB_H
#define CONCBENCH_WORKLOAD_JOB_H

#include <stdint.h>

#include "workload/outcome.h"

typedef struct job {
    const char *api_url;   /* http://127.0.0.1:PORT, no trailing slash */
    const char *pg_dsn;    /* libpq connection string */
    const char *redis_url; /* redis://HOST:PORT, or NULL when no Redis */
    const char *run_id;    /* rows are keyed (run_id, id) */
    uint64_t seed;
    uint32_t requests; /* ids 1..requests */
    uint32_t concurrency;
    int items;
    unsigned transform_cost;
    int batch_size;
    int timeout_ms;
    int retries;
    int backoff_ms;
    /* Model knobs; 0 means "the model's default" (documented per model). */
    int db_conns;
    int workers;
    int chunk;
    int queue_depth;
    int procs;
    int consumers;
    int claim_idle_ms;
    int external_workers;
    int cpu_workers;     /* hybrid, pipeline: transform threads */
    int transform_queue; /* hybrid, pipeline: bodies waiting for a transform worker */
    int write_queue;     /* pipeline: rows waiting for a writer */
    /* External models: the longest silence on the report before the
     * program counts as hung (docs/external-models.md). */
    int stall_timeout_ms;
    /* The model's own description (model_ops_t.priv): external models'
     * command; NULL for the built-in ones. */
    const void *model_priv;
    outcome_table_t *out;
} job_t;

#endif

/* semaphore-loop: the same libuv loop as unbounded-loop, with at most C
 * (job->concurrency) requests in flight — the asyncio.Semaphore pattern. A
 * request holds its slot through retries and backoff; a finished one lets
 * the next id in (models/loop_engine.h). */
#include <stdio.h>

#include "engine/loop_engine.h"
#include "models/model.h"

static int semaphore_loop_run(const job_t *job)
{
    if (job->concurrency == 0) {
        fprintf(stderr, "semaphore-loop: concurrency must be at least 1\n");
        return 2;
    }
    return loop_engine_run_job(job, job->concurrency, "semaphore-loop");
}

const model_ops_t model_semaphore_loop = {
    .name = "semaphore-loop",
    .summary = "one libuv loop, at most C requests in flight (curl multi + async libpq pipeline)",
    .knobs = "db_conns",
    .crash_na = "one process and one thread: there is no worker to kill and recover from, only "
                "the whole run",
    .run = semaphore_loop_run,
};

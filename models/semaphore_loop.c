/* semaphore-loop: the same libuv loop as unbounded-loop, with at most C
 * (job->concurrency) requests in flight — the asyncio.Semaphore pattern. A
 * request holds its slot through retries and backoff; a finished one lets
 * the next id in (engine/loop_engine.h). */
#include "common/log.h"
#include "engine/loop_engine.h"
#include "models/model.h"

/* Defined at the end of the file; its name is the log prefix. */
extern const model_ops_t model_semaphore_loop;

static int semaphore_loop_run(const job_t *job)
{
    log_init(model_semaphore_loop.name);
    if (job->concurrency == 0) {
        log_error("concurrency must be at least 1");
        return 2;
    }
    return loop_engine_run_job(job, job->concurrency, model_semaphore_loop.name);
}

const model_ops_t model_semaphore_loop = {
    .name = "semaphore-loop",
    .summary = "one libuv loop, at most C requests in flight (curl multi + async libpq pipeline)",
    .knobs = "db_conns",
    .crash_na = "one process and one thread: there is no worker to kill and recover from, only "
                "the whole run",
    .run = semaphore_loop_run,
};

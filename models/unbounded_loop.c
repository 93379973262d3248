/* unbounded-loop: the "asyncio.gather over everything" pattern. All N
 * requests start at once on one libuv loop and one thread, one connection
 * each while in flight, with the PostgreSQL writes on the same loop
 * (engine/loop_engine.h). The engine hands them to curl 256 per loop turn
 * so connects, sends and reads interleave; how many are in flight at the
 * API at once is then connect rate x latency (all N at 2,000 and 1 s). What it costs shows in
 * memory, file descriptors and in how the API copes with N concurrent requests. */
#include "common/log.h"
#include "engine/loop_engine.h"
#include "models/model.h"

/* Defined at the end of the file; its name is the log prefix. */
extern const model_ops_t model_unbounded_loop;

static int unbounded_loop_run(const job_t *job)
{
    log_init(model_unbounded_loop.name);
    return loop_engine_run_job(job, 0, model_unbounded_loop.name);
}

const model_ops_t model_unbounded_loop = {
    .name = "unbounded-loop",
    .summary = "all N requests at once on one libuv loop (curl multi + async libpq pipeline)",
    .knobs = "db_conns",
    .crash_na = "one process and one thread: there is no worker to kill and recover from, only "
                "the whole run",
    .run = unbounded_loop_run,
};

/* The model interface. A model takes one job — N request ids, where the API,
 * PostgreSQL and Redis are, and its knobs — and runs fetch → transform →
 * write for every id, recording each request in the shared outcome table.
 * The harness calls run() in a fresh child process, so a model may use
 * threads, fork workers, or exit without freeing; it must not print to
 * stdout (the harness owns it) and prints setup failures as one line on
 * stderr. Adding a model is one file with a model_ops_t plus one line in
 * registry.c. */
#ifndef CONCBENCH_MODEL_H
#define CONCBENCH_MODEL_H

#include "workload/job.h"

typedef struct model_ops {
    const char *name;
    const char *summary;
    /* Comma-separated names of the model-specific knobs it reads. */
    const char *knobs;
    /* NULL when --crash-after applies (the model registers worker pids in the
     * outcome table); else why it does not. */
    const char *crash_na;
    /* Non-zero when the model needs Redis (the harness then starts one). */
    int needs_redis;
    /* Non-zero when the model reports its stages and queues in the outcome
     * table (stage_busy, queue_len): the harness samples them into
     * stages-MODEL-R.csv. */
    int staged;
    /* Runs the job to the end. Returns 0 when every id reached a final
     * outcome (done or failed), or 2 after printing why it could not run. */
    int (*run)(const job_t *job);
    /* A subcommand of the model's own (`concbench COMMAND ...`), or NULL:
     * stream-workers' `worker` joins a run from another host. The CLI
     * dispatches and lists it from here, so a model brings its command
     * with its one registry line. command_usage is the arguments after the
     * name, for `concbench --help`; command_main takes argv after the name
     * and returns the exit status. */
    const char *command;
    const char *command_usage;
    int (*command_main)(int argc, char **argv);
    /* What run() needs beyond the job, handed to it as job->model_priv
     * (external models: the program and its arguments); NULL for the
     * built-in models. */
    const void *priv;
} model_ops_t;

/* NULL-terminated list of the built-in models (`--model all`). */
extern const model_ops_t *const model_registry[];
/* A model by name: a built-in one, an external model file
 * (models/external/NAME.conf) or `exec:PATH`. Returns NULL with the
 * reason in err (one line) when there is none or it cannot be used. */
const model_ops_t *model_find(const char *name, char *err, size_t errlen);

#endif

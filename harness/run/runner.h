/* Running one model once: a fresh child process in its own process group
 * (and cgroup where possible) with a new outcome table; progress, crash
 * injection and memory sampling while it runs; then wait4 for its CPU,
 * the mock API's stats, the services' CPU and verification. */
#ifndef CONCBENCH_RUNNER_H
#define CONCBENCH_RUNNER_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#include "harness/config/config.h"
#include "harness/run/intervals.h"
#include "harness/run/measure.h"
#include "harness/run/validity.h"
#include "harness/run/verify.h"
#include "harness/services/services.h"
#include "models/model.h"

typedef struct run_env {
    const config_t *cfg;
    const char *api;
    const char *pg;
    const char *redis;
    pid_t mock_pid, pg_pid, redis_pid; /* services we started (0: not ours) */
    PGconn *pg_conn;                   /* the harness's own connection */
} run_env_t;

/* One sample of a staged model: requests on the wire (the fetch stage),
 * in transform and being written, and the two queues' depths. */
typedef struct stage_sample {
    int64_t t_ns; /* since the run's start */
    int64_t busy[STAGE__COUNT];
    int64_t queued[QUEUE__COUNT];
} stage_sample_t;

typedef struct run_result {
    const model_ops_t *model;
    int repeat; /* 0-based measured repetition, -1 for a warm-up */
    int ran;    /* 1-based place in the order the runs ran, warm-ups included */
    char run_id[128];
    int exit_status; /* the model child's exit code, or 128+signal */
    int complete;    /* every request reached a final outcome */
    int interrupted;
    int stalled; /* stopped by the no-progress watchdog (stall_timeout) */
    double wall_s, cpu_user_s, cpu_sys_s;
    uint64_t peak_mem_bytes;
    mem_method_t mem_method;
    int mem_sockets_counted;  /* socket buffers are in peak_mem_bytes */
    uint64_t peak_sock_bytes; /* v1: their own peak (part of peak_mem_bytes); else 0 */
    uint64_t peak_rss_sum_bytes, peak_pss_bytes; /* when sampling */
    int processes_peak, threads_peak;
    double harness_cpu_s;         /* the harness's own CPU while the model ran */
    int64_t db_conns_server_peak; /* most client backends pg_stat_activity showed; -1 unknown */
    uint64_t succeeded, failed;
    uint64_t errors[ERR__COUNT];
    intervals_t iv; /* wait, api and e2e of the succeeded requests */
    uint64_t attempts, retried;
    int64_t client_peak_inflight, db_conns, workers_peak;
    int crash_applicable;
    int64_t crash_killed, requeued, redelivered;
    int64_t stream_produced, stream_acked, stream_max_pending, stream_external;
    outcome_external_t *externals; /* n_externals, copied from the table */
    int n_externals;
    double infra_cpu_s[3]; /* mockapi, postgres, redis; < 0: not measured */
    json_t *server;        /* /__stats after the run (owned) */
    verify_result_t verify;
    int verify_error;
    char verify_err[256];
    /* The run finished, its rows were read and match (rows_match), and
     * at most max_error_rate of its requests failed for good
     * (verify_run_ok). */
    int ok;
    /* Whether the measurement can be trusted (validity.h): the mock API on
     * time, the machine left to the run. valid is validity.reasons == 0. */
    validity_t validity;
    int valid;
    /* Completions and errors per LIMIT_RUN_TIMELINE_WINDOW_MS window since the start. */
    uint32_t *timeline_done, *timeline_err;
    int timeline_len;
    /* The tree's memory over the run (monitor_mem_timeline_t): the most
     * sampled in each mem_window_ns window since the start, 0 where no
     * sample fell; at most MONITOR_MEM_WINDOWS windows. */
    uint64_t *mem_timeline;
    int mem_timeline_len;
    int64_t mem_window_ns;
    /* Staged models (model->staged): the configured bounds and the peaks
     * from the outcome table, and the samples of the stages timeline. */
    int32_t stage_width[STAGE__COUNT], queue_cap[QUEUE__COUNT];
    int64_t stage_peak[STAGE__COUNT], queue_peak[QUEUE__COUNT];
    stage_sample_t *stages; /* LIMIT_RUN_STAGES_SAMPLES once the first is added */
    int nstages;
    int stages_per;  /* ticks each sample stands for (a power of two) */
    int stages_last; /* ticks merged into the last sample so far */
} run_result_t;

/* Adds one tick's sample to r's stages timeline, bounded: when
 * LIMIT_RUN_STAGES_SAMPLES are used, neighbours merge (t_ns the earlier,
 * every count the larger, so a full queue or stage survives) and each
 * sample then stands for twice as many ticks; later ticks merge into the
 * last sample until it stands for as many. Out of memory: dropped. */
void runner_stages_add(run_result_t *r, const stage_sample_t *s);

/* Runs model once (repeat < 0 for a warm-up) under the monitor
 * (monitor.h), its own process group published in signals_model_pgid
 * while it runs; a signal recorded in signals_interrupted stops it. Fills
 * *r. Returns 0, or -1 when the run could not be carried out at all
 * (reason printed). */
int runner_run(const run_env_t *env, const model_ops_t *model, int repeat, run_result_t *r);
void run_result_free(run_result_t *r);

#endif

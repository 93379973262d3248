/* The outcome table: one slot per request in shared memory, created by the
 * harness before it forks a model, so threads, forked workers and stream
 * consumers all report without IPC. Slot i belongs to request id i+1
 * (ids run 1..N). Writers of different slots never contend; the counters in
 * the header are atomics bumped once per request. */
#ifndef CONCBENCH_OUTCOME_H
#define CONCBENCH_OUTCOME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Error classes, in the order and with the names of the results contract. */
typedef enum err_class {
    ERR_NONE = 0,
    ERR_HTTP_429,
    ERR_HTTP_4XX,
    ERR_HTTP_5XX,
    ERR_TIMEOUT,
    ERR_CONNECT,
    ERR_RESET,
    ERR_BAD_PAYLOAD,
    ERR_DB,
    ERR__COUNT
} err_class_t;

const char *err_class_name(err_class_t c);

/* Slot states. A slot moves PENDING -> FETCHED -> DONE, or to FAILED. A
 * re-delivered request may be fetched and committed again; the counters in
 * the header still count it once. */
enum { SLOT_PENDING = 0, SLOT_FETCHED = 1, SLOT_DONE = 2, SLOT_FAILED = 3 };

typedef struct outcome_slot {
    int64_t queued_ns;       /* the model took the id (0: not recorded) */
    int64_t wire_ns;         /* the first attempt's request went on the wire (0: none did) */
    int64_t attempt_wire_ns; /* the current attempt's request went on the wire (0: not yet) */
    int64_t fetched_ns;      /* final attempt's response complete and transformed */
    int64_t end_ns;          /* row committed, or the request failed for good */
    int32_t status;          /* last HTTP status (0: none) */
    /* The latest attempt that reached the wire: on the wire -> response
     * complete, in µs (0: none has finished). */
    uint32_t api_us;
    uint16_t attempts; /* HTTP attempts, across re-deliveries */
    uint16_t deliveries;
    uint8_t err; /* err_class_t of a failed request */
    _Atomic uint8_t state;
    uint8_t pad[2];
} outcome_slot_t;

#define OUTCOME_MAX_WORKERS 1024

/* The stages of a staged model, and the queues before transform and write. */
enum { STAGE_FETCH, STAGE_TRANSFORM, STAGE_WRITE, STAGE__COUNT };
enum { QUEUE_TRANSFORM, QUEUE_WRITE, QUEUE__COUNT };
/* External stream workers reported apart; more are summed in the last. */
#define OUTCOME_MAX_EXTERNALS 64

/* What one external stream worker (`concbench worker`, any host) reported,
 * as the coordinator saw its reports arrive: written by the coordinator
 * only, read by the harness after the model's child has exited. */
typedef struct outcome_external {
    char name[160]; /* its consumer name, host-pid */
    int64_t committed, failed;
    int64_t claimed;           /* entries it took over from other consumers */
    int64_t duplicates;        /* ids it finished after another worker had */
    int64_t first_ns, last_ns; /* its first and last report */
} outcome_external_t;

typedef struct outcome_table {
    uint32_t n;
    int64_t run_start_ns;
    _Atomic uint64_t done;         /* requests committed (counted once) */
    _Atomic uint64_t failed;       /* requests failed for good (counted once) */
    _Atomic uint64_t fetched;      /* requests fetched and transformed (counted once) */
    _Atomic int64_t inflight;      /* requests on the wire, not yet answered */
    _Atomic int64_t peak_inflight; /* the most of them at once */
    _Atomic int64_t db_conns;      /* connections the model opened to PostgreSQL */
    _Atomic int64_t redelivered;   /* ids handed out again after a crash or claim */
    _Atomic int64_t crash_killed;  /* workers the harness killed */
    _Atomic int64_t requeued;      /* ids a dispatcher re-queued after a worker died */
    _Atomic int64_t workers_peak;  /* threads or processes doing requests */
    /* Pids a model registers so the harness's --crash-after can kill one. */
    _Atomic int32_t n_workers;
    _Atomic int32_t worker_pids[OUTCOME_MAX_WORKERS];
    /* stream-workers (0 for other models): entries XADDed to the run's
     * stream, entries the group saw acknowledged (Redis's entries-read
     * minus pending at the end), the largest pending-entries list sampled
     * during the run, and ids whose outcome an external `concbench worker`
     * reported (recorded by the coordinator). */
    _Atomic int64_t stream_produced;
    _Atomic int64_t stream_acked;
    _Atomic int64_t stream_max_pending;
    _Atomic int64_t stream_external;
    int32_t n_externals;
    outcome_external_t externals[OUTCOME_MAX_EXTERNALS];
    /* Staged models (hybrid, pipeline; stage_width[STAGE_FETCH] is 0 for
     * the others): what each stage may hold and holds now, and what each
     * bounded queue between two stages may hold and holds now, with the
     * peaks. The harness samples the current values into the stages
     * timeline (stages-MODEL-R.csv). A stage or queue a model does not have
     * keeps width or cap 0. */
    int32_t stage_width[STAGE__COUNT];
    int32_t queue_cap[QUEUE__COUNT];
    _Atomic int64_t stage_busy[STAGE__COUNT];
    _Atomic int64_t stage_peak[STAGE__COUNT];
    _Atomic int64_t queue_len[QUEUE__COUNT];
    _Atomic int64_t queue_peak[QUEUE__COUNT];
    outcome_slot_t slots[];
} outcome_table_t;

/* Maps a zeroed shared (MAP_SHARED | MAP_ANONYMOUS) table for n requests
 * and touches every page of it, so the pages are resident and charged to
 * the caller's memory cgroup, never to a model's process that writes them
 * later. Returns NULL with errno set on failure. */
outcome_table_t *outcome_table_create(uint32_t n);
void outcome_table_destroy(outcome_table_t *t);

static inline outcome_slot_t *outcome_slot(outcome_table_t *t, uint64_t id)
{
    return &t->slots[id - 1];
}

/* The model took the id: it holds it from now on, in whatever queue,
 * ring or stream feeds its requests (docs/results.md, `wait_ms`). Only the
 * first call counts. */
void outcome_queued(outcome_table_t *t, uint64_t id);
/* An attempt begins: counted in attempts, whether or not it ever reaches
 * the wire (a connect failure is an attempt the server never sees). */
void outcome_attempt_start(outcome_table_t *t, uint64_t id);
/* The attempt's request goes on the wire: a connection is ready and the
 * first byte of the request is about to be written (libcurl's
 * CURLOPT_PREREQFUNCTION, see engine/http.h). From here to
 * outcome_attempt_end the request counts as in flight. */
void outcome_attempt_wire(outcome_table_t *t, uint64_t id);
/* The attempt finished with HTTP status (0 if none): call it as soon as the
 * transfer is complete, before any transform, since the attempt's api time
 * ends here. */
void outcome_attempt_end(outcome_table_t *t, uint64_t id, int status);
void outcome_fetched(outcome_table_t *t, uint64_t id);
/* The request's row is committed. */
void outcome_done(outcome_table_t *t, uint64_t id);
/* The request failed for good with class c. */
void outcome_fail(outcome_table_t *t, uint64_t id, err_class_t c);
/* The same events at a given clock_now_ns() reading instead of now: for
 * an adapter that replays events another process timed on the same
 * CLOCK_MONOTONIC (external models, docs/external-models.md). */
void outcome_queued_at(outcome_table_t *t, uint64_t id, int64_t now);
void outcome_attempt_start_at(outcome_table_t *t, uint64_t id, int64_t now);
void outcome_attempt_wire_at(outcome_table_t *t, uint64_t id, int64_t now);
void outcome_attempt_end_at(outcome_table_t *t, uint64_t id, int status, int64_t now);
void outcome_fetched_at(outcome_table_t *t, uint64_t id, int64_t now);
void outcome_done_at(outcome_table_t *t, uint64_t id, int64_t now);
void outcome_fail_at(outcome_table_t *t, uint64_t id, err_class_t c, int64_t now);
/* Staged models: delta requests entered (> 0) or left (< 0) a stage; the
 * peak follows. (Queues are mirrored by common/bqueue itself.) */
void outcome_stage_add(outcome_table_t *t, int stage, int64_t delta);
/* Registers a worker pid for crash injection; returns its index or -1. */
int outcome_worker_register(outcome_table_t *t, pid_t pid);
void outcome_worker_unregister(outcome_table_t *t, pid_t pid);

#endif

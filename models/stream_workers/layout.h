/* The Redis layout of one stream-workers run, shared by the coordinator
 * (coordinator.c) and every worker, forked or `concbench worker`:
 *
 *   concbench:<run>           the work stream. Entry ID 0-<id> for request
 *                             id (field id=<id>): the entry ID *is* the
 *                             request id, so a worker acknowledges a
 *                             committed id as XACK ... 0-<id> without a map
 *                             from ids to entry IDs, and claimed entries
 *                             map back just as directly.
 *   group "concbench"         on the work stream, created at 0 before any
 *                             worker starts.
 *   concbench:<run>:config    hash: what a worker needs to do the run's
 *                             work exactly as the coordinator would (seed,
 *                             requests, items, transform_cost, batch_size,
 *                             timeout_ms, retries, backoff_ms) and the
 *                             model's defaults (consumers, db_conns,
 *                             claim_idle_ms), plus state: waiting (for
 *                             external workers), running, done.
 *   concbench:<run>:external  hash: consumer name -> "host pid consumers"
 *                             of every external worker that joined.
 *   concbench:<run>:outcomes  stream: what external workers report back,
 *                             one entry per id that reached its final
 *                             outcome (fields below) and one per batch of
 *                             entries claimed from other consumers.
 *                             Created empty by the coordinator; workers add
 *                             with NOMKSTREAM, so a straggler writing after
 *                             the run's clean-up cannot recreate it.
 *
 * Every key is deleted when the run ends. */
#ifndef CONCBENCH_STREAM_WORKERS_LAYOUT_H
#define CONCBENCH_STREAM_WORKERS_LAYOUT_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "models/model.h"

#define STREAM_GROUP "concbench"
#define STREAM_KEY_PREFIX "concbench:"
#define STREAM_STATE_WAITING "waiting"
#define STREAM_STATE_RUNNING "running"
#define STREAM_STATE_DONE "done"

typedef struct stream_layout_keys {
    char stream[256];
    char config[272];
    char external[272];
    char outcomes[272];
} stream_layout_keys_t;

/* Returns 0, or -1 when run_id is empty, too long or has a space. */
int stream_layout_keys_init(stream_layout_keys_t *k, const char *run_id);

/* The run parameters a worker takes from the config hash. */
typedef struct stream_layout_config {
    uint64_t seed;
    uint32_t requests;
    int items;
    unsigned transform_cost;
    int batch_size;
    int timeout_ms;
    int retries;
    int backoff_ms;
    int consumers; /* per process, resolved (never 0) */
    int db_conns;  /* per process, resolved */
    int claim_idle_ms;
    char state[16];
} stream_layout_config_t;

/* HSET of every field and the state. Returns 0 or -1 with err. */
int stream_layout_config_write(redisContext *c, const stream_layout_keys_t *k,
                               const stream_layout_config_t *rc, char *err, size_t errlen);
/* HGETALL. Returns 0; 1 when the hash does not exist; -1 with err when it
 * cannot be read or a field is missing or malformed. */
int stream_layout_config_read(redisContext *c, const stream_layout_keys_t *k,
                              stream_layout_config_t *rc, char *err, size_t errlen);

/* One external outcome, as carried by an outcomes entry with fields
 * id, ok (1 committed / 0 failed for good), err (class name, "none" when
 * ok), status (last HTTP status), attempts, deliveries, wait_us (the worker
 * took the id to its first request on the wire), fetch_us (first request on
 * the wire to transformed), api_us (the latest attempt on the wire to its
 * response complete, outcome.h), commit_us (transformed to committed or
 * failed), worker (consumer name). A claim
 * entry has fields claimed (entries taken over) and worker. Times are
 * durations, so they cross hosts without a shared clock; the coordinator
 * anchors them at the moment it reads the entry. */
typedef struct stream_outcome {
    uint64_t id; /* 0 for a claim entry */
    int ok;
    int err; /* err_class_t */
    int status;
    unsigned attempts, deliveries;
    int64_t wait_us, fetch_us, api_us, commit_us;
    uint64_t claimed;
    char worker[160]; /* the reporting consumer's name ("" if absent) */
} stream_outcome_t;

/* Parses one outcomes entry ([entry-id, [field, value, ...]]). Returns 0,
 * or -1 when it is malformed. */
int stream_layout_outcome_parse(const redisReply *entry, stream_outcome_t *o);

/* Parses a work entry's ID "0-<id>". Returns the id, or 0 if it is not one. */
uint64_t stream_layout_entry_id(const char *s);

#endif

/* The transform stage shared by hybrid and pipeline: `workers` pthreads
 * pop fetched bodies from a bounded queue (the hand-off), run
 * transform_order on them and give each result to the owner's callback on
 * the worker thread. The queue is fed without blocking (cpu_pool_offer), so
 * an event loop never waits on it: a full queue is the owner's signal to
 * stop fetching (back-pressure). The queue's depth and the number of
 * workers transforming are mirrored into the outcome table for the stages
 * timeline (QUEUE_TRANSFORM, STAGE_TRANSFORM). */
#ifndef CONCBENCH_MODELS_STAGED_CPU_POOL_H
#define CONCBENCH_MODELS_STAGED_CPU_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bqueue.h"
#include "workload/outcome.h"
#include "workload/transform.h"

typedef struct cpu_item {
    struct cpu_item *next; /* free for the owner's lists */
    void *tag;             /* the owner's, untouched */
    uint64_t id;
    const char *body; /* valid until the result is handed back */
    size_t len;
    int ok; /* set by the worker: row is the transform, else a bad payload */
    order_row_t row;
} cpu_item_t;

/* On a worker thread. popped: it took an item off a queue that had turned
 * an offer away (cpu_pool_offer returned 1) since the last call, so the
 * owner has a body waiting for the room just made; called only then, which
 * spares the owner's loop a wake-up per body while nothing waits (the
 * queue's lock orders the refusal before this take: none is missed).
 * done: it finished an item (it->ok and it->row set). */
typedef void (*cpu_pool_popped_cb)(void *ud);
typedef void (*cpu_pool_done_cb)(void *ud, cpu_item_t *it);

typedef struct cpu_pool {
    bqueue_t queue;
    pthread_t *threads;
    int nthreads;
    unsigned cost;
    outcome_table_t *out;
    cpu_pool_popped_cb popped;
    cpu_pool_done_cb done;
    void *ud;
} cpu_pool_t;

/* The number of online cores: the cpu_workers default. */
int cpu_pool_default_workers(void);

/* Starts workers threads on a queue of depth items. Returns 0, or -1 with a
 * one-line reason in err (nothing to finish then). */
int cpu_pool_start(cpu_pool_t *p, int workers, int depth, unsigned cost, outcome_table_t *out,
                   cpu_pool_popped_cb popped, cpu_pool_done_cb done, void *ud, char *err,
                   size_t errlen);
/* Queues it without blocking. Returns 0, or 1 when the queue is full (the
 * next item a worker takes calls popped). */
int cpu_pool_offer(cpu_pool_t *p, cpu_item_t *it);
/* No more items: the workers finish what is queued, then are joined. */
void cpu_pool_finish(cpu_pool_t *p);

#endif

/* A min-heap of deadlines, one per worker: every connection that waits for
 * something (its next answer's due time, a header or linger deadline) holds
 * one node keyed by the earliest of them. The worker wakes for the heap's top
 * only (one timer), and can check the top against the clock cheaply after
 * any callback, so due answers are written inline instead of waiting for
 * the loop's next timer phase. Not thread-safe: one heap per event loop. */
#ifndef CONCBENCH_MOCKAPI_DEADLINES_H
#define CONCBENCH_MOCKAPI_DEADLINES_H

#include <stddef.h>
#include <stdint.h>

/* idx of a node that is not queued. */
#define DEADLINE_NONE UINT32_MAX

/* Embedded in the owner; at and idx belong to the heap while queued. */
typedef struct deadline_node {
    uint64_t at;
    uint32_t idx;
} deadline_node_t;

typedef struct deadlines {
    deadline_node_t **v;
    uint32_t n, cap;
} deadlines_t;

static inline void deadline_node_init(deadline_node_t *d)
{
    d->at = 0;
    d->idx = DEADLINE_NONE;
}

void deadlines_init(deadlines_t *q);
void deadlines_free(deadlines_t *q);

/* Queues d at time at, or moves it there if already queued. Returns 0, or
 * -ENOMEM (d is then unchanged). */
int deadlines_set(deadlines_t *q, deadline_node_t *d, uint64_t at);

/* Unqueues d; nothing when it is not queued. */
void deadlines_remove(deadlines_t *q, deadline_node_t *d);

/* The earliest node, or NULL when empty. */
static inline deadline_node_t *deadlines_top(const deadlines_t *q)
{
    return q->n ? q->v[0] : NULL;
}

#endif

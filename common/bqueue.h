/* A bounded multi-producer multi-consumer queue of request ids (mutex and
 * two condition variables). The producer blocks when it is full, which is
 * the point: back-pressure instead of N queued ids in memory. */
#ifndef CONCBENCH_BQUEUE_H
#define CONCBENCH_BQUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct bqueue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    uint64_t *items;
    int cap, head, count;
    int closed;
    /* Optional (NULL: none), set after bqueue_init: the count and its peak
     * copied under the lock on every change, so a sampler never sees more
     * than cap. */
    _Atomic int64_t *mirror, *mirror_peak;
} bqueue_t;

/* Returns 0, or -1 when out of memory. cap >= 1. */
int bqueue_init(bqueue_t *q, int cap);
void bqueue_destroy(bqueue_t *q);
/* Blocks while full. Returns 0, or -1 when the queue is closed. */
int bqueue_push(bqueue_t *q, uint64_t v);
/* Never blocks. Returns 0, 1 when full, or -1 when the queue is closed. */
int bqueue_trypush(bqueue_t *q, uint64_t v);
/* Blocks while empty and open. Returns 0 with *v set, or -1 when the queue
 * is closed and drained. */
int bqueue_pop(bqueue_t *q, uint64_t *v);
/* No more pushes; poppers drain what is left, then get -1. */
void bqueue_close(bqueue_t *q);

#endif

/* A bounded multi-producer multi-consumer queue of fixed-size items (a
 * mutex and two wait queues): request ids (uint64_t, bqueue_init) or
 * whole records (bqueue_init_sized). The producer blocks when it is full,
 * which is the point: back-pressure instead of N queued items in memory.
 *
 * Wake-ups are what a hand-off between threads costs (a few µs of CPU each
 * on a VM, docs/performance.md), so the queue makes as few as it can:
 * signals go after the unlock (a woken thread does not block on the mutex
 * its waker still holds); consumers of a queue with a batch (bqueue_batch)
 * sleep until that many items are queued, not one; and a consumer learns
 * whether a non-blocking producer was turned away since (bqueue_take's
 * refused), so the producer needs a wake-up only then. */
#ifndef CONCBENCH_BQUEUE_H
#define CONCBENCH_BQUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Where threads sleep for a change of the queue: a futex word bumped under
 * the queue's mutex by every wake, and the number of threads asleep on it
 * (under the mutex), so a change nobody waits for costs no system call. */
typedef struct bqueue_waitq {
    _Atomic uint32_t seq;
    int sleepers;
} bqueue_waitq_t;

typedef struct bqueue {
    pthread_mutex_t mu;
    bqueue_waitq_t not_empty, not_full;
    unsigned char *items;
    size_t size; /* bytes per item */
    int cap, head, count;
    int closed;
    int batch;   /* consumers wait for min(batch, cap) items; 1 by default */
    int refill;  /* producers on a full queue wait for this many free slots */
    int refused; /* a bqueue_trypush found it full since a consumer said so */
    /* Optional (NULL: none), set after bqueue_init: the count and its peak
     * copied under the lock on every change, so a sampler never sees more
     * than cap. */
    _Atomic int64_t *mirror, *mirror_peak;
} bqueue_t;

/* A queue of cap uint64_t. Returns 0, or -1 when out of memory. cap >= 1. */
int bqueue_init(bqueue_t *q, int cap);
/* A queue of cap items of size bytes each (bqueue_put, bqueue_take).
 * Returns 0, or -1 when out of memory. */
int bqueue_init_sized(bqueue_t *q, int cap, size_t size);
void bqueue_destroy(bqueue_t *q);
/* Before any consumer waits: bqueue_take waits until min(batch, cap) items
 * are queued (a full queue always wakes one: no producer waits forever) or
 * the queue is closed. batch >= 1. */
void bqueue_batch(bqueue_t *q, int batch);
/* Before any producer waits: a producer blocked on a full queue is woken
 * only when refill slots are free (1 by default, clamped to [1, cap]), so
 * one that keeps the queue topped up wakes once per refill items taken
 * instead of once per item. Consumers of a queue with a batch need
 * batch + refill <= cap + 1 (both could wait otherwise). */
void bqueue_refill(bqueue_t *q, int refill);
/* Copies item (size bytes) in; blocks while full. Returns 0, or -1 when the
 * queue is closed. */
int bqueue_put(bqueue_t *q, const void *item);
/* Blocks until there is a batch (see bqueue_batch) or the queue is closed,
 * then moves out up to max items (max >= 1) into items, oldest first.
 * Returns how many (>= 1), or 0 when the queue is closed and drained.
 * refused (may be NULL): set to 1 when a bqueue_trypush was turned away
 * since the last take that reported it (this take made room), else 0. */
int bqueue_take(bqueue_t *q, void *items, int max, int *refused);
/* uint64_t queues: bqueue_put / bqueue_take of one id. */
int bqueue_push(bqueue_t *q, uint64_t v);
/* Never blocks. Returns 0, 1 when full (remembered for bqueue_take's
 * refused), or -1 when the queue is closed. */
int bqueue_trypush(bqueue_t *q, uint64_t v);
/* Returns 0 with *v set, or -1 when the queue is closed and drained. */
int bqueue_pop(bqueue_t *q, uint64_t *v);
/* No more pushes; consumers drain what is left, then get 0 (-1 from
 * bqueue_pop). */
void bqueue_close(bqueue_t *q);

#endif

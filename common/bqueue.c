#include "common/bqueue.h"

#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/atomics.h"

/* The wait queues. Both sides hold q->mu where they read or bump seq, so a
 * wake armed after a sleeper let go of the mutex has changed seq, and the
 * sleeper's FUTEX_WAIT, which compares seq before it sleeps, returns at
 * once: no wake-up is lost. Why not pthread_cond_t: glibc's
 * pthread_cond_wait takes the mutex back marked as contended, so every
 * woken consumer's next unlock made a FUTEX_WAKE that woke nobody, one
 * system call per hand-off (perf trace of hybrid: 0.55 per request). */
static void waitq_sleep(bqueue_t *q, bqueue_waitq_t *w)
{
    uint32_t seq = atomic_load_explicit(&w->seq, memory_order_relaxed);
    w->sleepers++;
    pthread_mutex_unlock(&q->mu);
    /* EAGAIN (woken before sleeping) and EINTR are wake-ups too: every
     * caller checks its condition again. */
    syscall(SYS_futex, &w->seq, FUTEX_WAIT_PRIVATE, seq, NULL, NULL, 0);
    pthread_mutex_lock(&q->mu);
    w->sleepers--;
}

/* Under q->mu: arms a wake of up to n sleepers. Returns what to pass to
 * waitq_wake after the unlock (0 when nobody sleeps: no system call). */
static int waitq_arm(bqueue_waitq_t *w, int n)
{
    if (!w->sleepers)
        return 0;
    atomic_fetch_add_explicit(&w->seq, 1, memory_order_relaxed);
    return n;
}

/* After the unlock, so a woken thread does not block on the mutex its
 * waker still holds. */
static void waitq_wake(bqueue_waitq_t *w, int n)
{
    if (n)
        syscall(SYS_futex, &w->seq, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static void bqueue_mirror(bqueue_t *q)
{
    if (q->mirror) {
        atomic_store(q->mirror, q->count);
        atomic_peak_update(q->mirror_peak, q->count);
    }
}

/* Items a consumer waits for: a batch, or a full queue when the batch is
 * larger than the bound. */
static int bqueue_wake_at(const bqueue_t *q)
{
    return q->batch < q->cap ? q->batch : q->cap;
}

int bqueue_init_sized(bqueue_t *q, int cap, size_t size)
{
    if (cap < 1)
        cap = 1;
    q->items = malloc((size_t)cap * size);
    if (!q->items)
        return -1;
    q->size = size;
    q->cap = cap;
    q->head = q->count = q->closed = q->refused = 0;
    q->batch = q->refill = 1;
    q->mirror = q->mirror_peak = NULL;
    pthread_mutex_init(&q->mu, NULL);
    atomic_init(&q->not_empty.seq, 0);
    atomic_init(&q->not_full.seq, 0);
    q->not_empty.sleepers = q->not_full.sleepers = 0;
    return 0;
}

int bqueue_init(bqueue_t *q, int cap)
{
    return bqueue_init_sized(q, cap, sizeof(uint64_t));
}

void bqueue_destroy(bqueue_t *q)
{
    pthread_mutex_destroy(&q->mu);
    free(q->items);
    q->items = NULL;
}

void bqueue_batch(bqueue_t *q, int batch)
{
    q->batch = batch < 1 ? 1 : batch;
}

void bqueue_refill(bqueue_t *q, int refill)
{
    q->refill = refill < 1 ? 1 : refill > q->cap ? q->cap : refill;
}

/* Under the lock, with room: appends item. Returns how many consumers to
 * wake after the unlock: one at every whole batch queued, so one sleeper
 * wakes per batch, and none when none sleeps. None sleeps with a batch
 * queued: the count reaches a batch only through an append that signals,
 * and a consumer checks the count before it sleeps again. */
static int bqueue_append(bqueue_t *q, const void *item)
{
    memcpy(q->items + (size_t)((q->head + q->count) % q->cap) * q->size, item, q->size);
    q->count++;
    bqueue_mirror(q);
    return q->count % bqueue_wake_at(q) == 0 ? waitq_arm(&q->not_empty, 1) : 0;
}

int bqueue_put(bqueue_t *q, const void *item)
{
    int wake;
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->closed)
        waitq_sleep(q, &q->not_full);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    wake = bqueue_append(q, item);
    pthread_mutex_unlock(&q->mu);
    waitq_wake(&q->not_empty, wake);
    return 0;
}

int bqueue_push(bqueue_t *q, uint64_t v)
{
    return bqueue_put(q, &v);
}

int bqueue_trypush(bqueue_t *q, uint64_t v)
{
    int rc = 0, wake = 0;
    pthread_mutex_lock(&q->mu);
    if (q->closed) {
        rc = -1;
    } else if (q->count == q->cap) {
        q->refused = 1;
        rc = 1;
    } else {
        wake = bqueue_append(q, &v);
    }
    pthread_mutex_unlock(&q->mu);
    waitq_wake(&q->not_empty, wake);
    return rc;
}

int bqueue_take(bqueue_t *q, void *items, int max, int *refused)
{
    int n, wake = 0;
    pthread_mutex_lock(&q->mu);
    while (q->count < bqueue_wake_at(q) && !q->closed)
        waitq_sleep(q, &q->not_empty);
    n = q->count < max ? q->count : max;
    for (int i = 0; i < n; i++) {
        memcpy((unsigned char *)items + (size_t)i * q->size, q->items + (size_t)q->head * q->size,
               q->size);
        q->head = (q->head + 1) % q->cap;
    }
    q->count -= n;
    if (n)
        bqueue_mirror(q);
    if (refused) {
        *refused = n && q->refused;
        if (n)
            q->refused = 0;
    }
    /* Blocked producers go on once refill slots are free, as many of them
     * as there is room for (a batch take frees many, and a producer that
     * puts one does not wake another). */
    if (n && q->cap - q->count >= q->refill)
        wake = waitq_arm(&q->not_full, q->cap - q->count);
    pthread_mutex_unlock(&q->mu);
    waitq_wake(&q->not_full, wake);
    return n;
}

int bqueue_pop(bqueue_t *q, uint64_t *v)
{
    return bqueue_take(q, v, 1, NULL) == 1 ? 0 : -1;
}

void bqueue_close(bqueue_t *q)
{
    int consumers, producers;
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    consumers = waitq_arm(&q->not_empty, INT_MAX);
    producers = waitq_arm(&q->not_full, INT_MAX);
    pthread_mutex_unlock(&q->mu);
    waitq_wake(&q->not_empty, consumers);
    waitq_wake(&q->not_full, producers);
}

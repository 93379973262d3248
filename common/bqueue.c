#include "common/bqueue.h"

#include <stdlib.h>
#include <string.h>

#include "common/atomics.h"

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
    q->batch = 1;
    q->mirror = q->mirror_peak = NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return 0;
}

int bqueue_init(bqueue_t *q, int cap)
{
    return bqueue_init_sized(q, cap, sizeof(uint64_t));
}

void bqueue_destroy(bqueue_t *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->items);
    q->items = NULL;
}

void bqueue_batch(bqueue_t *q, int batch)
{
    q->batch = batch < 1 ? 1 : batch;
}

/* Under the lock, with room: appends item. Returns 1 when a consumer is to
 * be signalled (after the unlock): at every whole batch queued, so one
 * sleeper wakes per batch. None sleeps with a batch queued: the count
 * reaches a batch only through an append that signals, and a consumer
 * checks the count before it sleeps again. */
static int bqueue_append(bqueue_t *q, const void *item)
{
    memcpy(q->items + (size_t)((q->head + q->count) % q->cap) * q->size, item, q->size);
    q->count++;
    bqueue_mirror(q);
    return q->count % bqueue_wake_at(q) == 0;
}

int bqueue_put(bqueue_t *q, const void *item)
{
    int wake;
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    wake = bqueue_append(q, item);
    pthread_mutex_unlock(&q->mu);
    if (wake)
        pthread_cond_signal(&q->not_empty);
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
    if (wake)
        pthread_cond_signal(&q->not_empty);
    return rc;
}

int bqueue_take(bqueue_t *q, void *items, int max, int *refused)
{
    int n;
    pthread_mutex_lock(&q->mu);
    while (q->count < bqueue_wake_at(q) && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
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
    pthread_mutex_unlock(&q->mu);
    /* n slots freed: as many blocked producers may go on (a batch take
     * frees many, and a producer that puts one does not wake another). */
    if (n > 1)
        pthread_cond_broadcast(&q->not_full);
    else if (n)
        pthread_cond_signal(&q->not_full);
    return n;
}

int bqueue_pop(bqueue_t *q, uint64_t *v)
{
    return bqueue_take(q, v, 1, NULL) == 1 ? 0 : -1;
}

void bqueue_close(bqueue_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

#include "common/bqueue.h"

#include <stdlib.h>

#include "common/atomics.h"

static void bqueue_mirror(bqueue_t *q)
{
    if (q->mirror) {
        atomic_store(q->mirror, q->count);
        atomic_peak_update(q->mirror_peak, q->count);
    }
}

int bqueue_init(bqueue_t *q, int cap)
{
    if (cap < 1)
        cap = 1;
    q->items = malloc((size_t)cap * sizeof *q->items);
    if (!q->items)
        return -1;
    q->cap = cap;
    q->head = q->count = q->closed = 0;
    q->mirror = q->mirror_peak = NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return 0;
}

void bqueue_destroy(bqueue_t *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->items);
    q->items = NULL;
}

int bqueue_push(bqueue_t *q, uint64_t v)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    if (q->closed) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    q->items[(q->head + q->count) % q->cap] = v;
    q->count++;
    bqueue_mirror(q);
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

int bqueue_trypush(bqueue_t *q, uint64_t v)
{
    int rc = 0;
    pthread_mutex_lock(&q->mu);
    if (q->closed) {
        rc = -1;
    } else if (q->count == q->cap) {
        rc = 1;
    } else {
        q->items[(q->head + q->count) % q->cap] = v;
        q->count++;
        bqueue_mirror(q);
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int bqueue_pop(bqueue_t *q, uint64_t *v)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    if (q->count == 0) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    *v = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    bqueue_mirror(q);
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void bqueue_close(bqueue_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

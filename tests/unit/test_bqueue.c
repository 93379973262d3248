/* The bounded queue: FIFO order, the bound holds under concurrent
 * producers and consumers, close drains then ends; records by value; a
 * consumer with a batch sleeps until the batch is there (or the queue is
 * full, or closed); a take reports a refused trypush once; a take of many
 * wakes every producer it made room for. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bqueue.h"

static void test_fifo_and_close(void **state)
{
    (void)state;
    bqueue_t q;
    uint64_t v;
    assert_int_equal(bqueue_init(&q, 4), 0);
    for (uint64_t i = 1; i <= 4; i++)
        assert_int_equal(bqueue_push(&q, i), 0);
    assert_int_equal(bqueue_pop(&q, &v), 0);
    assert_int_equal(v, 1);
    bqueue_close(&q);
    assert_int_equal(bqueue_push(&q, 9), -1);
    for (uint64_t i = 2; i <= 4; i++) {
        assert_int_equal(bqueue_pop(&q, &v), 0);
        assert_int_equal(v, i);
    }
    assert_int_equal(bqueue_pop(&q, &v), -1);
    bqueue_destroy(&q);
}

#define N_ITEMS 20000
#define N_CONSUMERS 4

typedef struct {
    bqueue_t q;
    int seen[N_ITEMS + 1];
    pthread_mutex_t mu;
    int max_count;
} shared_t;

static void *consumer(void *arg)
{
    shared_t *s = arg;
    uint64_t v;
    while (bqueue_pop(&s->q, &v) == 0) {
        pthread_mutex_lock(&s->mu);
        s->seen[v]++;
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static void *producer(void *arg)
{
    shared_t *s = arg;
    for (uint64_t i = 1; i <= N_ITEMS; i++) {
        bqueue_push(&s->q, i);
        pthread_mutex_lock(&s->q.mu);
        if (s->q.count > s->max_count)
            s->max_count = s->q.count;
        pthread_mutex_unlock(&s->q.mu);
    }
    bqueue_close(&s->q);
    return NULL;
}

static void test_concurrent_exactly_once_and_bounded(void **state)
{
    (void)state;
    shared_t *s = calloc(1, sizeof *s);
    pthread_t prod, cons[N_CONSUMERS];
    assert_int_equal(bqueue_init(&s->q, 8), 0);
    pthread_mutex_init(&s->mu, NULL);
    for (int i = 0; i < N_CONSUMERS; i++)
        pthread_create(&cons[i], NULL, consumer, s);
    pthread_create(&prod, NULL, producer, s);
    pthread_join(prod, NULL);
    for (int i = 0; i < N_CONSUMERS; i++)
        pthread_join(cons[i], NULL);
    for (int i = 1; i <= N_ITEMS; i++)
        assert_int_equal(s->seen[i], 1);
    assert_in_range(s->max_count, 1, 8);
    bqueue_destroy(&s->q);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Records of any size go by value, oldest first, up to max per take. */
typedef struct {
    uint32_t id;
    char tag[13];
} rec_t;

static void test_records_by_value(void **state)
{
    (void)state;
    bqueue_t q;
    rec_t r, out[4];
    assert_int_equal(bqueue_init_sized(&q, 5, sizeof(rec_t)), 0);
    for (uint32_t i = 1; i <= 5; i++) {
        memset(&r, 0, sizeof r);
        r.id = i;
        snprintf(r.tag, sizeof r.tag, "rec-%u", i);
        assert_int_equal(bqueue_put(&q, &r), 0);
    }
    assert_int_equal(bqueue_take(&q, out, 3, NULL), 3);
    for (uint32_t i = 0; i < 3; i++) {
        char want[13];
        snprintf(want, sizeof want, "rec-%u", i + 1);
        assert_int_equal(out[i].id, i + 1);
        assert_string_equal(out[i].tag, want);
    }
    bqueue_close(&q);
    assert_int_equal(bqueue_take(&q, out, 4, NULL), 2); /* what is left, after close */
    assert_int_equal(out[0].id, 4);
    assert_int_equal(out[1].id, 5);
    assert_int_equal(bqueue_take(&q, out, 4, NULL), 0);
    bqueue_destroy(&q);
}

/* trypush on a full queue is remembered; the next take says so, once. */
static void test_refused_reported_once(void **state)
{
    (void)state;
    bqueue_t q;
    uint64_t v;
    int refused = -1;
    assert_int_equal(bqueue_init(&q, 2), 0);
    assert_int_equal(bqueue_trypush(&q, 1), 0);
    assert_int_equal(bqueue_take(&q, &v, 1, &refused), 1);
    assert_int_equal(refused, 0); /* never full: nobody to wake */
    assert_int_equal(bqueue_trypush(&q, 2), 0);
    assert_int_equal(bqueue_trypush(&q, 3), 0);
    assert_int_equal(bqueue_trypush(&q, 4), 1);
    assert_int_equal(bqueue_take(&q, &v, 1, &refused), 1);
    assert_int_equal(v, 2);
    assert_int_equal(refused, 1);
    assert_int_equal(bqueue_take(&q, &v, 1, &refused), 1);
    assert_int_equal(v, 3);
    assert_int_equal(refused, 0);
    bqueue_close(&q);
    assert_int_equal(bqueue_trypush(&q, 5), -1);
    bqueue_destroy(&q);
}

/* A consumer of a queue with a batch of 4: asleep at 3 queued, awake with
 * the 4th, taking all 4 in one go; with a bound of 3 below the batch, a
 * full queue wakes it; close wakes it for a partial batch. */
typedef struct {
    bqueue_t q;
    uint64_t got[8];
    _Atomic int n; /* items taken so far */
} batch_t;

static void *batch_consumer(void *arg)
{
    batch_t *b = arg;
    int n;
    while ((n = bqueue_take(&b->q, b->got + atomic_load(&b->n), 8, NULL)) > 0)
        atomic_fetch_add(&b->n, n);
    return NULL;
}

/* Waits up to ~2 s for *n, a count other threads raise, to reach want;
 * returns *n. */
static int count_wait(_Atomic int *n, int want)
{
    for (int i = 0; i < 2000 && atomic_load(n) < want; i++)
        usleep(1000);
    return atomic_load(n);
}

static void test_batch_wakes_at_a_batch(void **state)
{
    (void)state;
    for (int cap = 3; cap <= 8; cap += 5) {
        batch_t *b = calloc(1, sizeof *b);
        pthread_t t;
        int batch = cap < 4 ? cap : 4;
        assert_int_equal(bqueue_init(&b->q, cap), 0);
        bqueue_batch(&b->q, 4);
        pthread_create(&t, NULL, batch_consumer, b);
        for (uint64_t i = 1; i < (uint64_t)batch; i++)
            assert_int_equal(bqueue_push(&b->q, i), 0);
        usleep(50000); /* one short of a batch: the consumer must not take */
        assert_int_equal(atomic_load(&b->n), 0);
        assert_int_equal(bqueue_push(&b->q, (uint64_t)batch), 0);
        assert_int_equal(count_wait(&b->n, batch), batch); /* all of it, at once */
        for (int i = 0; i < batch; i++)
            assert_int_equal(b->got[i], (uint64_t)i + 1);
        assert_int_equal(bqueue_push(&b->q, 99), 0);
        usleep(50000);
        assert_int_equal(atomic_load(&b->n), batch);
        bqueue_close(&b->q); /* the partial batch goes at close */
        pthread_join(t, NULL);
        assert_int_equal(atomic_load(&b->n), batch + 1);
        assert_int_equal(b->got[batch], 99);
        bqueue_destroy(&b->q);
        free(b);
    }
}

/* Producers blocked on a full queue; one take of everything must let every
 * one of them put, with no further take (a batch take frees many slots). */
typedef struct blocked {
    bqueue_t q;
    _Atomic int done;
} blocked_t;

static void *blocked_producer(void *arg)
{
    blocked_t *b = arg;
    bqueue_push(&b->q, 7);
    atomic_fetch_add(&b->done, 1);
    return NULL;
}

static void test_batch_take_wakes_every_producer(void **state)
{
    enum { CAP = 3 };
    blocked_t *b = calloc(1, sizeof *b);
    pthread_t t[CAP];
    uint64_t got[CAP];
    (void)state;
    assert_int_equal(bqueue_init(&b->q, CAP), 0);
    for (uint64_t i = 0; i < CAP; i++)
        assert_int_equal(bqueue_push(&b->q, i), 0);
    for (int i = 0; i < CAP; i++)
        pthread_create(&t[i], NULL, blocked_producer, b);
    usleep(50000); /* all three blocked: the queue is full */
    assert_int_equal(atomic_load(&b->done), 0);
    assert_int_equal(bqueue_take(&b->q, got, CAP, NULL), CAP);
    /* The three puts; with one wake-up per take, two stay blocked until
     * the close below. */
    assert_int_equal(count_wait(&b->done, CAP), CAP);
    bqueue_close(&b->q);
    for (int i = 0; i < CAP; i++)
        pthread_join(t[i], NULL);
    bqueue_destroy(&b->q);
    free(b);
}

/* A producer blocked on a full queue with a refill of 3 (cap 4): taking one
 * or two ids must leave it asleep; the third free slot wakes it, and it
 * then puts without waiting again. */
static void test_refill_wakes_at_threshold(void **state)
{
    enum { CAP = 4, REFILL = 3 };
    blocked_t *b = calloc(1, sizeof *b);
    pthread_t t;
    uint64_t v;
    (void)state;
    assert_int_equal(bqueue_init(&b->q, CAP), 0);
    bqueue_refill(&b->q, REFILL);
    for (uint64_t i = 0; i < CAP; i++)
        assert_int_equal(bqueue_push(&b->q, i), 0);
    pthread_create(&t, NULL, blocked_producer, b);
    usleep(50000); /* it is blocked: the queue is full */
    for (int taken = 1; taken < REFILL; taken++) {
        assert_int_equal(bqueue_pop(&b->q, &v), 0);
        assert_int_equal(v, (uint64_t)taken - 1);
        usleep(50000); /* below the refill: the producer must stay blocked */
        assert_int_equal(atomic_load(&b->done), 0);
    }
    assert_int_equal(bqueue_pop(&b->q, &v), 0);
    assert_int_equal(count_wait(&b->done, 1), 1);
    pthread_join(t, NULL);
    /* What is left, in order, the producer's 7 last. */
    assert_int_equal(bqueue_pop(&b->q, &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(bqueue_pop(&b->q, &v), 0);
    assert_int_equal(v, 7);
    bqueue_close(&b->q);
    assert_int_equal(bqueue_pop(&b->q, &v), -1);
    bqueue_destroy(&b->q);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_close),
        cmocka_unit_test(test_concurrent_exactly_once_and_bounded),
        cmocka_unit_test(test_records_by_value),
        cmocka_unit_test(test_refused_reported_once),
        cmocka_unit_test(test_batch_wakes_at_a_batch),
        cmocka_unit_test(test_batch_take_wakes_every_producer),
        cmocka_unit_test(test_refill_wakes_at_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

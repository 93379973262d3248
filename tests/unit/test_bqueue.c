/* The thread pool's bounded queue: FIFO order, the bound holds under
 * concurrent producers and consumers, close drains then ends. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_close),
        cmocka_unit_test(test_concurrent_exactly_once_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of mockapi's deadline heap (mock_server/deadlines.c): whatever
 * the sequence of queues, moves and removals, the nodes come off the top in
 * the order of their times, which a sort of the same times gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "mock_server/deadlines.h"

#define NODES 2000

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* xorshift64: a fixed sequence, independent of the code under test. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_pops_in_time_order(void **state)
{
    static deadline_node_t nodes[NODES];
    static uint64_t want[NODES];
    deadlines_t q;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    size_t nwant = 0;

    (void)state;
    deadlines_init(&q);
    assert_null(deadlines_top(&q));
    for (int i = 0; i < NODES; i++) {
        deadline_node_init(&nodes[i]);
        /* Few distinct values, so ties are common. */
        assert_int_equal(deadlines_set(&q, &nodes[i], next_rand(&seed) % 500), 0);
    }
    /* Move every third node (earlier or later), drop every fifth. */
    for (int i = 0; i < NODES; i += 3)
        assert_int_equal(deadlines_set(&q, &nodes[i], next_rand(&seed) % 500), 0);
    for (int i = 0; i < NODES; i += 5)
        deadlines_remove(&q, &nodes[i]);
    deadlines_remove(&q, &nodes[0]); /* removing twice is harmless */
    for (int i = 0; i < NODES; i++) {
        if (i % 5 == 0)
            assert_int_equal(nodes[i].idx, DEADLINE_NONE);
        else
            want[nwant++] = nodes[i].at;
    }
    assert_int_equal(q.n, nwant);
    qsort(want, nwant, sizeof want[0], cmp_u64);
    for (size_t k = 0; k < nwant; k++) {
        deadline_node_t *top = deadlines_top(&q);
        assert_non_null(top);
        assert_int_equal(top->at, want[k]);
        deadlines_remove(&q, top);
        assert_int_equal(top->idx, DEADLINE_NONE);
    }
    assert_null(deadlines_top(&q));
    deadlines_free(&q);
}

/* A node can be queued again after removal, and freeing the heap unqueues
 * what is left. */
static void test_requeue_and_free(void **state)
{
    deadline_node_t a, b;
    deadlines_t q;

    (void)state;
    deadlines_init(&q);
    deadline_node_init(&a);
    deadline_node_init(&b);
    assert_int_equal(deadlines_set(&q, &a, 10), 0);
    assert_int_equal(deadlines_set(&q, &b, 20), 0);
    assert_ptr_equal(deadlines_top(&q), &a);
    assert_int_equal(deadlines_set(&q, &a, 30), 0);
    assert_ptr_equal(deadlines_top(&q), &b);
    deadlines_remove(&q, &b);
    assert_ptr_equal(deadlines_top(&q), &a);
    assert_int_equal(deadlines_set(&q, &b, 5), 0);
    assert_ptr_equal(deadlines_top(&q), &b);
    deadlines_free(&q);
    assert_int_equal(a.idx, DEADLINE_NONE);
    assert_int_equal(b.idx, DEADLINE_NONE);
    assert_null(deadlines_top(&q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pops_in_time_order),
        cmocka_unit_test(test_requeue_and_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

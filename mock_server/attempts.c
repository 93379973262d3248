#include "attempts.h"

#include <errno.h>
#include <stdlib.h>

#define CHUNK_IDS ((uint64_t)1 << 16)

int attempts_init(attempts_t *a, uint64_t max_id)
{
    a->max_id = max_id;
    a->nchunks = (size_t)((max_id + CHUNK_IDS - 1) / CHUNK_IDS);
    a->chunks = calloc(a->nchunks, sizeof *a->chunks);
    return a->chunks ? 0 : -ENOMEM;
}

void attempts_destroy(attempts_t *a)
{
    for (size_t i = 0; i < a->nchunks; i++)
        free(atomic_load(&a->chunks[i]));
    free(a->chunks);
    a->chunks = NULL;
    a->nchunks = 0;
}

/* The chunk holding index i, allocated on first use. Two threads may race to
 * allocate it: the loser frees its copy and uses the winner's. */
static _Atomic uint32_t *attempts_chunk(attempts_t *a, size_t i)
{
    _Atomic uint32_t *c = atomic_load_explicit(&a->chunks[i], memory_order_acquire);
    _Atomic uint32_t *expected = NULL;

    if (c)
        return c;
    c = calloc(CHUNK_IDS, sizeof *c);
    if (!c)
        return NULL;
    if (!atomic_compare_exchange_strong_explicit(&a->chunks[i], &expected, c, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        free(c);
        return expected;
    }
    return c;
}

uint32_t attempts_next(attempts_t *a, uint64_t id)
{
    uint64_t idx;
    _Atomic uint32_t *c;

    if (id < 1 || id > a->max_id)
        return 0;
    idx = id - 1;
    c = attempts_chunk(a, (size_t)(idx / CHUNK_IDS));
    if (!c)
        return 0;
    return atomic_fetch_add_explicit(&c[idx % CHUNK_IDS], 1, memory_order_relaxed);
}

void attempts_clear(attempts_t *a)
{
    for (size_t i = 0; i < a->nchunks; i++) {
        _Atomic uint32_t *c = atomic_load_explicit(&a->chunks[i], memory_order_acquire);
        if (!c)
            continue;
        for (uint64_t k = 0; k < CHUNK_IDS; k++)
            atomic_store_explicit(&c[k], 0, memory_order_relaxed);
    }
}

/* Per-id request counters shared by all event loops: the "attempt" in
 * (seed, id, attempt). Storage grows lazily in chunks of 64Ki ids, so a run
 * that touches ids 1..10,000 costs one chunk (256 KiB), not max_id counters. */
#ifndef CONCBENCH_MOCK_ATTEMPTS_H
#define CONCBENCH_MOCK_ATTEMPTS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct attempts {
    uint64_t max_id;
    size_t nchunks;
    _Atomic(_Atomic uint32_t *) *chunks; /* nchunks pointers, NULL until touched */
} attempts_t;

/* Prepares counters for ids 1..max_id. Returns 0 or -ENOMEM. */
int attempts_init(attempts_t *a, uint64_t max_id);

/* Frees everything. No other call may run concurrently. */
void attempts_destroy(attempts_t *a);

/* Counts one request for id (1..max_id) and returns how many requests for it
 * came before since the last clear (0 for the first). Thread-safe, lock-free.
 * If a chunk cannot be allocated the request is not counted and 0 is
 * returned: decisions then repeat the first attempt's, never crash. */
uint32_t attempts_next(attempts_t *a, uint64_t id);

/* Sets every counter to 0 (chunks stay allocated). Safe to run while other
 * threads count; requests counted during the clear may survive it. */
void attempts_clear(attempts_t *a);

#endif

/* Lock-free helpers for counters shared between threads or processes (the
 * outcome table lives in shared memory). */
#ifndef CONCBENCH_COMMON_ATOMICS_H
#define CONCBENCH_COMMON_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

/* Raises *peak to v when v is larger; concurrent callers never lose the
 * larger value. Relaxed: a peak orders nothing else. */
static inline void atomic_peak_update(_Atomic int64_t *peak, int64_t v)
{
    int64_t cur = atomic_load_explicit(peak, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak_explicit(peak, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed)) {
    }
}

#endif

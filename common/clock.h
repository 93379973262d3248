/* Time. Every interval the project measures is monotonic nanoseconds from
 * one clock (CLOCK_MONOTONIC), so figures taken in the harness, a forked
 * worker and a thread compare directly: the outcome table is shared across
 * processes and its timestamps come from here. */
#ifndef CONCBENCH_COMMON_CLOCK_H
#define CONCBENCH_COMMON_CLOCK_H

#include <stdint.h>

#define CLOCK_NS_PER_MS 1000000LL
#define CLOCK_NS_PER_S 1000000000LL

/* CLOCK_MONOTONIC now, in nanoseconds. Cannot fail. */
int64_t clock_now_ns(void);

/* Sleeps ms milliseconds (0 or less returns at once), resuming after a
 * signal handler ran, so the nap is never shorter than asked. */
void clock_sleep_ms(int ms);

#endif

/* The one mixing function behind every deterministic draw: the order
 * generator, the mock API's fault schedule, retry jitter and the run order
 * of models. splitmix64's finaliser: a bijection on 64 bits, so distinct
 * inputs never collide, and cheap enough to call per field. */
#ifndef CONCBENCH_COMMON_PRNG_H
#define CONCBENCH_COMMON_PRNG_H

#include <stdint.h>

uint64_t prng_mix64(uint64_t x);

#endif

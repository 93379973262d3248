#include "common/clock.h"

#include <errno.h>
#include <time.h>

int64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * CLOCK_NS_PER_S + ts.tv_nsec;
}

void clock_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * CLOCK_NS_PER_MS};
    if (ms <= 0)
        return;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

#include "workload/retry.h"

#include "common/limits.h"
#include "common/prng.h"
#include "workload/order.h"

int retry_is_transient(err_class_t c)
{
    switch (c) {
    case ERR_HTTP_429:
    case ERR_HTTP_5XX:
    case ERR_TIMEOUT:
    case ERR_CONNECT:
    case ERR_RESET:
    case ERR_BAD_PAYLOAD:
        return 1;
    default:
        return 0;
    }
}

retry_policy_t retry_policy_of(const job_t *job)
{
    return (retry_policy_t){job->retries, job->backoff_ms, LIMIT_RETRY_BACKOFF_MAX_MS, job->seed};
}

int retry_backoff_ms(const retry_policy_t *p, uint64_t id, int attempt, long retry_after_ms)
{
    long base = p->backoff_ms > 0 ? p->backoff_ms : 1;
    long cap = p->backoff_max_ms > 0 ? p->backoff_max_ms : LIMIT_RETRY_BACKOFF_MAX_MS;
    long d = base;
    for (int i = 2; i < attempt && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    uint64_t r = prng_mix64(p->seed ^ prng_mix64(id * 131 + (uint64_t)attempt));
    d = d / 2 + (long)(r % (uint64_t)(d / 2 + 1));
    if (retry_after_ms > d)
        d = retry_after_ms;
    return (int)d;
}

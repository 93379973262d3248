#include "faults.h"

#include <math.h>

#include "common/prng.h"
#include "workload/order.h"

/* Each decision draws from its own stream so that, say, turning on a fault
 * rate does not change the latencies drawn for the same requests. */
#define STREAM_LATENCY_A 0x4c4154454e435941ULL /* "LATENCYA" */
#define STREAM_LATENCY_B 0x4c4154454e435942ULL
#define STREAM_TAIL 0x5441494c5441494cULL
#define STREAM_FAULT 0x4641554c54464c54ULL
#define STREAM_BAD_BODY 0x424144424f445959ULL

/* Larger than any sane latency knob; keeps results finite for uv timers. */
#define LATENCY_MAX_MS 3600000.0
#define FAULTS_TWO_PI 6.283185307179586

static uint64_t faults_hash(uint64_t seed, uint64_t id, uint64_t attempt, uint64_t stream)
{
    return prng_mix64(prng_mix64(prng_mix64(seed ^ stream) ^ id) ^ attempt);
}

/* Uniform in [0, 1) with 53 random bits. */
static double faults_unit(uint64_t h)
{
    return (double)(h >> 11) * 0x1.0p-53;
}

/* Standard normal by Box-Muller; u1 is moved into (0, 1] so log() is finite. */
static double faults_std_normal(uint64_t seed, uint64_t id, uint64_t attempt)
{
    double u1 = 1.0 - faults_unit(faults_hash(seed, id, attempt, STREAM_LATENCY_A));
    double u2 = faults_unit(faults_hash(seed, id, attempt, STREAM_LATENCY_B));
    return sqrt(-2.0 * log(u1)) * cos(FAULTS_TWO_PI * u2);
}

double faults_latency_ms(const latency_cfg_t *cfg, uint64_t seed, uint64_t id, uint64_t attempt)
{
    double ms;
    double u;

    switch (cfg->dist) {
    case LATENCY_UNIFORM:
        u = faults_unit(faults_hash(seed, id, attempt, STREAM_LATENCY_A));
        ms = cfg->min_ms + u * (cfg->max_ms - cfg->min_ms);
        break;
    case LATENCY_NORMAL:
        ms = cfg->ms + cfg->sd_ms * faults_std_normal(seed, id, attempt);
        break;
    case LATENCY_LOGNORMAL:
        ms = cfg->ms * exp(cfg->sigma * faults_std_normal(seed, id, attempt));
        break;
    case LATENCY_EXPONENTIAL:
        u = faults_unit(faults_hash(seed, id, attempt, STREAM_LATENCY_A));
        ms = -cfg->ms * log1p(-u);
        break;
    case LATENCY_FIXED:
    default:
        ms = cfg->ms;
        break;
    }
    if (cfg->tail_pct > 0) {
        u = faults_unit(faults_hash(seed, id, attempt, STREAM_TAIL));
        if (u * 100.0 < cfg->tail_pct)
            ms += cfg->tail_ms;
    }
    if (!(ms > 0)) /* also catches NaN */
        return 0;
    return ms > LATENCY_MAX_MS ? LATENCY_MAX_MS : ms;
}

fault_kind_t faults_decide(const fault_cfg_t *cfg, uint64_t seed, uint64_t id, uint64_t attempt)
{
    double edge = 0;
    double u;

    if (cfg->fail_rate <= 0 && cfg->reset_rate <= 0 && cfg->hang_rate <= 0 &&
        cfg->bad_body_rate <= 0)
        return FAULT_NONE;
    u = faults_unit(faults_hash(seed, id, attempt, STREAM_FAULT));
    if (u < (edge += cfg->fail_rate))
        return FAULT_FAIL;
    if (u < (edge += cfg->reset_rate))
        return FAULT_RESET;
    if (u < (edge += cfg->hang_rate))
        return FAULT_HANG;
    if (u < (edge += cfg->bad_body_rate))
        return FAULT_BAD_BODY;
    return FAULT_NONE;
}

bad_body_kind_t faults_bad_body_kind(uint64_t seed, uint64_t id, uint64_t attempt)
{
    return (faults_hash(seed, id, attempt, STREAM_BAD_BODY) >> 63) ? BAD_BODY_INVALID
                                                                   : BAD_BODY_TRUNCATED;
}

const char *faults_kind_name(fault_kind_t kind)
{
    switch (kind) {
    case FAULT_FAIL:
        return "fail";
    case FAULT_RESET:
        return "reset";
    case FAULT_HANG:
        return "hang";
    case FAULT_BAD_BODY:
        return "bad_body";
    default:
        return "none";
    }
}

bool faults_gcra_admit(uint64_t tat, uint64_t now_ns, uint64_t interval_ns, uint64_t burst,
                       uint64_t *new_tat)
{
    uint64_t t = tat > now_ns ? tat : now_ns;

    /* t - now_ns is how far the bucket is "in debt": admitted while it is at
     * most burst - 1 emission intervals. */
    if (t - now_ns > (burst - 1) * interval_ns)
        return false;
    *new_tat = t + interval_ns;
    return true;
}

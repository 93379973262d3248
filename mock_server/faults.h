/* mockapi's per-request decisions: injected latency, injected faults and the
 * token-bucket admission test.
 *
 * Every function here is pure. Latency and faults are functions of
 * (seed, id, attempt, knobs) only, where attempt counts the earlier requests
 * for the same id since the last reset (0 for the first). So a run is
 * reproducible, and a retry (attempt + 1) gets a fresh, equally
 * deterministic draw. All draws derive from prng_mix64 (splitmix64). */
#ifndef CONCBENCH_MOCK_FAULTS_H
#define CONCBENCH_MOCK_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/prng.h"

typedef enum latency_dist {
    LATENCY_FIXED,      /* always ms */
    LATENCY_UNIFORM,    /* uniform in [min_ms, max_ms] */
    LATENCY_NORMAL,     /* mean ms, standard deviation sd_ms, clamped at 0 */
    LATENCY_LOGNORMAL,  /* median ms, shape sigma (of the underlying normal) */
    LATENCY_EXPONENTIAL /* mean ms */
} latency_dist_t;

typedef struct latency_cfg {
    latency_dist_t dist;
    double ms;
    double min_ms, max_ms;
    double sd_ms;
    double sigma;
    double tail_pct; /* this percentage of requests gets tail_ms added (0..100) */
    double tail_ms;
} latency_cfg_t;

typedef enum fault_kind {
    FAULT_NONE,
    FAULT_FAIL,     /* answer 503 */
    FAULT_RESET,    /* reset the connection instead of answering */
    FAULT_HANG,     /* never answer */
    FAULT_BAD_BODY, /* answer 200 with a body that is not the order's JSON */
    FAULT_KINDS
} fault_kind_t;

typedef struct fault_cfg {
    /* Probabilities in [0, 1] whose sum is at most 1: the kinds are mutually
     * exclusive, one uniform draw picks at most one of them. */
    double fail_rate, reset_rate, hang_rate, bad_body_rate;
} fault_cfg_t;

/* How the body of a FAULT_BAD_BODY answer is spoiled. */
typedef enum bad_body_kind {
    BAD_BODY_TRUNCATED, /* the first half of the JSON */
    BAD_BODY_INVALID    /* full length, first '"' replaced by '\'' */
} bad_body_kind_t;

/* Injected latency in milliseconds (>= 0, finite) for this request. */
double faults_latency_ms(const latency_cfg_t *cfg, uint64_t seed, uint64_t id, uint64_t attempt);

/* The fault to inject for this request, FAULT_NONE for most. */
fault_kind_t faults_decide(const fault_cfg_t *cfg, uint64_t seed, uint64_t id, uint64_t attempt);

/* Which way a FAULT_BAD_BODY answer is spoiled (about half each). */
bad_body_kind_t faults_bad_body_kind(uint64_t seed, uint64_t id, uint64_t attempt);

/* Stable lower-case name of a fault kind, as used in /__stats ("fail",
 * "reset", "hang", "bad_body"; "none" for FAULT_NONE). */
const char *faults_kind_name(fault_kind_t kind);

/* Token bucket of `burst` tokens refilled at one token per interval_ns,
 * in its GCRA form: the whole state is one "theoretical arrival time" *tat
 * (0 = a full bucket), so callers can keep it in one atomic and retry with
 * compare-and-swap. Returns true and stores the next state in *new_tat when a
 * request arriving at now_ns is admitted; false (and *new_tat untouched) when
 * the bucket is empty. burst >= 1, interval_ns >= 1. */
bool faults_gcra_admit(uint64_t tat, uint64_t now_ns, uint64_t interval_ns, uint64_t burst,
                       uint64_t *new_tat);

#endif

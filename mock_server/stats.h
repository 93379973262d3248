/* mockapi's counters, shared by every event loop through relaxed atomics (no
 * locks on the request path), and their JSON form for GET /__stats.
 *
 * Counted: every request except /__stats and /__reset themselves. A request
 * is "in flight" from the moment its head is parsed until its response is
 * handed to the socket (or its connection closes); throttled requests never
 * enter. "served" counts 200 answers to GET /orders/{id}, bad-body faults
 * included (they are 200s); faults are counted when decided. */
#ifndef CONCBENCH_MOCK_STATS_H
#define CONCBENCH_MOCK_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "faults.h"

/* Completed seconds kept for "per_second"; older ones are dropped. */
#define STATS_PER_SECOND_MAX 3600
/* Lateness histogram: 1 ms buckets up to this, then one overflow bucket. */
#define STATS_LATE_MS_MAX 2000

/* Statuses mockapi can answer with, in the order of stats.responses[]. */
#define STATS_STATUSES(X) X(200) X(400) X(404) X(405) X(408) X(413) X(429) X(503)
enum {
#define STATS_ENUM(code) STATS_STATUS_##code,
    STATS_STATUSES(STATS_ENUM)
#undef STATS_ENUM
        STATS_NSTATUS
};

typedef enum stats_throttle { STATS_THROTTLE_INFLIGHT, STATS_THROTTLE_RATE } stats_throttle_t;

typedef struct stats {
    _Atomic uint64_t requests; /* parsed requests, stats endpoints excluded */
    _Atomic uint64_t served;
    _Atomic uint64_t throttled_inflight, throttled_rate;
    _Atomic uint64_t connections_total, accept_errors;
    _Atomic int64_t connections, inflight; /* gauges: never reset */
    _Atomic int64_t peak_connections, peak_inflight;
    _Atomic uint64_t responses[STATS_NSTATUS];
    _Atomic uint64_t faults[FAULT_KINDS];
    /* How long after its due time each order answer was handed to the
     * socket: the error of the injected latency as the server sees it. */
    _Atomic uint64_t late_hist[STATS_LATE_MS_MAX + 1];
    _Atomic int64_t late_max_us;

    /* The served-per-second timeline; lock guards the fields below it. */
    pthread_mutex_t lock;
    uint64_t start_ns, reset_ns;
    uint64_t seconds_closed;  /* whole seconds since reset_ns already recorded */
    uint64_t served_at_close; /* served when the last second was closed */
    uint64_t ring[STATS_PER_SECOND_MAX];
} stats_t;

/* Zeroes *s; now_ns is the monotonic start time. Returns 0 or a negative
 * errno if the mutex cannot be created. */
int stats_init(stats_t *s, uint64_t now_ns);
void stats_destroy(stats_t *s);

void stats_conn_open(stats_t *s);
void stats_conn_close(stats_t *s);
void stats_accept_error(stats_t *s);

/* Counts a request. Enters it in flight unless max_inflight > 0 and that many
 * are already in flight: then returns false, counts it as throttled, and the
 * request must not call stats_inflight_leave(). */
bool stats_request_enter(stats_t *s, uint64_t max_inflight);
/* Counts a request turned away by the token bucket (never in flight). */
void stats_request_throttled(stats_t *s, stats_throttle_t why);
void stats_inflight_leave(stats_t *s);

/* Counts a response handed to a socket; order_ok marks a 200 for an order. */
void stats_response(stats_t *s, int status, bool order_ok);
void stats_fault(stats_t *s, fault_kind_t kind);
/* Records that an answer left late_us microseconds after it was due. Due
 * times are whole milliseconds of the loop clock, so up to 1 ms of any value
 * is rounding, not delay. */
void stats_late(stats_t *s, uint64_t late_us);

/* Records every whole second that has ended by now_ns into the timeline.
 * Called a few times a second by one thread. */
void stats_tick(stats_t *s, uint64_t now_ns);

/* Zeroes the counters and the timeline; peaks restart at the current gauges. */
void stats_reset(stats_t *s, uint64_t now_ns);

/* A new JSON object with every counter (keys: served, throttled,
 * throttled_inflight, throttled_rate, requests, connections,
 * connections_total, peak_connections, inflight, peak_inflight, accept_errors,
 * responses{status: n}, faults{kind: n}, cpu_user_s, cpu_sys_s, uptime_s,
 * since_reset_s, per_second[], late_ms{p50, p90, p99, p999, max}). per_second holds the served
 * count of each whole second since the reset (at most STATS_PER_SECOND_MAX, oldest dropped)
 * followed by the current, unfinished second. late_ms summarises
 * stats_late(): percentiles are 1 ms bucket upper bounds (a value above
 * STATS_LATE_MS_MAX reports as STATS_LATE_MS_MAX + 1), max is exact; all 0
 * before the first answer. NULL on allocation failure. */
json_t *stats_to_json(stats_t *s, uint64_t now_ns);

#endif

#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/atomics.h"
#include "common/clock.h"

static const int stats_codes[STATS_NSTATUS] = {
#define STATS_CODE(code) code,
    STATS_STATUSES(STATS_CODE)
#undef STATS_CODE
};

int stats_init(stats_t *s, uint64_t now_ns)
{
    memset(s, 0, sizeof *s);
    s->start_ns = s->reset_ns = now_ns;
    return -pthread_mutex_init(&s->lock, NULL);
}

void stats_destroy(stats_t *s)
{
    pthread_mutex_destroy(&s->lock);
}

static void stats_add(_Atomic uint64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void stats_conn_open(stats_t *s)
{
    int64_t n = atomic_fetch_add_explicit(&s->connections, 1, memory_order_relaxed) + 1;
    stats_add(&s->connections_total);
    atomic_peak_update(&s->peak_connections, n);
}

void stats_conn_close(stats_t *s)
{
    atomic_fetch_sub_explicit(&s->connections, 1, memory_order_relaxed);
}

void stats_accept_error(stats_t *s)
{
    stats_add(&s->accept_errors);
}

bool stats_request_enter(stats_t *s, uint64_t max_inflight)
{
    int64_t n;

    stats_add(&s->requests);
    n = atomic_fetch_add_explicit(&s->inflight, 1, memory_order_relaxed) + 1;
    if (max_inflight > 0 && (uint64_t)n > max_inflight) {
        atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_relaxed);
        stats_add(&s->throttled_inflight);
        return false;
    }
    atomic_peak_update(&s->peak_inflight, n);
    return true;
}

void stats_request_throttled(stats_t *s, stats_throttle_t why)
{
    stats_add(&s->requests);
    stats_add(why == STATS_THROTTLE_RATE ? &s->throttled_rate : &s->throttled_inflight);
}

void stats_inflight_leave(stats_t *s)
{
    atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_relaxed);
}

void stats_response(stats_t *s, int status, bool order_ok)
{
    for (int i = 0; i < STATS_NSTATUS; i++) {
        if (stats_codes[i] == status) {
            stats_add(&s->responses[i]);
            break;
        }
    }
    if (order_ok)
        stats_add(&s->served);
}

void stats_fault(stats_t *s, fault_kind_t kind)
{
    if (kind > FAULT_NONE && kind < FAULT_KINDS)
        stats_add(&s->faults[kind]);
}

void stats_late(stats_t *s, uint64_t late_us)
{
    uint64_t ms = late_us / 1000;
    stats_add(&s->late_hist[ms > STATS_LATE_MS_MAX ? STATS_LATE_MS_MAX : ms]);
    atomic_peak_update(&s->late_max_us, (int64_t)late_us);
}

/* Caller holds s->lock. */
static void stats_close_seconds(stats_t *s, uint64_t now_ns)
{
    while (now_ns >= s->reset_ns + (s->seconds_closed + 1) * (uint64_t)CLOCK_NS_PER_S) {
        uint64_t served = atomic_load_explicit(&s->served, memory_order_relaxed);
        s->ring[s->seconds_closed % STATS_PER_SECOND_MAX] = served - s->served_at_close;
        s->served_at_close = served;
        s->seconds_closed++;
    }
}

void stats_tick(stats_t *s, uint64_t now_ns)
{
    pthread_mutex_lock(&s->lock);
    stats_close_seconds(s, now_ns);
    pthread_mutex_unlock(&s->lock);
}

void stats_reset(stats_t *s, uint64_t now_ns)
{
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->requests, 0);
    atomic_store(&s->served, 0);
    atomic_store(&s->throttled_inflight, 0);
    atomic_store(&s->throttled_rate, 0);
    atomic_store(&s->connections_total, 0);
    atomic_store(&s->accept_errors, 0);
    for (int i = 0; i < STATS_NSTATUS; i++)
        atomic_store(&s->responses[i], 0);
    for (int i = 0; i < FAULT_KINDS; i++)
        atomic_store(&s->faults[i], 0);
    for (int i = 0; i <= STATS_LATE_MS_MAX; i++)
        atomic_store(&s->late_hist[i], 0);
    atomic_store(&s->late_max_us, 0);
    atomic_store(&s->peak_connections, atomic_load(&s->connections));
    atomic_store(&s->peak_inflight, atomic_load(&s->inflight));
    s->reset_ns = now_ns;
    s->seconds_closed = 0;
    s->served_at_close = 0;
    pthread_mutex_unlock(&s->lock);
}

static json_int_t stats_get(_Atomic uint64_t *c)
{
    return (json_int_t)atomic_load_explicit(c, memory_order_relaxed);
}

static json_int_t stats_gauge(_Atomic int64_t *c)
{
    return (json_int_t)atomic_load_explicit(c, memory_order_relaxed);
}

/* Adds the timeline to o. Caller holds s->lock. */
static int stats_timeline_json(stats_t *s, json_t *o)
{
    json_t *arr = json_array();
    uint64_t first =
        s->seconds_closed > STATS_PER_SECOND_MAX ? s->seconds_closed - STATS_PER_SECOND_MAX : 0;
    uint64_t served = atomic_load_explicit(&s->served, memory_order_relaxed);

    if (!arr || json_object_set_new(o, "per_second", arr) != 0)
        return -1;
    for (uint64_t i = first; i < s->seconds_closed; i++)
        if (json_array_append_new(arr, json_integer((json_int_t)s->ring[i % STATS_PER_SECOND_MAX])))
            return -1;
    if (json_array_append_new(arr, json_integer((json_int_t)(served - s->served_at_close))))
        return -1;
    return 0;
}

/* The late_ms object. */
static json_t *stats_late_json(stats_t *s)
{
    static const struct {
        const char *key;
        double q;
    } qs[] = {{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p999", 0.999}};
    json_t *o = json_object();
    uint64_t *counts = malloc((STATS_LATE_MS_MAX + 1) * sizeof *counts);
    uint64_t total = 0;
    int err = 0;

    if (!o || !counts) {
        json_decref(o);
        free(counts);
        return NULL;
    }
    /* One snapshot, so the percentiles agree with each other. */
    for (int i = 0; i <= STATS_LATE_MS_MAX; i++)
        total += counts[i] = atomic_load_explicit(&s->late_hist[i], memory_order_relaxed);
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        uint64_t rank = (uint64_t)(qs[k].q * (double)total + 0.5), seen = 0;
        int ms = 0;
        if (rank < 1)
            rank = 1;
        while (total && ms < STATS_LATE_MS_MAX && (seen += counts[ms]) < rank)
            ms++;
        err |= json_object_set_new(o, qs[k].key, json_integer(total ? ms + 1 : 0));
    }
    free(counts);
    err |= json_object_set_new(
        o, "max",
        json_real((double)atomic_load_explicit(&s->late_max_us, memory_order_relaxed) / 1000.0));
    if (err) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *stats_to_json(stats_t *s, uint64_t now_ns)
{
    json_t *o = json_object();
    json_t *resp, *faults;
    struct rusage ru;
    char code[8];
    int err = 0;

    if (!o)
        return NULL;
    /* json_object_set_new steals the value even when it fails (or is NULL),
     * so one decref of o frees everything on any error. */
    resp = json_object();
    err |= json_object_set_new(o, "responses", resp);
    faults = json_object();
    err |= json_object_set_new(o, "faults", faults);
    if (err)
        goto fail;
    for (int i = 0; i < STATS_NSTATUS; i++) {
        snprintf(code, sizeof code, "%d", stats_codes[i]);
        err |= json_object_set_new(resp, code, json_integer(stats_get(&s->responses[i])));
    }
    for (int k = FAULT_NONE + 1; k < FAULT_KINDS; k++)
        err |= json_object_set_new(faults, faults_kind_name((fault_kind_t)k),
                                   json_integer(stats_get(&s->faults[k])));
    err |= json_object_set_new(o, "served", json_integer(stats_get(&s->served)));
    err |= json_object_set_new(
        o, "throttled",
        json_integer(stats_get(&s->throttled_inflight) + stats_get(&s->throttled_rate)));
    err |= json_object_set_new(o, "throttled_inflight",
                               json_integer(stats_get(&s->throttled_inflight)));
    err |= json_object_set_new(o, "throttled_rate", json_integer(stats_get(&s->throttled_rate)));
    err |= json_object_set_new(o, "requests", json_integer(stats_get(&s->requests)));
    err |= json_object_set_new(o, "connections", json_integer(stats_gauge(&s->connections)));
    err |=
        json_object_set_new(o, "connections_total", json_integer(stats_get(&s->connections_total)));
    err |=
        json_object_set_new(o, "peak_connections", json_integer(stats_gauge(&s->peak_connections)));
    err |= json_object_set_new(o, "inflight", json_integer(stats_gauge(&s->inflight)));
    err |= json_object_set_new(o, "peak_inflight", json_integer(stats_gauge(&s->peak_inflight)));
    err |= json_object_set_new(o, "accept_errors", json_integer(stats_get(&s->accept_errors)));
    err |= json_object_set_new(o, "late_ms", stats_late_json(s));
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        err |= json_object_set_new(
            o, "cpu_user_s",
            json_real((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6));
        err |= json_object_set_new(
            o, "cpu_sys_s",
            json_real((double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6));
    }
    pthread_mutex_lock(&s->lock);
    stats_close_seconds(s, now_ns);
    err |= json_object_set_new(o, "uptime_s", json_real((double)(now_ns - s->start_ns) / 1e9));
    err |= json_object_set_new(o, "since_reset_s", json_real((double)(now_ns - s->reset_ns) / 1e9));
    err |= stats_timeline_json(s, o);
    pthread_mutex_unlock(&s->lock);
    if (err)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

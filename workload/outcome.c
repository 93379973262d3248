#include "workload/outcome.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/atomics.h"
#include "common/clock.h"

static const char *const err_names[ERR__COUNT] = {
    "none", "http_429", "http_4xx", "http_5xx", "timeout", "connect", "reset", "bad_payload", "db",
};

const char *err_class_name(err_class_t c)
{
    return (unsigned)c < ERR__COUNT ? err_names[c] : "unknown";
}

static size_t table_bytes(uint32_t n)
{
    return sizeof(outcome_table_t) + (size_t)n * sizeof(outcome_slot_t);
}

outcome_table_t *outcome_table_create(uint32_t n)
{
    outcome_table_t *t =
        mmap(NULL, table_bytes(n), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    long page = sysconf(_SC_PAGESIZE);
    if (t == MAP_FAILED)
        return NULL;
    /* The table is the harness's instrumentation, not the model's memory.
     * A memory cgroup charges a shared page to the group of the task that
     * first touches it (docs/results.md, "Peak memory"), so every page is
     * touched here, in the creator, before any model's process exists:
     * otherwise the model's child would fault in its N x 56 bytes and its
     * peak_mem_bytes would grow with N. One write per page: explicit, and
     * checkable (mincore, tests/unit/test_harness_units.c). */
    for (size_t off = 0; off < table_bytes(n); off += (size_t)(page > 0 ? page : 4096))
        ((volatile char *)t)[off] = 0;
    t->n = n;
    t->run_start_ns = clock_now_ns();
    return t;
}

void outcome_table_destroy(outcome_table_t *t)
{
    if (t)
        munmap(t, table_bytes(t->n));
}

void outcome_queued(outcome_table_t *t, uint64_t id)
{
    outcome_queued_at(t, id, clock_now_ns());
}

void outcome_queued_at(outcome_table_t *t, uint64_t id, int64_t now)
{
    outcome_slot_t *s = outcome_slot(t, id);
    if (!s->queued_ns)
        s->queued_ns = now;
}

void outcome_attempt_start(outcome_table_t *t, uint64_t id)
{
    outcome_attempt_start_at(t, id, clock_now_ns());
}

void outcome_attempt_start_at(outcome_table_t *t, uint64_t id, int64_t now)
{
    outcome_slot_t *s = outcome_slot(t, id);
    (void)now;
    s->attempt_wire_ns = 0;
    s->attempts++;
}

void outcome_attempt_wire(outcome_table_t *t, uint64_t id)
{
    outcome_attempt_wire_at(t, id, clock_now_ns());
}

void outcome_attempt_wire_at(outcome_table_t *t, uint64_t id, int64_t now)
{
    outcome_slot_t *s = outcome_slot(t, id);
    int64_t cur;
    /* A second call within one attempt (curl refusing a re-send calls the
     * hook again, see engine/http.h) is not a second request. */
    if (s->attempt_wire_ns)
        return;
    s->attempt_wire_ns = now;
    if (!s->wire_ns)
        s->wire_ns = now;
    cur = atomic_fetch_add(&t->inflight, 1) + 1;
    atomic_peak_update(&t->peak_inflight, cur);
}

void outcome_attempt_end(outcome_table_t *t, uint64_t id, int status)
{
    outcome_attempt_end_at(t, id, status, clock_now_ns());
}

void outcome_attempt_end_at(outcome_table_t *t, uint64_t id, int status, int64_t now)
{
    outcome_slot_t *s = outcome_slot(t, id);
    if (s->attempt_wire_ns) {
        int64_t us = now > s->attempt_wire_ns ? (now - s->attempt_wire_ns) / 1000 : 0;
        s->api_us = us < (int64_t)UINT32_MAX ? (uint32_t)us : UINT32_MAX;
        s->attempt_wire_ns = 0;
        atomic_fetch_sub(&t->inflight, 1);
    }
    s->status = status;
}

void outcome_fetched(outcome_table_t *t, uint64_t id)
{
    outcome_fetched_at(t, id, clock_now_ns());
}

void outcome_fetched_at(outcome_table_t *t, uint64_t id, int64_t now)
{
    outcome_slot_t *s = outcome_slot(t, id);
    s->fetched_ns = now;
    s->deliveries++;
    uint8_t expect = SLOT_PENDING;
    if (atomic_compare_exchange_strong(&s->state, &expect, SLOT_FETCHED))
        atomic_fetch_add(&t->fetched, 1);
}

void outcome_done(outcome_table_t *t, uint64_t id)
{
    outcome_done_at(t, id, clock_now_ns());
}

void outcome_done_at(outcome_table_t *t, uint64_t id, int64_t now)
{
    outcome_slot_t *s = outcome_slot(t, id);
    uint8_t prev;
    s->end_ns = now;
    s->err = ERR_NONE;
    prev = atomic_exchange(&s->state, SLOT_DONE);
    if (prev == SLOT_FAILED)
        atomic_fetch_sub(&t->failed, 1);
    if (prev != SLOT_DONE)
        atomic_fetch_add(&t->done, 1);
}

void outcome_fail(outcome_table_t *t, uint64_t id, err_class_t c)
{
    outcome_fail_at(t, id, c, clock_now_ns());
}

void outcome_fail_at(outcome_table_t *t, uint64_t id, err_class_t c, int64_t now)
{
    outcome_slot_t *s = outcome_slot(t, id);
    uint8_t prev = atomic_load(&s->state);
    /* A committed row stays committed: a late failure of a re-delivery does
     * not undo it. */
    do {
        if (prev == SLOT_DONE || prev == SLOT_FAILED)
            return;
    } while (!atomic_compare_exchange_weak(&s->state, &prev, SLOT_FAILED));
    s->end_ns = now;
    s->err = (uint8_t)c;
    atomic_fetch_add(&t->failed, 1);
}

void outcome_stage_add(outcome_table_t *t, int stage, int64_t delta)
{
    int64_t cur = atomic_fetch_add(&t->stage_busy[stage], delta) + delta;
    atomic_peak_update(&t->stage_peak[stage], cur);
}

int outcome_worker_register(outcome_table_t *t, pid_t pid)
{
    for (int i = 0; i < OUTCOME_MAX_WORKERS; i++) {
        int32_t zero = 0;
        if (atomic_compare_exchange_strong(&t->worker_pids[i], &zero, (int32_t)pid)) {
            int32_t n = atomic_load(&t->n_workers);
            while (i + 1 > n && !atomic_compare_exchange_weak(&t->n_workers, &n, i + 1))
                ;
            return i;
        }
    }
    return -1;
}

void outcome_worker_unregister(outcome_table_t *t, pid_t pid)
{
    for (int i = 0; i < atomic_load(&t->n_workers); i++) {
        int32_t p = (int32_t)pid;
        if (atomic_compare_exchange_strong(&t->worker_pids[i], &p, 0))
            return;
    }
}

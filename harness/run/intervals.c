#include "harness/run/intervals.h"

#include <stdlib.h>
#include <string.h>

#include "common/stats.h"

const char *const intervals_pct_keys[IV__N] = {"p50", "p90", "p99", "p999", "max"};

static void intervals_pcts(double *v, uint64_t n, double out[IV__N])
{
    static const double q[IV_MAX] = {0.50, 0.90, 0.99, 0.999};
    stats_sort(v, (int)n);
    for (int k = 0; k < IV_MAX; k++)
        out[k] = stats_quantile_sorted(v, (int)n, q[k]);
    out[IV_MAX] = n ? v[n - 1] : 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* held_peak (intervals.h): the taken and settled moments sorted apart,
 * then swept in time order, a settle before a take at the same moment.
 * Returns 0, or -1 out of memory. */
static int intervals_held_peak(const outcome_table_t *t, uint64_t *peak)
{
    size_t cap = t->n ? t->n : 1, nt = 0, ns = 0, j = 0;
    int64_t *taken = malloc(cap * sizeof *taken), *settled = malloc(cap * sizeof *settled);

    *peak = 0;
    if (!taken || !settled) {
        free(taken);
        free(settled);
        return -1;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        const outcome_slot_t *s = &t->slots[i];
        if (!s->queued_ns)
            continue;
        taken[nt++] = s->queued_ns;
        if (s->end_ns)
            settled[ns++] = s->end_ns;
    }
    qsort(taken, nt, sizeof *taken, cmp_i64);
    qsort(settled, ns, sizeof *settled, cmp_i64);
    for (size_t i = 0; i < nt; i++) {
        while (j < ns && settled[j] <= taken[i])
            j++;
        /* i + 1 taken by now, j of them settled (an id settled before it
         * was taken, timed wrongly, only lowers the count). */
        if (i + 1 > j && i + 1 - j > *peak)
            *peak = i + 1 - j;
    }
    free(taken);
    free(settled);
    return 0;
}

int intervals_collect(const outcome_table_t *t, int64_t run_start_ns, intervals_t *iv)
{
    size_t cap = t->n ? t->n : 1;
    uint64_t held;
    double *wait, *e2e, *api;

    /* First, so its two arrays are freed before the three below are
     * allocated: the harness's peak at 1,000,000 requests stays theirs. */
    memset(iv, 0, sizeof *iv);
    if (intervals_held_peak(t, &held))
        return -1;
    wait = malloc(cap * sizeof *wait);
    e2e = malloc(cap * sizeof *e2e);
    api = malloc(cap * sizeof *api);
    if (!wait || !e2e || !api) {
        free(wait);
        free(e2e);
        free(api);
        return -1;
    }
    iv->held_peak = held;
    for (uint32_t i = 0; i < t->n; i++) {
        const outcome_slot_t *s = &t->slots[i];
        int64_t w, e, a;
        if (atomic_load(&s->state) != SLOT_DONE)
            continue;
        if (!s->queued_ns || !s->wire_ns || !s->end_ns || !s->api_us || s->wire_ns < s->queued_ns ||
            s->queued_ns < run_start_ns) {
            iv->inconsistent++;
            continue;
        }
        w = s->wire_ns - s->queued_ns;
        a = (int64_t)s->api_us * 1000;
        e = s->end_ns - run_start_ns;
        /* api is whole µs, cut down from ns: it can only be early. */
        if (w + a > e)
            iv->inconsistent++;
        wait[iv->n] = (double)w / 1e6;
        api[iv->n] = (double)a / 1e6;
        e2e[iv->n] = (double)e / 1e6;
        iv->n++;
    }
    intervals_pcts(wait, iv->n, iv->wait_ms);
    intervals_pcts(e2e, iv->n, iv->e2e_ms);
    intervals_pcts(api, iv->n, iv->api_ms);
    free(e2e);
    iv->api_sorted = api;
    iv->wait_sorted = wait;
    return 0;
}

void intervals_free(intervals_t *iv)
{
    free(iv->api_sorted);
    free(iv->wait_sorted);
    iv->api_sorted = iv->wait_sorted = NULL;
}

/* The noise rule: when a difference between two figures is more than the
 * machine does anyway. One home for the terminal table's stars and for
 * `concbench compare`'s verdicts, so the two never disagree about what
 * is noise. docs/results.md states the rule for users; the minimum noise
 * figures were measured as it says.
 *
 * A figure measured on one side (a model's runs in one results file) is
 * taken to lie somewhere in an interval:
 *   - with NOISE_MEASURED_RUNS runs or more, [min, max] of the runs: the
 *     repetitions measured the noise;
 *   - with fewer, [min, max] widened to at least median x (1 -/+ f), f the
 *     figure's documented minimum noise (noise_min_rel): one or two runs
 *     cannot measure their own spread, so the machine's is assumed.
 * Two figures differ beyond the noise when their intervals do not
 * overlap. */
#ifndef CONCBENCH_REPORT_NOISE_H
#define CONCBENCH_REPORT_NOISE_H

#include "harness/report/summary.h"

/* Runs on a side from which its own [min, max] is the noise. */
#define NOISE_MEASURED_RUNS 3

/* The kinds of figure with a minimum noise of their own. */
typedef enum noise_figure {
    NOISE_WALL,     /* wall time, and what is derived from it (wall/floor) */
    NOISE_CPU,      /* CPU seconds of the model's tree, and CPU per request */
    NOISE_MEM,      /* peak memory */
    NOISE_LAT_MID,  /* a latency median (p50) */
    NOISE_LAT_TAIL, /* a latency tail (p90 and beyond) */
    NOISE_COUNT,    /* failures: no minimum noise (a failed request is never assumed chance) */
    NOISE__N
} noise_figure_t;

/* The minimum relative noise of each kind: the half-width, as a fraction
 * of the median, of the band a figure measured fewer than
 * NOISE_MEASURED_RUNS times is taken to lie in. */
double noise_min_rel(noise_figure_t fig);
/* A short name for messages ("wall", "p99"). */
const char *noise_figure_name(noise_figure_t fig);

typedef struct noise_interval {
    double lo, hi;
    int floored; /* fewer than NOISE_MEASURED_RUNS runs: the minimum noise applied */
} noise_interval_t;

/* The interval of a figure over s->n runs (see the top of this file).
 * NaN bounds when the median is NaN. Cannot fail. */
noise_interval_t noise_interval(const summary_spread_t *s, noise_figure_t fig);

/* Whether a lies wholly below b: a lower-is-better figure beyond the
 * noise. False when either bound is NaN. */
int noise_below(noise_interval_t a, noise_interval_t b);

/* The star of a column (lower is better): of the n models with
 * eligible[i] set, the one with the lowest median, when its interval lies
 * wholly below every other eligible model's. Needs two eligible models
 * or more. Returns its index, or -1 when no model stands out from the
 * noise (ties, overlapping intervals, NaN medians, fewer than two
 * eligible). */
int noise_star(const summary_spread_t *const *fig, const int *eligible, int n, noise_figure_t kind);

#endif

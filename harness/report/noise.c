#include "harness/report/noise.h"

#include <math.h>

/* The minimum noise of each kind of figure, measured on the 2-core VM
 * concbench is developed on while other engineers' builds and tests ran
 * on it, as on a shared CI runner or a busy laptop (docs/results.md,
 * "Noise", has the runs and the figures): the same commit, the ci preset
 * at --repeat 7 and the default one at --repeat 5, every model. For each
 * kind, r is the largest max/min over one model's runs (unbounded-loop's
 * wall time, 1.54, and p50, 1.41; the pools' p99, 1.62; thread-pool's
 * CPU, 1.28; semaphore-loop's memory, 1.17); f = (r - 1) / (r + 1) is the
 * half-width that keeps two single runs r apart inside overlapping bands
 * (a (1 + f) >= b (1 - f) whenever b / a <= r), rounded up. */
static const struct {
    const char *name;
    double rel;
} noise_min[NOISE__N] = {
    [NOISE_WALL] = {"wall", 0.22},    [NOISE_CPU] = {"cpu", 0.13},
    [NOISE_MEM] = {"memory", 0.08},   [NOISE_LAT_MID] = {"p50", 0.18},
    [NOISE_LAT_TAIL] = {"p99", 0.25}, [NOISE_COUNT] = {"failed", 0},
};

double noise_min_rel(noise_figure_t fig)
{
    return fig < NOISE__N ? noise_min[fig].rel : 0;
}

const char *noise_figure_name(noise_figure_t fig)
{
    return fig < NOISE__N ? noise_min[fig].name : "?";
}

noise_interval_t noise_interval(const summary_spread_t *s, noise_figure_t fig)
{
    noise_interval_t iv = {s->min, s->max, 0};
    double f = noise_min_rel(fig), band;

    if (isnan(s->median)) {
        iv.lo = iv.hi = NAN;
        return iv;
    }
    if (s->n >= NOISE_MEASURED_RUNS)
        return iv;
    iv.floored = 1;
    band = fabs(s->median) * f;
    if (s->median - band < iv.lo)
        iv.lo = s->median - band;
    if (s->median + band > iv.hi)
        iv.hi = s->median + band;
    return iv;
}

int noise_below(noise_interval_t a, noise_interval_t b)
{
    return a.hi < b.lo; /* false when either is NaN */
}

int noise_star(const summary_spread_t *const *fig, const int *eligible, int n, noise_figure_t kind)
{
    int best = -1, candidates = 0;
    noise_interval_t bi;

    for (int i = 0; i < n; i++) {
        if (!eligible[i])
            continue;
        if (isnan(fig[i]->median))
            return -1; /* an undefined figure: the column cannot be ranked */
        candidates++;
        if (best < 0 || fig[i]->median < fig[best]->median)
            best = i;
    }
    if (candidates < 2)
        return -1;
    bi = noise_interval(fig[best], kind);
    for (int i = 0; i < n; i++)
        if (eligible[i] && i != best && !noise_below(bi, noise_interval(fig[i], kind)))
            return -1;
    return best;
}

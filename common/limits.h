/* Every timeout, interval and cap of the project, named once with its
 * reason. Code refers to these names; a bare time literal elsewhere is a
 * fact without a home. Grouped by the layer that uses them; a knob users
 * can set lives in the knob table instead (harness/config). */
#ifndef CONCBENCH_COMMON_LIMITS_H
#define CONCBENCH_COMMON_LIMITS_H

/* ---- workload: the retry policy every model follows ---- */

/* The longest backoff between two attempts of one request. Doubling from
 * backoff_ms reaches it after a few attempts; beyond it a retry storm
 * would only stretch the run, not spare the API. A server's Retry-After
 * may still ask for longer and is honoured. */
#define LIMIT_RETRY_BACKOFF_MAX_MS 5000

/* ---- engine: connecting to the services ---- */

/* ---- models ---- */

/* ---- harness: services it starts and stops ---- */

/* ---- harness: running and measuring a model ---- */

/* ---- harness: reports ---- */

/* Spread of a model's run-to-run wall time above which results.json marks
 * it noisy (summary[].noisy): the slowest run more than 1.25 x the
 * fastest, or a median absolute deviation beyond 5% of the median. Past
 * these, a difference between two models of that size may be chance. */
#define LIMIT_NOISY_MAX_OVER_MIN 1.25
#define LIMIT_NOISY_MAD_OVER_MEDIAN 0.05

/* The most models a sweep's chart draws a line for (sweep.csv lists them
 * all): beyond a few dozen lines no colour or legend tells them apart. */
#define LIMIT_SWEEP_CHART_MODELS 64

#endif

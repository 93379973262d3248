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

#endif

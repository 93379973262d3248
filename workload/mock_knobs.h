/* The mock API's behaviour: how long GET /orders/{id} takes (the latency
 * distribution and its tail), when it throttles, and which faults it
 * injects. Part of the workload's definition: every model faces the same
 * API, so results are comparable only when these match.
 *
 * One definition for both sides. mockapi parses its flags from these rows
 * and `concbench run` offers them as knobs, passed on to a mockapi it
 * starts; type, range and meaning are the same on both sides because they
 * are these rows. Each side stores the values in a mock_settings_t, whose
 * members are generated from the rows too.
 *
 *   X(NAME, FLAG, TYPE, MIN, MAX, API_DEFAULT, RUN_DEFAULT, HELP)
 *
 * NAME is the knob (`concbench run NAME=...`) and the member; FLAG is
 * mockapi's spelling; TYPE is DOUBLE, U64, INT, MS (a duration in
 * milliseconds, held as a double: "50ms", "2s" or a bare number of ms),
 * RATE (a fraction, held as a double: "0.1" or "10%") or DIST (one of
 * MOCK_LATENCY_DISTS); MIN and MAX bound numbers, inclusive.
 * API_DEFAULT is what mockapi does when not told (with no latency knob it
 * answers at once); RUN_DEFAULT is what `concbench run` asks for when the
 * user does not say. */
#ifndef CONCBENCH_WORKLOAD_MOCK_KNOBS_H
#define CONCBENCH_WORKLOAD_MOCK_KNOBS_H

#include <stdint.h>

/* Longest latency, or tail, a knob may ask for: one hour. */
#define MOCK_MS_MAX 3600000

/* The latency distributions, in their enum's order (mock_server/faults.h). */
#define MOCK_LATENCY_DISTS "fixed|uniform|normal|lognormal|exponential"

#define MOCK_KNOBS(X)                                                                              \
    X(latency_ms, "--latency-ms", MS, 0, MOCK_MS_MAX, "0", "20",                                   \
      "mock API latency in ms (the mean for normal/exponential, median for lognormal)")            \
    X(latency_dist, "--latency-dist", DIST, 0, 0, "fixed", "fixed",                                \
      "mock API latency distribution: " MOCK_LATENCY_DISTS)                                        \
    X(latency_min_ms, "--latency-min-ms", MS, 0, MOCK_MS_MAX, "0", "0",                            \
      "uniform latency: lower bound")                                                              \
    X(latency_max_ms, "--latency-max-ms", MS, 0, MOCK_MS_MAX, "0", "0",                            \
      "uniform latency: upper bound (required for uniform)")                                       \
    X(latency_sd_ms, "--latency-sd-ms", MS, 0, MOCK_MS_MAX, "0", "0",                              \
      "normal latency: standard deviation (the draw is clamped at 0)")                             \
    X(latency_sigma, "--latency-sigma", DOUBLE, 0, 10, "0", "0",                                   \
      "lognormal latency: sigma of the underlying normal")                                         \
    X(tail_pct, "--tail-pct", DOUBLE, 0, 100, "0", "0",                                            \
      "percent of requests that get tail_ms extra latency")                                        \
    X(tail_ms, "--tail-ms", MS, 0, MOCK_MS_MAX, "0", "0", "extra latency of the slow tail")        \
    X(mock_max_inflight, "--max-inflight", U64, 0, 1e15, "0", "0",                                 \
      "mock API answers 429 (Retry-After: 1) above this many in flight (0: off)")                  \
    X(mock_rate, "--rate", DOUBLE, 0, 1e9, "0", "0",                                               \
      "mock API token-bucket rate limit in requests/s, 429 when empty (0: off)")                   \
    X(mock_burst, "--burst", U64, 0, 1e9, "0", "0", "token-bucket size (0: max(1, the rate))")     \
    X(mock_threads, "--threads", INT, 1, 64, "1", "1",                                             \
      "mock API event-loop threads (SO_REUSEPORT)")                                                \
    X(fail_rate, "--fail-rate", RATE, 0, 1, "0", "0",                                              \
      "fraction of attempts the mock API answers 503")                                             \
    X(reset_rate, "--reset-rate", RATE, 0, 1, "0", "0",                                            \
      "fraction of attempts whose connection is reset")                                            \
    X(hang_rate, "--hang-rate", RATE, 0, 1, "0", "0",                                              \
      "fraction of attempts never answered (the client's timeout_ms must fire)")                   \
    X(bad_body_rate, "--bad-body-rate", RATE, 0, 1, "0", "0",                                      \
      "fraction of attempts answered 200 with a truncated or invalid body")

/* The C type each TYPE is stored as. */
#define MOCK_CTYPE_DOUBLE double
#define MOCK_CTYPE_MS double
#define MOCK_CTYPE_RATE double
#define MOCK_CTYPE_U64 uint64_t
#define MOCK_CTYPE_INT int
#define MOCK_CTYPE_DIST int /* index into MOCK_LATENCY_DISTS */

typedef struct mock_settings {
#define MOCK_MEMBER(name, flag, type, lo, hi, api_def, run_def, help) MOCK_CTYPE_##type name;
    MOCK_KNOBS(MOCK_MEMBER)
#undef MOCK_MEMBER
} mock_settings_t;

#endif

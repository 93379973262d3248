/* A model's figures over its measured runs, reduced once: this module is
 * the only place where a set of per-run figures becomes a median, a
 * min-max range and a MAD. The terminal table and results.json's
 * summary[] take their rows from summary_models (from the runs in
 * memory); summary.md, summary.csv, report.html and the sweep read the
 * rows back with summary_model_from_json; compare reduces its own per-run
 * figures with summary_spread. The keys are documented in
 * docs/results.md. */
#ifndef CONCBENCH_REPORT_SUMMARY_H
#define CONCBENCH_REPORT_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "harness/config/config.h"
#include "harness/run/runner.h"
#include "workload/outcome.h"

/* One figure over a model's runs. */
typedef struct summary_spread {
    double median, min, max;
    double mad; /* median absolute deviation from the median */
    int n;      /* runs it was reduced from */
} summary_spread_t;

/* Reduces v[0..n). v is scratch: its contents are undefined afterwards.
 * Every field is NaN when any v[i] is (a figure that is undefined in one
 * run is undefined over the runs); all 0 when n is 0. Cannot fail. */
summary_spread_t summary_spread(double *v, int n);

/* The figures of a summary[] row, in the order results.json lists them. */
enum {
    SUMMARY_WALL,       /* wall_s */
    SUMMARY_WALL_FLOOR, /* wall_over_floor: wall_s / floor_s (1.0 is the floor) */
    SUMMARY_CPU,        /* cpu_s: user + system, the model's process tree */
    SUMMARY_CPU_REQ,    /* cpu_per_request_us: cpu_s / requests, in µs */
    SUMMARY_MEM,        /* peak_mem_bytes */
    SUMMARY_API_P50,    /* api_p50_ms */
    SUMMARY_API_P99,    /* api_p99_ms */
    SUMMARY_WAIT_P50,   /* wait_p50_ms */
    SUMMARY_WAIT_P99,   /* wait_p99_ms */
    SUMMARY_E2E_P50,    /* e2e_p50_ms */
    SUMMARY_E2E_P99,    /* e2e_p99_ms */
    SUMMARY_ERROR_RATE, /* error_rate: failed / requests */
    SUMMARY_RETRIED,    /* retried: requests that needed more than one attempt */
    SUMMARY_DB_CONNS,   /* db_conns: PostgreSQL connections the model opened */
    SUMMARY__N
};
/* Each figure's key in a summary[] row. */
extern const char *const summary_figure_keys[SUMMARY__N];

enum { SUMMARY_CRASH_NONE = -1, SUMMARY_CRASH_NA = 0, SUMMARY_CRASH_APPLIED = 1 };

/* One model's summary[] row. */
typedef struct summary_model {
    const char *name; /* borrowed: the model's, or the results document's */
    int runs;         /* measured runs (warm-ups are not) */
    /* Every measured run verified. From runs in memory it is true for a
     * model with no measured run; results.json writes runs > 0 && this. */
    int verified;
    /* Every measured run ok (runner.h): rows match and the failures stay
     * within max_error_rate. From runs in memory it is true for a model
     * with no measured run; results.json writes runs > 0 && this. Read
     * back from a document without the key (older results), it is
     * verified. */
    int ok;
    int noisy; /* wall time spread beyond the noise limits (LIMIT_NOISY_*) */
    /* Measured runs that were not valid measurements (validity.h), and
     * the union of their reasons (VALIDITY_* bits). Read back from a
     * document without the keys (older results), 0. */
    int invalid_runs;
    unsigned invalid_reasons;
    summary_spread_t fig[SUMMARY__N];
    /* The model's one-line description (model_ops_t.summary), borrowed;
     * NULL when unknown (older results). */
    const char *description;
    /* Requests that failed for good, by class (outcome.h), summed over
     * the measured runs. */
    uint64_t errors[ERR__COUNT];
    /* The injected worker crash (--crash-after): SUMMARY_CRASH_NONE
     * without one; else whether it applied to this model, with why not
     * (crash_na, borrowed) or what it did summed over the runs. */
    int crash;
    const char *crash_na;
    int64_t killed, requeued, redelivered;
} summary_model_t;

/* Floor of a run: ceil(N / C) x latency, in seconds; wall_over_floor is
 * wall time / floor. */
double summary_floor_s(const config_t *cfg);
/* CPU of the model's tree per request of the run, in µs: (user + sys) / N
 * (NaN for N = 0). */
double summary_cpu_per_request_us(const config_t *cfg, const run_result_t *r);

/* One row per model, in the order the models first appear in runs (a
 * model with only warm-up runs has a row with runs = 0). Returns a
 * malloc'd array with its length in *n, or NULL with *n = 0 when there is
 * no run or no memory. runs is only read. */
summary_model_t *summary_models(const config_t *cfg, const run_result_t *runs, int nruns, int *n);

/* results.json's summary[]: one object per row. */
json_t *summary_models_json(const summary_model_t *m, int n);

/* Reads one summary[] row back. A figure the row lacks is NaN (median,
 * min, max and mad). A schema-1 row is read by its keys of then:
 * peak_rss_bytes as peak_mem_bytes, latency_p50_ms/latency_p99_ms (first
 * attempt's start to transformed) as api_p50_ms/api_p99_ms, efficiency as
 * 1 / wall_over_floor; it has no wait, e2e or CPU per request. Returns 0,
 * or -1 when the row has no model name (m is then partly filled). m->name
 * is borrowed from row. */
int summary_model_from_json(json_t *row, summary_model_t *m);

/* Formats a figure, times scale, as "median (min–max)" with the printf
 * conversion fmt (e.g. "%.2f") and suffix after the numbers; just "median"
 * for one run or when min and max print the same; "–" when the median is
 * NaN. The same text goes into summary.md and report.html. */
void summary_spread_format(const summary_spread_t *f, int runs, const char *fmt, double scale,
                           const char *suffix, char *buf, size_t cap);

#endif

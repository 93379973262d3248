/* The input half of `concbench compare`: a results.json document read
 * into the figures compared (one side: the baseline or the results), and
 * the checks that two sides describe the same workload and a usable
 * baseline. Nothing here prints; compare.c judges and prints. */
#ifndef CONCBENCH_REPORT_COMPARE_SIDE_H
#define CONCBENCH_REPORT_COMPARE_SIDE_H

#include <stddef.h>

#include <jansson.h>

#include "harness/report/summary.h"

/* The metrics compared; CMP_M_x is the bit position of COMPARE_M_x. */
enum { CMP_M_WALL, CMP_M_CPU, CMP_M_RSS, CMP_M_ERRORS, CMP_M_P99, CMP_M__N };

/* One measured run, reduced to the figures compared. */
typedef struct compare_run {
    const char *model;
    long long repeat;
    int verified;
    const char *problem;    /* verify.problem, or NULL */
    const char *mem_method; /* or NULL when absent */
    int valid;              /* runs[].valid; true when absent (older results) */
    json_t *reasons;        /* runs[].validity.reasons, or NULL */
    double raw[CMP_M__N];
    double norm[CMP_M__N]; /* NAN when undefined (no floor, zero latency) */
} compare_run_t;

typedef struct compare_side {
    const char *label; /* "baseline" or "results" */
    json_t *doc, *config;
    compare_run_t *runs;
    size_t nruns;
} compare_side_t;

/* Checks the document's shape and reads its runs; label ("baseline",
 * "results") starts every error. Returns 0, or -1 with err; s->runs is
 * freed by compare_side_free either way. doc is only read and must
 * outlive s. */
int compare_side_load(compare_side_t *s, const char *label, json_t *doc, char *err, size_t errlen);
void compare_side_free(compare_side_t *s);

int compare_side_has_model(const compare_side_t *s, const char *model);
/* Index of the first run of each distinct model, in order of appearance.
 * Returns how many; first must hold s->nruns entries. */
size_t compare_side_models(const compare_side_t *s, size_t *first);
/* One figure (raw, or normalised when norm) over a model's runs on side
 * s, reduced by summary_spread: any undefined (NAN) figure makes the
 * spread NAN. scratch holds s->nruns doubles. */
summary_spread_t compare_side_spread(const compare_side_t *s, const char *model, int metric,
                                     int norm, double *scratch);
/* The memory method a model's runs used on side s; "mixed" when they
 * disagree, NULL when not recorded. */
const char *compare_side_mem_method(const compare_side_t *s, const char *model);

/* Whether a config key defines the workload (see compare_side.c). */
int compare_key_defines_workload(const char *key);
/* JSON values equal, numbers by value (1 and 1.0 are equal). */
int compare_json_equal(json_t *a, json_t *b);
/* A JSON value as text for a message: numbers with %.15g. */
void compare_json_text(json_t *v, char *buf, size_t cap);

/* Everything that makes the two sides incomparable (schema version,
 * workload, an unverified baseline run, a baseline model the results
 * lack). Returns 0, or -1 with one line in err. */
int compare_sides_check(const compare_side_t *b, const compare_side_t *c, char *err, size_t errlen);

/* A run's validity reasons as "mock_late, others_cpu" (or "no reason
 * recorded"). */
void compare_run_reasons(const compare_run_t *r, char *buf, size_t cap);
/* Unless allow_invalid, a baseline run that was not a valid measurement
 * makes the baseline unusable: it must be recorded on a quiet machine.
 * Returns 0, or -1 with one line in err. */
int compare_baseline_valid(const compare_side_t *b, int allow_invalid, char *err, size_t errlen);

/* The same checks made before a run, against what is about to run: the
 * results.json "config" object it will write and the model names (and,
 * unless allow_invalid, the baseline's validity). So a bad --baseline is
 * refused before the benchmark, not after it. Returns 0, or -1 with one
 * line in err. base and config are only read. */
int compare_baseline_precheck(json_t *base, json_t *config, const char *const *models,
                              size_t nmodels, int allow_invalid, char *err, size_t errlen);

#endif

/* Turning runs into what people and tools read: results.json (the schema
 * is documented key by key in docs/results.md), results.csv, and the
 * comparison table on stdout. Files are written to a temporary name and
 * renamed, so a reader never sees half a file. */
#ifndef CONCBENCH_REPORT_H
#define CONCBENCH_REPORT_H

#include <jansson.h>

#include "harness/config/config.h"
#include "harness/run/runner.h"

#define RESULTS_SCHEMA_VERSION 2

typedef struct report_env {
    char started_at[32], finished_at[32];
    char pg_version[64], redis_version[64];
    int report_failed; /* set when a folder's charts or report.html could not be written */
} report_env_t;

/* The whole document. complete = 0 marks an interrupted or failed
 * invocation. */
/* results.json's "config": every knob by name, secrets redacted. */
json_t *report_config_json(const config_t *cfg);

json_t *report_results_json(const config_t *cfg, const report_env_t *env, run_result_t *runs,
                            int nruns, int complete, int exit_status);
/* Writes json to dir/name atomically. Returns 0 or -1 with err. */
int report_write_json(const char *dir, const char *name, json_t *doc, char *err, size_t errlen);
/* results.csv (one row per run), timeline-<model>-<rep>.csv and
 * latency-<model>-<rep>.csv. */
int report_write_csv(const char *dir, const config_t *cfg, run_result_t *runs, int nruns, char *err,
                     size_t errlen);
/* Removes the CSV files report_write_csv writes (after it failed part
 * way: a folder must not hold a partial set that looks usable). */
void report_remove_csv(const char *dir, run_result_t *runs, int nruns);
/* Removes what an earlier run or `concbench plot` wrote into dir (the
 * names concbench gives its files, in dir and its point-* folders), so
 * that a reused --out holds only this run's files. Returns how many files
 * were removed. */
int report_clear_dir(const char *dir);
/* The comparison table: one row per model (medians over repetitions,
 * from summary_models, the same figures as results.json's summary[]). */
void report_print_table(FILE *f, const config_t *cfg, const run_result_t *runs, int nruns);

#endif

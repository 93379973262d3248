/* Writing what `concbench run` found, for run_cmd.c. */
#ifndef CONCBENCH_CLI_RUN_OUTPUT_H
#define CONCBENCH_CLI_RUN_OUTPUT_H

#include <jansson.h>
#include <stddef.h>

#include "harness/config/config.h"
#include "harness/report/report.h"
#include "harness/report/sweep.h"
#include "harness/run/runner.h"

/* The UTC time now, formatted with strftime's fmt. */
void run_output_utc_now(char *buf, size_t cap, const char *fmt);

/* Writes one results folder (the CSVs, then results.json last, so a
 * results.json that exists was written with everything else in place and
 * carries the final exit status), prints its table, compares with
 * (--baseline) and saves (--save-baseline) a baseline, and draws the
 * charts. Returns the folder's exit status (CB_EXIT_USAGE when
 * results.json could not be written; CB_EXIT_FAILED when a measured run
 * is not ok); *verify_rc gets the status before
 * any baseline comparison. *doc_out, when given, gets results.json's
 * document if it was written (the caller decrefs), else is left alone. */
int run_output_write(const config_t *cfg, report_env_t *rep, const char *dir, run_result_t *runs,
                     int nruns, int incomplete, json_t *baseline, json_t **doc_out, int *verify_rc);

/* Writes the sweep's own results.json and files from each point's
 * document (NULL where a point wrote none) and prints the knees. Returns
 * rc, or CB_EXIT_USAGE when rc was 0 and a file could not be written. */
int run_output_write_sweep(const sweep_t *sw, const config_t *cfg, json_t *const *docs,
                           char *const *names, int npoints, int rc);

/* After an interruption: rewrites dir/results.json, if there is one, as
 * "complete": false with the interrupted exit status (removes it when it
 * cannot be rewritten), and tells the signal handler it need not remove
 * it any more. */
void run_output_mark_interrupted(const char *dir);

/* Prints the closing verdict (interrupted, incomplete, not ok) and,
 * when results were written, where they are. */
void run_output_print_verdict(const config_t *cfg, int sweep, int incomplete, int verify_rc,
                              int written, int report_failed);

/* Points results/latest at dir (a default output folder); a failure is
 * reported and otherwise ignored. */
void run_output_update_latest(const char *dir);

#endif

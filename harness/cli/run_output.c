/* Writing what `concbench run` found: each results folder (CSVs, then
 * results.json, the table, the baseline comparison, the charts), the
 * sweep's own files, and the closing lines of the run. */
#include "harness/cli/run_output.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/term.h"
#include "harness/report/compare.h"
#include "harness/report/limits.h"
#include "harness/report/plot.h"
#include "harness/report/sweep.h"
#include "harness/report/verdict.h"
#include "harness/run/signals.h"

void run_output_utc_now(char *buf, size_t cap, const char *fmt)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, fmt, &tm);
}

/* --baseline FILE compares the results (in memory, before they are
 * written, so the file carries the final verdict) with the baseline read
 * and checked before the run, by concbench compare's rules: a regression
 * makes rc 1, incomparable inputs 2. Returns the new rc. */
static int run_baseline_compare(const config_t *cfg, json_t *base, json_t *doc, int rc)
{
    char err[1024];
    compare_opts_t o = {cfg->threshold, COMPARE_M_ALL, cfg->allow_invalid, NULL, NULL, NULL};
    int c;

    if (!base)
        return rc;
    printf("\nAgainst the baseline %s:\n", cfg->baseline);
    c = compare_results(base, doc, &o, stdout, err, sizeof err);
    if (c == 2) {
        log_error("cannot compare with the baseline: %s", err);
        return CB_EXIT_USAGE;
    }
    return c == 1 && rc == 0 ? CB_EXIT_FAILED : rc;
}

/* The absolute limits max_p99_ms and max_mem_mib (max_error_rate already
 * decided each run's ok): a figure beyond one makes rc 1. Returns the new
 * rc. */
static int run_limits_check(const config_t *cfg, json_t *doc, int rc)
{
    limits_t l;
    char err[512];
    int n;

    /* Checked when the command line was read (run_cmd.c): these parse. */
    limits_init(&l);
    if (limit_spec_parse("max_p99_ms", LIMIT_KIND_DURATION_MS, cfg->max_p99_ms, &l.p99_ms, err,
                         sizeof err) ||
        limit_spec_parse("max_mem_mib", LIMIT_KIND_MIB, cfg->max_mem_mib, &l.mem_mib, err,
                         sizeof err) ||
        !limits_any(&l))
        return rc;
    n = limits_check(doc, &l, stdout, err, sizeof err);
    if (n < 0) {
        log_error("cannot check the limits: %s", err);
        return CB_EXIT_USAGE;
    }
    if (n > 0)
        printf("%sLIMITS EXCEEDED: %d figure(s) beyond max_p99_ms / max_mem_mib%s\n",
               term_sgr(stdout, TERM_RED), n, term_sgr(stdout, TERM_RESET));
    return n > 0 && rc == 0 ? CB_EXIT_FAILED : rc;
}

/* Tells the signal handler about the output folder's results.json when it
 * says "complete" (signals.h): a second signal removes it. */
static void run_output_note_complete(const config_t *cfg, const char *dir, json_t *doc)
{
    char path[PATH_MAX + 16];

    if (strcmp(dir, cfg->out_dir) != 0 || !json_is_true(json_object_get(doc, "complete")))
        return;
    snprintf(path, sizeof path, "%s/results.json", dir);
    signals_set_complete_file(path);
}

/* Writes one results folder (the CSVs, then results.json last, so a
 * results.json that exists was written with everything else in place and
 * carries the final exit status), prints its table, compares with and
 * saves a baseline, and draws the charts. Returns the folder's exit status;
 * *verify_rc gets the status before any baseline comparison. */
int run_output_write(const config_t *cfg, report_env_t *rep, const char *dir, run_result_t *runs,
                     int nruns, int incomplete, json_t *baseline, json_t **doc_out, int *verify_rc)
{
    char err[512];
    int rc = 0, written = 0;
    json_t *doc;

    run_output_utc_now(rep->finished_at, sizeof rep->finished_at, "%Y-%m-%dT%H:%M:%SZ");
    if (signals_interrupted)
        rc = CB_EXIT_SIGNAL_BASE + signals_interrupted;
    else if (incomplete)
        rc = CB_EXIT_USAGE;
    else
        for (int i = 0; i < nruns; i++)
            if (runs[i].repeat >= 0 && !runs[i].ok)
                rc = CB_EXIT_FAILED;
    *verify_rc = rc;
    doc = report_results_json(cfg, rep, runs, nruns, rc == 0 || rc == 1, rc);
    if (nruns) {
        verdict_t v;
        summary_model_t *rows;
        int nrows;
        report_print_table(stdout, cfg, runs, nruns);
        if (verdict_from_results(doc, &v, &rows, &nrows) == 0) {
            verdict_write_text(stdout, doc, &v, rows, 0);
            verdict_free(&v);
            free(rows);
        }
    }
    if (nruns && !signals_interrupted && !incomplete) {
        rc = run_limits_check(cfg, doc, rc);
        rc = run_baseline_compare(cfg, baseline, doc, rc);
    }
    if (report_write_csv(dir, cfg, runs, nruns, err, sizeof err)) {
        log_error("%s", err);
        report_remove_csv(dir, runs, nruns);
        rc = CB_EXIT_USAGE;
    }
    json_object_set_new(doc, "exit_status", json_integer(rc));
    if (rc == CB_EXIT_USAGE)
        json_object_set_new(doc, "complete", json_false());
    if (report_write_json(dir, "results.json", doc, err, sizeof err)) {
        log_error("%s", err);
        rc = CB_EXIT_USAGE;
    } else {
        written = 1;
        run_output_note_complete(cfg, dir, doc);
    }
    if (written && cfg->save_baseline[0]) {
        /* Through the atomic writer, as every file of ours: a fresh random
         * name renamed into place, never a write through a symlink someone
         * planted at a predictable path (/tmp/baseline.json). */
        char bdir[PATH_MAX], bname[PATH_MAX];
        snprintf(bdir, sizeof bdir, "%s", cfg->save_baseline);
        snprintf(bname, sizeof bname, "%s", cfg->save_baseline);
        if (report_write_json(dirname(bdir), basename(bname), doc, err, sizeof err)) {
            log_error("%s", err);
            rc = CB_EXIT_USAGE;
        } else {
            printf("baseline saved: %s\n", cfg->save_baseline);
        }
    }
    /* Charts, summary files and report.html are derived from what was just
     * written. When they cannot be written (a full disk, gnuplot failing)
     * the invocation did not produce what it promised: exit 2, and
     * results.json says so too if it still can be rewritten. */
    if (written && nruns && plot_results_dir(dir, err, sizeof err)) {
        int before = rc;
        log_error("report not complete: %s", err);
        rep->report_failed = 1;
        rc = CB_EXIT_USAGE;
        json_object_set_new(doc, "exit_status", json_integer(rc));
        if (report_write_json(dir, "results.json", doc, err, sizeof err))
            log_error("%s: results.json still says exit status %d; this run's is %d", err, before,
                      rc);
    }
    if (doc_out && written)
        *doc_out = doc;
    else
        json_decref(doc);
    return written ? rc : CB_EXIT_USAGE;
}

void run_output_update_latest(const char *dir)
{
    char target[PATH_MAX];
    const char *base = strrchr(dir, '/');
    snprintf(target, sizeof target, "%s", base ? base + 1 : dir);
    unlink("results/latest");
    if (symlink(target, "results/latest"))
        log_error("cannot update results/latest: %s", strerror(errno));
}

int run_output_write_sweep(const sweep_t *sw, const config_t *cfg, json_t *const *docs,
                           char *const *names, int npoints, int rc)
{
    char err[512];
    json_t *doc =
        sweep_results_json(sw, docs, (const char *const *)names, npoints, rc == 0 || rc == 1, rc);

    if (report_write_json(cfg->out_dir, "results.json", doc, err, sizeof err)) {
        log_error("%s", err);
        if (rc == 0)
            rc = CB_EXIT_USAGE;
    } else {
        run_output_note_complete(cfg, cfg->out_dir, doc);
        if (sweep_write_outputs(cfg->out_dir, doc, err, sizeof err)) {
            log_error("%s", err);
            if (rc == 0)
                rc = CB_EXIT_USAGE;
        }
    }
    sweep_print_knees(stdout, doc);
    json_decref(doc);
    return rc;
}

void run_output_mark_interrupted(const char *dir)
{
    char path[PATH_MAX + 16], err[512];
    json_error_t je;
    json_t *doc;
    int status = signals_exit_status();

    snprintf(path, sizeof path, "%s/results.json", dir);
    doc = json_load_file(path, 0, &je);
    if (!doc)
        return; /* none written, or removed by a second signal */
    if (json_is_true(json_object_get(doc, "complete")) ||
        json_integer_value(json_object_get(doc, "exit_status")) != status) {
        json_object_set_new(doc, "complete", json_false());
        json_object_set_new(doc, "exit_status", json_integer(status));
        if (report_write_json(dir, "results.json", doc, err, sizeof err)) {
            log_error("%s; removing %s, which would say the run was complete", err, path);
            unlink(path);
        }
    }
    json_decref(doc);
    signals_set_complete_file(NULL);
}

void run_output_print_verdict(const config_t *cfg, int sweep, int incomplete, int verify_rc,
                              int written, int report_failed)
{
    char path[PATH_MAX + 16];
    const char *red = term_sgr(stdout, TERM_RED), *off = term_sgr(stdout, TERM_RESET);

    if (signals_interrupted && !written)
        printf("\n%sINTERRUPTED%s (%s): no results were written.\n", red, off,
               strsignal(signals_interrupted));
    else if (signals_interrupted)
        printf("\n%sINTERRUPTED%s (%s): the results above are incomplete.\n", red, off,
               strsignal(signals_interrupted));
    else if (incomplete)
        printf("\n%sINCOMPLETE%s: a model did not finish its run, stalled, or a service died (see "
               "above); the results above are incomplete.\n",
               red, off);
    else if (verify_rc == CB_EXIT_FAILED)
        printf("\n%sNOT OK%s: at least one run's rows did not match what it reported, or more of "
               "its requests failed than max_error_rate (%g) allows.\n",
               red, off, cfg->max_error_rate);
    if (!written)
        return;
    printf("results: %s/results.json\n", cfg->out_dir);
    /* plot_results_dir removes an older report.html first: one that
     * exists now was written by this run. */
    snprintf(path, sizeof path, "%s/report.html", cfg->out_dir);
    if (!sweep && access(path, F_OK) == 0)
        printf("report:  %s%s\n", path, report_failed ? " (incomplete: see above)" : "");
    else if (!sweep)
        printf("report:  not written (see above)\n");
    else
        printf("sweep:   %s/report.html (knees, the grid, links to each point's report), "
               "%s/sweep.csv, %s/chart-sweep.png\n",
               cfg->out_dir, cfg->out_dir, cfg->out_dir);
}

/* The verdict of a results file: which model to pick and why, in
 * sentences, each with the figures of this run behind it. Computed from
 * summary[] rows (summary.h: the one aggregation of a run's figures) and
 * judged with the noise rule (noise.h: the same one as the table's stars
 * and `concbench compare`), so a difference the sentences call a lead is
 * one the table stars. The terminal, summary.md and report.html print the
 * same sentences; docs/results.md ("The verdict") describes them. */
#ifndef CONCBENCH_REPORT_VERDICT_H
#define CONCBENCH_REPORT_VERDICT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "harness/report/summary.h"

/* The things an engineer weighs, each a figure where lower is better,
 * plus the scenario's injected crash. */
typedef enum verdict_aspect {
    VERDICT_WALL,     /* wall time */
    VERDICT_CPU,      /* CPU per request */
    VERDICT_MEM,      /* peak memory */
    VERDICT_API_P99,  /* API-side p99 */
    VERDICT_ERRORS,   /* requests failed for good */
    VERDICT_RETRIED,  /* requests that needed a retry */
    VERDICT_DB_CONNS, /* PostgreSQL connections */
    VERDICT__FIGURES,
    VERDICT_CRASH = VERDICT__FIGURES, /* what the injected worker crash did */
    VERDICT__N
} verdict_aspect_t;

/* Where a model stands on one figure. */
typedef enum verdict_rank {
    VERDICT_NOT_COMPARED, /* not eligible (verdict_eligible), not faced, or no figure */
    VERDICT_LEADS,        /* lowest, beyond the noise of every other */
    VERDICT_TIED_BEST,    /* within the noise of the lowest, no one leads */
    VERDICT_BEHIND,       /* beyond the noise of the lowest */
    VERDICT_WORST,        /* the highest, beyond the noise of the lowest */
} verdict_rank_t;

/* Sentences are at most this long; longer text is cut (it never is for
 * the model names and figures concbench writes). */
#define VERDICT_TEXT_MAX 1024

typedef struct verdict {
    /* One sentence per aspect that applies (the crash only with
     * --crash-after; retries and DB connections only when some model has
     * any), in verdict_aspect_t's order. */
    char aspect[VERDICT__N][VERDICT_TEXT_MAX];
    int has_aspect[VERDICT__N];
    /* rank[a][i]: model i's standing on figure a. */
    verdict_rank_t *rank[VERDICT__FIGURES];
    /* One "pick X when ..." paragraph per model, in the rows' order. */
    char (*pick)[VERDICT_TEXT_MAX];
    /* Models not compared and why, or "" when every model was. */
    char excluded[VERDICT_TEXT_MAX];
    /* The models with runs that were not valid measurements, or "". */
    char caution[VERDICT_TEXT_MAX];
    /* The scenario's expectation against this run: what can be checked
     * (rows verified, failures within max_error_rate) and the figures the
     * expectation names, or "" without an expectation. */
    char expect_check[VERDICT_TEXT_MAX];
    int expect_held; /* 1 when every check held, 0 when one did not */
    int n;           /* models */
} verdict_t;

/* Whether a model's figures may be compared at all: measured runs, every
 * one ok, and no run where every request failed (its latencies are 0,
 * not fast). The table's stars use the same test. */
int verdict_eligible(const summary_model_t *m);

/* Whether a model faced the run's injected fault: false for a model the
 * crash of --crash-after did not apply to (its figures are of a run
 * without the fault, so they are compared with nobody's and starred
 * nowhere), true otherwise. */
int verdict_faced(const summary_model_t *m);

/* Judges the n rows m[]. expect is the scenario's "Expect:" text or NULL;
 * max_error_rate is the run's. Returns 0, or -1 when out of memory (v is
 * then empty and safe to free). m is only read and must outlive v. */
int verdict_build(verdict_t *v, const summary_model_t *m, int n, const char *expect,
                  double max_error_rate);
void verdict_free(verdict_t *v);

/* Reads a results document's summary[] rows into *rows (malloc'd, names
 * borrowed from doc; *n of them) and builds the verdict with its
 * scenario_header.expect and config.max_error_rate. Returns 0, or -1 when
 * out of memory or the document has no summary[] row (*rows NULL, v
 * empty). */
int verdict_from_results(json_t *doc, verdict_t *v, summary_model_t **rows, int *n);

/* The verdict block as the terminal (markdown = 0) or summary.md
 * (markdown = 1) shows it: the scenario's question and expectation with
 * what was checked, each model's description, one line per aspect, one
 * "pick" line per model. report.html prints the same texts. */
void verdict_write_text(FILE *f, json_t *doc, const verdict_t *v, const summary_model_t *m,
                        int markdown);

/* The aspect that judges summary figure fig (SUMMARY_*), or -1 when the
 * verdict does not weigh it. */
int verdict_figure_aspect(int fig);

/* The aspect's short name ("wall time", "peak memory"). */
const char *verdict_aspect_name(verdict_aspect_t a);

#endif

/* A results folder as `concbench plot` sees it: results.json read and
 * checked, and the model table built from it — each model's summary[] row
 * (summary.h), its colour and place in the charts, and the median CPU the
 * services spent on its runs. plot_data.c and html_report.c write the
 * files people read from this table; neither reads results.json's
 * figures on its own. */
#ifndef CONCBENCH_REPORT_PLOT_RESULTS_H
#define CONCBENCH_REPORT_PLOT_RESULTS_H

#include <stddef.h>

#include <jansson.h>

#include "harness/report/summary.h"

/* The services whose CPU results.json reports apart (runs[].infra_cpu_s):
 * their keys there and their names for people. */
#define PLOT_INFRA_N 3
extern const char *const plot_infra_keys[PLOT_INFRA_N];
extern const char *const plot_infra_labels[PLOT_INFRA_N];

/* One model's row of the table. */
typedef struct plot_model {
    summary_model_t s; /* its summary[] row; names borrowed from the document */
    const char *color; /* "#rrggbb", the same in every chart */
    /* Median over the model's runs of each service's CPU seconds (0 when
     * none measured it); infra_missing is set when some run has null there
     * (a service concbench did not start, so it could not measure it). */
    double infra_cpu_s[PLOT_INFRA_N];
    int infra_missing[PLOT_INFRA_N];
    /* Set by plot_data_write from repetition 0's latency-/timeline-<model>-0.csv:
     * points in the latency CDF and windows in the timeline (0: no file or
     * an empty one), and the timeline's highest completions/s and
     * failures/s. */
    int latency_points, timeline_points, stages_points;
    int wait_points; /* rows with a wait_ms in latency-<model>-*.csv */
    double rate_max, fail_rate_max;
    /* From memory-<model>-0.csv: windows with a sample, the most memory
     * (MiB) and the last window's end (s). */
    int memory_points;
    double mem_max_mib, mem_end_s;
} plot_model_t;

typedef struct plot_results {
    const char *dir;
    json_t *doc;                 /* results.json (owned) */
    json_t *runs, *config, *env; /* borrowed from doc */
    plot_model_t *models;        /* in chart order (owned) */
    int n;
    int has_latency, has_timeline; /* some model has the data (set by plot_data_write) */
    int has_stages;                /* some model is staged (stages-<model>-0.csv) */
    int has_memtime;               /* some model has memory-<model>-0.csv rows */
    const char *scenario;          /* config.scenario, or "custom" */
    char title_suffix[512];        /* scenario, N, C, latency, machine */
    char mem_method[128];          /* of the runs, or "mixed methods" */
    double floor_s, ceiling_rps;   /* ceil(N/C) x latency; C / latency (0: no latency) */
} plot_results_t;

/* Reads and checks c->dir/results.json (schema version 1) and builds the
 * model table; c->dir is set by the caller, everything else is filled.
 * Returns 0, or -1 with a one-line reason in err (the folder or file
 * cannot be read, or is not a concbench results file). Either way
 * plot_results_free releases what was loaded. */
int plot_results_load(plot_results_t *c, char *err, size_t errlen);
void plot_results_free(plot_results_t *c);

#endif

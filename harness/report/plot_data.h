/* The model table `concbench plot` builds from a results folder, and the
 * files derived from it without gnuplot: summary.csv, summary.md and the
 * charts' data (plotvars.gp, bars.dat, cdf.dat, throughput.dat), whose
 * formats the scripts in plots/ read. */
#ifndef CONCBENCH_PLOT_DATA_H
#define CONCBENCH_PLOT_DATA_H

#include <stddef.h>

#include <jansson.h>

/* The services whose CPU results.json reports apart (runs[].infra_cpu_s):
 * their keys there and their names for people. */
#define PLOT_INFRA_N 3
extern const char *const plot_infra_keys[PLOT_INFRA_N];
extern const char *const plot_infra_labels[PLOT_INFRA_N];

/* Median and spread of one figure over a model's measured runs; NaN when
 * results.json does not have it. */
typedef struct plot_figure {
    double median, min, max;
} plot_figure_t;

/* One model's row of the summary, filled from results.json: summary[] for
 * the figures, runs[] for the services' CPU. */
typedef struct plot_model {
    const char *name;  /* borrowed from the results document */
    const char *color; /* "#rrggbb", the same in every chart */
    int runs;
    int verified; /* every measured run verified */
    plot_figure_t wall_s, cpu_s, peak_mb, p50_ms, p99_ms, error_rate, efficiency;
    /* Median over the model's runs of each service's CPU seconds (0 when
     * none measured it); infra_missing is set when some run has null there
     * (a service concbench did not start, so it could not measure it). */
    double infra_cpu_s[PLOT_INFRA_N];
    int infra_missing[PLOT_INFRA_N];
    /* Set by plot_data_write from repetition 0's latency-/timeline-<model>-0.csv:
     * points in the latency CDF and windows in the timeline (0: no file or
     * an empty one), and the timeline's highest completions/s and
     * failures/s. */
    int latency_points, timeline_points;
    double rate_max, fail_rate_max;
} plot_model_t;

/* A results folder as the charts see it. */
typedef struct plot_results {
    const char *dir;
    json_t *doc;                 /* results.json (owned) */
    json_t *runs, *config, *env; /* borrowed from doc */
    plot_model_t *models;        /* in chart order (owned) */
    int n;
    int has_latency, has_timeline; /* some model has the data (set by plot_data_write) */
    const char *scenario;          /* config.scenario, or "custom" */
    char title_suffix[512];        /* scenario, N, C, latency, machine */
    char mem_method[32];           /* of the runs, or "mixed methods" */
    double floor_s, ceiling_rps;   /* ceil(N/C) x latency; C / latency (0: no latency) */
} plot_results_t;

/* Writes summary.csv, summary.md, cdf.dat, throughput.dat, plotvars.gp and
 * bars.dat into r->dir, and fills each model's latency/timeline fields.
 * Returns 0, or -1 with a one-line reason in err (a file could not be
 * read or written). A model without latency or timeline CSV is not an
 * error: its block holds one NaN row. */
int plot_data_write(plot_results_t *r, char *err, size_t errlen);

/* Writes text to dir/name through dir/.name.tmp and rename(2), so a reader
 * never sees half a file. Returns 0, or -1 with the reason in err. */
int plot_file_write(const char *dir, const char *name, const char *text, size_t len, char *err,
                    size_t errlen);

#endif

/* `concbench compare`: the CI regression gate. Reads two results.json
 * documents (docs/results.md), prints per model and metric the baseline,
 * the current figure, their ratio, the machine-independent normalised
 * figure and a verdict, and turns that into an exit status. The rules are
 * documented in docs/ci.md; in short:
 *   - worse: the median moved the wrong way by more than the threshold and
 *     beyond the noise: the two sides' intervals (noise.h: [min, max] of
 *     the repetitions, at least the metric's minimum noise on a side with
 *     fewer than NOISE_MEASURED_RUNS runs) do not overlap;
 *   - noisy: beyond the threshold but inside the noise; not a failure;
 *   - an unverified run in the current results is a failure too;
 *   - a run that was not a valid measurement (validity.h) voids the
 *     verdict unless allow_invalid;
 *   - inputs that do not describe the same workload cannot be compared. */
#ifndef CONCBENCH_COMPARE_H
#define CONCBENCH_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

typedef struct compare_opts {
    double threshold; /* 0.10 = 10% */
    unsigned metrics; /* bitmask of COMPARE_M_* */
    /* Judge runs that were not valid measurements (runs[].valid false)
     * anyway; 0: such a run in the results voids the verdict (exit 2,
     * after the table), in the baseline makes the two incomparable. */
    int allow_invalid;
    /* Also write the comparison as a page (compare_html.h) to this file,
     * or NULL. Once the two can be compared the page is written whatever
     * the verdict; a page that cannot be written makes the result 2 with
     * the reason in err. */
    const char *html;
    /* The folders holding the two results.json (NULL: unknown): the page
     * draws each model's API latency spectrum of repetition 0 from their
     * latency-<model>-0.csv when both have one. */
    const char *base_dir, *cur_dir;
} compare_opts_t;

enum {
    COMPARE_M_WALL = 1,
    COMPARE_M_CPU = 2,
    COMPARE_M_RSS = 4,
    COMPARE_M_ERRORS = 8,
    COMPARE_M_P99 = 16,
    COMPARE_M_ALL = 31
};

/* Compares two results.json documents. Prints the table to out. Returns 0
 * (no regression), 1 (a metric worse beyond threshold AND beyond noise, or
 * a run of cur not verified), 2 (cannot be compared; one line saying why in
 * err, nothing printed to out — or, without allow_invalid, a run of cur
 * that was not a valid measurement: the table is printed, then err says
 * the verdict is void). The documents are only read. */
int compare_results(json_t *base, json_t *cur, const compare_opts_t *o, FILE *out, char *err,
                    size_t errlen);

/* Parses a comma-separated list of metric names (wall, cpu, rss, errors,
 * p99, all) into a COMPARE_M_* mask. Returns 0, or -1 with the unknown
 * name and the valid ones in err. */
int compare_metrics_parse(const char *s, unsigned *mask, char *err, size_t errlen);

/* Loads a results.json, or DIR/results.json when path is a folder; label
 * ("baseline", "results") starts the error. Returns the document (caller
 * decrefs), or NULL with the file, line and reason in err. */
json_t *compare_load(const char *label, const char *path, char *err, size_t errlen);

/* The folder of the results.json path names (as compare_load reads it):
 * path itself when it is a folder, else the file's folder, in buf. */
const char *compare_results_dir(const char *path, char *buf, size_t cap);

#endif

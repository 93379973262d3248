/* Sweeps: `--sweep key=v1,v2,...` (several make a grid) runs every model at
 * every point. Each point is a complete results folder of its own
 * (DIR/point-K-key=value...); DIR/results.json then lists every point's
 * runs and summary rows, each tagged with its point, and names per model
 * the knee: the first point (in the order given) whose median wall time is
 * within 5% of the model's best — "how many workers do I need". */
#ifndef CONCBENCH_SWEEP_H
#define CONCBENCH_SWEEP_H

#include <jansson.h>

#include "harness/config/config.h"

#define SWEEP_MAX_KEYS 4
#define SWEEP_MAX_VALUES 64
#define SWEEP_KNEE_WITHIN 0.05

typedef struct sweep {
    int nkeys;
    const knob_t *keys[SWEEP_MAX_KEYS];
    int nvalues[SWEEP_MAX_KEYS];
    char *values[SWEEP_MAX_KEYS][SWEEP_MAX_VALUES];
} sweep_t;

/* Parses "key=v1,v2;key2=w1,w2" (what repeated --sweep options join to).
 * Only numeric knobs can be swept. Every value is checked against the knob
 * now, so a bad one fails before anything runs. Returns 0, or -1 with a
 * one-line reason in err. An empty spec is no sweep (nkeys = 0). */
int sweep_parse(const char *spec, const config_t *base, sweep_t *s, char *err, size_t errlen);
void sweep_free(sweep_t *s);

/* Points in the grid (1 when nkeys is 0). */
int sweep_npoints(const sweep_t *s);
/* Sets point p's values on c (a copy of the base configuration) and writes
 * its folder name ("point-3-concurrency=100") into name. Returns 0 or -1. */
int sweep_apply(const sweep_t *s, int p, config_t *c, char *name, size_t cap);
/* Whether a swept knob is one the mock API is started with. */
int sweep_touches_mock(const sweep_t *s);

/* The top-level document of a sweep from the points' own results.json
 * documents (docs[p], in grid order; NULL for a point that did not run). */
json_t *sweep_results_json(const sweep_t *s, json_t *const *docs, const char *const *names,
                           int npoints, int complete, int exit_status);
/* sweep.csv, the sweep chart's data and the chart itself, from a sweep's
 * results.json (so `concbench plot` can redo them). Returns 0, or -1. */
int sweep_write_outputs(const char *dir, json_t *doc, char *err, size_t errlen);
/* Prints the knee of every model. */
void sweep_print_knees(FILE *f, json_t *doc);

#endif

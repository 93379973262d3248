/* The progress of one model run, on stderr, as the runner's tick sees it:
 *
 *   bar   (progress = 1)  "thread-pool  run 2 of 3  [#####...] 512/1000
 *                          1234 req/s  errors 3  0.4s  ETA 0.4s", redrawn in
 *                          place on a terminal (coloured unless NO_COLOR or
 *                          --no-color), a new line every few seconds in a
 *                          log or pipe;
 *   json  (progress = json) one JSON object per line, for CI dashboards
 *                          (README "Progress"), one a second and a last
 *                          one with "final": true;
 *   off   (progress = 0).
 *
 * The ETA is the run's remaining requests at the rate so far; a warm-up
 * run is labelled "warm-up k of W". */
#ifndef CONCBENCH_RUN_PROGRESS_H
#define CONCBENCH_RUN_PROGRESS_H

#include <stdint.h>

#include "harness/config/config.h"

typedef struct progress {
    int mode; /* enum config_progress */
    int tty;  /* stderr is a terminal: redraw in place */
    const char *model;
    int warmup;   /* 1: a warm-up run */
    int k, of;    /* run (or warm-up) k of `of` */
    int64_t t0;   /* when the run started (monotonic ns) */
    int64_t last; /* when a line was last written */
    int open;     /* a bar is drawn without its newline */
} progress_t;

/* Sets p up for a run of model; round is runner_run's repeat argument
 * (0-based repetition, or negative for the warm-ups, -warmup first). */
void progress_init(progress_t *p, const config_t *cfg, const char *model, int round);

/* Writes a line when one is due at now (monotonic ns) or final is set.
 * done and failed are the requests finished so far of n. */
void progress_tick(progress_t *p, int64_t now, uint64_t done, uint64_t failed, uint32_t n,
                   int final);

/* Ends a bar drawn in place, so that a message can follow on its own line. */
void progress_break(progress_t *p);

#endif

/* An absolute CI limit for every model or per model: "200ms" (every
 * model), "unbounded-loop=2s,200ms" (unbounded-loop 2 s, every other model
 * 200 ms) or "process-pool=100" (only process-pool). Values follow the one
 * number syntax (common/opt.h) of the limit's kind. Used by the run knobs
 * max_p99_ms and max_mem_mib and by compare's --max-* options
 * (harness/report/limits.h). */
#ifndef CONCBENCH_CONFIG_LIMIT_SPEC_H
#define CONCBENCH_CONFIG_LIMIT_SPEC_H

#include <stddef.h>

/* Models a spec may name. */
#define LIMIT_SPEC_MODELS_MAX 16

typedef enum limit_kind {
    LIMIT_KIND_DURATION_MS, /* "200ms", "1.5s", bare ms */
    LIMIT_KIND_FRACTION,    /* "5%", "0.05" */
    LIMIT_KIND_MIB,         /* a number of MiB */
} limit_kind_t;

typedef struct limit_spec {
    double all; /* for every model not named; < 0: none */
    int n;
    char model[LIMIT_SPEC_MODELS_MAX][64];
    double value[LIMIT_SPEC_MODELS_MAX];
} limit_spec_t;

/* Parses text ("" is no limit at all) into out. name starts every error.
 * Returns 0, or -1 with one line in err (bad value, a model named twice,
 * two values for every model, too many models). */
int limit_spec_parse(const char *name, limit_kind_t kind, const char *text, limit_spec_t *out,
                     char *err, size_t errlen);

/* The limit for model: its own, else the one for every model, else < 0. */
double limit_spec_for(const limit_spec_t *s, const char *model);

/* Whether the spec sets any limit. */
int limit_spec_any(const limit_spec_t *s);

#endif

/* The resolved configuration of one `concbench run`: every knob in one
 * table, set from defaults, then a scenario file, then the command line
 * (later wins). The same table drives parsing, validation, `concbench list`
 * and the copy of the configuration in results.json. */
#ifndef CONCBENCH_CONFIG_H
#define CONCBENCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "workload/job.h"
#include "workload/mock_knobs.h"

typedef struct config {
    job_t job; /* the numeric knobs the models read */
    char *models;
    char *out_dir;
    char *scenario;
    /* The scenario file's header comment (the lines starting with '#'
     * before the first other line), split at "Expect:": what the scenario
     * asks ("# name — " taken off) and what it expects. NULL without a
     * scenario file or a header; set by config_load_file, freed by
     * config_free. Not knobs: results.json carries them as
     * scenario_header. */
    char *scenario_question, *scenario_expect;
    char *api, *pg, *redis;
    int repeat, warmup;
    double crash_after; /* 0 = off */
    /* The fraction of requests that may fail for good in a run that is
     * still ok (docs/results.md). */
    double max_error_rate;
    int pg_max_conns;
    int pg_cache; /* 1: the private PostgreSQL's cluster from the cached template */
    int sample_ms;
    int pss_check_ms;
    int stall_timeout_s; /* as set; 0 = automatic: use config_stall_timeout_s() */
    char *memory_method;
    char *baseline, *save_baseline;
    char *sweep;
    double scale;
    double threshold;
    /* Absolute limits (harness/config/limit_spec.h, harness/report/limits.h):
     * "" = none. */
    char *max_p99_ms, *max_mem_mib;
    int allow_invalid; /* with baseline: judge runs that were not valid measurements */
    /* The mock API's behaviour (workload/mock_knobs.h), passed to a
     * mockapi the harness starts. */
    mock_settings_t mock;
    int keep_rows;
    int progress; /* enum config_progress */
} config_t;

/* The progress knob's choices, in the order of its row's "0|1|json". */
enum config_progress {
    CONFIG_PROGRESS_OFF = 0,  /* "0" */
    CONFIG_PROGRESS_BAR = 1,  /* "1": a progress line (harness/run/progress.h) */
    CONFIG_PROGRESS_JSON = 2, /* "json": one JSON object per line */
};

/* KNOB_CHOICE is an int: the index of its value in the row's choices. */
typedef enum knob_type {
    KNOB_INT,
    KNOB_U32,
    KNOB_U64,
    KNOB_DOUBLE,
    KNOB_STR,
    KNOB_CHOICE
} knob_type_t;

/* What a knob is for, so that no other file keeps a list of knob names. */
enum knob_flag {
    /* Defines the work measured: two results are comparable only if every
     * such knob matches (compare). */
    KNOB_WORKLOAD = 1 << 0,
    /* Read by one or more models only (model_ops_t.knobs names them). */
    KNOB_MODEL = 1 << 1,
    /* Passed to a harness-started mockapi as mock_flag. */
    KNOB_MOCK = 1 << 2,
    /* May hold credentials (a DSN or URL with a password): never to be
     * written to results or logs. */
    KNOB_SECRET = 1 << 3,
    /* A duration in milliseconds: takes "50ms", "2s", "500us", "1.5min" or
     * a bare number of ms (common/opt.h); an integer knob must come out a
     * whole number of ms. */
    KNOB_DURATION = 1 << 4,
    /* A fraction: takes "0.1" or "10%"; a bare number above 1 is refused
     * as ambiguous (common/opt.h). */
    KNOB_FRACTION = 1 << 5,
};

typedef struct knob {
    const char *name;
    knob_type_t type;
    size_t offset;
    const char *def;
    double min, max;
    unsigned flags;        /* enum knob_flag bits */
    const char *mock_flag; /* KNOB_MOCK: mockapi's spelling of it */
    const char *choices;   /* KNOB_STR, KNOB_CHOICE: "a|b|c" of the allowed values */
    /* KNOB_STR: checks a value (0, or -1 with err); NULL takes any text. */
    int (*check)(const char *name, const char *value, char *err, size_t errlen);
    const char *help;
} knob_t;

/* Every knob, in `concbench list` order; ends with a row whose name is NULL. */
extern const knob_t config_knobs[];
/* The row of knob name ('_' spelling), or NULL. */
const knob_t *config_knob_find(const char *name);
/* 1 when name is a knob flagged KNOB_WORKLOAD; 0 otherwise (also unknown). */
int config_knob_defines_workload(const char *name);

/* Sets every knob to its default. Returns 0 or -1 (out of memory). */
int config_init(config_t *c);
void config_free(config_t *c);

/* Sets knob `name` from text. Returns 0, or -1 with a one-line reason in err
 * (unknown knob, malformed or out-of-range value). */
int config_set(config_t *c, const char *name, const char *value, char *err, size_t errlen);

/* Reads a `key = value` scenario file (# comments, blank lines). A bare NAME
 * without '/' or ".conf" is looked up as scenarios/NAME.conf next to the
 * source tree. Returns 0, or -1 with "FILE:LINE: reason" in err. */
int config_load_file(config_t *c, const char *path, char *err, size_t errlen);

/* Appends "--flag value" for every mock API knob not at its default to
 * argv (which has room for cap entries, NULL-terminated); the strings are
 * allocated and freed with config_mock_args_free. Returns the count. */
int config_mock_args(const config_t *c, char **argv, int cap);
void config_mock_args_free(char **argv);
/* How many mock API knobs (beyond latency, seed and items, which always go)
 * are set away from their defaults. */
int config_mock_customised(const config_t *c);

/* The longest one request may legitimately take, in ms: every attempt
 * waiting out timeout_ms, plus the retry policy's backoffs at their cap. */
int64_t config_request_worst_ms(const config_t *c);

/* The no-progress watchdog's limit in seconds: stall_timeout when set,
 * otherwise the larger of LIMIT_STALL_DEFAULT_S and one request's worst case
 * (rounded up), so the default never stops a run that is only waiting out
 * its timeouts and retries. */
int config_stall_timeout_s(const config_t *c);

/* Formats knob k's current value of c into buf. */
void config_format(const config_t *c, const knob_t *k, char *buf, size_t cap);

#endif

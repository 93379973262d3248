/* mockapi's command line: the knobs and their validation. Pure (no I/O), so
 * the contract "bad flags give one clear line and exit 2" is unit-testable. */
#ifndef CONCBENCH_MOCK_OPTIONS_H
#define CONCBENCH_MOCK_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "faults.h"

typedef struct mockapi_options {
    char host[256];             /* IP literal or name to bind (default 127.0.0.1) */
    int port;                   /* 0 = any free port (default 8080) */
    int threads;                /* event loops, each with a SO_REUSEPORT listener */
    int backlog;                /* passed to listen() */
    uint64_t seed;              /* order generator and every per-request decision */
    int items;                  /* line items per order */
    uint64_t max_id;            /* ids above it get 404; bounds the attempt counters */
    latency_cfg_t latency;      /* injected latency */
    fault_cfg_t faults;         /* injected faults */
    uint64_t max_inflight;      /* 0 = off; else over it -> 429 */
    double rate;                /* token bucket refill, requests/s; 0 = off */
    uint64_t burst;             /* token bucket size */
    uint64_t header_timeout_ms; /* a request head must be complete this long after its first byte */
    uint64_t idle_timeout_ms;   /* a connection with nothing in progress closes after this long */
} mockapi_options_t;

enum {
    OPTIONS_OK = 0,
    OPTIONS_HELP = 1,    /* --help was given: print options_usage() and exit 0 */
    OPTIONS_VERSION = 2, /* --version was given: print the version and exit 0 */
    OPTIONS_ERROR = -1,  /* err holds one line (no newline); exit 2 */
};

/* Fills *o with defaults, then applies argv[1..argc). Flags take their value
 * as the next argument or after '='. Returns OPTIONS_OK, OPTIONS_HELP, OPTIONS_VERSION, or
 * OPTIONS_ERROR with a one-line reason in err (errcap bytes). */
int options_parse(int argc, char **argv, mockapi_options_t *o, char *err, size_t errcap);

/* The --help text (static, ends with a newline). */
const char *options_usage(void);

#endif

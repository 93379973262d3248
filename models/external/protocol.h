/* The external-model report protocol, version 1 (docs/external-models.md
 * is its definition): a pure validator that turns the lines an external
 * program writes about its requests into the same outcome-table events
 * the built-in models record, or rejects the first line that breaks the
 * protocol with one sentence saying what is wrong.
 *
 * It does no I/O. The adapter (external.c) feeds it whole lines with the
 * clock reading taken after each was read, so a timestamp from the
 * future is caught; tests feed it lines directly. */
#ifndef CONCBENCH_MODELS_EXTERNAL_PROTOCOL_H
#define CONCBENCH_MODELS_EXTERNAL_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "workload/outcome.h"

/* The version line every report starts with, and its version. */
#define EXTPROTO_MAGIC "concbench-external"
#define EXTPROTO_VERSION 1

/* The longest line, newline excluded: the longest valid line is about 70
 * bytes; anything much longer is not this protocol. */
#define EXTPROTO_LINE_MAX 128
/* Deliveries of one id (its `take` lines): one, plus re-deliveries after a
 * crash. Bounds the report of a program that loops on one id. */
#define EXTPROTO_DELIVERIES_MAX 16
/* `dbconn` lines in one report: far beyond any pool, short of a flood. */
#define EXTPROTO_DBCONNS_MAX 100000

typedef struct extproto_id extproto_id_t;

typedef struct extproto {
    outcome_table_t *t;
    int retries;        /* attempts per delivery are at most retries + 1 */
    int64_t start_ns;   /* no timestamp may be earlier */
    int version_ok;     /* the version line was read */
    uint64_t lines;     /* lines applied, the version line included */
    int64_t dbconns;    /* `dbconn` lines */
    extproto_id_t *ids; /* per id: where it stands in the protocol */
    /* Whether pid may be registered as a worker (the adapter: a live
     * process of the model's own process group, not itself). NULL: any
     * positive pid. */
    int (*pid_ok)(pid_t pid, void *arg);
    void *pid_arg;
} extproto_t;

/* Prepares a validator for t's ids 1..t->n. Returns 0, or -1 (out of
 * memory). */
int extproto_init(extproto_t *p, outcome_table_t *t, int retries, int64_t start_ns);
void extproto_free(extproto_t *p);

/* Applies one line (len bytes, no newline) read at clock_now_ns() now_ns.
 * Returns 0 with the event recorded in the outcome table, or -1 with the
 * reason in err (one sentence, no newline) and nothing recorded. */
int extproto_line(extproto_t *p, const char *line, size_t len, int64_t now_ns, char *err,
                  size_t errlen);

/* At the program's exit: every id has its final outcome (done or fail)
 * and no attempt is open. Returns 0, or -1 with the first id that has
 * not and why in err. */
int extproto_finish(const extproto_t *p, char *err, size_t errlen);

#endif

/* process-pool internals: the wire protocol between the dispatcher
 * (process_pool.c) and its forked workers (worker.c), and the
 * worker's entry point. Nothing here is part of the model interface.
 *
 * Each worker has one AF_UNIX SOCK_SEQPACKET socketpair with the dispatcher:
 * every send is one record, delivered whole and in order, so neither side
 * needs framing. Records are small (a chunk of PP_CHUNK_MAX ids is 16 KiB),
 * far below the socket buffer, so a send of at most PP_HELD_MAX chunks
 * never blocks. */
#ifndef CONCBENCH_PROCESS_POOL_H
#define CONCBENCH_PROCESS_POOL_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "models/model.h"

/* Upper bound of the chunk knob: the largest record the dispatcher sends. */
#define PP_CHUNK_MAX 4096

/* Chunks a worker holds at once: the one it works on and one prefetched,
 * so the round trip for the next chunk overlaps with work. */
#define PP_HELD_MAX 2

/* dispatcher -> worker: the next chunk, ids[0..n) with 1 <= n <=
 * PP_CHUNK_MAX. The record is 4 + 4·n bytes. There is no stop message:
 * the dispatcher shuts its end down for writing, the worker's recv()
 * returns 0, and it commits its batch and exits. */
typedef struct pp_chunk_msg {
    uint32_t n;
    uint32_t ids[PP_CHUNK_MAX];
} pp_chunk_msg_t;

/* worker -> dispatcher. */
typedef enum pp_report_kind {
    PP_REPORT_READY = 1,        /* curl handle set up, PostgreSQL connect started */
    PP_REPORT_SETUP_FAILED = 2, /* curl or the PostgreSQL connection failed, at
                                   any time; text says why; the worker exits */
    PP_REPORT_CHUNK_DONE = 3,   /* every id of the oldest chunk it holds is
                                   processed: failed, committed, or its row
                                   is in the worker's batch awaiting commit */
} pp_report_kind_t;

typedef struct pp_report {
    uint32_t kind;
    char text[252]; /* NUL-terminated one-line reason, PP_REPORT_SETUP_FAILED only */
} pp_report_t;

/* Exit statuses of a worker, so the dispatcher's log line says what went
 * wrong without a message. */
enum {
    PP_EXIT_OK = 0,
    PP_EXIT_SETUP = 3,    /* after PP_REPORT_SETUP_FAILED */
    PP_EXIT_ORPHAN = 4,   /* the dispatcher died before the worker started */
    PP_EXIT_PROTOCOL = 5, /* the socket failed or carried a malformed record */
};

/* The worker process: called in the child right after fork, with the child
 * end of its socketpair (every other descriptor of the dispatcher already
 * closed), the dispatcher's pid and the signal mask to restore. Sets up its
 * own curl handle and PostgreSQL connection, then serves chunks until the
 * dispatcher shuts the socket down. Never returns: it _exit()s, so no
 * atexit handler or stdio buffer inherited from the harness runs twice. */
_Noreturn void pp_worker_main(const job_t *job, int fd, pid_t dispatcher, const sigset_t *mask);

#endif

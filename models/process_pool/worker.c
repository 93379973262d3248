/* process-pool worker: one forked process with its own keep-alive curl easy
 * handle and its own PostgreSQL connection, serving chunks of ids that the
 * dispatcher hands it over a socketpair (see process_pool.h).
 *
 * The worker's life, state by state:
 *
 * SETUP. Fresh from fork(): it arranges to die with the dispatcher
 * (PR_SET_PDEATHSIG), restores default signal handling, creates its curl
 * handle through http_easy_setup and starts connecting to PostgreSQL
 * without waiting (pg_sink_start), then reports PP_REPORT_READY. The
 * connection is first needed at the first commit, so the backend's
 * start-up overlaps the first fetches instead of delaying them; between
 * requests pg_sink_progress moves it along. If the curl handle or the
 * connection fails — now or whenever the connect gives up — the worker
 * reports PP_REPORT_SETUP_FAILED with the reason and exits PP_EXIT_SETUP,
 * and the dispatcher fails the run: a pool that cannot reach its database
 * would fail every request, and respawning would loop.
 *
 * WAITING. Blocked in recv() on the socket for the next chunk. Its batch
 * may hold rows: waiting here is a round trip to the dispatcher, not the
 * end of the work, and committing now would shrink every batch to one
 * chunk.
 *
 * WORKING. Runs fetch → transform for each id of the chunk, in order, and
 * adds each row to its batch, which commits by itself every batch_size
 * rows, across chunk boundaries; a request that fails for good is recorded
 * failed at once. At the end of the chunk it reports PP_REPORT_CHUNK_DONE
 * and waits for the next. "Done" here means processed, not committed: the
 * dispatcher keeps the chunk's ids that are not yet final as unconfirmed
 * and reads their slots to learn when they are.
 *
 * LEAVING. End of file on the socket: the queue is empty and the
 * dispatcher has nothing more for this worker. It commits what is batched
 * and exits PP_EXIT_OK, so on a clean exit every id it was given is final.
 * (A dispatcher that dies kills its workers through PR_SET_PDEATHSIG
 * instead.)
 *
 * Crash safety rests on the outcome table, not on the reports: an id is
 * finished only when its slot is SLOT_DONE (row committed) or SLOT_FAILED.
 * A worker that dies at any point leaves the ids it was given but had not
 * committed SLOT_PENDING or SLOT_FETCHED, and the dispatcher re-queues
 * exactly those. If the kill lands between the database's commit and
 * outcome_done, the id is re-delivered and the upsert just bumps its row's
 * `deliveries`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/http.h"
#include "engine/pg_sink.h"
#include "models/process_pool/process_pool.h"

/* Sends one report; a dispatcher that is gone is not the worker's problem
 * (PR_SET_PDEATHSIG ends it), so the result only matters as a reason to
 * stop. Returns 0 or -1. */
static int pp_worker_report(int fd, pp_report_kind_t kind, const char *text)
{
    pp_report_t r = {.kind = kind};
    ssize_t n;

    if (text)
        snprintf(r.text, sizeof r.text, "%s", text);
    do
        n = send(fd, &r, sizeof r, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof r ? 0 : -1;
}

/* The connection could not be made: says so and leaves. Rows already
 * batched are lost with the run, which fails. */
_Noreturn static void pp_worker_db_failed(int fd, pg_sink_t *sink)
{
    char why[300];
    snprintf(why, sizeof why, "cannot connect to PostgreSQL: %s", sink->err);
    pp_worker_report(fd, PP_REPORT_SETUP_FAILED, why);
    _exit(PP_EXIT_SETUP);
}

/* Processes one chunk. Per-request failures are data (recorded in the
 * outcome table); a failed flush marks its rows failed with class db
 * inside pg_sink. A connection that never came up ends the worker. */
static void pp_worker_chunk(int fd, http_fetch_ctx_t *fc, pg_sink_t *sink, const pp_chunk_msg_t *m)
{
    for (uint32_t i = 0; i < m->n; i++) {
        order_row_t row;
        err_class_t err = http_fetch_transform(fc, m->ids[i], &row);
        if (err != ERR_NONE)
            outcome_fail(fc->out, m->ids[i], err);
        else if (pg_sink_add(sink, &row) && !sink->ready)
            pp_worker_db_failed(fd, sink);
        if (pg_sink_progress(sink))
            pp_worker_db_failed(fd, sink);
    }
}

/* Receives the next chunk. Returns the record length, 0 at end of file,
 * or -1 on a socket error. */
static ssize_t pp_worker_next(int fd, pp_chunk_msg_t *msg)
{
    ssize_t n;

    do
        n = recv(fd, msg, sizeof *msg, 0);
    while (n < 0 && errno == EINTR);
    return n;
}

_Noreturn void pp_worker_main(const job_t *job, int fd, pid_t dispatcher, const sigset_t *mask)
{
    static pp_chunk_msg_t msg; /* 16 KiB: off the stack */
    http_fetch_ctx_t fc = {.api = job->api_url,
                           .transform_cost = job->transform_cost,
                           .retry = retry_policy_of(job),
                           .out = job->out};
    pg_sink_t sink;
    int status = PP_EXIT_OK;

    /* Die with the dispatcher, whatever killed it; if it is already gone
     * the signal will never come, so check once by hand. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != dispatcher)
        _exit(PP_EXIT_ORPHAN);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigprocmask(SIG_SETMASK, mask, NULL);

    fc.h = curl_easy_init();
    if (!fc.h || http_easy_setup(fc.h, &fc.buf, job->timeout_ms, &fc.wire) != CURLE_OK) {
        pp_worker_report(fd, PP_REPORT_SETUP_FAILED, "cannot set up a curl handle");
        _exit(PP_EXIT_SETUP);
    }
    if (pg_sink_start(&sink, job->pg_dsn, job->run_id, job->batch_size, job->out))
        pp_worker_db_failed(fd, &sink);
    if (pp_worker_report(fd, PP_REPORT_READY, NULL))
        status = PP_EXIT_PROTOCOL;

    while (status == PP_EXIT_OK) {
        ssize_t n = pp_worker_next(fd, &msg);
        if (n == 0) {
            if (pg_sink_flush(&sink) && !sink.ready)
                pp_worker_db_failed(fd, &sink);
            break;
        }
        if (n < (ssize_t)sizeof msg.n || msg.n < 1 || msg.n > PP_CHUNK_MAX ||
            (size_t)n != sizeof msg.n + msg.n * sizeof msg.ids[0]) {
            status = PP_EXIT_PROTOCOL;
            break;
        }
        pp_worker_chunk(fd, &fc, &sink, &msg);
        if (pp_worker_report(fd, PP_REPORT_CHUNK_DONE, NULL))
            status = PP_EXIT_PROTOCOL;
    }
    pg_sink_close(&sink);
    curl_easy_cleanup(fc.h);
    http_buf_free(&fc.buf);
    close(fd);
    _exit(status);
}

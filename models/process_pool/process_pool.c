/* process-pool: the ProcessPoolExecutor pattern done in C. The dispatcher
 * (the process run() is called in) forks `workers` processes (default C,
 * at most one per request) and hands them ids in chunks over one
 * socketpair each (protocol in process_pool.h). Work is pulled, not
 * pre-split: a worker that finishes a chunk gets the next one, so a slow
 * worker holds up only the ids in its hands, never the rest of the queue.
 * Each worker owns a keep-alive curl handle and one PostgreSQL connection
 * (worker.c).
 *
 * Chunking. A worker holds at most PP_HELD_MAX = 2 chunks: the one it works
 * on and one prefetched, so the next chunk is already in its socket when it
 * reports the last one done. The `chunk` knob (default PP_CHUNK_DEFAULT)
 * is the largest chunk; chunks shrink as the queue drains (guided
 * self-scheduling: a quarter of what is left per worker, at least one), so
 * W full hands never take more than half of the remaining ids and the last
 * ids spread over every worker instead of queueing behind one.
 *
 * The dispatcher's view of a worker, state by state:
 *
 * PP_STARTING. Forked, setting up; holds no ids. It must report READY
 * (curl handle made, PostgreSQL connect started) within
 * LIMIT_PP_SETUP_TIMEOUT_S. An exit before READY or the timeout fail the run
 * with exit 2, and so does a SETUP_FAILED report in any state (the
 * connect finishes while the worker fetches, see worker.c):
 * a worker that cannot reach the database is a broken environment, and
 * respawning it would loop. Killed by a signal while starting (the
 * harness's crash injection does not care about states), it is replaced
 * like any other.
 *
 * PP_WORKING. Ready; holds 0..PP_HELD_MAX chunks in a FIFO that mirrors
 * the worker's own order, plus "unconfirmed" ids: processed (CHUNK_DONE
 * moved them out of the FIFO) but not yet final in the outcome table,
 * because their rows sit in the worker's batch. Every report prunes the
 * unconfirmed ids whose slots turned SLOT_DONE or SLOT_FAILED; the worker
 * commits every batch_size rows, so the list stays below batch_size.
 * Finished therefore means committed, while batches still span chunks (as
 * many rows per commit as thread-pool). No report within a generous bound
 * derived from the job's timeouts (pp_work_bound_ns) gets the worker
 * SIGKILLed, which turns a hang into an ordinary crash.
 *
 * PP_STOPPING. The queue is empty and the worker holds no chunk: it will
 * get no more work (if another worker dies, its ids go to that worker's
 * replacement), so the dispatcher shuts its end of the socket down for
 * writing at once; the worker commits its batch and exits 0. Workers leave
 * one by one as the queue runs dry, so their last commits and exits
 * overlap with the last chunks of the others. When it is reaped its
 * unconfirmed ids must be final; any that are not (it died in that last
 * commit) are re-queued as after a crash. The run's work is over when
 * every id is final; workers still starting then are stopped the same way
 * and reaped (LIMIT_PP_STOP_TIMEOUT_S, then SIGKILL).
 *
 * Crash recovery. SIGCHLD arrives on a signalfd polled with the sockets.
 * The dispatcher first reads whatever the dead worker reported, then
 * re-queues every id it held or had unconfirmed whose slot is neither
 * SLOT_DONE nor SLOT_FAILED (out->requeued), logs one line, and forks a
 * replacement into the same slot. Re-queued ids go out first, counted in
 * out->redelivered when handed to a worker again. A row the dead worker had
 * committed but not yet marked done is written again; the upsert makes that
 * harmless and its `deliveries` column shows it. At most W replacements per
 * run: a pool that loses more workers than it has is not recovering.
 *
 * The dispatcher never creates curl or libpq state, so forking stays cheap
 * (initial workers and replacements alike) and workers connect to
 * PostgreSQL in parallel. SIGTERM/SIGINT (the harness stopping the run):
 * kill and reap every worker, then die of the same signal. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "models/model.h"
#include "models/process_pool/process_pool.h"

/* 8 ids: at the 50 ms the benchmarks use that is 0.4 s of work per chunk,
 * so the report/refill round trip (tens of µs) is noise even before the
 * prefetch hides it, and a killed worker takes at most 2·8 ids of
 * re-fetching with it (plus its uncommitted batch). Commits do not depend
 * on it (batches span chunks), and guided shrinking takes care of the
 * tail, so a larger chunk would buy nothing but a bigger loss per crash. */
#define PP_CHUNK_DEFAULT 8

typedef enum pp_state { PP_FREE = 0, PP_STARTING, PP_WORKING, PP_STOPPING } pp_state_t;

typedef struct pp_chunk {
    uint32_t n;
    uint32_t *ids;
} pp_chunk_t;

/* The dispatcher's record of one worker process (pp_child_*). The worker
 * process itself is worker.c (pp_worker_*); the two meet only through the
 * socketpair and the outcome table. */
typedef struct pp_child {
    pid_t pid; /* 0: slot free */
    int fd;    /* dispatcher's end of the socketpair; -1 when closed */
    pp_state_t state;
    int gone;            /* socket at EOF or failed: send nothing more */
    int watched;         /* fd is in the pool's epoll set */
    int64_t deadline_ns; /* STARTING: setup; WORKING: oldest chunk overdue; 0: none */
    int head, nheld;     /* FIFO of held chunks */
    pp_chunk_t held[PP_HELD_MAX];
    uint32_t *unconf; /* processed ids not final at the last report */
    uint32_t nunconf, unconf_cap;
} pp_child_t;

typedef struct pp_pool {
    const job_t *job;
    outcome_table_t *out;
    int n; /* worker slots (W) */
    uint32_t chunk_max;
    pid_t self;
    pp_child_t *w;
    /* The signalfd (data 0) and every watched worker socket (data 1 + i).
     * epoll, not poll: a wake-up costs the ready sockets, not all W. */
    int epfd;
    int sigfd;
    sigset_t orig_mask;
    uint32_t next_id;  /* next id never handed out; > requests when all were */
    uint32_t *requeue; /* ids to hand out again, taken from the end */
    size_t nrequeue, requeue_cap;
    uint64_t outstanding; /* ids in workers' hands: held or unconfirmed */
    int live;             /* forked and not yet reaped */
    int respawns_left;
    int failed; /* the run cannot complete; reason already printed */
    int signo;  /* SIGTERM or SIGINT received */
} pp_pool_t;

static uint64_t pp_queue_left(const pp_pool_t *p)
{
    uint64_t fresh = p->next_id <= p->job->requests ? p->job->requests - p->next_id + 1 : 0;
    return fresh + p->nrequeue;
}

static uint32_t pp_chunk_size(const pp_pool_t *p)
{
    uint64_t left = pp_queue_left(p);
    uint64_t k = left / (2 * PP_HELD_MAX * (uint64_t)p->n);
    if (k > p->chunk_max)
        k = p->chunk_max;
    if (k < 1)
        k = 1;
    return (uint32_t)(k < left ? k : left);
}

/* The longest a healthy worker can go without a report: its oldest chunk
 * of n ids (0 when it holds none but still has a batch to commit) with
 * every attempt timing out after its longest backoff, plus the flushes. */
static int64_t pp_work_bound_ns(const pp_pool_t *p, uint32_t n)
{
    const job_t *j = p->job;
    int64_t per_id = (int64_t)(j->retries + 1) * (j->timeout_ms + LIMIT_MODEL_BACKOFF_BOUND_MS);
    int64_t flushes = n / (uint32_t)(j->batch_size > 0 ? j->batch_size : 1) + 1;
    return ((int64_t)n * per_id + flushes * LIMIT_PG_FLUSH_BOUND_MS) * CLOCK_NS_PER_MS;
}

static void pp_child_deadline_set(pp_pool_t *p, pp_child_t *w)
{
    if (w->nheld)
        w->deadline_ns = clock_now_ns() + pp_work_bound_ns(p, w->held[w->head].n);
    else if (w->nunconf)
        w->deadline_ns = clock_now_ns() + pp_work_bound_ns(p, 0);
    else
        w->deadline_ns = 0;
}

static int pp_slot_final(const pp_pool_t *p, uint32_t id)
{
    uint8_t st = atomic_load(&outcome_slot(p->out, id)->state);
    return st == SLOT_DONE || st == SLOT_FAILED;
}

/* Stops watching worker w's socket; done before its fd is closed, since
 * epoll would otherwise keep reporting it. */
static void pp_child_unwatch(pp_pool_t *p, pp_child_t *w)
{
    if (w->watched)
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    w->watched = 0;
}

/* Kills a misbehaving worker; its death then goes through the ordinary
 * crash path (re-queue, replacement). */
static void pp_child_kill(pp_pool_t *p, int i, const char *why)
{
    pp_child_t *w = &p->w[i];
    if (w->gone)
        return; /* already dead or dying; its pid may be reaped */
    log_error("worker %d %s; killing it", (int)w->pid, why);
    kill(w->pid, SIGKILL);
    w->gone = 1;
    w->deadline_ns = 0;
    pp_child_unwatch(p, w);
}

/* Sends worker i chunks until it holds PP_HELD_MAX or the queue is empty.
 * Ids are taken only once the send succeeded; a worker whose socket
 * refuses is left for the reaper. */
static void pp_child_feed(pp_pool_t *p, int i)
{
    static pp_chunk_msg_t msg;
    pp_child_t *w = &p->w[i];

    while (w->state == PP_WORKING && !w->gone && w->nheld < PP_HELD_MAX && pp_queue_left(p)) {
        uint32_t k = pp_chunk_size(p);
        uint32_t r = k < p->nrequeue ? k : (uint32_t)p->nrequeue;
        size_t len = sizeof msg.n + (size_t)k * sizeof msg.ids[0];
        pp_chunk_t *c = &w->held[(w->head + w->nheld) % PP_HELD_MAX];
        ssize_t sent;

        msg.n = k;
        for (uint32_t j = 0; j < r; j++)
            msg.ids[j] = p->requeue[p->nrequeue - 1 - j];
        for (uint32_t j = r; j < k; j++)
            msg.ids[j] = p->next_id + (j - r);
        c->ids = malloc(len - sizeof msg.n);
        if (!c->ids) {
            log_error("out of memory for a chunk of %u ids", k);
            p->failed = 1;
            return;
        }
        /* Taken now, before the worker can see them: its request must not
         * go on the wire before the id was taken (docs/results.md). */
        for (uint32_t j = 0; j < k; j++)
            outcome_queued(p->out, msg.ids[j]);
        do
            sent = send(w->fd, &msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (sent < 0 && errno == EINTR);
        if (sent != (ssize_t)len) {
            /* EPIPE/ECONNRESET: it died and SIGCHLD is on its way. A full
             * socket cannot happen with two small records in flight. */
            free(c->ids);
            c->ids = NULL;
            w->gone = 1;
            pp_child_unwatch(p, w);
            return;
        }
        memcpy(c->ids, msg.ids, len - sizeof msg.n);
        c->n = k;
        p->nrequeue -= r;
        p->next_id += k - r;
        atomic_fetch_add(&p->out->redelivered, r);
        w->nheld++;
        p->outstanding += k;
        if (w->nheld == 1)
            pp_child_deadline_set(p, w);
    }
}

static void pp_feed_all(pp_pool_t *p)
{
    for (int i = 0; i < p->n && !p->failed; i++)
        pp_child_feed(p, i);
}

/* Frees the oldest held chunk; its ids stop being outstanding. */
static void pp_chunk_drop(pp_pool_t *p, pp_child_t *w)
{
    pp_chunk_t *c = &w->held[w->head];
    p->outstanding -= c->n;
    free(c->ids);
    c->ids = NULL;
    c->n = 0;
    w->head = (w->head + 1) % PP_HELD_MAX;
    w->nheld--;
}

/* Drops the unconfirmed ids that are final now. */
static void pp_child_confirm(pp_pool_t *p, pp_child_t *w)
{
    uint32_t kept = 0;
    for (uint32_t j = 0; j < w->nunconf; j++)
        if (!pp_slot_final(p, w->unconf[j]))
            w->unconf[kept++] = w->unconf[j];
    p->outstanding -= w->nunconf - kept;
    w->nunconf = kept;
}

/* CHUNK_DONE: the oldest chunk's ids move from held to unconfirmed (those
 * already final are dropped at once). Returns 0, or -1 out of memory. */
static int pp_child_chunk_done(pp_pool_t *p, pp_child_t *w)
{
    pp_chunk_t *c = &w->held[w->head];
    uint32_t need = w->nunconf + c->n;

    if (need > w->unconf_cap) {
        uint32_t cap = w->unconf_cap ? w->unconf_cap : 64;
        uint32_t *u;
        while (cap < need)
            cap *= 2;
        u = realloc(w->unconf, cap * sizeof *u);
        if (!u)
            return -1;
        w->unconf = u;
        w->unconf_cap = cap;
    }
    memcpy(w->unconf + w->nunconf, c->ids, c->n * sizeof *c->ids);
    w->nunconf += c->n;
    p->outstanding += c->n;
    pp_chunk_drop(p, w);
    pp_child_confirm(p, w);
    return 0;
}

/* Forgets everything worker slot w held. Used once its process is gone. */
static void pp_child_clear(pp_pool_t *p, pp_child_t *w)
{
    while (w->nheld)
        pp_chunk_drop(p, w);
    p->outstanding -= w->nunconf;
    free(w->unconf);
    pp_child_unwatch(p, w);
    if (w->fd >= 0)
        close(w->fd);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

/* A worker that holds no chunk while the queue is empty is let go now
 * (PP_STOPPING), not at the end of the run. It leaves the crash-injection
 * list too: all it has left to do is one commit, and once it has exited
 * its pid would be a zombie that a SIGKILL cannot touch. */
static void pp_child_retire_if_idle(pp_pool_t *p, int i)
{
    pp_child_t *w = &p->w[i];

    if (w->state != PP_WORKING || w->gone || w->nheld || pp_queue_left(p))
        return;
    outcome_worker_unregister(p->out, w->pid);
    shutdown(w->fd, SHUT_WR);
    w->state = PP_STOPPING;
    pp_child_deadline_set(p, w);
}

/* Reads worker i's reports: one when `all` is 0, else every one it has
 * sent so far. The event loop reads one per wake-up: a worker has at most
 * PP_HELD_MAX reports in flight and usually one, and epoll (level-
 * triggered) reports the socket again while more are queued, so reading
 * on to EAGAIN would cost a second recv() per report for nothing (half of
 * the dispatcher's recv() calls). A reaped worker's are read in full. */
static void pp_child_read(pp_pool_t *p, int i, int all)
{
    pp_child_t *w = &p->w[i];
    pp_report_t r;
    int more = 1;

    while (more && w->fd >= 0 && !p->failed) {
        ssize_t n = recv(w->fd, &r, sizeof r, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        more = all;
        if (n <= 0) {
            /* End of file: the worker is exiting; the reaper takes over. */
            w->gone = 1;
            pp_child_unwatch(p, w);
            return;
        }
        if (n == (ssize_t)sizeof r && r.kind == PP_REPORT_SETUP_FAILED) {
            r.text[sizeof r.text - 1] = '\0';
            log_error("worker %d: %s", (int)w->pid, r.text);
            p->failed = 1;
            return;
        }
        if (w->state == PP_STOPPING)
            continue; /* a late READY from a replacement: nothing to give it */
        if (n == (ssize_t)sizeof r && r.kind == PP_REPORT_READY && w->state == PP_STARTING) {
            w->state = PP_WORKING;
            w->deadline_ns = 0;
            pp_child_feed(p, i);
        } else if (n == (ssize_t)sizeof r && r.kind == PP_REPORT_CHUNK_DONE &&
                   w->state == PP_WORKING && w->nheld > 0) {
            if (pp_child_chunk_done(p, w)) {
                log_error("out of memory tracking ids");
                p->failed = 1;
                return;
            }
            pp_child_feed(p, i);
            pp_child_deadline_set(p, w);
        } else {
            pp_child_kill(p, i, "sent a malformed or unexpected report");
            return;
        }
        pp_child_retire_if_idle(p, i);
    }
}

static void pp_pool_note_peak(pp_pool_t *p)
{
    int64_t peak = atomic_load(&p->out->workers_peak);
    while (p->live > peak && !atomic_compare_exchange_weak(&p->out->workers_peak, &peak, p->live))
        ;
}

/* Forks a worker into free slot i. Returns 0, or -1 after printing why. */
static int pp_child_spawn(pp_pool_t *p, int i)
{
    pp_child_t *w = &p->w[i];
    struct epoll_event ev;
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {
        log_error("socketpair for worker %d of %d: %s", i + 1, p->n, strerror(errno));
        return -1;
    }
    ev = (struct epoll_event){.events = EPOLLIN, .data.u32 = 1 + (uint32_t)i};
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, sv[0], &ev)) {
        log_error("epoll_ctl for worker %d of %d: %s", i + 1, p->n, strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        log_error("cannot fork worker %d of %d: %s", i + 1, p->n, strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        /* Keep stdio and the worker's own end as fd 3; everything else the
         * dispatcher (or the harness before it) had open is not ours. */
        int fd = sv[1];
        if (fd != 3) {
            fd = dup2(sv[1], 3);
            if (fd < 0)
                _exit(PP_EXIT_PROTOCOL);
        }
        close_range(4, ~0U, 0);
        pp_worker_main(p->job, fd, p->self, &p->orig_mask);
    }
    close(sv[1]);
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->fd = sv[0];
    w->state = PP_STARTING;
    w->deadline_ns = clock_now_ns() + LIMIT_PP_SETUP_TIMEOUT_S * CLOCK_NS_PER_S;
    w->watched = 1;
    outcome_worker_register(p->out, pid);
    p->live++;
    pp_pool_note_peak(p);
    return 0;
}

/* Puts id back in the queue unless its slot is final. Returns 1 when it
 * was re-queued, else 0 (out of memory fails the run). */
static uint32_t pp_requeue_unfinished(pp_pool_t *p, uint32_t id)
{
    if (pp_slot_final(p, id))
        return 0;
    if (p->nrequeue == p->requeue_cap) {
        size_t cap = p->requeue_cap ? 2 * p->requeue_cap : 256;
        uint32_t *q = realloc(p->requeue, cap * sizeof *q);
        if (!q) {
            log_error("out of memory re-queueing ids");
            p->failed = 1;
            return 0;
        }
        p->requeue = q;
        p->requeue_cap = cap;
    }
    p->requeue[p->nrequeue++] = id;
    return 1;
}

/* Worker i has been reaped with wait status `status`: take back what it
 * had not finished, then replace it (or fail the run, see the states). */
static void pp_child_lost(pp_pool_t *p, int i, int status)
{
    pp_child_t *w = &p->w[i];
    pid_t pid = w->pid;
    pp_state_t was;
    uint32_t k = 0;
    char how[64];

    w->gone = 1;            /* reaped: nothing may be sent or signalled to it */
    pp_child_read(p, i, 1); /* reports it sent before dying still count */
    was = w->state;
    pp_child_confirm(p, w); /* its last commit, if it got that far */
    for (int c = 0; c < w->nheld; c++) {
        const pp_chunk_t *ch = &w->held[(w->head + c) % PP_HELD_MAX];
        for (uint32_t j = 0; j < ch->n; j++)
            k += pp_requeue_unfinished(p, ch->ids[j]);
    }
    for (uint32_t j = 0; j < w->nunconf; j++)
        k += pp_requeue_unfinished(p, w->unconf[j]);
    pp_child_clear(p, w);
    p->live--;
    if (p->failed ||
        (was == PP_STOPPING && k == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0))
        return; /* retired as planned */

    if (WIFSIGNALED(status))
        snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
    if ((was == PP_STARTING && !WIFSIGNALED(status)) ||
        (WIFEXITED(status) && WEXITSTATUS(status) == PP_EXIT_SETUP)) {
        /* Its SETUP_FAILED report, when it sent one, was printed by
         * pp_child_read above; exit status PP_EXIT_SETUP alone still says
         * what kind of failure it was. */
        log_error("worker %d %s during setup%s; stopping the pool", (int)pid, how,
                  WIFEXITED(status) && WEXITSTATUS(status) == PP_EXIT_SETUP
                      ? " (it could not connect to PostgreSQL or set up curl)"
                      : "");
        p->failed = 1;
        return;
    }
    log_error("worker %d %s; re-queued %u ids", (int)pid, how, k);
    atomic_fetch_add(&p->out->requeued, k);
    if (!pp_queue_left(p))
        return; /* nothing left to hand a replacement */
    if (p->respawns_left-- <= 0) {
        log_error("lost more workers than the pool has (%d); giving up", p->n);
        p->failed = 1;
        return;
    }
    if (pp_child_spawn(p, i)) {
        p->failed = 1;
        return;
    }
    pp_feed_all(p);
}

static int pp_child_find(const pp_pool_t *p, pid_t pid)
{
    for (int i = 0; i < p->n; i++)
        if (p->w[i].pid == pid)
            return i;
    return -1;
}

/* Reaps every child that has exited. The pid is unregistered while the
 * child is still a zombie (WNOWAIT), so the harness can never kill a pid
 * that has been recycled. */
static void pp_children_reap(pp_pool_t *p)
{
    for (;;) {
        siginfo_t si = {0};
        int status, i;
        pid_t r;

        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
            return;
        outcome_worker_unregister(p->out, si.si_pid);
        do
            r = waitpid(si.si_pid, &status, 0);
        while (r < 0 && errno == EINTR);
        if (r != si.si_pid)
            return;
        i = pp_child_find(p, r);
        if (i >= 0)
            pp_child_lost(p, i, status);
    }
}

/* Drains the signalfd: SIGTERM/SIGINT are remembered in p->signo.
 * Returns 1 when a SIGCHLD was among them: the caller reaps then, and only
 * then (waitid walks every child, ~W of them, on each call). SIGCHLDs
 * merge, but one that comes after the reap's last waitid stays pending
 * and wakes the loop again. */
static int pp_signals_read(pp_pool_t *p)
{
    struct signalfd_siginfo si[8];
    ssize_t n;
    int chld = 0;

    while ((n = read(p->sigfd, si, sizeof si)) > 0 || (n < 0 && errno == EINTR))
        for (ssize_t j = 0; j < n / (ssize_t)sizeof si[0]; j++) {
            if (si[j].ssi_signo == SIGTERM || si[j].ssi_signo == SIGINT)
                p->signo = (int)si[j].ssi_signo;
            chld |= si[j].ssi_signo == SIGCHLD;
        }
    return chld;
}

static void pp_deadlines_check(pp_pool_t *p)
{
    int64_t now = clock_now_ns();

    for (int i = 0; i < p->n && !p->failed; i++) {
        pp_child_t *w = &p->w[i];
        if (!w->pid || w->gone || !w->deadline_ns || now < w->deadline_ns)
            continue;
        if (w->state == PP_STARTING) {
            log_error("worker %d not ready after %d s; stopping the pool", (int)w->pid,
                      LIMIT_PP_SETUP_TIMEOUT_S);
            p->failed = 1;
        } else {
            pp_child_kill(p, i, "made no progress within the job's timeouts");
        }
    }
}

/* SIGKILLs and reaps every worker still alive. Used when the run fails or
 * is interrupted, and for workers that ignore the stop. */
static void pp_pool_kill(pp_pool_t *p)
{
    for (int i = 0; i < p->n; i++)
        if (p->w[i].pid) {
            outcome_worker_unregister(p->out, p->w[i].pid);
            kill(p->w[i].pid, SIGKILL);
        }
    for (int i = 0; i < p->n; i++) {
        pp_child_t *w = &p->w[i];
        if (!w->pid)
            continue;
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        pp_child_clear(p, w);
        p->live--;
    }
}

/* Every id is final: let the workers go and reap them. */
static void pp_pool_stop(pp_pool_t *p)
{
    int64_t deadline = clock_now_ns() + LIMIT_PP_STOP_TIMEOUT_S * CLOCK_NS_PER_S;

    for (int i = 0; i < p->n; i++)
        if (p->w[i].pid && p->w[i].state != PP_STOPPING) {
            shutdown(p->w[i].fd, SHUT_WR); /* a late replacement, still starting */
            p->w[i].state = PP_STOPPING;
        }
    while (p->live > 0 && !p->signo && clock_now_ns() < deadline) {
        struct pollfd sig = {.fd = p->sigfd, .events = POLLIN};
        poll(&sig, 1, LIMIT_PP_POLL_MS);
        pp_signals_read(p);
        pp_children_reap(p);
    }
    if (p->live > 0) {
        if (!p->signo)
            log_error("%d workers did not exit within %d s; killing them", p->live,
                      LIMIT_PP_STOP_TIMEOUT_S);
        pp_pool_kill(p);
    }
}

/* Every id must be final once the queue is empty and nothing is
 * outstanding. Returns how many are not (a bookkeeping bug if any). */
static uint32_t pp_unfinished_count(const pp_pool_t *p)
{
    uint32_t bad = 0;
    for (uint32_t id = 1; id <= p->job->requests; id++)
        bad += !pp_slot_final(p, id);
    return bad;
}

/* Events taken per epoll_wait; more wait for the next call. */
#define PP_EVENTS_MAX 64

/* Runs the pool until every id is final, the run fails or a stop signal
 * comes. Forks the initial workers itself, LIMIT_PP_SPAWN_BATCH at a time. */
static void pp_loop(pp_pool_t *p)
{
    struct epoll_event ev[PP_EVENTS_MAX];
    int spawned = 0;

    while (!p->failed && !p->signo && (spawned < p->n || pp_queue_left(p) || p->outstanding)) {
        int n;
        for (int b = 0; b < LIMIT_PP_SPAWN_BATCH && spawned < p->n && !p->failed; b++)
            if (pp_child_spawn(p, spawned++))
                p->failed = 1;
        int sig = 0, chld = 0;
        n = epoll_wait(p->epfd, ev, PP_EVENTS_MAX, spawned < p->n ? 0 : LIMIT_PP_POLL_MS);
        if (n < 0 && errno != EINTR) {
            log_error("epoll_wait: %s", strerror(errno));
            p->failed = 1;
            break;
        }
        /* Sockets before signals: a replacement forked by the reaper may
         * reuse a dead worker's slot, and must not be credited with its
         * predecessor's events. A slot unwatched earlier in this batch (a
         * kill) is skipped. */
        for (int e = 0; e < n && !p->failed; e++) {
            uint32_t k = ev[e].data.u32;
            if (k == 0)
                sig = 1;
            else if (p->w[k - 1].watched)
                pp_child_read(p, (int)k - 1, 0);
        }
        if (sig)
            chld = pp_signals_read(p);
        if (chld && !p->signo)
            pp_children_reap(p);
        pp_deadlines_check(p);
    }
}

/* Defined at the end of the file; its name is the log prefix. */
extern const model_ops_t model_process_pool;

static int pp_run(const job_t *job)
{
    pp_pool_t p = {
        .job = job, .out = job->out, .sigfd = -1, .epfd = -1, .next_id = 1, .self = getpid()};
    int64_t want = job->workers > 0 ? job->workers : (int64_t)job->concurrency;
    sigset_t set;
    int rc = 0;

    log_init(model_process_pool.name);

    /* A worker beyond one per request would only hold a connection. */
    p.n = (int)(want < (int64_t)job->requests ? want : (int64_t)job->requests);
    p.respawns_left = p.n;
    p.chunk_max = job->chunk > 0 ? (uint32_t)job->chunk : PP_CHUNK_DEFAULT;
    if (p.chunk_max > PP_CHUNK_MAX) {
        log_error("chunk=%d capped at %d ids per message", job->chunk, PP_CHUNK_MAX);
        p.chunk_max = PP_CHUNK_MAX;
    }
    p.w = calloc((size_t)p.n, sizeof *p.w);
    if (!p.w) {
        log_error("out of memory for %d workers", p.n);
        free(p.w);
        return 2;
    }

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    signal(SIGCHLD, SIG_DFL); /* SIG_IGN would reap the workers behind our back */
    sigprocmask(SIG_BLOCK, &set, &p.orig_mask);
    p.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (p.sigfd < 0) {
        log_error("signalfd: %s", strerror(errno));
        rc = 2;
        goto out;
    }
    p.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p.epfd < 0 || epoll_ctl(p.epfd, EPOLL_CTL_ADD, p.sigfd,
                                &(struct epoll_event){.events = EPOLLIN, .data.u32 = 0})) {
        log_error("epoll: %s", strerror(errno));
        rc = 2;
        goto out;
    }
    for (int i = 0; i < p.n; i++)
        p.w[i].fd = -1;
    pp_loop(&p);
    if (p.failed || p.signo)
        pp_pool_kill(&p);
    else
        pp_pool_stop(&p);

    if (p.signo) {
        log_error("stopped by signal %d; workers killed and reaped", p.signo);
        close(p.sigfd);
        p.sigfd = -1;
        signal(p.signo, SIG_DFL);
        sigprocmask(SIG_SETMASK, &p.orig_mask, NULL);
        sigemptyset(&set);
        sigaddset(&set, p.signo);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(p.signo);
        rc = 2; /* only if the signal is somehow not fatal */
    } else if (p.failed) {
        rc = 2;
    } else {
        uint32_t bad = pp_unfinished_count(&p);
        if (bad) {
            log_error("%u ids never reached a final outcome", bad);
            rc = 2;
        }
    }
out:
    if (p.sigfd >= 0)
        close(p.sigfd);
    if (p.epfd >= 0)
        close(p.epfd);
    sigprocmask(SIG_SETMASK, &p.orig_mask, NULL);
    free(p.requeue);
    free(p.w);
    return rc;
}

const model_ops_t model_process_pool = {
    .name = "process-pool",
    .summary = "dispatcher + W forked workers pulling id chunks over socketpairs; blocking curl + "
               "one PostgreSQL connection each; a dead worker's ids are re-queued",
    .knobs = "workers,chunk",
    .crash_na = NULL,
    .run = pp_run,
};

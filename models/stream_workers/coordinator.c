/* stream-workers: a producer puts the N ids on a Redis Stream and a
 * consumer group of W worker processes × K in-flight requests takes them
 * (each worker: consumer.c, one libuv loop with hiredis async, the
 * shared curl-multi engine and async libpq; XACK after commit; XAUTOCLAIM
 * recovers a dead consumer's entries). Redis layout: layout.h.
 *
 * The coordinator — the process run() is called in — never touches the
 * hot path. It uses one synchronous hiredis connection with timeouts, and
 * goes through these phases:
 *
 * SETUP. Connect to Redis (bounded: an unreachable Redis is one line and
 * exit 2 within LIMIT_SWC_CONNECT_TIMEOUT_MS), check it has XAUTOCLAIM (>= 6.2),
 * and check PostgreSQL answers, so a bad DSN is one line here instead of
 * one per worker. Write the run's config hash (state waiting), create the
 * group at 0 with MKSTREAM and the empty outcomes stream. Fork the W
 * workers — after the group exists, before the ids do, so their
 * PostgreSQL and Redis connects overlap with producing.
 *
 * WAITING (external_workers = N > 0). Print the run id and the exact
 * `concbench worker` command line, then wait up to LIMIT_SWC_JOIN_TIMEOUT_S for
 * N external workers to register in the run's external hash.
 *
 * PRODUCING. state running; XADD 0-1 .. 0-N, LIMIT_SWC_XADD_BATCH commands per
 * round trip (redisAppendCommand, then as many replies).
 *
 * MONITORING. Each lap: read the outcomes stream (XREAD BLOCK
 * LIMIT_SWC_LAP_MS — the lap's sleep, cut short when an external worker reports)
 * and record those outcomes in the table; reap workers; sample XINFO
 * GROUPS (pending, for max pending; lag / last-delivered-id). A local
 * worker killed by a signal is replaced (at most W times): the survivors'
 * XAUTOCLAIM is what recovers its entries, the replacement restores the
 * run's capacity (and is what recovers them when W = 1). A worker that
 * exits by itself has failed (it said why): the run stops with exit 2.
 *
 * END. The run is over when every id has a final outcome in the table
 * and the group agrees: every entry delivered (lag 0) and none pending, so
 * every XACK — sent after each commit — is in. Then state done, DEL the
 * stream (Redis 7 wakes blocked external readers with UNBLOCKED; older
 * ones time out their BLOCK into NOGROUP), SIGTERM and reap the local
 * workers, DEL the other keys. Every failure path kills and reaps the
 * workers and deletes the keys too.
 *
 * Crash injection: the workers' pids are registered in the outcome table;
 * the harness SIGKILLs one, and the figures show what the claim did
 * (crash.requeued = crash.redelivered = entries claimed). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/atomics.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "engine/pg_batch.h"
#include "engine/redis_sync.h"
#include "models/model.h"
#include "models/stream_workers/consumer.h"
#include "models/stream_workers/layout.h"
#include "models/stream_workers/stream_workers.h"

/* Worker processes by default, also on a 2-core machine: a worker is an
 * I/O-bound event loop (a request costs it ~0.1 ms of CPU), so W above the
 * core count costs ~1.5 MB per process and buys crash granularity — one
 * death loses 1/W of the run's in-flight work and capacity. */
#define SWC_PROCS_DEFAULT 4
/* Long enough that a loop stall (a CPU-heavy transform on a busy 2-core
 * machine, a GC-less C loop still has them) never makes a live worker's
 * entry look abandoned — leases renew every claim_idle_ms / 4, so a live
 * entry never idles past claim_idle_ms / 2 plus a stall — and short enough
 * that a dead worker's entries wait at most ~1.25 s to be taken over,
 * against runs of several seconds. */
#define SWC_CLAIM_IDLE_DEFAULT_MS 1000
/* One connection carries a process's batches: at the benchmark's 2,000
 * rows/s over 4 processes that is ~10 commits/s each; a second one keeps
 * a slow commit from holding up the next batch. */
#define SWC_DB_CONNS_DEFAULT 2

static volatile sig_atomic_t swc_signo;

typedef struct swc {
    const job_t *job;
    outcome_table_t *out;
    redis_addr_t addr;
    redisContext *c;
    stream_layout_keys_t keys;
    consumer_cfg_t wcfg; /* template of a forked worker */
    int procs;
    int *slot_k;        /* K of each slot (C spread over W) */
    int ext_k;          /* an external worker's default K */
    pid_t *pids;        /* per slot; 0: none */
    int live;           /* forked and not reaped */
    int externals;      /* registered external workers, last seen */
    int externals_seen; /* one ever registered: read the outcomes stream */
    int respawns_left;
    int ending;           /* SIGTERM sent on purpose: exits are expected */
    int64_t pending, lag; /* last XINFO GROUPS sample; lag -1: nil */
    int64_t entries_read;
    int delivered_all;
    int setup_done; /* the run's keys exist and workers may write */
    char outcomes_last[64];
} swc_t;

static void swc_on_signal(int sig)
{
    swc_signo = sig;
}

static void swc_peak_update(swc_t *s)
{
    atomic_peak_update(&s->out->workers_peak, s->live + s->externals);
}

/* Forks the worker for slot. Returns 0 or -1 (reason printed). */
static int swc_spawn(swc_t *s, int slot)
{
    pid_t pid, self = getpid();
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        log_error("cannot fork worker %d: %s", slot + 1, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        consumer_stats_t st;
        consumer_cfg_t cfg = s->wcfg;
        /* Die with the coordinator, whatever killed it (a harness killed
         * outright takes the coordinator along); if it is already gone
         * the signal will never come, so check once by hand. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != self)
            _exit(1);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        /* The coordinator's connection stays the coordinator's: redisFree
         * only closes this copy of the socket. */
        redisFree(s->c);
        cfg.consumers = s->slot_k[slot];
        _exit(consumer_run(&cfg, &st));
    }
    s->pids[slot] = pid;
    s->live++;
    outcome_worker_register(s->out, pid);
    swc_peak_update(s);
    return 0;
}

/* Reaps exited workers. Returns 0, or -1 when the run cannot go on. */
static int swc_reap(swc_t *s)
{
    int st, failed = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        int slot = -1;
        for (int i = 0; i < s->procs; i++)
            if (s->pids[i] == pid)
                slot = i;
        if (slot < 0)
            continue;
        outcome_worker_unregister(s->out, pid);
        s->pids[slot] = 0;
        s->live--;
        if (s->ending)
            continue;
        if (WIFSIGNALED(st)) {
            int respawn = s->respawns_left > 0;
            log_error("worker %d killed by signal %d; the others claim its pending "
                      "entries once idle %d ms%s",
                      (int)pid, WTERMSIG(st), s->wcfg.claim_idle_ms,
                      respawn ? "; forking a replacement" : " (no replacements left)");
            if (respawn) {
                s->respawns_left--;
                if (swc_spawn(s, slot))
                    failed = 1;
            }
        } else {
            log_error("worker %d exited with status %d before the run ended", (int)pid,
                      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            failed = 1;
        }
    }
    if (!failed && s->live == 0 && s->externals == 0 && !s->ending &&
        (s->procs > 0 || s->externals_seen)) {
        log_error("every worker is gone and none can replace them");
        failed = 1;
    }
    return failed ? -1 : 0;
}

/* Asks the local workers to stop (sig) and reaps them, SIGKILLing what is
 * left after LIMIT_SWC_STOP_TIMEOUT_S. */
static void swc_stop_workers(swc_t *s, int sig)
{
    int64_t deadline = clock_now_ns() + LIMIT_SWC_STOP_TIMEOUT_S * CLOCK_NS_PER_S;
    s->ending = 1;
    for (int i = 0; i < s->procs; i++)
        if (s->pids[i] > 0)
            kill(s->pids[i], sig);
    while (s->live > 0) {
        struct timespec ts = {0, LIMIT_SWC_REAP_POLL_MS * CLOCK_NS_PER_MS};
        swc_reap(s);
        if (s->live == 0)
            break;
        if (clock_now_ns() > deadline) {
            for (int i = 0; i < s->procs; i++)
                if (s->pids[i] > 0)
                    kill(s->pids[i], SIGKILL);
            deadline = INT64_MAX;
        }
        nanosleep(&ts, NULL);
    }
}

/* Deletes every key of the run (best effort: on a failure path Redis may
 * be the thing that failed). */
static void swc_cleanup_keys(swc_t *s)
{
    char err[256];
    redisReply *r;
    if (!s->c || s->c->err)
        return;
    r = redis_sync_command(s->c, err, sizeof err, "DEL %s %s %s %s", s->keys.stream, s->keys.config,
                           s->keys.external, s->keys.outcomes);
    if (r)
        freeReplyObject(r);
    else
        log_error("cleaning up %s*: %s", s->keys.stream, err);
}

/* The figures of the external worker named name in the shared table (the
 * last row once OUTCOME_MAX_EXTERNALS are taken). */
static outcome_external_t *swc_external(swc_t *s, const char *name, int64_t now)
{
    outcome_table_t *t = s->out;
    outcome_external_t *e;
    if (!name[0])
        name = "?";
    for (int i = 0; i < t->n_externals; i++)
        if (strcmp(t->externals[i].name, name) == 0)
            return &t->externals[i];
    if (t->n_externals == OUTCOME_MAX_EXTERNALS)
        return &t->externals[OUTCOME_MAX_EXTERNALS - 1];
    e = &t->externals[t->n_externals++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->first_ns = now;
    return e;
}

/* The coordinator's per-worker report, one line each: where the rows came
 * from, how fast each external worker went between its first and last
 * report, what it took over from others, and how many of its ids were
 * done twice (a claimed entry its first owner finished too). The same
 * figures go to results.json (runs[].stream.hosts). */
static void swc_externals_report(const swc_t *s)
{
    const outcome_table_t *t = s->out;
    int64_t ext_rows = 0, done = (int64_t)atomic_load(&t->done);
    for (int i = 0; i < t->n_externals; i++) {
        const outcome_external_t *e = &t->externals[i];
        double span = (double)(e->last_ns - e->first_ns) / 1e9;
        ext_rows += e->committed;
        log_error("external worker %s: %" PRId64 " rows committed, %" PRId64
                  " failed, %.0f rows/s over %.1f s; %" PRId64
                  " entries claimed from others, %" PRId64
                  " of its ids another worker had finished already",
                  e->name, e->committed, e->failed, span > 0 ? (double)e->committed / span : 0.0,
                  span, e->claimed, e->duplicates);
    }
    if (t->n_externals && s->procs > 0)
        log_error("this host's %d worker process(es): %" PRId64 " rows committed", s->procs,
                  done > ext_rows ? done - ext_rows : 0);
}

/* Records one external worker's report (layout.h) in the table,
 * anchoring its durations at now. */
static void swc_record(swc_t *s, const stream_outcome_t *o)
{
    outcome_slot_t *sl;
    int64_t end = clock_now_ns(), fetched, wire;
    outcome_external_t *e = swc_external(s, o->worker, end);
    e->last_ns = end;
    if (o->claimed) {
        e->claimed += (int64_t)o->claimed;
        atomic_fetch_add(&s->out->redelivered, (int64_t)o->claimed);
        atomic_fetch_add(&s->out->requeued, (int64_t)o->claimed);
        return;
    }
    if (o->id > s->job->requests)
        return;
    sl = outcome_slot(s->out, o->id);
    fetched = end - o->commit_us * 1000;
    wire = (o->fetch_us ? fetched : end) - o->fetch_us * 1000;
    if (!sl->wire_ns)
        sl->wire_ns = wire;
    /* Normally set at XADD (swc_produce); the worker's own wait is the
     * fallback. */
    if (!sl->queued_ns)
        sl->queued_ns = wire - o->wait_us * 1000;
    if (o->api_us > 0)
        sl->api_us = o->api_us < (int64_t)UINT32_MAX ? (uint32_t)o->api_us : UINT32_MAX;
    sl->attempts = (uint16_t)(sl->attempts + o->attempts);
    sl->deliveries = (uint16_t)(sl->deliveries + o->deliveries);
    sl->status = o->status;
    if (atomic_load(&sl->state) >= SLOT_DONE)
        e->duplicates++;
    if (o->ok)
        e->committed++;
    else
        e->failed++;
    if (o->ok) {
        sl->fetched_ns = fetched;
        outcome_done(s->out, o->id);
    } else {
        outcome_fail(s->out, o->id, (err_class_t)o->err);
    }
    atomic_fetch_add(&s->out->stream_external, 1);
}

/* One XREAD of the outcomes stream, blocking up to block_ms. Returns 0 or
 * -1 (reason printed). */
static int swc_outcomes_read(swc_t *s, int block_ms)
{
    char err[300];
    redisReply *r = redis_sync_command(
        s->c, err, sizeof err, "XREAD COUNT %d BLOCK %d STREAMS %s %s", LIMIT_SWC_OUTCOMES_READ_MAX,
        block_ms, s->keys.outcomes, s->outcomes_last);
    const redisReply *entries;
    if (!r) {
        log_error("reading %s: %s", s->keys.outcomes, err);
        return -1;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2) {
        entries = r->element[0]->element[1];
        for (size_t i = 0; i < entries->elements; i++) {
            const redisReply *e = entries->element[i];
            stream_outcome_t o;
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                continue;
            snprintf(s->outcomes_last, sizeof s->outcomes_last, "%s", e->element[0]->str);
            if (stream_layout_outcome_parse(e, &o) == 0)
                swc_record(s, &o);
            else
                log_error("ignoring malformed outcome %s", e->element[0]->str);
        }
    }
    freeReplyObject(r);
    return 0;
}

static int64_t swc_field_int(const redisReply *v)
{
    if (v->type == REDIS_REPLY_INTEGER)
        return v->integer;
    return -1; /* nil (lag unknown) */
}

/* XINFO GROUPS (and HLEN of the external hash): pending, lag, max pending.
 * Returns 0 or -1 (reason printed). */
static int swc_sample(swc_t *s)
{
    char err[300], last_want[32];
    redisReply *r = redis_sync_command(s->c, err, sizeof err, "XINFO GROUPS %s", s->keys.stream);
    const char *last = "";
    int found = 0;
    if (!r) {
        log_error("XINFO GROUPS %s: %s", s->keys.stream, err);
        return -1;
    }
    for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
        const redisReply *f = r->element[g];
        int mine = 0;
        for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
            if (f->element[i]->str && strcmp(f->element[i]->str, "name") == 0 &&
                f->element[i + 1]->str && strcmp(f->element[i + 1]->str, STREAM_GROUP) == 0)
                mine = 1;
        for (size_t i = 0; mine && i + 1 < f->elements; i += 2) {
            const char *k = f->element[i]->str;
            const redisReply *v = f->element[i + 1];
            if (!k)
                continue;
            if (strcmp(k, "pending") == 0)
                s->pending = swc_field_int(v);
            else if (strcmp(k, "lag") == 0)
                s->lag = swc_field_int(v);
            else if (strcmp(k, "entries-read") == 0)
                s->entries_read = swc_field_int(v);
            else if (strcmp(k, "last-delivered-id") == 0 && v->str)
                last = v->str;
        }
        if (mine) {
            found = 1;
            /* Redis 7 says lag; where it cannot (nil), the last delivered
             * ID says the same: entries are 0-1 .. 0-N. */
            snprintf(last_want, sizeof last_want, "0-%u", s->job->requests);
            s->delivered_all = s->lag >= 0 ? s->lag == 0 : strcmp(last, last_want) == 0;
            break;
        }
    }
    freeReplyObject(r);
    if (!found) {
        log_error("the group %s of %s is gone", STREAM_GROUP, s->keys.stream);
        return -1;
    }
    if (s->pending > atomic_load(&s->out->stream_max_pending))
        atomic_store(&s->out->stream_max_pending, s->pending);
    r = redis_sync_command(s->c, err, sizeof err, "HLEN %s", s->keys.external);
    if (!r) {
        log_error("HLEN %s: %s", s->keys.external, err);
        return -1;
    }
    s->externals = (int)r->integer;
    if (s->externals > 0)
        s->externals_seen = 1;
    freeReplyObject(r);
    swc_peak_update(s);
    return 0;
}

/* Prints the single-quoted form of a shell word. */
static void swc_print_quoted(const char *w)
{
    fputc('\'', stderr);
    for (; *w; w++)
        if (*w == '\'')
            fputs("'\\''", stderr);
        else
            fputc(*w, stderr);
    fputc('\'', stderr);
}

/* WAITING: Returns 0 once enough external workers joined, -1 else. */
static int swc_wait_externals(swc_t *s)
{
    int want = s->job->external_workers;
    int64_t deadline = clock_now_ns() + LIMIT_SWC_JOIN_TIMEOUT_S * CLOCK_NS_PER_S;
    /* One message over three lines (the command line is built piecewise), so
     * it is printed by hand with the log prefix. */
    char redis[600], dsn[1024], err[300];
    int pg_pw = pg_dsn_without_password(s->job->pg_dsn, dsn, sizeof dsn, err, sizeof err);

    /* Never a password on the line: it is printed, and pasted into a
     * command line every user of the worker host can read. */
    if (pg_pw < 0)
        snprintf(dsn, sizeof dsn, "%s", s->job->pg_dsn); /* it connected, so it parses */
    redis_addr_public_url(&s->addr, redis, sizeof redis);
    fprintf(stderr,
            "%s: run %s waits up to %d s for %d external worker(s); on each worker "
            "host run:\n  concbench worker --redis %s --pg ",
            log_prefix(), s->job->run_id, LIMIT_SWC_JOIN_TIMEOUT_S, want, redis);
    swc_print_quoted(dsn);
    fprintf(stderr, " --api %s --run %s\n", s->job->api_url, s->job->run_id);
    if (s->addr.password[0] || pg_pw > 0)
        fprintf(stderr, "  with the password(s) in its environment, not on its command line:%s%s\n",
                s->addr.password[0] ? " " REDIS_PASSWORD_ENV " for Redis" : "",
                pg_pw > 0 ? " PGPASSWORD or PGPASSFILE for PostgreSQL" : "");
    if (strstr(s->job->redis_url, "127.0.0.1") || strstr(s->job->redis_url, "localhost"))
        fprintf(stderr, "  (loopback addresses: workers on other hosts need the run started "
                        "with --redis, --pg and --api they can reach)\n");
    for (;;) {
        if (swc_signo || swc_reap(s) || swc_sample(s))
            return -1;
        if (s->externals >= want) {
            log_error("%d external worker(s) joined run %s", s->externals, s->job->run_id);
            return 0;
        }
        if (clock_now_ns() > deadline) {
            log_error("only %d of %d external workers joined run %s within %d s", s->externals,
                      want, s->job->run_id, LIMIT_SWC_JOIN_TIMEOUT_S);
            return -1;
        }
        if (swc_outcomes_read(s, LIMIT_SWC_JOIN_POLL_MS))
            return -1;
    }
}

/* PRODUCING. Returns 0 or -1 (reason printed). */
static int swc_produce(swc_t *s)
{
    uint32_t n = s->job->requests;
    for (uint32_t id = 1; id <= n && !swc_signo;) {
        uint32_t k = n - id + 1 < LIMIT_SWC_XADD_BATCH ? n - id + 1 : LIMIT_SWC_XADD_BATCH;
        for (uint32_t j = 0; j < k; j++) {
            /* The model takes the id as it enters the stream: its wait
             * for a consumer is part of the model's (docs/results.md). */
            outcome_queued(s->out, id + j);
            if (redisAppendCommand(s->c, "XADD %s 0-%u id %u", s->keys.stream, id + j, id + j) !=
                REDIS_OK) {
                log_error("XADD: %s", s->c->errstr);
                return -1;
            }
        }
        for (uint32_t j = 0; j < k; j++) {
            redisReply *r = NULL;
            if (redisGetReply(s->c, (void **)&r) != REDIS_OK || !r) {
                log_error("XADD: %s", s->c->errstr);
                return -1;
            }
            if (r->type == REDIS_REPLY_ERROR) {
                log_error("XADD 0-%u: %s", id + j, r->str);
                freeReplyObject(r);
                return -1;
            }
            freeReplyObject(r);
            atomic_fetch_add(&s->out->stream_produced, 1);
        }
        id += k;
    }
    return swc_signo ? -1 : 0;
}

/* The longest a healthy run goes without an id becoming final or an entry
 * being delivered: one id with every attempt timing out after the longest
 * backoff (a Retry-After may ask for a minute), plus a commit bounded by
 * statement_timeout and a reconnect. Only a run nobody can finish (every
 * consumer gone for good) gets there. */
static int64_t swc_stall_bound_ns(const job_t *j)
{
    return ((int64_t)(j->retries + 1) * (j->timeout_ms + LIMIT_MODEL_BACKOFF_BOUND_MS) +
            LIMIT_PG_FLUSH_BOUND_MS) *
           CLOCK_NS_PER_MS;
}

/* MONITORING until END. Returns 0 or -1 (reason printed). */
static int swc_monitor(swc_t *s)
{
    int64_t last_sample = 0, progress_at = clock_now_ns(), last_read = -1;
    uint64_t last_settled = 0;
    for (;;) {
        uint64_t settled;
        int64_t now;
        if (swc_signo || swc_reap(s))
            return -1;
        if (s->externals_seen) {
            if (swc_outcomes_read(s, LIMIT_SWC_LAP_MS))
                return -1;
        } else {
            /* No external worker ever joined: nothing to read, just the
             * lap's sleep (saves Redis ~200 polls a second). */
            struct timespec ts = {0, LIMIT_SWC_LAP_MS * CLOCK_NS_PER_MS};
            nanosleep(&ts, NULL);
        }
        settled = atomic_load(&s->out->done) + atomic_load(&s->out->failed);
        now = clock_now_ns();
        if (settled >= s->job->requests ||
            now - last_sample >= LIMIT_SWC_SAMPLE_MS * CLOCK_NS_PER_MS) {
            if (swc_sample(s))
                return -1;
            last_sample = now;
            if (settled >= s->job->requests && s->pending == 0 && s->delivered_all)
                return 0;
        }
        if (settled != last_settled || s->entries_read != last_read) {
            last_settled = settled;
            last_read = s->entries_read;
            progress_at = now;
        } else if (now - progress_at > swc_stall_bound_ns(s->job)) {
            log_error("no progress for %lld s (%llu of %u ids final, %lld entries "
                      "pending); giving up",
                      (long long)((now - progress_at) / CLOCK_NS_PER_S),
                      (unsigned long long)settled, s->job->requests, (long long)s->pending);
            return -1;
        }
    }
}

static int swc_setup(swc_t *s, char *err, size_t errlen)
{
    const job_t *job = s->job;
    stream_layout_config_t rc = {0};
    redisReply *r;
    PGconn *pg;
    const char *v;

    if (redis_addr_parse(job->redis_url, &s->addr, err, errlen))
        return -1;
    if (stream_layout_keys_init(&s->keys, job->run_id)) {
        snprintf(err, errlen, "run id \"%s\" cannot name a stream", job->run_id);
        return -1;
    }
    if (!(s->c = redis_sync_connect(&s->addr, LIMIT_SWC_CONNECT_TIMEOUT_MS, err, errlen)))
        return -1;
    redis_sync_pin_host(s->c, &s->addr);
    if (!(r = redis_sync_command(s->c, err, errlen, "INFO server")))
        return -1;
    v = r->str ? strstr(r->str, "redis_version:") : NULL;
    if (v) {
        int maj = 0, min = 0;
        sscanf(v + 14, "%d.%d", &maj, &min);
        if (maj < 6 || (maj == 6 && min < 2)) {
            char where[300];
            snprintf(err, errlen,
                     "Redis at %s is %d.%d; stream-workers needs 6.2 or later "
                     "(XAUTOCLAIM)",
                     redis_addr_where(&s->addr, where, sizeof where), maj, min);
            freeReplyObject(r);
            return -1;
        }
    }
    freeReplyObject(r);
    if (!(pg = pg_connect_blocking(job->pg_dsn, err, errlen)))
        return -1;
    PQfinish(pg);
    rc.seed = job->seed;
    rc.requests = job->requests;
    rc.items = job->items;
    rc.transform_cost = job->transform_cost;
    rc.batch_size = job->batch_size > 0 ? job->batch_size : 1;
    rc.timeout_ms = job->timeout_ms;
    rc.retries = job->retries;
    rc.backoff_ms = job->backoff_ms;
    rc.consumers = s->ext_k;
    rc.db_conns = s->wcfg.db_conns;
    rc.claim_idle_ms = s->wcfg.claim_idle_ms;
    snprintf(rc.state, sizeof rc.state, "%s",
             job->external_workers > 0 ? STREAM_STATE_WAITING : STREAM_STATE_RUNNING);
    if (stream_layout_config_write(s->c, &s->keys, &rc, err, errlen))
        return -1;
    if (!(r = redis_sync_command(s->c, err, errlen, "XGROUP CREATE %s %s 0 MKSTREAM",
                                 s->keys.stream, STREAM_GROUP)))
        return -1;
    freeReplyObject(r);
    /* An empty stream (a group is the way to create one without an entry)
     * for the external workers' NOMKSTREAM reports. */
    if (!(r = redis_sync_command(s->c, err, errlen, "XGROUP CREATE %s %s $ MKSTREAM",
                                 s->keys.outcomes, STREAM_GROUP)))
        return -1;
    freeReplyObject(r);
    return 0;
}

/* Defined at the end of the file; its name is the log prefix. */
extern const model_ops_t model_stream_workers;

/* Sizes the run: W worker processes, the in-flight share of each, and the
 * configuration every worker gets. Returns 0, or -1 (reason printed) when
 * out of memory; what it allocated is freed by swc_teardown. */
static int swc_plan(swc_t *s)
{
    const job_t *job = s->job;
    uint32_t c = job->concurrency ? job->concurrency : 1;
    /* With external workers the coordinator's host need not work too:
     * unless procs says otherwise it forks none, and C is spread over the
     * external workers (each one's default K). */
    int w = job->procs > 0 ? job->procs : job->external_workers > 0 ? 0 : SWC_PROCS_DEFAULT;
    uint32_t ext = (uint32_t)job->external_workers;

    if (!job->consumers && (uint32_t)w > c)
        w = (int)c; /* one request in flight per process at least */
    s->procs = w;
    s->respawns_left = w;
    s->slot_k = calloc((size_t)w + 1, sizeof *s->slot_k);
    s->pids = calloc((size_t)w + 1, sizeof *s->pids);
    if (!s->slot_k || !s->pids) {
        log_error("out of memory");
        return -1;
    }
    /* consumers = 0: C spread over the W processes, exactly C in flight. */
    for (int i = 0; i < w; i++)
        s->slot_k[i] = job->consumers > 0
                           ? job->consumers
                           : (int)(c / (uint32_t)w + ((uint32_t)i < c % (uint32_t)w));
    s->ext_k = job->consumers > 0 ? job->consumers
               : w > 0            ? s->slot_k[0]
                                  : (int)(c / ext > 0 ? c / ext : 1);
    s->wcfg.job = *job;
    s->wcfg.db_conns = job->db_conns > 0 ? job->db_conns : SWC_DB_CONNS_DEFAULT;
    s->wcfg.claim_idle_ms = job->claim_idle_ms > 0 ? job->claim_idle_ms : SWC_CLAIM_IDLE_DEFAULT_MS;
    snprintf(s->outcomes_last, sizeof s->outcomes_last, "0-0");
    return 0;
}

/* Closes the run in PostgreSQL once no worker of ours can write to it any
 * more: an external worker that comes back from a partition after the end
 * commits nothing into a run that is verified (PG_BATCH_CLOSED_TABLE).
 * Best effort on a failure path; a failure is reported, not fatal: the
 * run's rows are still verified as they are. */
static void swc_close_run(swc_t *s)
{
    char err[512];
    PGconn *pg;
    if (!s->setup_done)
        return;
    if (!(pg = pg_connect_blocking(s->job->pg_dsn, err, sizeof err)) ||
        pg_batch_run_close(pg, s->job->run_id, err, sizeof err))
        log_error("cannot close the run in PostgreSQL (a worker cut off until after the end "
                  "could still write rows): %s",
                  err);
    PQfinish(pg);
}

/* END: marks the run done, ends blocked readers, stops the local workers
 * (SIGTERM after a complete run, SIGKILL otherwise), deletes the run's keys
 * and frees what swc_plan and swc_setup made. Safe on a partly set-up s. */
static void swc_teardown(swc_t *s, int rc)
{
    char err[512];
    redisReply *r;

    if (s->c && !s->c->err) {
        r = redis_sync_command(s->c, err, sizeof err, "HSET %s state %s", s->keys.config,
                               STREAM_STATE_DONE);
        if (r)
            freeReplyObject(r);
        /* Deleting the stream first ends blocked readers at once. */
        r = redis_sync_command(s->c, err, sizeof err, "DEL %s", s->keys.stream);
        if (r)
            freeReplyObject(r);
    }
    if (s->pids)
        swc_stop_workers(s, rc == 0 ? SIGTERM : SIGKILL);
    swc_close_run(s);
    swc_cleanup_keys(s);
    if (s->c)
        redisFree(s->c);
    free(s->slot_k);
    free(s->pids);
}

static int swc_run(const job_t *job)
{
    swc_t s = {.job = job, .out = job->out, .lag = -1};
    struct sigaction sa = {0}, old_term, old_int;
    char err[512];
    int rc = 2;
    redisReply *r;

    log_init(model_stream_workers.name);
    if (job->requests == 0)
        return 0;

    /* Installed before anything can fail, so the exit path always restores
     * handlers it saved. */
    sa.sa_handler = swc_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    signal(SIGCHLD, SIG_DFL); /* SIG_IGN would reap the workers behind our back */

    if (swc_plan(&s))
        goto out;
    if (swc_setup(&s, err, sizeof err)) {
        log_error("%s", err);
        goto out;
    }
    s.setup_done = 1;
    s.wcfg.redis = s.addr;
    for (int i = 0; i < s.procs; i++)
        if (swc_spawn(&s, i))
            goto out;
    if (job->external_workers > 0) {
        if (swc_wait_externals(&s))
            goto out;
        if (!(r = redis_sync_command(s.c, err, sizeof err, "HSET %s state %s", s.keys.config,
                                     STREAM_STATE_RUNNING))) {
            log_error("%s", err);
            goto out;
        }
        freeReplyObject(r);
    }
    if (swc_produce(&s) || swc_monitor(&s))
        goto out;
    atomic_store(&s.out->stream_acked, s.entries_read - s.pending);
    swc_externals_report(&s);
    rc = 0;
out:
    swc_teardown(&s, rc);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    if (swc_signo) {
        signal(swc_signo, SIG_DFL);
        raise(swc_signo);
    }
    return rc;
}

const model_ops_t model_stream_workers = {
    .name = "stream-workers",
    .summary = "Redis Stream consumer group: W processes x K in flight, each one libuv loop with "
               "hiredis async + curl multi + async libpq; XACK after commit, XAUTOCLAIM recovery",
    .knobs = "procs,consumers,claim_idle_ms,external_workers,db_conns",
    .crash_na = NULL,
    .needs_redis = 1,
    .run = swc_run,
    .command = "worker",
    .command_usage = "--redis URL --pg DSN --api URL --run RUN_ID [--consumers K]\n"
                     "                        [--db-conns D] [--batch-size B]",
    .command_main = stream_worker_cmd,
};

/* A stream worker, state by state.
 *
 * CONNECTING. Two Redis connections open at once — `rd` for XREADGROUP
 * only, `ctl` for everything else — while the engine connects its
 * PostgreSQL pool. Two, because a connection parked in XREADGROUP ... BLOCK
 * holds back every command queued behind it: an XACK must not wait up to
 * BLOCK for a read to return. Work starts once all three are ready.
 *
 * WORKING. The K "consumers" of the issue are K in-flight slots under one
 * Redis consumer name per process (host-pid), not K consumer names: the
 * engine's inflight_limit keeps at most K requests fetching, and one
 * XREADGROUP GROUP g <name> COUNT <room> BLOCK LIMIT_SW_BLOCK_MS tops the process up to
 * what it may hold, so a single round trip replaces up to K. K names would
 * need K blocked connections (or K round trips for the same entries), and
 * would buy nothing: a process lives and dies as a whole, so its pending
 * entries are recovered together either way. The process holds at most
 * hold_max = 2K ids (fetching, waiting for a slot, or in a batch on its
 * way to PostgreSQL), so the K slots never wait for a read while rows
 * commit, and a process never hoards more than one extra round of work.
 * When a batch commits (on_committed), its ids are acknowledged with one
 * XACK on ctl — after the commit, never before — and the read tops up.
 * Ids that failed for good are acknowledged too: their failure is recorded
 * in the outcome table and re-reading them would not end differently.
 *
 * Leases and claims, every claim_idle_ms / 4 on ctl. First the lease: our
 * own pending entries idle for that long (XPENDING ... IDLE) are
 * re-claimed by ourselves (XCLAIM ... JUSTID), which resets their idle
 * time without counting a delivery. So an entry we still work on — a slow
 * API, retries backing off, a queue behind K busy slots — never looks
 * abandoned, and claim_idle_ms need not exceed the longest request, only
 * a loop stall. Then the claim: XAUTOCLAIM takes over entries idle longer
 * than claim_idle_ms — a dead consumer's — up to our room, following the
 * cursor. Claimed entries run like read ones (at-least-once: a row the
 * dead worker committed but did not acknowledge is written again, which
 * the idempotent upsert turns into deliveries = 2) and are counted in
 * out->redelivered and out->requeued. Entries we hold already (a bitmap
 * over ids) are never submitted twice: two rows for one id in one batch
 * would not be an upsert.
 *
 * STOPPING. SIGTERM/SIGINT (the coordinator ending the run, or Ctrl-C on
 * an external worker), or the stream gone (NOGROUP, or Redis 7 unblocking
 * the read with UNBLOCKED when the coordinator deletes it): no more reads
 * or claims; the ids in hand finish (at most LIMIT_SW_DRAIN_MS).
 * A second signal, or a failure, skips the drain; what is left stays
 * pending in the group for the others to claim.
 *
 * CLOSING. rd is dropped at once (a blocked read has nothing to say), ctl
 * is kept until its last acknowledgement is answered — hiredis frees
 * unsent output on close — then the engine, ctl and the handles close and
 * the loop runs dry. */
#include "models/stream_workers/consumer.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/limits.h"
#include "engine/loop_engine.h"
#include "models/stream_workers/layout.h"

enum { SW_READY_RD = 1, SW_READY_CTL = 2, SW_READY_ENG = 4, SW_READY_ALL = 7 };

typedef struct consumer {
    const consumer_cfg_t *cfg;
    const job_t *job;
    consumer_stats_t *st;
    stream_layout_keys_t keys;
    uv_loop_t loop;
    loop_engine_t *eng;
    uv_redis_t *rd, *ctl;
    uv_timer_t tick;   /* lease and claim */
    uv_timer_t closer; /* STOPPING and CLOSING */
    uv_signal_t sig[2];
    int nhandles;  /* of tick, closer, sig[] initialised */
    uint8_t *held; /* bit per id: submitted, not yet reported */
    uint64_t hold_max;
    uint64_t lease_ms;
    int ready;
    int working, reading, claiming;
    int stopping, closing, closed, signals;
    int ctl_failed;
    int64_t drain_deadline_ns, flush_deadline_ns;
    char cursor[48]; /* XAUTOCLAIM position */
    int rc;
    const char **argv; /* scratch for XACK/XCLAIM */
    size_t *argvlen;
    char (*idstr)[24];
    size_t argv_cap;
    int foreign_logged;
} consumer_t;

static void consumer_stop(consumer_t *w, int drain);

/* Records the first failure as one line (one write, so lines of sibling
 * workers sharing stderr do not interleave) and stops without draining. */
static void consumer_fail(consumer_t *w, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (w->rc == 0) {
        w->rc = 2;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fprintf(stderr, "stream-workers: worker %s: %s\n", w->st->consumer, msg);
    }
    consumer_stop(w, 0);
}

static int consumer_held(const consumer_t *w, uint64_t id)
{
    return (w->held[(id - 1) >> 3] >> ((id - 1) & 7)) & 1;
}

static void consumer_held_set(consumer_t *w, uint64_t id, int on)
{
    uint8_t bit = (uint8_t)(1u << ((id - 1) & 7));
    if (on)
        w->held[(id - 1) >> 3] |= bit;
    else
        w->held[(id - 1) >> 3] &= (uint8_t)~bit;
}

static uint64_t consumer_room(const consumer_t *w)
{
    uint64_t n = loop_engine_unsettled(w->eng);
    return n < w->hold_max ? w->hold_max - n : 0;
}

/* Scratch argv for a command of 3 + n arguments (n entry IDs). */
static int consumer_argv_reserve(consumer_t *w, size_t n)
{
    size_t need = n + 8;
    if (need <= w->argv_cap)
        return 0;
    free(w->argv);
    free(w->argvlen);
    free(w->idstr);
    w->argv = malloc(need * sizeof *w->argv);
    w->argvlen = malloc(need * sizeof *w->argvlen);
    w->idstr = malloc(need * sizeof *w->idstr);
    w->argv_cap = w->argv && w->argvlen && w->idstr ? need : 0;
    if (!w->argv_cap) {
        consumer_fail(w, "out of memory");
        return -1;
    }
    return 0;
}

static void consumer_argv_set(consumer_t *w, size_t i, const char *s)
{
    w->argv[i] = s;
    w->argvlen[i] = strlen(s);
}

/* Is a reply the run's end? The stream or group is gone (the coordinator
 * cleaned up), or Redis 7 unblocked our read because it was deleted. */
static int consumer_reply_run_over(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR &&
           (strncmp(r->str, "NOGROUP", 7) == 0 || strncmp(r->str, "UNBLOCKED", 9) == 0);
}

/* A reply that must not be an error: handles it and returns -1 if it is. */
static int consumer_reply_check(consumer_t *w, const redisReply *r, const char *what)
{
    if (r->type != REDIS_REPLY_ERROR)
        return 0;
    if (consumer_reply_run_over(r)) {
        w->st->run_over = 1;
        consumer_stop(w, 1);
    } else {
        consumer_fail(w, "%s: %s", what, r->str);
    }
    return -1;
}

static void consumer_ctl_reply_cb(uv_redis_t *c, redisReply *r, void *pd)
{
    (void)c;
    consumer_reply_check(pd, r, "Redis");
}

static void consumer_read_more(consumer_t *w);

/* An entry that is no request of this run (not 0-<id> with id in 1..N):
 * acknowledged so it cannot hold up the run's end, and reported once. */
static void consumer_ack_foreign(consumer_t *w, const char *entry_id)
{
    if (!w->foreign_logged++)
        fprintf(stderr, "stream-workers: worker %s: ignoring entry %s of %s (not a request id)\n",
                w->st->consumer, entry_id, w->keys.stream);
    if (uv_redis_command(w->ctl, consumer_ctl_reply_cb, w, "XACK %s %s %s", w->keys.stream,
                         STREAM_GROUP, entry_id))
        consumer_fail(w, "cannot queue XACK");
}

/* Submits the entries of an XREADGROUP or XAUTOCLAIM reply ([[id, fields],
 * ...]) that we do not hold yet. Returns how many were submitted. */
static uint64_t consumer_take(consumer_t *w, const redisReply *entries)
{
    uint64_t taken = 0;
    if (entries->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i < entries->elements && !w->closing; i++) {
        const redisReply *e = entries->element[i];
        uint64_t id;
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        id = stream_layout_entry_id(e->element[0]->str);
        if (!id || id > w->job->requests) {
            consumer_ack_foreign(w, e->element[0]->str);
            continue;
        }
        if (consumer_held(w, id))
            continue;
        consumer_held_set(w, id, 1);
        if (loop_engine_submit(w->eng, id))
            break; /* the engine failed: its error callback has stopped us */
        taken++;
    }
    return taken;
}

static void consumer_read_reply(uv_redis_t *c, redisReply *r, void *pd)
{
    consumer_t *w = pd;
    (void)c;
    w->reading = 0;
    if (consumer_reply_check(w, r, "XREADGROUP"))
        return;
    /* Nil: BLOCK ran out with nothing new. Else [[stream, entries]]. */
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2)
        w->st->read += consumer_take(w, r->element[0]->element[1]);
    consumer_read_more(w);
}

static void consumer_read_more(consumer_t *w)
{
    uint64_t room;
    if (!w->working || w->stopping || w->reading || !(room = consumer_room(w)))
        return;
    if (uv_redis_command(w->rd, consumer_read_reply, w,
                         "XREADGROUP GROUP %s %s COUNT %" PRIu64 " BLOCK %d STREAMS %s >",
                         STREAM_GROUP, w->st->consumer, room, LIMIT_SW_BLOCK_MS, w->keys.stream)) {
        consumer_fail(w, "cannot queue XREADGROUP");
        return;
    }
    w->reading = 1;
}

static void consumer_autoclaim(consumer_t *w, int first);

/* Counts claimed entries where the harness sees them: the shared table
 * for a forked worker, the outcomes stream for an external one. */
static void consumer_count_claimed(consumer_t *w, uint64_t n)
{
    w->st->claimed += n;
    if (!w->cfg->external) {
        atomic_fetch_add(&w->job->out->redelivered, (int64_t)n);
        atomic_fetch_add(&w->job->out->requeued, (int64_t)n);
    } else if (uv_redis_command(w->ctl, consumer_ctl_reply_cb, w,
                                "XADD %s NOMKSTREAM * claimed %" PRIu64 " worker %s",
                                w->keys.outcomes, n, w->st->consumer)) {
        consumer_fail(w, "cannot queue XADD");
    }
}

/* XAUTOCLAIM reply: [next-cursor, entries, deleted-ids (7.0)]. Deleted ids
 * are already gone from the pending list; nothing to do for them. */
static void consumer_autoclaim_reply(uv_redis_t *c, redisReply *r, void *pd)
{
    consumer_t *w = pd;
    uint64_t n;
    (void)c;
    w->claiming = 0;
    if (consumer_reply_check(w, r, "XAUTOCLAIM"))
        return;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->element[0]->type != REDIS_REPLY_STRING) {
        consumer_fail(w, "XAUTOCLAIM: unexpected reply (Redis >= 6.2 needed)");
        return;
    }
    snprintf(w->cursor, sizeof w->cursor, "%s", r->element[0]->str);
    if ((n = consumer_take(w, r->element[1])) > 0)
        consumer_count_claimed(w, n);
    /* More of the list to scan and room for it: go on now rather than a
     * tick later; the scan resumes from the cursor either way. */
    if (strcmp(w->cursor, "0-0") != 0)
        consumer_autoclaim(w, 0);
}

/* The tick's first XAUTOCLAIM may take K entries beyond our room: reads
 * top the room up after every commit, so a busy worker would otherwise
 * have none at tick time, and a dead worker's entries would wait for the
 * stream to drain. Abandoned entries go first; the reads pause until the
 * surplus is worked off. Continuing the scan stays within the room. */
static void consumer_autoclaim(consumer_t *w, int first)
{
    uint64_t room;
    if (w->stopping || w->claiming)
        return;
    room = consumer_room(w);
    if (first)
        room += (uint64_t)w->cfg->consumers;
    if (!room)
        return;
    if (uv_redis_command(w->ctl, consumer_autoclaim_reply, w,
                         "XAUTOCLAIM %s %s %s %d %s COUNT %" PRIu64, w->keys.stream, STREAM_GROUP,
                         w->st->consumer, w->cfg->claim_idle_ms, w->cursor, room)) {
        consumer_fail(w, "cannot queue XAUTOCLAIM");
        return;
    }
    w->claiming = 1;
}

/* XPENDING ... IDLE lease_ms ... <us>: [[id, consumer, idle, count], ...]:
 * renew them (XCLAIM to ourselves, JUSTID: no delivery counted; with the
 * same min-idle, so an entry someone just claimed from us stays theirs),
 * then look for abandoned entries. */
static void consumer_lease_reply(uv_redis_t *c, redisReply *r, void *pd)
{
    consumer_t *w = pd;
    size_t n = 0;
    char idle[24];
    (void)c;
    w->claiming = 0;
    if (consumer_reply_check(w, r, "XPENDING"))
        return;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        if (consumer_argv_reserve(w, r->elements))
            return;
        snprintf(idle, sizeof idle, "%" PRIu64, w->lease_ms);
        consumer_argv_set(w, 0, "XCLAIM");
        consumer_argv_set(w, 1, w->keys.stream);
        consumer_argv_set(w, 2, STREAM_GROUP);
        consumer_argv_set(w, 3, w->st->consumer);
        consumer_argv_set(w, 4, idle);
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            if (e->type == REDIS_REPLY_ARRAY && e->elements >= 1 &&
                e->element[0]->type == REDIS_REPLY_STRING)
                consumer_argv_set(w, 5 + n++, e->element[0]->str);
        }
        consumer_argv_set(w, 5 + n, "JUSTID");
        if (n && uv_redis_command_argv(w->ctl, consumer_ctl_reply_cb, w, (int)(6 + n), w->argv,
                                       w->argvlen)) {
            consumer_fail(w, "cannot queue XCLAIM");
            return;
        }
    }
    consumer_autoclaim(w, 1);
}

static void consumer_tick_cb(uv_timer_t *t)
{
    consumer_t *w = t->data;
    if (!w->working || w->stopping || w->claiming)
        return;
    if (uv_redis_command(w->ctl, consumer_lease_reply, w,
                         "XPENDING %s %s IDLE %" PRIu64 " - + %" PRIu64 " %s", w->keys.stream,
                         STREAM_GROUP, w->lease_ms, w->hold_max, w->st->consumer)) {
        consumer_fail(w, "cannot queue XPENDING");
        return;
    }
    w->claiming = 1;
}

/* An external worker's report of one final outcome, from its private
 * table (field meanings in layout.h). */
static int consumer_report_outcome(consumer_t *w, uint64_t id, int ok)
{
    const outcome_slot_t *s = outcome_slot(w->job->out, id);
    int64_t wait = s->wire_ns && s->queued_ns && s->wire_ns >= s->queued_ns
                       ? (s->wire_ns - s->queued_ns) / 1000
                       : 0;
    int64_t fetch = s->fetched_ns && s->wire_ns && s->fetched_ns >= s->wire_ns
                        ? (s->fetched_ns - s->wire_ns) / 1000
                        : 0;
    int64_t from = s->fetched_ns ? s->fetched_ns : s->wire_ns;
    int64_t commit = from && s->end_ns >= from ? (s->end_ns - from) / 1000 : 0;
    return uv_redis_command(
        w->ctl, consumer_ctl_reply_cb, w,
        "XADD %s NOMKSTREAM * id %" PRIu64 " ok %d err %s status %d attempts %u deliveries %u "
        "wait_us %" PRId64 " fetch_us %" PRId64 " api_us %u commit_us %" PRId64 " worker %s",
        w->keys.outcomes, id, ok, err_class_name(ok ? ERR_NONE : (err_class_t)s->err),
        (int)s->status, (unsigned)s->attempts, (unsigned)s->deliveries, wait, fetch,
        (unsigned)s->api_us, commit, w->st->consumer);
}

/* engine: ids reached their final outcome. Report them (external), then
 * acknowledge them in one XACK; both on ctl, in that order, so when the
 * coordinator sees the pending list empty every report is already in. */
static void consumer_committed_cb(void *ud, const uint64_t *ids, int n, int ok)
{
    consumer_t *w = ud;
    if (ok)
        w->st->committed += (uint64_t)n;
    else
        w->st->failed += (uint64_t)n;
    for (int i = 0; i < n; i++)
        consumer_held_set(w, ids[i], 0);
    if (w->ctl_failed || w->closed || consumer_argv_reserve(w, (size_t)n))
        return;
    for (int i = 0; i < n && w->cfg->external; i++) {
        if (consumer_report_outcome(w, ids[i], ok)) {
            consumer_fail(w, "cannot queue XADD");
            return;
        }
    }
    consumer_argv_set(w, 0, "XACK");
    consumer_argv_set(w, 1, w->keys.stream);
    consumer_argv_set(w, 2, STREAM_GROUP);
    for (int i = 0; i < n; i++) {
        snprintf(w->idstr[i], sizeof w->idstr[i], "0-%" PRIu64, ids[i]);
        consumer_argv_set(w, 3 + (size_t)i, w->idstr[i]);
    }
    if (uv_redis_command_argv(w->ctl, consumer_ctl_reply_cb, w, 3 + n, w->argv, w->argvlen)) {
        consumer_fail(w, "cannot queue XACK");
        return;
    }
    consumer_read_more(w);
}

static void consumer_register_reply(uv_redis_t *c, redisReply *r, void *pd)
{
    (void)c;
    consumer_reply_check(pd, r, "HSET");
}

static void consumer_maybe_start(consumer_t *w)
{
    uint64_t period = w->lease_ms;
    char host[128] = "?";
    int rc;
    if (w->ready != SW_READY_ALL || w->working || w->stopping)
        return;
    w->working = 1;
    if (w->cfg->external) {
        gethostname(host, sizeof host - 1);
        if (uv_redis_command(w->ctl, consumer_register_reply, w, "HSET %s %s %s:%d:%d",
                             w->keys.external, w->st->consumer, host, (int)getpid(),
                             w->cfg->consumers)) {
            consumer_fail(w, "cannot queue HSET");
            return;
        }
    }
    if ((rc = uv_timer_start(&w->tick, consumer_tick_cb, period, period))) {
        consumer_fail(w, "uv_timer_start: %s", uv_strerror(rc));
        return;
    }
    consumer_read_more(w);
}

static void consumer_engine_ready_cb(void *ud)
{
    consumer_t *w = ud;
    w->ready |= SW_READY_ENG;
    consumer_maybe_start(w);
}

static void consumer_engine_error_cb(void *ud, const char *msg)
{
    consumer_fail(ud, "%s", msg);
}

static void consumer_redis_event_cb(uv_redis_t *c, const char *err, void *ud)
{
    consumer_t *w = ud;
    if (err) {
        if (c == w->ctl)
            w->ctl_failed = 1;
        if (!w->closing)
            consumer_fail(w, "%s", err);
        return;
    }
    w->ready |= c == w->rd ? SW_READY_RD : SW_READY_CTL;
    consumer_maybe_start(w);
}

static void consumer_handle_closed_cb(uv_handle_t *h)
{
    (void)h;
}

/* Closes tick, closer and the signal handles, as far as initialised. */
static void consumer_handles_close(consumer_t *w)
{
    uv_handle_t *hs[4] = {(uv_handle_t *)&w->tick, (uv_handle_t *)&w->closer,
                          (uv_handle_t *)&w->sig[0], (uv_handle_t *)&w->sig[1]};
    for (int i = 0; i < w->nhandles; i++)
        uv_close(hs[i], consumer_handle_closed_cb);
    w->nhandles = 0;
}

/* CLOSING, second half: everything goes. */
static void consumer_close_all(consumer_t *w)
{
    w->closed = 1;
    if (w->ctl)
        uv_redis_close(w->ctl);
    w->ctl = NULL;
    loop_engine_close(w->eng);
    consumer_handles_close(w);
}

/* STOPPING until the ids in hand are reported (or the drain bound), then
 * CLOSING until ctl has answered everything (or the flush bound). */
static void consumer_closer_cb(uv_timer_t *t)
{
    consumer_t *w = t->data;
    int64_t now = clock_now_ns();
    if (w->closed)
        return;
    if (!w->closing) {
        if (loop_engine_unsettled(w->eng) > 0 && now < w->drain_deadline_ns)
            return;
        w->closing = 1;
        w->flush_deadline_ns = now + LIMIT_SW_CLOSE_BOUND_MS * CLOCK_NS_PER_MS;
        /* An external worker leaving a run that goes on says so, so the
         * coordinator does not count on it (the end-of-run clean-up
         * deletes the hash anyway). */
        if (w->cfg->external && w->working && !w->st->run_over && w->ctl && !w->ctl_failed)
            uv_redis_command(w->ctl, consumer_ctl_reply_cb, w, "HDEL %s %s", w->keys.external,
                             w->st->consumer);
        if (w->rd)
            uv_redis_close(w->rd);
        w->rd = NULL;
    }
    if (w->ctl && !w->ctl_failed && uv_redis_outstanding(w->ctl) > 0 && now < w->flush_deadline_ns)
        return;
    consumer_close_all(w);
}

/* Starts STOPPING (once). Before the engine exists there is nothing to
 * drain or flush: consumer_setup closes what it made. */
static void consumer_stop(consumer_t *w, int drain)
{
    int64_t deadline = drain ? clock_now_ns() + LIMIT_SW_DRAIN_MS * CLOCK_NS_PER_MS : 0;
    if (!w->eng) {
        w->stopping = 1;
    } else if (!w->stopping) {
        w->stopping = 1;
        uv_timer_stop(&w->tick);
        w->drain_deadline_ns = deadline;
        uv_timer_start(&w->closer, consumer_closer_cb, 0, LIMIT_SW_CLOSER_MS);
    } else if (deadline < w->drain_deadline_ns) {
        w->drain_deadline_ns = deadline;
    }
}

static void consumer_signal_cb(uv_signal_t *s, int signum)
{
    consumer_t *w = s->data;
    (void)signum;
    /* The first asks for a drain; a second one means now. */
    consumer_stop(w, w->signals++ == 0);
}

/* Sets the consumer name: host-pid, limited to characters that need no
 * quoting anywhere (CLIENT SETNAME takes no spaces). */
static void consumer_name_make(char *buf, size_t len)
{
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    for (char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            *p = '_';
    snprintf(buf, len, "%s-%d", host[0] ? host : "host", (int)getpid());
}

static int consumer_setup(consumer_t *w)
{
    const consumer_cfg_t *cfg = w->cfg;
    loop_engine_config_t ec = {
        .loop = &w->loop,
        .job = &cfg->job,
        .inflight_limit = (uint32_t)cfg->consumers,
        .max_connects = cfg->consumers,
        .db_conns = cfg->db_conns,
        .name = "stream-workers",
        .on_committed = consumer_committed_cb,
        .on_ready = consumer_engine_ready_cb,
        .on_error = consumer_engine_error_cb,
        .ud = w,
    };
    char err[400], name[200];
    static const int signums[2] = {SIGTERM, SIGINT};
    int rc;

    if (stream_layout_keys_init(&w->keys, cfg->job.run_id)) {
        consumer_fail(w, "bad run id \"%s\"", cfg->job.run_id);
        return -1;
    }
    w->held = calloc(cfg->job.requests / 8 + 1, 1);
    if (!w->held) {
        consumer_fail(w, "out of memory");
        return -1;
    }
    w->hold_max = 2 * (uint64_t)cfg->consumers;
    w->lease_ms = cfg->claim_idle_ms / 4 > 0 ? (uint64_t)cfg->claim_idle_ms / 4 : 1;
    snprintf(w->cursor, sizeof w->cursor, "0-0");
    if ((rc = uv_timer_init(&w->loop, &w->tick)))
        goto fail_uv;
    w->nhandles++;
    if ((rc = uv_timer_init(&w->loop, &w->closer)))
        goto fail_uv;
    w->nhandles++;
    w->tick.data = w->closer.data = w;
    for (int i = 0; i < 2; i++) {
        if ((rc = uv_signal_init(&w->loop, &w->sig[i])))
            goto fail_uv;
        w->nhandles++;
        w->sig[i].data = w;
        if ((rc = uv_signal_start(&w->sig[i], consumer_signal_cb, signums[i])))
            goto fail_uv;
    }
    if (!(w->eng = loop_engine_create(&ec, err, sizeof err))) {
        consumer_fail(w, "%s", err);
        consumer_handles_close(w);
        return -1;
    }
    /* From here on a failure stops through the closer, which closes the
     * engine, the connections made so far and the handles. */
    snprintf(name, sizeof name, "%s-rd", w->st->consumer);
    w->rd = uv_redis_open(&w->loop, &cfg->redis, name, LIMIT_SW_CONNECT_TIMEOUT_MS,
                          LIMIT_SW_BLOCK_MS + LIMIT_SW_REPLY_TIMEOUT_MS, consumer_redis_event_cb, w,
                          err, sizeof err);
    if (!w->rd) {
        consumer_fail(w, "%s", err);
        return -1;
    }
    snprintf(name, sizeof name, "%s-ctl", w->st->consumer);
    w->ctl = uv_redis_open(&w->loop, &cfg->redis, name, LIMIT_SW_CONNECT_TIMEOUT_MS,
                           LIMIT_SW_REPLY_TIMEOUT_MS, consumer_redis_event_cb, w, err, sizeof err);
    if (!w->ctl) {
        consumer_fail(w, "%s", err);
        return -1;
    }
    return 0;
fail_uv:
    consumer_fail(w, "libuv: %s", uv_strerror(rc));
    consumer_handles_close(w);
    return -1;
}

int consumer_run(const consumer_cfg_t *cfg, consumer_stats_t *stats)
{
    consumer_t w = {.cfg = cfg, .job = &cfg->job, .st = stats};
    int rc;

    memset(stats, 0, sizeof *stats);
    consumer_name_make(stats->consumer, sizeof stats->consumer);
    if ((rc = uv_loop_init(&w.loop))) {
        fprintf(stderr, "stream-workers: worker %s: uv_loop_init: %s\n", stats->consumer,
                uv_strerror(rc));
        return 2;
    }
    consumer_setup(&w);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&w.loop) != 0 && w.rc == 0) {
        fprintf(stderr, "stream-workers: worker %s: a libuv handle was left open\n",
                stats->consumer);
        w.rc = 2;
    }
    free(w.held);
    free(w.argv);
    free(w.argvlen);
    free(w.idstr);
    return w.rc;
}

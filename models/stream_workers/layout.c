#include "models/stream_workers/layout.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/redis_sync.h"
#include "workload/outcome.h"

int stream_layout_keys_init(stream_layout_keys_t *k, const char *run_id)
{
    if (!run_id || !*run_id || strpbrk(run_id, " \t\r\n") ||
        strlen(run_id) + sizeof STREAM_KEY_PREFIX >= sizeof k->stream)
        return -1;
    snprintf(k->stream, sizeof k->stream, STREAM_KEY_PREFIX "%s", run_id);
    snprintf(k->config, sizeof k->config, "%s:config", k->stream);
    snprintf(k->external, sizeof k->external, "%s:external", k->stream);
    snprintf(k->outcomes, sizeof k->outcomes, "%s:outcomes", k->stream);
    return 0;
}

int stream_layout_config_write(redisContext *c, const stream_layout_keys_t *k,
                               const stream_layout_config_t *rc, char *err, size_t errlen)
{
    redisReply *r = redis_sync_command(
        c, err, errlen,
        "HSET %s seed %" PRIu64 " requests %u items %d transform_cost %u batch_size %d "
        "timeout_ms %d retries %d backoff_ms %d consumers %d db_conns %d claim_idle_ms %d "
        "state %s",
        k->config, rc->seed, rc->requests, rc->items, rc->transform_cost, rc->batch_size,
        rc->timeout_ms, rc->retries, rc->backoff_ms, rc->consumers, rc->db_conns, rc->claim_idle_ms,
        rc->state);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* Parses a whole decimal field into [lo, hi]. */
static int stream_layout_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno || *end || *v < lo || *v > hi ? -1 : 0;
}

int stream_layout_config_read(redisContext *c, const stream_layout_keys_t *k,
                              stream_layout_config_t *rc, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        uint64_t lo, hi;
    } fields[] = {
        {"seed", 0, UINT64_MAX},
        {"requests", 1, UINT32_MAX},
        {"items", 1, 1000000},
        {"transform_cost", 0, 1u << 30},
        {"batch_size", 1, 1000000},
        {"timeout_ms", 1, INT32_MAX},
        {"retries", 0, 1000},
        {"backoff_ms", 1, INT32_MAX},
        {"consumers", 1, 1000000},
        {"db_conns", 1, 10000},
        {"claim_idle_ms", 1, INT32_MAX},
    };
    enum { NF = sizeof fields / sizeof fields[0] };
    uint64_t v[NF];
    int seen[NF] = {0}, have_state = 0;
    redisReply *r = redis_sync_command(c, err, errlen, "HGETALL %s", k->config);

    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, errlen, "HGETALL %s: unexpected reply type %d", k->config, r->type);
        freeReplyObject(r);
        return -1;
    }
    if (r->elements == 0) {
        freeReplyObject(r);
        return 1;
    }
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *f = r->element[i]->str, *val = r->element[i + 1]->str;
        if (!f || !val)
            continue;
        if (strcmp(f, "state") == 0) {
            snprintf(rc->state, sizeof rc->state, "%s", val);
            have_state = 1;
            continue;
        }
        for (int j = 0; j < NF; j++) {
            if (strcmp(f, fields[j].name) != 0)
                continue;
            if (stream_layout_num(val, fields[j].lo, fields[j].hi, &v[j])) {
                snprintf(err, errlen, "%s: field %s = \"%s\" is not valid", k->config, f, val);
                freeReplyObject(r);
                return -1;
            }
            seen[j] = 1;
        }
    }
    freeReplyObject(r);
    for (int j = 0; j < NF; j++) {
        if (!seen[j]) {
            snprintf(err, errlen, "%s has no field %s (written by another concbench version?)",
                     k->config, fields[j].name);
            return -1;
        }
    }
    if (!have_state) {
        snprintf(err, errlen, "%s has no field state", k->config);
        return -1;
    }
    rc->seed = v[0];
    rc->requests = (uint32_t)v[1];
    rc->items = (int)v[2];
    rc->transform_cost = (unsigned)v[3];
    rc->batch_size = (int)v[4];
    rc->timeout_ms = (int)v[5];
    rc->retries = (int)v[6];
    rc->backoff_ms = (int)v[7];
    rc->consumers = (int)v[8];
    rc->db_conns = (int)v[9];
    rc->claim_idle_ms = (int)v[10];
    return 0;
}

static int stream_layout_i64(const char *s, int64_t *out)
{
    uint64_t v;
    if (stream_layout_num(s, 0, INT64_MAX, &v))
        return -1;
    *out = (int64_t)v;
    return 0;
}

int stream_layout_outcome_parse(const redisReply *entry, stream_outcome_t *o)
{
    const redisReply *f;
    uint64_t v;
    int have_id = 0, have_claimed = 0;

    memset(o, 0, sizeof *o);
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        entry->element[1]->type != REDIS_REPLY_ARRAY)
        return -1;
    f = entry->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const char *k = f->element[i]->str, *val = f->element[i + 1]->str;
        int rc = 0;
        if (!k || !val)
            return -1;
        if (strcmp(k, "id") == 0) {
            rc = stream_layout_num(val, 1, UINT32_MAX, &o->id);
            have_id = 1;
        } else if (strcmp(k, "claimed") == 0) {
            rc = stream_layout_num(val, 1, UINT32_MAX, &o->claimed);
            have_claimed = 1;
        } else if (strcmp(k, "ok") == 0) {
            rc = stream_layout_num(val, 0, 1, &v);
            o->ok = (int)v;
        } else if (strcmp(k, "err") == 0) {
            o->err = -1;
            for (int c = 0; c < ERR__COUNT; c++)
                if (strcmp(val, err_class_name((err_class_t)c)) == 0)
                    o->err = c;
            rc = o->err < 0 ? -1 : 0;
        } else if (strcmp(k, "status") == 0) {
            rc = stream_layout_num(val, 0, 999, &v);
            o->status = (int)v;
        } else if (strcmp(k, "attempts") == 0) {
            rc = stream_layout_num(val, 0, UINT16_MAX, &v);
            o->attempts = (unsigned)v;
        } else if (strcmp(k, "deliveries") == 0) {
            rc = stream_layout_num(val, 0, UINT16_MAX, &v);
            o->deliveries = (unsigned)v;
        } else if (strcmp(k, "wait_us") == 0) {
            rc = stream_layout_i64(val, &o->wait_us);
        } else if (strcmp(k, "fetch_us") == 0) {
            rc = stream_layout_i64(val, &o->fetch_us);
        } else if (strcmp(k, "api_us") == 0) {
            rc = stream_layout_i64(val, &o->api_us);
        } else if (strcmp(k, "commit_us") == 0) {
            rc = stream_layout_i64(val, &o->commit_us);
        } else if (strcmp(k, "worker") == 0) {
            snprintf(o->worker, sizeof o->worker, "%s", val);
        }
        if (rc)
            return -1;
    }
    if (have_id == have_claimed)
        return -1; /* exactly one kind */
    if (have_id && !o->ok && o->err == ERR_NONE)
        return -1; /* a failure needs its class */
    return 0;
}

uint64_t stream_layout_entry_id(const char *s)
{
    uint64_t v;
    if (!s || strncmp(s, "0-", 2) != 0 || stream_layout_num(s + 2, 1, UINT32_MAX, &v))
        return 0;
    return v;
}

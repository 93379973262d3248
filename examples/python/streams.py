#!/usr/bin/env python3
"""Redis Streams workers: the parent XADDs every id to a stream with one
consumer group, then forks `procs` (default 4) worker processes; each runs
an asyncio loop with `consumers` (default C / procs) consumer tasks
reading the group (XREADGROUP), so procs x consumers = C requests in
flight. A consumer fetches (aiohttp), transforms, and hands the row to its
process's batcher (asyncpg); once a batch is committed its entries are
XACKed and their ids added to a set of finished ids. An idle consumer
XAUTOCLAIMs entries pending longer than claim_idle_ms (default 1000), so
the entries of a worker killed mid-run are taken over by the others; a live
process renews its lease on the entries it holds (XCLAIM to itself,
resetting their idle time) every claim_idle_ms / 4, so a slow request is
never taken from a live worker. The run ends when the set holds all N ids. An external model for concbench
(docs/external-models.md); needs redis (python3-redis, redis.asyncio)."""

import asyncio
import os
import sys

import aiohttp
import redis
import redis.asyncio as aioredis

import asyncio_models
import cbext

DEFAULT_PROCS = 4
DEFAULT_CLAIM_IDLE_MS = 1000
GROUP = "workers"
BLOCK_MS = 100


def keys(job):
    base = "concbench:py-streams:%s" % job.run_id
    return base + ":ids", base + ":final"


async def consumer(job, rep, r, session, batcher, name, stream, final, inhand):
    claim_from = "0-0"
    while True:
        got = await r.xreadgroup(GROUP, name, {stream: ">"}, count=1, block=BLOCK_MS)
        entries = got[0][1] if got else []
        if not entries:
            if await r.scard(final) >= job.requests:
                return
            claim_from, entries, _ = await r.xautoclaim(
                stream, GROUP, name, job.claim_idle_ms or DEFAULT_CLAIM_IDLE_MS,
                start_id=claim_from, count=1)
            for _, fields in entries:
                rep.take(int(fields[b"id"]))  # a dead consumer's entry, delivered again
        for entry_id, fields in entries:
            i = int(fields[b"id"])
            inhand.add(entry_id)
            row, err = await asyncio_models.fetch(session, job, rep, i)
            if row is None:
                rep.fail(i, err)
                await finish(r, stream, final, [i], [entry_id])
                inhand.discard(entry_id)
            else:
                batcher.add(i, row, entry_id)


async def finish(r, stream, final, ids, entry_ids):
    async with r.pipeline(transaction=False) as p:
        p.xack(stream, GROUP, *entry_ids)
        p.sadd(final, *ids)
        await p.execute()


async def lease(r, stream, name, inhand, period_s):
    """Renews our claim on the entries we hold, so no one takes them."""
    while True:
        await asyncio.sleep(period_s)
        if inhand:
            await r.xclaim(stream, GROUP, name, 0, list(inhand), justid=True)


async def worker_main(job, rep, k):
    stream, final = keys(job)
    name = "p%d" % os.getpid()  # one consumer per process: its tasks share the lease
    inhand = set()
    r = aioredis.from_url(job.redis_url)
    pool = await asyncio_models.open_pool(job, rep, 1)

    async def acked(ids, tags):
        await finish(r, stream, final, ids, tags)
        inhand.difference_update(tags)

    batcher = asyncio_models.Batcher(job, rep, pool, after=acked)
    renew = asyncio.create_task(
        lease(r, stream, name, inhand, (job.claim_idle_ms or DEFAULT_CLAIM_IDLE_MS) / 4000))
    connector = aiohttp.TCPConnector(limit=k)
    timeout = asyncio_models.attempt_timeout(job)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     trace_configs=asyncio_models.wire_trace()) as session:
        tasks = [asyncio.create_task(consumer(job, rep, r, session, batcher, name, stream,
                                              final, inhand))
                 for n in range(k)]
        # A partial batch is committed every BLOCK_MS too, not only when
        # full: the last rows of a run must not wait for rows that never come.
        while not all(t.done() for t in tasks):
            await asyncio.sleep(BLOCK_MS / 1000)
            batcher.flush()
        await asyncio.gather(*tasks)
    await batcher.close()
    renew.cancel()
    await pool.close()
    await r.close()


def main():
    job = cbext.Job()
    rep = cbext.Report(job.report_fd)
    if not job.redis_url:
        sys.exit("py-streams needs Redis (needs_redis = 1 in its model file)")
    procs = job.procs or DEFAULT_PROCS
    k = job.consumers or max(1, job.concurrency // procs)
    stream, final = keys(job)
    r = redis.Redis.from_url(job.redis_url)
    r.delete(stream, final)
    r.xgroup_create(stream, GROUP, id="0", mkstream=True)
    for start in range(1, job.requests + 1, 1000):
        p = r.pipeline(transaction=False)
        for i in range(start, min(start + 1000, job.requests + 1)):
            rep.take(i)
            p.xadd(stream, {"id": i})
        p.execute()
    pids = []
    for _ in range(procs):
        pid = os.fork()
        if pid == 0:
            try:
                rep.worker(os.getpid())
                asyncio.run(worker_main(job, rep, k))
            except BaseException as e:  # one line for the harness, then out
                print("stream worker failed: %s: %s" % (type(e).__name__, e), file=sys.stderr)
                sys.stderr.flush()
                os._exit(2)
            os._exit(0)
        pids.append(pid)
    failed = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        failed += os.waitstatus_to_exitcode(status) not in (0, -9)
    r.delete(stream, final)
    sys.exit(2 if failed else 0)


if __name__ == "__main__":
    main()

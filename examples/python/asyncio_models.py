#!/usr/bin/env python3
"""asyncio models: one event loop, aiohttp for the API, an asyncpg pool for
PostgreSQL. The MODE argument picks the pattern:

  semaphore         every id is a task (asyncio.gather), an
                    asyncio.Semaphore(C) admits C at a time; the connector
                    allows C connections, so each admitted request has one
  gather            asyncio.gather over all N tasks, nothing bounding them,
                    with aiohttp's DEFAULT connector: it silently caps
                    connections at 100 per session, so at most 100 requests
                    are ever on the wire and the rest wait inside aiohttp
  gather-unbounded  the same with TCPConnector(limit=0): truly all N at once,
                    one connection each (what the C unbounded-loop does)

Rows go into batches of batch_size, each committed by the next free
connection of the pool (db_conns, default 4) while the fetches go on.
An external model for concbench (docs/external-models.md)."""

import asyncio
import sys

import aiohttp
import asyncpg

import cbext

DEFAULT_DB_CONNS = 4


def pg_connect_args(dsn):
    """asyncpg takes URLs; libpq's key=value form becomes keywords."""
    if "://" in dsn:
        return {"dsn": dsn}
    names = {"host": "host", "port": "port", "user": "user", "password": "password",
             "dbname": "database"}
    args = {}
    for word in dsn.split():
        key, _, val = word.partition("=")
        val = val.strip("'")
        if key in names:
            args[names[key]] = int(val) if key == "port" else val
    return args


class Batcher:
    """Collects rows and commits each full batch on a pool connection in
    its own task; done/fail lines once the batch's transaction returns.
    after(ids, tags), if given, runs once a batch is final (committed or
    failed), with the tag each row was added with (the stream model
    acknowledges its entries there)."""

    def __init__(self, job, rep, pool, after=None):
        self.job, self.rep, self.pool, self.after = job, rep, pool, after
        self.ids, self.rows, self.tags, self.flushes = [], [], [], set()

    def add(self, i, row, tag=None):
        self.ids.append(i)
        self.rows.append(row)
        self.tags.append(tag)
        if len(self.ids) >= self.job.batch_size:
            self.flush()

    def flush(self):
        if not self.ids:
            return
        ids, rows, tags = self.ids, self.rows, self.tags
        self.ids, self.rows, self.tags = [], [], []
        t = asyncio.create_task(self._commit(ids, rows, tags))
        self.flushes.add(t)
        t.add_done_callback(self.flushes.discard)

    async def _commit(self, ids, rows, tags):
        try:
            await self.pool.execute(cbext.UPSERT, self.job.run_id, *cbext.columns(ids, rows))
        except (asyncpg.PostgresError, OSError) as e:
            print("batch of %d failed: %s" % (len(ids), e), file=sys.stderr)
            for i in ids:
                self.rep.fail(i, "db")
        else:
            for i in ids:
                self.rep.done(i)
        if self.after:
            await self.after(ids, tags)

    async def close(self):
        self.flush()
        while self.flushes:
            await asyncio.gather(*list(self.flushes))


def attempt_timeout(job):
    """timeout_ms for one attempt, from the moment it has a connection: not
    `total`, which also counts the wait for a free connection inside
    aiohttp's pool (with the default connector's 100, gather's queued
    requests would time out before they are sent). Connecting, and waiting
    for the answer, are each bounded by it."""
    t = job.timeout_ms / 1000
    return aiohttp.ClientTimeout(total=None, sock_connect=t, sock_read=t)


async def open_pool(job, rep, n):
    """An asyncpg pool of n connections, each reported."""
    # jit off: asyncpg (0.27, Debian 12) introspects the array types on
    # each connection's first statement, a query PostgreSQL's JIT turns
    # from milliseconds into about a second (asyncpg issue 530, fixed in
    # 0.29 the same way).
    pool = await asyncpg.create_pool(min_size=n, max_size=n, server_settings={"jit": "off"},
                                     **pg_connect_args(job.pg_dsn))
    for _ in range(n):
        rep.dbconn()
    return pool


async def on_the_wire(session, trace_ctx, params):
    """aiohttp trace hook: the attempt has its connection (a new one being
    made, or one from the pool), so its request goes on the wire now. A
    request queued for a free connection inside aiohttp (the default
    connector's 100) is still waiting until here, not in its api time."""
    a = trace_ctx.trace_request_ctx
    if not a["sent"]:
        a["sent"] = True
        a["rep"].send(a["i"])


def wire_trace():
    t = aiohttp.TraceConfig()
    t.on_connection_create_start.append(on_the_wire)
    t.on_connection_reuseconn.append(on_the_wire)
    return [t]


async def attempt(session, job, rep, i):
    """One GET, its `send` reported when it gets a connection (on_the_wire)
    and its `recv` when it ends. Returns (status, body, retry_after_ms,
    error class or None)."""
    a = {"rep": rep, "i": i, "sent": False}
    status, body, ra_ms, err = 0, None, 0, None
    try:
        async with session.get("%s/orders/%d" % (job.api_url, i), trace_request_ctx=a) as r:
            body = await r.read()
            ra = r.headers.get("Retry-After", "")
            status, ra_ms = r.status, int(ra) * 1000 if ra.isdigit() else 0
    except asyncio.TimeoutError:
        err = "timeout"
    except aiohttp.ClientConnectorError:
        err = "connect"
    except (aiohttp.ClientError, OSError):
        err = "reset"
    if not a["sent"]:  # failed before it had a connection: it ends where it began
        rep.send(i)
    rep.recv(i, status)
    return status, body, ra_ms, err


async def fetch(session, job, rep, i):
    """The row of id i, or (None, class) after the retry policy."""
    for n in range(1, job.retries + 2):
        if n > 1:
            await asyncio.sleep(cbext.backoff_ms(job, i, n, ra_ms) / 1000)
        status, body, ra_ms, err = await attempt(session, job, rep, i)
        if err is None and 200 <= status < 300:
            try:
                row = cbext.transform(body, i, job.transform_cost)
            except cbext.BadPayload:
                err = "bad_payload"
            else:
                rep.fetched(i)
                return row, None
        elif err is None:
            err = cbext.classify_status(status)
            if err == "http_4xx":
                return None, err
    return None, err


async def run(mode):
    job = cbext.Job()
    rep = cbext.Report(job.report_fd)
    n_db = job.db_conns or DEFAULT_DB_CONNS
    pool = await open_pool(job, rep, n_db)
    if mode == "gather":
        connector = aiohttp.TCPConnector()  # the default: limit=100
    elif mode == "gather-unbounded":
        connector = aiohttp.TCPConnector(limit=0)
    else:
        connector = aiohttp.TCPConnector(limit=job.concurrency)
    timeout = attempt_timeout(job)
    batcher = Batcher(job, rep, pool)
    sem = asyncio.Semaphore(job.concurrency) if mode == "semaphore" else None

    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     trace_configs=wire_trace()) as session:
        async def one(i):
            if sem is not None:
                async with sem:
                    row, err = await fetch(session, job, rep, i)
            else:
                row, err = await fetch(session, job, rep, i)
            if row is None:
                rep.fail(i, err)
            else:
                batcher.add(i, row)

        ids = range(1, job.requests + 1)
        for i in ids:
            rep.take(i)
        await asyncio.gather(*(one(i) for i in ids))
    await batcher.close()
    await pool.close()


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("semaphore", "gather", "gather-unbounded"):
        sys.exit("usage: asyncio_models.py semaphore|gather|gather-unbounded")
    asyncio.run(run(sys.argv[1]))

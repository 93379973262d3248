"""What every Python external model shares: the job from the environment,
the report (protocol version 1 of docs/external-models.md), the transform
and the retry policy of docs/workload.md, the order fetch and the upsert.

Only the standard library and psycopg2 (Debian: python3-psycopg2)."""

import hashlib
import http.client
import json
import os
import re
import socket
import sys
import time

MASK = (1 << 64) - 1
INT64_MAX = (1 << 63) - 1
BACKOFF_MAX_MS = 5000

# The upsert of docs/workload.md, "The row": $1 the run id, $2..$7 one
# array per column (asyncpg's placeholders; psycopg2's are %s).
UPSERT = (
    "INSERT INTO concbench_orders AS o"
    " (run_id, id, customer, currency, item_count, total_cents, digest)"
    " SELECT $1, u.id, u.customer, u.currency, u.item_count, u.total_cents, u.digest"
    " FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[])"
    " AS u(id, customer, currency, item_count, total_cents, digest)"
    " ON CONFLICT (run_id, id) DO UPDATE SET customer = EXCLUDED.customer,"
    " currency = EXCLUDED.currency, item_count = EXCLUDED.item_count,"
    " total_cents = EXCLUDED.total_cents, digest = EXCLUDED.digest,"
    " deliveries = o.deliveries + 1, written_at = now()"
)
UPSERT_PSYCOPG2 = re.sub(r"\$[0-9]", "%s", UPSERT)


class Job:
    """The job, from the CONCBENCH_* environment the harness sets."""

    def __init__(self, env=os.environ):
        if env.get("CONCBENCH_PROTOCOL") != "1":
            raise SystemExit("not started by concbench (CONCBENCH_PROTOCOL is not 1)")
        num = lambda k: int(env["CONCBENCH_" + k])
        self.api_url = env["CONCBENCH_API_URL"]
        self.pg_dsn = env["CONCBENCH_PG_DSN"]
        self.redis_url = env.get("CONCBENCH_REDIS_URL", "")
        self.run_id = env["CONCBENCH_RUN_ID"]
        self.requests = num("REQUESTS")
        self.concurrency = num("CONCURRENCY")
        self.seed = num("SEED")
        self.items = num("ITEMS")
        self.transform_cost = num("TRANSFORM_COST")
        self.batch_size = num("BATCH_SIZE")
        self.timeout_ms = num("TIMEOUT_MS")
        self.retries = num("RETRIES")
        self.backoff_ms = num("BACKOFF_MS")
        self.workers = num("WORKERS")
        self.db_conns = num("DB_CONNS")
        self.chunk = num("CHUNK")
        self.queue_depth = num("QUEUE_DEPTH")
        self.procs = num("PROCS")
        self.consumers = num("CONSUMERS")
        self.claim_idle_ms = num("CLAIM_IDLE_MS")
        self.report_fd = num("REPORT_FD")
        host_port = self.api_url.split("://", 1)[1]
        self.api_host, _, port = host_port.rpartition(":")
        self.api_port = int(port)


class Report:
    """Writes the report: one os.write per line (shorter than PIPE_BUF, so
    lines from threads and forked processes never interleave), each with
    the CLOCK_MONOTONIC time it happened at (time.monotonic_ns())."""

    def __init__(self, fd, header=True):
        """header: write the version line (once per report: not again in
        a forked worker that reports on the same descriptor)."""
        self.fd = fd
        if header:
            self._line("concbench-external 1")

    def _line(self, text):
        os.write(self.fd, (text + "\n").encode("ascii"))

    def _ev(self, verb, *fields):
        self._line(" ".join([verb, str(time.monotonic_ns())] + [str(f) for f in fields]))

    def take(self, i):
        self._ev("take", i)

    def send(self, i):
        self._ev("send", i)

    def recv(self, i, status):
        self._ev("recv", i, status)

    def fetched(self, i):
        self._ev("fetched", i)

    def done(self, i):
        self._ev("done", i)

    def fail(self, i, cls):
        self._ev("fail", i, cls)

    def worker(self, pid):
        self._ev("worker", pid)

    def dbconn(self):
        self._ev("dbconn")


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def backoff_ms(job, i, attempt, retry_after_ms=0):
    """The wait before attempt `attempt` (>= 2) of id i."""
    d = max(job.backoff_ms, 1)
    for _ in range(2, attempt):
        if d >= BACKOFF_MAX_MS:
            break
        d *= 2
    d = min(d, BACKOFF_MAX_MS)
    r = mix64(job.seed ^ mix64((i * 131 + attempt) & MASK))
    d = d // 2 + r % (d // 2 + 1)
    return max(d, retry_after_ms)


class BadPayload(Exception):
    pass


def transform(body, i, cost):
    """(customer, currency, item_count, total_cents, digest) of one order
    body, or BadPayload."""
    try:
        o = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadPayload(str(e))
    if not isinstance(o, dict) or type(o.get("id")) is not int or o["id"] != i:
        raise BadPayload("id")
    cust, cur, items = o.get("customer"), o.get("currency"), o.get("items")
    if not isinstance(cust, str) or not isinstance(cur, str):
        raise BadPayload("customer/currency")
    cb, rb = cust.encode(), cur.encode()
    if not 0 < len(cb) <= 15 or not 0 < len(rb) <= 3:
        raise BadPayload("customer/currency length")
    if not isinstance(items, list) or not items:
        raise BadPayload("items")
    canon = [b"%d|%s|%s|" % (i, cb, rb)]
    total = 0
    for it in items:
        if not isinstance(it, dict):
            raise BadPayload("item")
        sku, qty, price = it.get("sku"), it.get("qty"), it.get("price_cents")
        if not isinstance(sku, str) or type(qty) is not int or type(price) is not int:
            raise BadPayload("item fields")
        p = qty * price
        if abs(p) > INT64_MAX or abs(total + p) > INT64_MAX:
            raise BadPayload("overflow")
        total += p
        canon.append(b"%s:%d:%d;" % (sku.encode()[:20], qty, price))
    c = b"".join(canon)
    d = hashlib.sha256(c).digest()
    for _ in range(cost - 1):
        d = hashlib.sha256(d + c).digest()
    return (cust, cur, len(items), total, d.hex())


def classify_status(status):
    if status == 429:
        return "http_429"
    if 500 <= status < 600:
        return "http_5xx"
    if 400 <= status < 500:
        return "http_4xx"
    return "bad_payload"


class Fetcher:
    """One keep-alive HTTP/1.1 connection (http.client), for one thread or
    process. fetch() runs the retry policy and reports every attempt."""

    def __init__(self, job, report):
        self.job, self.report, self.conn = job, report, None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                self.job.api_host, self.job.api_port, timeout=self.job.timeout_ms / 1000)
        return self.conn

    def _drop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _attempt(self, i):
        """(status, body, retry_after_ms, error class or None)."""
        try:
            c = self._conn()
            c.request("GET", "/orders/%d" % i)
            r = c.getresponse()
            body = r.read()
            ra = r.getheader("Retry-After")
            ra_ms = int(ra) * 1000 if ra and ra.isdigit() else 0
            if r.getheader("Connection", "").lower() == "close":
                self._drop()
            return r.status, body, ra_ms, None
        except (socket.timeout, TimeoutError):
            self._drop()
            return 0, None, 0, "timeout"
        except ConnectionRefusedError:
            self._drop()
            return 0, None, 0, "connect"
        except (ConnectionError, http.client.HTTPException, OSError):
            self._drop()
            return 0, None, 0, "reset"

    def fetch(self, i):
        """The transformed row of id i, or (None, error class) after the
        retries; every attempt reported."""
        rep, job = self.report, self.job
        for attempt in range(1, job.retries + 2):
            if attempt > 1:
                time.sleep(backoff_ms(job, i, attempt, ra_ms) / 1000)
            rep.send(i)
            status, body, ra_ms, err = self._attempt(i)
            rep.recv(i, status)
            if err is None and 200 <= status < 300:
                try:
                    row = transform(body, i, job.transform_cost)
                except BadPayload:
                    err = "bad_payload"
                else:
                    rep.fetched(i)
                    return row, None
            elif err is None:
                err = classify_status(status)
                if err == "http_4xx":
                    return None, err
        return None, err


def columns(ids, rows):
    """The six arrays of the upsert ($2..$7) for a batch: ids[k] has rows[k]."""
    return (ids,) + tuple([r[k] for r in rows] for k in range(5))


def upsert(cur, run_id, ids, rows):
    """One statement for the batch on a psycopg2 cursor."""
    cur.execute(UPSERT_PSYCOPG2, (run_id,) + columns(ids, rows))


def commit_batch(db, job, rep, ids, rows):
    """Upserts and commits the batch on the psycopg2 connection db, reports
    each id done (or failed as "db" when the batch fails) and empties both
    lists. The blocking models (threads, process pool) share it."""
    import psycopg2  # only the blocking models need the driver

    try:
        with db.cursor() as cur:
            upsert(cur, job.run_id, ids, rows)
        db.commit()
    except psycopg2.Error as e:
        db.rollback()
        print("batch of %d failed: %s" % (len(ids), e), file=sys.stderr)
        for i in ids:
            rep.fail(i, "db")
    else:
        for i in ids:
            rep.done(i)
    ids.clear()
    rows.clear()

#!/usr/bin/env python3
"""Thread pool with a queue: C threads (workers, default concurrency), each
with its own keep-alive HTTP connection and PostgreSQL connection, take ids
from a bounded queue.Queue filled by the main thread; each commits its rows
in batches of batch_size. The GIL is released while a thread waits on the
network, so C threads keep C requests in flight; the transform runs one
thread at a time. An external model for concbench (docs/external-models.md)."""

import os
import queue
import sys
import threading

import psycopg2

import cbext

STOP = 0  # ids start at 1


def worker(job, rep, q):
    fetcher = cbext.Fetcher(job, rep)
    db = psycopg2.connect(job.pg_dsn)
    rep.dbconn()
    ids, rows = [], []

    def commit():
        cbext.commit_batch(db, job, rep, ids, rows)

    while True:
        i = q.get()
        if i == STOP:
            break
        row, err = fetcher.fetch(i)
        if row is None:
            rep.fail(i, err)
            continue
        ids.append(i)
        rows.append(row)
        if len(ids) >= job.batch_size:
            commit()
    if ids:
        commit()
    db.close()


def guarded(job, rep, q):
    """A worker that cannot run ends the program: the others would wait on
    the queue for ever."""
    try:
        worker(job, rep, q)
    except Exception as e:  # the one line the harness shows
        print("worker thread failed: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.stderr.flush()
        os._exit(2)


def main():
    job = cbext.Job()
    rep = cbext.Report(job.report_fd)
    n = job.workers or job.concurrency
    q = queue.Queue(maxsize=2 * n)
    threads = [threading.Thread(target=guarded, args=(job, rep, q)) for _ in range(n)]
    for t in threads:
        t.start()
    for i in range(1, job.requests + 1):
        rep.take(i)
        q.put(i)
    for _ in threads:
        q.put(STOP)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()

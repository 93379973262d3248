#!/usr/bin/env python3
"""ProcessPoolExecutor(C): C forked worker processes, each with its own
keep-alive HTTP connection and psycopg2 connection (set up once, in the
pool's initializer), run chunks of ids and commit them in batches. The
parent submits every chunk at once and waits.

A killed worker breaks a ProcessPoolExecutor: every pending future fails
with BrokenProcessPool and the surviving workers are stopped. The parent
then starts a new pool and submits the unfinished chunks again (their ids
are taken again: at-least-once, the upsert counts the extra deliveries).
Each worker names itself on the report, so concbench's --crash-after can
kill one. An external model for concbench (docs/external-models.md)."""

import concurrent.futures as cf
import multiprocessing
import os
import sys

import psycopg2

import cbext

# The worker process's own state, set by init_worker.
W = {}


def init_worker(job):
    rep = cbext.Report(job.report_fd, header=False)
    rep.worker(os.getpid())
    W["job"], W["rep"] = job, rep
    W["fetcher"] = cbext.Fetcher(job, rep)
    W["db"] = psycopg2.connect(job.pg_dsn)
    rep.dbconn()


def commit(ids, rows):
    cbext.commit_batch(W["db"], W["job"], W["rep"], ids, rows)


def run_chunk(chunk):
    job, rep, fetcher = W["job"], W["rep"], W["fetcher"]
    ids, rows = [], []
    for i in chunk:
        row, err = fetcher.fetch(i)
        if row is None:
            rep.fail(i, err)
            continue
        ids.append(i)
        rows.append(row)
        if len(ids) >= job.batch_size:
            commit(ids, rows)
    if ids:
        commit(ids, rows)


def main():
    job = cbext.Job()
    rep = cbext.Report(job.report_fd)
    n = job.workers or job.concurrency
    size = job.chunk or max(1, min(job.batch_size, job.requests // (4 * n)))
    ids = list(range(1, job.requests + 1))
    pending = [ids[k:k + size] for k in range(0, len(ids), size)]
    ctx = multiprocessing.get_context("fork")
    while pending:
        broken = []
        with cf.ProcessPoolExecutor(n, mp_context=ctx, initializer=init_worker,
                                    initargs=(job,)) as pool:
            futures = {}
            for chunk in pending:
                for i in chunk:
                    rep.take(i)
                futures[pool.submit(run_chunk, chunk)] = chunk
            for f in cf.as_completed(futures):
                try:
                    f.result()
                except cf.process.BrokenProcessPool:
                    broken.append(futures[f])
        if broken:
            print("a worker died: %d chunk(s) go to a new pool" % len(broken), file=sys.stderr)
        pending = broken


if __name__ == "__main__":
    main()

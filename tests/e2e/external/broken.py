#!/usr/bin/env python3
"""An external model that breaks the protocol on purpose, one way per
MODE (the first argument), for e2e_external.sh. Otherwise it is a correct,
sequential model (one HTTP connection, one PostgreSQL connection) built on
examples/python/cbext.py:

  ok        correct
  bad-line  a malformed line after the version line
  exit3     half of the ids, then exit status 3
  hang      takes id 1 and sleeps: no report line ever again
  flood     10 MB to stdout, then the work
  liar      writes a wrong digest for id 2 and reports it done
  orphan    first leaves an orphaned grandchild that touches 80 MiB and
            burns 0.6 s of CPU (its parent exits at once), waits for it,
            then does the work: the adapter, a subreaper, must count it
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../../../examples/python"))
import psycopg2  # noqa: E402

import cbext  # noqa: E402


def orphan_hog():
    r, w = os.pipe()
    if os.fork() == 0:
        if os.fork() == 0:  # the grandchild, orphaned at once
            os.close(r)
            hog = bytearray(80 << 20)
            for k in range(0, len(hog), 4096):
                hog[k] = 1
            t = time.process_time()
            x = 0
            while time.process_time() - t < 0.6:
                x += 1
            os._exit(0)  # closes w: the parent's read ends
        os._exit(0)
    os.close(w)
    os.wait()
    os.read(r, 1)  # EOF once the grandchild is gone
    os.close(r)


def main():
    mode = sys.argv[1]
    job = cbext.Job()
    rep = cbext.Report(job.report_fd)
    if mode == "bad-line":
        os.write(job.report_fd, b"take 12x 1\n")
        time.sleep(5)
        return
    if mode == "hang":
        rep.take(1)
        time.sleep(3600)
    if mode == "flood":
        chunk = b"x" * 65536 + b"\n"
        for _ in range(160):
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    if mode == "orphan":
        orphan_hog()
    fetcher = cbext.Fetcher(job, rep)
    db = psycopg2.connect(job.pg_dsn)
    rep.dbconn()
    for i in range(1, job.requests + 1):
        if mode == "exit3" and i > job.requests // 2:
            sys.exit(3)
        rep.take(i)
        row, err = fetcher.fetch(i)
        if row is None:
            rep.fail(i, err)
            continue
        if mode == "liar" and i == 2:
            row = row[:4] + ("0" * 64,)
        with db.cursor() as cur:
            cbext.upsert(cur, job.run_id, [i], [row])
        db.commit()
        rep.done(i)


if __name__ == "__main__":
    main()

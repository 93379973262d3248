#!/usr/bin/env bash
# The verdict of a run: a run whose rows match but whose requests failed
# beyond max_error_rate is not ok (exit 1, ok false in results.json, no
# star in the table), and within a declared max_error_rate it is ok (exit
# 0); a concbench_orders table that is not ours stops the run at start
# (exit 2, naming the table); a mock API of ours killed mid-run stops the
# run (exit 2, naming the service).
source "$(dirname "$0")/../lib/e2e_lib.sh"

# run NAME ARGS...: runs concbench, its exit status in $WORK/NAME.rc.
run() {
  local name=$1
  shift
  set +e
  "$CONCBENCH" run --out "$WORK/$name" progress=0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  echo $? >"$WORK/$name.rc"
  set -e
}
rc_is() {
  local name=$1 want=$2 got
  got=$(cat "$WORK/$name.rc")
  [ "$got" -eq "$want" ] && echo "ok: $name exits $want" ||
    fail "$name exited $got, not $want: $(tail -3 "$WORK/$name.err")"
}

# (a) Every request fails: the rows match (there are none), the run is not
# ok, and a p50 of 0 ms is no one's best.
run fail1 --model thread-pool,semaphore-loop --requests 100 --latency-ms 5 --fail-rate 1 \
  --retries 0
rc_is fail1 1
r="$WORK/fail1/results.json"
check "fail_rate=1: rows match, nothing succeeded, not ok" \
  '[.runs[] | .rows_match and .verified and .succeeded == 0 and .ok == false] | all' "$r"
check "fail_rate=1: results.json exit_status 1" '.exit_status == 1' "$r"
check "fail_rate=1: summary rows not ok" '[.summary[] | .ok == false] | all' "$r"
grep -E '^(thread-pool|semaphore-loop) ' "$WORK/fail1.out" | grep -q '\*' &&
  fail "a model with no success got a star: $(grep -E '^(thread|sema)' "$WORK/fail1.out")" ||
  echo "ok: fail_rate=1: no star"
grep -qE '^thread-pool +NOT OK' "$WORK/fail1.out" && echo "ok: the table says NOT OK" ||
  fail "the table does not say NOT OK: $(grep thread-pool "$WORK/fail1.out")"
grep -q '^NOT OK:' "$WORK/fail1.out" && echo "ok: the verdict line says NOT OK" ||
  fail "no NOT OK verdict line"

# (b) Bad bodies without retries: about 30% fail for good. Not ok by
# default; ok once the run declares it may lose half.
run bad0 --model semaphore-loop --requests 300 --latency-ms 5 --bad-body-rate 0.3 --retries 0
rc_is bad0 1
check "bad bodies: some failed, rows match, not ok" \
  '.runs[0].failed > 0 and .runs[0].rows_match and .runs[0].ok == false' "$WORK/bad0/results.json"
run bad50 --model semaphore-loop --requests 300 --latency-ms 5 --bad-body-rate 0.3 --retries 0 \
  --max-error-rate 0.5
rc_is bad50 0
check "bad bodies within max_error_rate 0.5: ok" \
  '.runs[0].failed > 0 and .runs[0].ok and .summary[0].ok and .exit_status == 0' \
  "$WORK/bad50/results.json"

# (c) A concbench_orders table without the unique key (run_id, id): not
# ours, refused at start.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then
  fail "no PostgreSQL binaries under /usr/lib/postgresql"
else
  PGDIR=$(mktemp -d /tmp/concbench-verdict-pg-XXXXXX)
  chmod 0755 "$PGDIR"
  as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" -eq 0 ] && chown postgres "$PGDIR"
  PGPORT=$((20000 + RANDOM % 20000))
  stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDIR" "$WORK"; }
  trap stop_pg EXIT
  as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >"$PGDIR/initdb.log" 2>&1 ||
    fail "initdb: $(tail -3 "$PGDIR/initdb.log")"
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -w -l "$PGDIR/log" \
    -o "-k $PGDIR -p $PGPORT -c listen_addresses=''" start >/dev/null ||
    fail "pg_ctl start: $(tail -3 "$PGDIR/log")"
  DSN="host=$PGDIR port=$PGPORT user=postgres dbname=postgres"
  psql "$DSN" -qc "CREATE TABLE concbench_orders (run_id text, id bigint, customer text,
    currency text, item_count int, total_cents bigint, digest text,
    deliveries int DEFAULT 1, written_at timestamptz DEFAULT now())" ||
    fail "cannot create the foreign table"
  run foreign --model thread-pool --requests 20 --pg "$DSN"
  rc_is foreign 2
  grep -q "concbench_orders.*unique key on (run_id, id)" "$WORK/foreign.err" &&
    echo "ok: the reason names the table" || fail "no reason naming the table: $(cat "$WORK/foreign.err")"
  [ "$(grep -c . "$WORK/foreign.err")" -le 1 ] && echo "ok: one line" ||
    fail "more than one line: $(cat "$WORK/foreign.err")"
  [ ! -e "$WORK/foreign/results.json" ] && echo "ok: no results.json" || fail "results.json written"
  [ "$(psql "$DSN" -tAc 'SELECT count(*) FROM concbench_orders')" = 0 ] &&
    echo "ok: the foreign table untouched" || fail "rows written into the foreign table"
fi

# (d) The mock API we started, killed during the first of two models: the
# run stops there with exit 2 and says which service died.
set +eo pipefail
"$CONCBENCH" run --out "$WORK/dead" progress=0 --model thread-pool,semaphore-loop \
  --requests 300 --concurrency 2 --latency-ms 20 >"$WORK/dead.out" 2>"$WORK/dead.err" &
CB=$!
mock=""
for _ in $(seq 600); do
  mock=$(for p in $(descendants $CB); do
    [ "$(cat /proc/$p/comm 2>/dev/null)" = mockapi ] && echo "$p"
  done | head -1)
  # Once a model's child runs (a process other than the services), kill.
  [ -n "$mock" ] && grep -q 'concbench' <(for p in $(descendants $CB); do cat /proc/$p/comm 2>/dev/null; done) && break
  sleep 0.1
done
sleep 0.5
[ -n "$mock" ] && kill -KILL "$mock" || fail "no mock API or model run found below concbench"
wait $CB
rc=$?
set -eo pipefail
[ "$rc" -eq 2 ] && echo "ok: dead mock API: exit 2" || fail "dead mock API: exit $rc: $(tail -3 "$WORK/dead.err")"
grep -q "the mock API (pid $mock), which concbench started, died" "$WORK/dead.err" &&
  echo "ok: the reason names the mock API" || fail "no reason naming the mock API: $(tail -3 "$WORK/dead.err")"
[ "$(grep -c "died during the run" "$WORK/dead.err")" -eq 1 ] && echo "ok: one line" || fail "not one line"
if [ -f "$WORK/dead/results.json" ]; then
  check "dead mock API: results.json says exit 2, incomplete, one run" \
    '.exit_status == 2 and .complete == false and (.runs | length) <= 1' "$WORK/dead/results.json"
fi

finish

#!/usr/bin/env bash
# Services that die and secrets that must not leak (issue 17 points 4, 10):
# - passwords given with --pg, --api and --redis appear in no message and in
#   no file of the run (they are written as ***);
# - a private PostgreSQL killed mid-run is named with how it died, the
#   verification says why it could not read the rows, and the next model
#   does not run against the dead database: exit 2;
# - a stopped (SIGSTOP) mock API does not hold up the exit after SIGTERM
#   for the whole stop grace (it took 16 s);
# - the private PostgreSQL's cluster template (knob pg_cache): the first run
#   keeps initdb's cluster in $XDG_CACHE_HOME/concbench, the next starts
#   from a copy, pg_cache=0 neither reads nor makes the folder, and a cache
#   folder another user owns is not used (the run works all the same).
source "$(dirname "$0")/../lib/e2e_lib.sh"

# no_secret DESC SECRET ARGS...: the run fails (exit 2) and SECRET is in
# neither its output nor any file it wrote.
no_secret() {
  local desc=$1 secret=$2 rc=0
  shift 2
  timeout 60 "$CONCBENCH" run "$@" --requests 2 --out "$WORK/s" progress=0 >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" != 2 ]; then
    fail "$desc: exit $rc, want 2: $(head -2 "$WORK/err")"
  elif grep -rqF "$secret" "$WORK/out" "$WORK/err" "$WORK/s"; then
    fail "$desc: the password is shown: $(grep -rhF "$secret" "$WORK/out" "$WORK/err" "$WORK/s" | head -1 | cut -c1-200)"
  else
    echo "ok: $desc: exit 2, password not shown: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -1 | cut -c1-150)"
  fi
  rm -rf "$WORK/s"
}

no_secret "--pg keyword DSN" hunter2pg --model thread-pool \
  --pg "host=127.0.0.1 port=1 user=u password=hunter2pg dbname=x connect_timeout=2"
no_secret "--pg URL" hunter2pg --model thread-pool --pg "postgresql://u:hunter2pg@127.0.0.1:1/x"
no_secret "--api URL" hunter2api --model thread-pool --api "http://u:hunter2api@127.0.0.1:1"
no_secret "--redis URL" hunter2rd --model stream-workers --redis "redis://:hunter2rd@127.0.0.1:1"
no_secret "--redis URL with a bad port" hunter2rd --model stream-workers --redis "redis://:hunter2rd@127.0.0.1:99999"

# ---- point 10: the private PostgreSQL killed during the first model --------
"$CONCBENCH" run --model thread-pool,semaphore-loop --requests 600 --concurrency 4 --latency-ms 20 \
  --out "$WORK/dead" progress=0 >"$WORK/out" 2>"$WORK/err" &
CB=$!
PM=""
for _ in $(seq 1 100); do
  PM=$(ps -eo pid=,ppid=,args= | awk -v p=$CB '$2 == p && /postgres -D/ { print $1 }')
  [ -n "$PM" ] && break
  sleep 0.1
done
sleep 1.5 # connected, and the first model running (each takes ~3 s)
[ -n "$PM" ] && kill -KILL "$PM"
rc=0
wait $CB || rc=$?
[ "$rc" = 2 ] && echo "ok: PostgreSQL killed mid-run: exit 2" || fail "PostgreSQL killed mid-run: exit $rc"
grep -q "PostgreSQL (pid $PM), which concbench started, died during the run (killed by signal 9" "$WORK/err" &&
  echo "ok: the message names PostgreSQL and how it died" ||
  fail "no message naming the dead PostgreSQL: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -3)"
grep -qE 'reading rows of [^:]*: *$' "$WORK/err" && fail "a verification error without its reason: $(grep 'reading rows' "$WORK/err")" ||
  echo "ok: the verification says why it could not read the rows: $(grep -o 'reading rows of [^:]*: .*' "$WORK/err" | cut -c1-120)"
if [ -f "$WORK/dead/results.json" ]; then
  check "the next model did not run against the dead database" '(.runs | length) <= 1 and .complete == false' "$WORK/dead/results.json"
else
  fail "no results.json after PostgreSQL died"
fi
# ---- a stalled mock API at interruption ------------------------------------
"$CONCBENCH" run --model thread-pool --requests 3000 --concurrency 4 --latency-ms 20 \
  --out "$WORK/stall" progress=0 >"$WORK/out" 2>"$WORK/err" &
CB=$!
M=""
for _ in $(seq 1 100); do
  M=$(ps -eo pid=,ppid=,comm= | awk -v p=$CB '$2 == p && $3 == "mockapi" { print $1 }')
  [ -n "$M" ] && grep -q . <(ps -eo ppid=,args= | awk -v p=$CB '$1 == p && /postgres -D/') && break
  sleep 0.1
done
sleep 1.5
kill -STOP "$M"
sleep 0.3
t0=$(date +%s%N)
kill -TERM $CB
rc=0
wait $CB || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
# The model's grace (3 s) and the stats request's timeout (5 s) remain;
# the mock API's own stop grace (10 s) must not be added to them.
[ "$rc" = 143 ] && [ "$ms" -lt 9500 ] && echo "ok: SIGTERM with the mock API stopped: exit 143 in $ms ms" ||
  fail "SIGTERM with the mock API stopped: exit $rc in $ms ms"
kill -0 "$M" 2>/dev/null && { kill -CONT "$M"; fail "the stopped mockapi $M was left running"; }
# ---- the cluster template (pg_cache) -----------------------------------------
# cache_run DESC WANT_ERE XDG_CACHE_HOME [ARGS...]: a run verifies (exit 0)
# and its "PostgreSQL ... ready" line matches WANT_ERE.
cache_run() {
  local desc=$1 want=$2 xdg=$3 rc=0 line
  shift 3
  XDG_CACHE_HOME=$xdg timeout 120 "$CONCBENCH" run --model semaphore-loop --requests 40 \
    --concurrency 8 --latency-ms 5 --out "$WORK/c" progress=0 "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  line=$(grep -m1 "private PostgreSQL .* ready" "$WORK/err" || true)
  if [ "$rc" != 0 ]; then
    fail "$desc: exit $rc: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -2)"
  elif ! grep -qE "$want" <<<"$line"; then
    fail "$desc: '$line' does not match /$want/"
  else
    echo "ok: $desc: ${line#*ready; }"
  fi
  rm -rf "$WORK/c"
}
mkdir -m 700 "$WORK/xdg"
cache_run "pg_cache=0" "its cluster: made by initdb \(pg_cache=0\)$" "$WORK/xdg" pg_cache=0
[ -e "$WORK/xdg/concbench" ] && fail "pg_cache=0 made $WORK/xdg/concbench" ||
  echo "ok: pg_cache=0 made no cache folder"
cache_run "the first run" "made by initdb; kept as $WORK/xdg/concbench/pg-template-[0-9a-f]{16} " "$WORK/xdg"
cache_run "the next run" "its cluster: a copy of $WORK/xdg/concbench/pg-template-[0-9a-f]{16}$" "$WORK/xdg"
if [ "$(id -u)" = 0 ]; then
  mkdir -m 755 "$WORK/theirs"
  chown nobody "$WORK/theirs"
  cache_run "a cache folder of another user's" \
    "made by initdb; no template kept: $WORK/theirs belongs to uid $(id -u nobody), not to us" "$WORK/theirs"
  [ -e "$WORK/theirs/concbench" ] && fail "a template was made in another user's folder"
fi
finish

#!/usr/bin/env bash
# stream-workers across hosts, on a network this test builds and tears down:
# network namespaces joined by veth pairs to a bridge that lives in a
# namespace of its own, so no address, link or route is added to the
# machine's own network stack and nothing is sent outside 10.231.0.0/24.
#
#   svc  10.231.0.1  PostgreSQL (scram-sha-256, pg_hba: the test subnet only),
#                    Redis (requirepass), mockapi
#   co   10.231.0.2  the coordinator: concbench run --external-workers 3
#   w1-3 10.231.0.11-13  one `concbench worker` each, own hostname (UTS ns)
#
# The commands are the README's multi-host recipe (passwords only in the
# environment or a file, never on a command line). Scenarios:
#  e. refusals first, while run (a) waits for its workers: a wrong Redis
#     password, a mock API with another seed, a password on the command line;
#  a. 20,000 requests, C = 300, 3 hosts x 100 consumers: rows per host; one
#     host's monotonic clock a day ahead (time namespace) changes nothing;
#  b. every process of one worker host SIGKILLed at 30 %: the others claim
#     its entries; duplicates counted;
#  c. one worker host's switch port down for 3 s at 20 %: no lost rows, no
#     stuck run; whether it resumed and whether its entries were claimed;
#     c2. the same port down at 85 % until the run has ended: the rows the
#     host commits when it is back must not land in the finished run;
#  d. netem latency and loss on the worker links where the kernel has
#     sch_netem; reported as not run, with the reason, where it has not.
# Needs root and iproute2; exits 77 (skipped, the reason printed) where
# network namespaces cannot be made. `e2e_multihost.sh CONCBENCH MOCKAPI
# scaling` runs the scaling table of docs/findings.md instead.
source "$(dirname "$0")/../lib/e2e_lib.sh"
MOCKAPI=${2:?usage: $0 CONCBENCH MOCKAPI}

skip() {
  echo "SKIP: e2e_multihost: $*"
  rm -rf "$WORK"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, veth pairs)"
command -v ip >/dev/null || skip "needs iproute2 (ip): scripts/install-deps.sh installs it"
for t in redis-server redis-cli psql pg_config jq setpriv unshare; do
  command -v "$t" >/dev/null || { fail "$t not installed"; finish; }
done
PGBIN=$(pg_config --bindir)
id postgres >/dev/null 2>&1 || { fail "no postgres user (the postgresql package makes it)"; finish; }

# Namespace names unique to this run: cbmh<pid of this script>r<random>-HOST.
# Only these are deleted, and those of an earlier run of this test whose
# script is gone (killed by a signal no trap sees, e.g. SIGKILL).
P="cbmh$$r$RANDOM"
NETNS=()
PIDS=()
for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(cbmh[0-9]*r[0-9]*-[a-z0-9]*\).*/\1/p'); do
  owner=${ns#cbmh}
  owner=${owner%%r*}
  if ! kill -0 "$owner" 2>/dev/null; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null && echo "deleted $ns, left by an earlier run that was killed"
  fi
done
NET=10.231.0
SVC=$NET.1
cleanup() {
  local pid ns
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  # Anything else still inside our namespaces is ours too (a worker's child).
  for ns in "${NETNS[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'echo "FAIL: e2e_multihost: over its time bound; stopped" >&2; exit 143' TERM
# ctest's TIMEOUT (300 s) kills without a trap: end ourselves before it.
WATCHDOG=
(
  sleep 240 &
  s=$!
  trap 'kill $s; exit 0' TERM
  wait $s && kill -TERM $$
) >/dev/null 2>&1 &
WATCHDOG=$!

T0=$(date +%s)
elapsed() { echo $(($(date +%s) - T0)); }

# --- the network -----------------------------------------------------------
nsx() { # nsx HOST CMD...: run CMD on HOST
  local h=$1
  shift
  ip netns exec "$P-$h" "$@"
}
ip netns add "$P-sw" 2>"$WORK/netns.err" ||
  skip "cannot create a network namespace here ($(head -1 "$WORK/netns.err"))"
NETNS+=("$P-sw")
ip -n "$P-sw" link add br0 type bridge
ip -n "$P-sw" link set br0 up
add_host() { # add_host NAME LAST-OCTET
  ip netns add "$P-$1"
  NETNS+=("$P-$1")
  ip -n "$P-$1" link add eth0 type veth peer name "v-$1" netns "$P-sw"
  ip -n "$P-sw" link set "v-$1" master br0 up
  ip -n "$P-$1" addr add "$NET.$2/24" dev eth0
  ip -n "$P-$1" link set eth0 up
  ip -n "$P-$1" link set lo up
}
add_host svc 1
add_host co 2
add_host w1 11
add_host w2 12
add_host w3 13

# --- the services host -----------------------------------------------------
# Secrets live in files of a 0700 folder; postgres needs to traverse $WORK.
chmod 0711 "$WORK"
mkdir -m 0700 "$WORK/secrets"
PGPW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
REDISPW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s:5432:concbench:concbench:%s\n' "$SVC" "$PGPW" >"$WORK/secrets/pgpass"
chmod 0600 "$WORK/secrets/pgpass"
export PGPASSFILE="$WORK/secrets/pgpass" CONCBENCH_REDIS_PASSWORD="$REDISPW"

mkdir -m 0700 "$WORK/pg"
chown postgres: "$WORK/pg"
asdb() { setpriv --reuid postgres --regid postgres --clear-groups -- "$@"; }
asdb "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres -E UTF8 --no-locale --auth-local=peer \
  --auth-host=scram-sha-256 >"$WORK/initdb.log" 2>&1 || {
  cat "$WORK/initdb.log"
  fail "initdb failed"
  finish
}
# Only the postgres superuser over the unix socket (peer) and the concbench
# role from the test subnet (scram-sha-256) get in.
printf 'local all postgres peer\nhost concbench concbench %s.0/24 scram-sha-256\n' "$NET" \
  >"$WORK/pg/data/pg_hba.conf"
ip netns exec "$P-svc" setpriv --reuid postgres --regid postgres --clear-groups -- "$PGBIN/postgres" \
  -D "$WORK/pg/data" -c listen_addresses="$SVC" -c port=5432 \
  -c unix_socket_directories="$WORK/pg" -c max_connections=100 >"$WORK/pg.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  nsx co pg_isready -q -h "$SVC" -p 5432 && break
  sleep 0.1
done
nsx co pg_isready -q -h "$SVC" -p 5432 || { cat "$WORK/pg.log"; fail "PostgreSQL did not start"; finish; }
# The password goes through stdin, never a command line.
asdb psql -q -h "$WORK/pg" -U postgres -d postgres -v ON_ERROR_STOP=1 -f - >/dev/null <<EOF
CREATE ROLE concbench LOGIN PASSWORD '$PGPW';
CREATE DATABASE concbench OWNER concbench;
EOF
enc=$(asdb psql -Atq -h "$WORK/pg" -U postgres -d postgres \
  -c "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'concbench'")
[ "$enc" = 'SCRAM-SHA-256$' ] && echo "ok: postgres: the role's password is stored as SCRAM" ||
  fail "postgres: password stored as '$enc'"
PGDSN="host=$SVC port=5432 user=concbench dbname=concbench"
nsx w1 psql -Atq "$PGDSN" -c 'SELECT 1' >/dev/null 2>&1 &&
  echo "ok: postgres: w1 logs in with the password file" || fail "postgres: w1 cannot log in"
if PGPASSWORD=wrong PGPASSFILE=/dev/null nsx w1 psql -Atq "$PGDSN" -c 'SELECT 1' \
  2>"$WORK/pgwrong.err" >/dev/null; then
  fail "postgres: a wrong password was accepted"
else
  grep -q 'password authentication failed' "$WORK/pgwrong.err" &&
    echo "ok: postgres: a wrong password is refused" ||
    fail "postgres: wrong password: $(cat "$WORK/pgwrong.err")"
fi

mkdir -m 0700 "$WORK/redis"
cat >"$WORK/secrets/redis.conf" <<EOF
bind $SVC
port 6379
requirepass $REDISPW
save ""
appendonly no
dir $WORK/redis
EOF
ip netns exec "$P-svc" redis-server "$WORK/secrets/redis.conf" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
rcli() { REDISCLI_AUTH=$REDISPW nsx co redis-cli --no-auth-warning -h "$SVC" -p 6379 "$@"; }
for _ in $(seq 100); do
  [ "$(rcli ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
[ "$(rcli ping 2>/dev/null)" = PONG ] || { cat "$WORK/redis.log"; fail "Redis did not start"; finish; }
[ "$(nsx co redis-cli -h "$SVC" ping 2>&1)" != PONG ] &&
  echo "ok: redis: refuses a client without the password" || fail "redis: answered without AUTH"

API="http://$SVC:8080"
ip netns exec "$P-svc" "$MOCKAPI" --host "$SVC" --port 8080 --latency-ms 50 >"$WORK/mockapi.log" 2>&1 &
PIDS+=($!)
# A second mock API with another seed, for a worker host configured wrong.
ip netns exec "$P-svc" "$MOCKAPI" --host "$SVC" --port 8081 --seed 7 >"$WORK/mockapi7.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  nsx co curl -sf "$API/__stats" >/dev/null && nsx co curl -sf "http://$SVC:8081/__stats" \
    >/dev/null && break
  sleep 0.1
done
echo "services up after $(elapsed) s"

# --- runs ------------------------------------------------------------------
# coord NAME ARGS...: starts the coordinator on co in the background (pid in
# CO_PID) and waits for the worker line it prints (in WLINE).
coord() {
  local name=$1
  shift
  ip netns exec "$P-co" "$CONCBENCH" run --model stream-workers --api "$API" --pg "$PGDSN" \
    --redis "redis://$SVC:6379" --external-workers "${EXT:-3}" --out "$WORK/$name" progress=0 "$@" \
    >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
  CO_PID=$!
  PIDS+=("$CO_PID")
  WLINE=
  for _ in $(seq 300); do
    WLINE=$(grep -m1 '^  concbench worker ' "$WORK/$name.stderr" 2>/dev/null || true)
    [ -n "$WLINE" ] && return 0
    kill -0 "$CO_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/$name.stderr"
  fail "$name: the coordinator printed no worker line"
  return 1
}
# worker HOST LOGFILE [EXTRA ARGS]: the printed line, on HOST, as its own
# hostname (pid in WPID).
worker() {
  local h=$1 log=$2
  shift 2
  # shellcheck disable=SC2086 # the line's words, as a user pastes them
  eval "set -- ${WLINE#*concbench worker } \"\$@\""
  if [ "${CLOCK_SHIFT_S:-0}" != 0 ]; then # its monotonic clock off by that much
    ip netns exec "$P-$h" unshare --uts --time --fork --kill-child --monotonic "$CLOCK_SHIFT_S" \
      --boottime "$CLOCK_SHIFT_S" sh -c 'hostname "$0" && exec "$@"' "mh-$h" "$CONCBENCH" worker \
      "$@" 2>"$log" &
  else
    ip netns exec "$P-$h" unshare --uts sh -c 'hostname "$0" && exec "$@"' "mh-$h" "$CONCBENCH" \
      worker "$@" 2>"$log" &
  fi
  WPID=$!
  PIDS+=("$WPID")
}
# finish_run NAME: waits (bounded) for the coordinator; its exit status in RC.
finish_run() {
  local name=$1
  for _ in $(seq 1200); do
    kill -0 "$CO_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$CO_PID" 2>/dev/null; then
    fail "$name: the run did not end within 120 s (stuck)"
    kill -INT "$CO_PID"
  fi
  RC=0
  wait "$CO_PID" || RC=$?
}
# verified NAME N: the run is ok with every one of its N rows verified.
verified() {
  local r="$WORK/$1/results.json"
  [ "$RC" -eq 0 ] || { tail -20 "$WORK/$1.stderr"; fail "$1: the run exited $RC"; }
  [ -f "$r" ] || { fail "$1: no results.json"; return; }
  check "$1: $2 succeeded, $2 rows verified, run ok" \
    ".runs[0].succeeded == $2 and .runs[0].rows == $2 and .runs[0].verified == true and .runs[0].ok == true" "$r"
}
# per_host NAME: the coordinator's per-worker lines, as "host rows claimed dups".
per_host() {
  sed -n 's/.*external worker mh-\(w[0-9]\)-[0-9]*: \([0-9]*\) rows committed.*; \([0-9]*\) entries claimed from others, \([0-9]*\) of its.*/\1 \2 \3 \4/p' \
    "$WORK/$1.stderr"
}
frac_done() { # frac_done RUN N PERCENT: outcomes reported so far >= PERCENT % of N
  local n
  n=$(rcli XLEN "concbench:$1:outcomes" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge $(($2 * ${3:-30} / 100)) ]
}
wait_frac() { # wait_frac RUN N [PERCENT]: bounded wait for PERCENT (30) %
  for _ in $(seq 600); do
    frac_done "$1" "$2" "${3:-30}" && return 0
    kill -0 "$CO_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# With "scaling" as the third argument, instead of the scenarios: 1, 2 and
# 3 worker hosts at the same total C, each REPEAT times (docs/findings.md).
if [ "${3:-}" = scaling ]; then
  N=${SCALING_N:-20000}
  echo "hosts  run  wall_s  rows/s  api_p50_ms  api_p99_ms"
  for rep in $(seq "${SCALING_REPEAT:-3}"); do
    for EXT in 1 2 3; do
      coord "s$EXT-$rep" --requests $N --concurrency 300 || finish
      for h in $(seq "$EXT"); do worker "w$h" "$WORK/s$EXT-$rep-w$h.log"; done
      finish_run "s$EXT-$rep"
      verified "s$EXT-$rep" $N
      jq -r --arg h "$EXT" --arg rep "$rep" '.runs[0] |
        "\($h)      \($rep)    \(.wall_s * 100 | round / 100)    \(.requests / .wall_s | round)    \(.api_ms.p50)   \(.api_ms.p99)"' \
        "$WORK/s$EXT-$rep/results.json"
    done
  done
  finish
  exit 0
fi

# e + a. The run waits for three workers; first three that must be refused.
N=20000
coord a --requests $N --concurrency 300 || finish
RUN=$(sed 's/.*--run \([^ ]*\).*/\1/' <<<"$WLINE")
echo "a: the coordinator printed: $WLINE"
if grep -q "$REDISPW\|$PGPW" "$WORK/a.stderr"; then
  fail "a: a password appears in the coordinator's output"
else
  echo "ok: a: no password in the printed line"
fi
grep -q 'in its environment.*CONCBENCH_REDIS_PASSWORD for Redis' "$WORK/a.stderr" &&
  echo "ok: a: the coordinator says where the password goes" ||
  fail "a: no word on where the Redis password goes"

refused() { # refused WHAT PATTERN LOG: the worker exited 2 with a line matching
  local rc=0
  for _ in $(seq 200); do
    kill -0 "$WPID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$WPID" 2>/dev/null && echo "e: $1: the worker did not exit within 20 s" >>"$3"
  wait "$WPID" 2>/dev/null || rc=$?
  if [ "$rc" -eq 2 ] && grep -q -e "$2" "$3"; then
    echo "ok: e: $1: refused (exit 2): $(head -1 "$3")"
  else
    fail "e: $1: exit $rc: $(cat "$3")"
  fi
}
CONCBENCH_REDIS_PASSWORD=wrong worker w1 "$WORK/e-pass.log"
refused "wrong Redis password" 'WRONGPASS\|invalid username-password' "$WORK/e-pass.log"
eval "set -- ${WLINE#*concbench worker }"
ip netns exec "$P-w1" "$CONCBENCH" worker "$@" --api "http://$SVC:8081" 2>"$WORK/e-seed.log" &
WPID=$!
refused "a mock API with seed 7" 'generates orders with seed 7 and 10 items, the run uses seed 42' \
  "$WORK/e-seed.log"
ip netns exec "$P-w1" "$CONCBENCH" worker --redis "redis://:$REDISPW@$SVC:6379" --pg "$PGDSN" --api "$API" \
  --run "$RUN" 2>"$WORK/e-argv.log" &
WPID=$!
refused "a Redis password on the command line" '--redis carries a password' "$WORK/e-argv.log"
ip netns exec "$P-w1" "$CONCBENCH" worker --redis "redis://$SVC:6379" --pg "$PGDSN password=x" --api "$API" \
  --run "$RUN" 2>"$WORK/e-argvpg.log" &
WPID=$!
refused "a PostgreSQL password on the command line" '--pg carries a password' "$WORK/e-argvpg.log"
[ "$(rcli HLEN "concbench:$RUN:external")" = 0 ] &&
  echo "ok: e: none of the refused workers joined the run" || fail "e: a refused worker joined"

# w3's clock runs a day ahead (a time namespace): workers report durations,
# never instants, so its figures must come out as the others'.
ta=$(date +%s%N)
for h in w1 w2; do worker "$h" "$WORK/a-$h.log"; done
CLOCK_SHIFT_S=86400 worker w3 "$WORK/a-w3.log"
finish_run a
verified a $N
r="$WORK/a/results.json"
check "a: 3 external workers, no local one" '.runs[0].workers_peak == 3' "$r"
check "a: every outcome came from an external worker" ".runs[0].stream.external == $N" "$r"
check "a: w3's clock a day ahead changes no latency: e2e and api max under 60 s" \
  '.runs[0].e2e_ms.max < 60000 and .runs[0].api_ms.max < 60000 and .runs[0].wait_ms.max < 60000' "$r"
check "a: nothing claimed, no duplicates" \
  '.runs[0].stream.redelivered == 0 and .runs[0].duplicates == 0' "$r"
echo "a: $(jq -r '"wall \(.runs[0].wall_s) s (the wait for workers included), api p50 \(.runs[0].api_ms.p50) ms, api p99 \(.runs[0].api_ms.p99) ms, wait p50 \(.runs[0].wait_ms.p50) ms"' "$r"), $((($(date +%s%N) - ta) / 1000000)) ms from the first worker start"
hosts=$(per_host a)
echo "a: rows per host (host rows claimed duplicates):"
sed 's/^/     /' <<<"$hosts"
sum=$(awk '{s += $2} END {print s + 0}' <<<"$hosts")
busy=$(awk '$2 > 0 {n++} END {print n + 0}' <<<"$hosts")
[ "$busy" -eq 3 ] && [ "$sum" -eq $N ] &&
  echo "ok: a: each of the 3 hosts committed rows; they sum to $N" ||
  fail "a: rows per host ($busy hosts) do not add up to $N: $hosts"
check "a: results.json: the three hosts' rows, each > 0, summing to $N" \
  "([.runs[0].stream.hosts[].host] | sort) == [\"mh-w1\", \"mh-w2\", \"mh-w3\"] and
   ([.runs[0].stream.hosts[].committed] | add) == $N and
   all(.runs[0].stream.hosts[]; .committed > 0 and .rows_per_s > 0 and .failed == 0)" "$r"
for h in w1 w2 w3; do
  grep -q 'the run ended' "$WORK/a-$h.log" && echo "ok: a: $h: $(tail -1 "$WORK/a-$h.log")" ||
    fail "a: $h: $(tail -3 "$WORK/a-$h.log")"
done
[ -z "$(rcli --scan --pattern 'concbench:*')" ] && echo "ok: a: no keys left in Redis" ||
  fail "a: keys left in Redis"

# b. Lose a host at 30 %: every process on w3 SIGKILLed.
N=6000
coord b --requests $N --concurrency 300 claim_idle_ms=500 || finish
for h in w1 w2 w3; do worker "$h" "$WORK/b-$h.log"; done
RUN=$(sed 's/.*--run \([^ ]*\).*/\1/' <<<"$WLINE")
if wait_frac "$RUN" $N; then
  killed=$(ip netns pids "$P-w3" | wc -l)
  for pid in $(ip netns pids "$P-w3"); do kill -KILL "$pid"; done
  echo "b: SIGKILLed every process of w3 ($killed) at $(rcli XLEN "concbench:$RUN:outcomes") outcomes"
else
  fail "b: the run never reached 30 %"
fi
finish_run b
verified b $N
r="$WORK/b/results.json"
hosts=$(per_host b)
echo "b: rows per host (host rows claimed duplicates):"
sed 's/^/     /' <<<"$hosts"
claimed=$(awk '$1 != "w3" {s += $3} END {print s + 0}' <<<"$hosts")
[ "$claimed" -gt 0 ] && echo "ok: b: the survivors claimed $claimed entries of w3" ||
  fail "b: nobody claimed w3's entries"
check "b: claims counted in the run's figures" ".runs[0].stream.redelivered == $claimed" "$r"
check "b: results.json: the hosts' claims are the run's" \
  "([.runs[0].stream.hosts[].claimed] | add) == $claimed" "$r"
echo "b: duplicates (rows written more than once): $(jq '.runs[0].duplicates' "$r")"
check "b: duplicates no more than claims" ".runs[0].duplicates <= $claimed" "$r"

# start_w2_first NAME N: a run of N with claim_idle_ms=500 whose workers
# are started w2 first (its pid in W2PID), the run id in RUN.
start_w2_first() {
  coord "$1" --requests "$2" --concurrency 300 claim_idle_ms=500 || finish
  worker w2 "$WORK/$1-w2.log"
  W2PID=$WPID
  for h in w1 w3; do worker "$h" "$WORK/$1-$h.log"; done
  RUN=$(sed 's/.*--run \([^ ]*\).*/\1/' <<<"$WLINE")
}
# no_rows_left WHAT: verified rows are dropped at the end; a worker that
# came back late must not have written any of run $RUN after that.
no_rows_left() {
  local left
  left=$(asdb psql -Atq -h "$WORK/pg" -U postgres -d concbench \
    -c "SELECT count(*) FROM concbench_orders WHERE run_id = '$RUN'")
  [ "$left" = 0 ] && echo "ok: $1: no rows of the run written after its end" ||
    fail "$1: $left rows of the run written after it ended and was verified"
}

# c. Partition: w2's switch port down for 3 s at 20 %, then up again. Its
# address and route stay; its packets are lost, as with a pulled cable.
# TCP's retransmission backoff may keep w2 silent up to ~3 s after the link
# is back, so the run must go on well beyond that: 40,000 requests (a floor
# of 6.7 s at 50 ms; ~5 s left at link-up here, more on a slower machine).
N=40000
start_w2_first c $N
resumed=0
if wait_frac "$RUN" $N 20; then
  ip -n "$P-sw" link set v-w2 down
  sleep 3
  ip -n "$P-sw" link set v-w2 up
  echo "c: w2 cut off for 3 s; back with $(rcli XLEN "concbench:$RUN:outcomes" 2>/dev/null) of $N outcomes in"
  # Did w2 report anything after the link came back? The newest reports
  # (stream IDs are ms on the Redis clock) are searched for its name.
  back=$(rcli TIME | head -1)
  for _ in $(seq 100); do
    if rcli XREVRANGE "concbench:$RUN:outcomes" + "$((back * 1000))" COUNT 500 2>/dev/null |
      grep -q "^mh-w2-$W2PID\$"; then
      resumed=1
      break
    fi
    kill -0 "$CO_PID" 2>/dev/null || break
    sleep 0.1
  done
else
  fail "c: the run never reached 30 %"
fi
finish_run c
verified c $N
hosts=$(per_host c)
echo "c: rows per host (host rows claimed duplicates):"
sed 's/^/     /' <<<"$hosts"
w2_exit=0
wait "$W2PID" || w2_exit=$?
claimed=$(awk '$1 != "w2" {s += $3} END {print s + 0}' <<<"$hosts")
echo "c: w2 reported outcomes after the link came back: $([ $resumed = 1 ] && echo yes || echo no);" \
  "entries the others claimed meanwhile: $claimed; w2 exit status $w2_exit:" \
  "$(tail -1 "$WORK/c-w2.log")"
[ "$w2_exit" -eq 0 ] && [ "$resumed" = 1 ] && echo "ok: c: w2 resumed after the partition" ||
  fail "c: w2 did not resume"
echo "c: duplicates: $(jq '.runs[0].duplicates' "$WORK/c/results.json")"
no_rows_left c

# c2. The same cut at 85 % of 6,000: the others claim w2's entries and the
# run ends while w2 is cut off. When it is back it commits the rows it held;
# the run is closed in PostgreSQL by then, so none may land.
N=6000
start_w2_first c2 $N
if wait_frac "$RUN" $N 85; then
  ip -n "$P-sw" link set v-w2 down
  finish_run c2
  ip -n "$P-sw" link set v-w2 up
  verified c2 $N
  w2_exit=0
  for _ in $(seq 150); do
    kill -0 "$W2PID" 2>/dev/null || break
    sleep 0.1
  done
  wait "$W2PID" || w2_exit=$?
  echo "c2: the run ended while w2 was cut off; w2 then exited $w2_exit: $(tail -1 "$WORK/c2-w2.log")"
  no_rows_left c2
else
  fail "c2: the run never reached 85 %"
fi

# d. netem on the worker links, where the kernel has it.
if ! nsx w1 tc qdisc add dev eth0 root netem delay 5ms 1ms loss 0.5% 2>"$WORK/netem.err"; then
  echo "d: NOT RUN: this kernel has no sch_netem (tc: $(head -1 "$WORK/netem.err"))"
else
  for h in w2 w3; do nsx "$h" tc qdisc add dev eth0 root netem delay 5ms 1ms loss 0.5%; done
  N=6000
  coord d --requests $N --concurrency 300 || finish
  for h in w1 w2 w3; do worker "$h" "$WORK/d-$h.log"; done
  finish_run d
  verified d $N
  echo "d: with 5 ms +- 1 ms and 0.5 % loss on the worker links: $(jq -r '"wall \(.runs[0].wall_s) s, api p99 \(.runs[0].api_ms.p99) ms"' "$WORK/d/results.json")"
  for h in w1 w2 w3; do nsx "$h" tc qdisc del dev eth0 root; done
fi
echo "the test took $(elapsed) s"
finish

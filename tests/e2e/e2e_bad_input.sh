#!/usr/bin/env bash
# Bad input beyond e2e_usage_errors.sh: a server of the wrong protocol behind
# --pg/--api/--redis, a server that accepts and never answers, malformed
# scenario files, a full disk, C > N. Each must end with one clear line, a
# non-zero exit, in bounded time, and leave nothing that looks like a whole
# result. Also checks what the harness's services expose: mockapi and Redis
# listen on 127.0.0.1 only; PostgreSQL (trust, superuser) and Redis on a unix
# socket only, in a directory no other local user can enter.
source "$(dirname "$0")/../lib/e2e_lib.sh"
MOCKAPI="$(dirname "$CONCBENCH")/mockapi"
STOPPED=""
BG=""
cleanup() {
  [ -n "$STOPPED" ] && { kill -CONT "$STOPPED"; kill -TERM "$STOPPED"; } 2>/dev/null
  [ -n "$BG" ] && kill -TERM "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
  mountpoint -q "$WORK/disk" 2>/dev/null && umount "$WORK/disk"
  rm -rf "$WORK"
}
trap cleanup EXIT

# expect_fail DESC WANT_EXIT PATTERN MAX_S -- ARGS...: runs concbench, checks
# its exit, that stderr matches PATTERN, and that it ended within MAX_S
# seconds; prints the time it took. $out/results.json (if --out $out) is
# left for the caller.
expect_fail() {
  local desc=$1 want=$2 pattern=$3 max_s=$4 t0 t1 rc ms
  shift 5
  t0=$(date +%s%N)
  set +e
  timeout 120 "$CONCBENCH" "$@" progress=0 >"$WORK/out" 2>"$WORK/err"
  rc=$?
  set -e
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  grep -v -e "starting a private" -e ' ready; its cluster' "$WORK/err" >"$WORK/err.lines" || true
  if [ "$rc" -ne "$want" ]; then
    fail "$desc: exit $rc, want $want; stderr: $(head -c 300 "$WORK/err.lines")"
  elif ! grep -qE "$pattern" "$WORK/err.lines"; then
    fail "$desc: stderr does not match /$pattern/: $(head -c 300 "$WORK/err.lines")"
  elif [ "$ms" -gt $((max_s * 1000)) ]; then
    fail "$desc: took ${ms} ms, more than ${max_s} s"
  else
    echo "ok: $desc: exit $rc in ${ms} ms: $(head -1 "$WORK/err.lines" | head -c 200)"
  fi
}

# no_result DIR DESC: a setup failure writes no results at all.
no_result() {
  if [ -e "$1/results.json" ] || [ -e "$1/results.csv" ]; then
    fail "$2: results written after a setup failure: $(ls "$1")"
  else
    echo "ok: $2: no results written"
  fi
}

# incomplete_or_none DIR DESC: a run whose model could not start may record
# itself, but only as incomplete.
incomplete_or_none() {
  if [ -e "$1/results.json" ]; then
    check "$2: results.json says incomplete" '.complete == false and .exit_status == 2' "$1/results.json"
  else
    echo "ok: $2: no results written"
  fi
}

# listeners PID...: "COMM tcp A.B.C.D:PORT", "COMM tcp6 HEX:PORT" or
# "COMM unix PATH" for every listening socket the processes hold (from
# /proc, so no ss/netstat is needed).
listeners() {
  local p comm inodes proto laddr st inode hex port flags path
  for p in "$@"; do
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    inodes=$(ls -l "/proc/$p/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
    [ -n "$inodes" ] || continue
    for proto in tcp tcp6; do
      # sl local_address rem_address st ... inode (field 10); st 0A = LISTEN
      while read -r _ laddr _ st _ _ _ _ _ inode _; do
        [ "$st" = 0A ] || continue
        case " $inodes " in *" $inode "*) ;; *) continue ;; esac
        hex=${laddr%:*} port=$((16#${laddr#*:}))
        if [ "$proto" = tcp ]; then
          echo "$comm tcp $((16#${hex:6:2})).$((16#${hex:4:2})).$((16#${hex:2:2})).$((16#${hex:0:2})):$port"
        else
          echo "$comm tcp6 $hex:$port"
        fi
      done < <(tail -n +2 "/proc/net/$proto")
    done
    # Num RefCount Protocol Flags(00010000 = listening) Type St Inode Path
    while read -r _ _ _ flags _ _ inode path; do
      [ "$flags" = 00010000 ] || continue
      case " $inodes " in *" $inode "*) echo "$comm unix $path" ;; esac
    done < <(tail -n +2 /proc/net/unix)
  done | sort -u
}

# ---- services to aim at: a slow background run's private ones ----------
# stream-workers needs all three (mock API, PostgreSQL, Redis); 1 request in
# flight at 1 s latency keeps them up for the whole test.
"$CONCBENCH" run --model stream-workers --requests 100000 --concurrency 1 --latency-ms 1000 \
  --out "$WORK/bg" progress=0 >"$WORK/bg.out" 2>"$WORK/bg.err" &
BG=$!
for _ in $(seq 1 300); do
  L=$(listeners $(descendants $BG))
  echo "$L" | grep -q '^postgres unix' && echo "$L" | grep -q '^redis-server unix' &&
    echo "$L" | grep -q '^mockapi tcp' && break
  kill -0 $BG 2>/dev/null || break
  sleep 0.2
done
port_of() { echo "$L" | awk -v c="$1" '$1 == c && $2 == "tcp" { sub(/.*:/, "", $3); print $3; exit }'; }
MOCK=$(port_of mockapi)
REDISSOCK=$(echo "$L" | awk '$1 == "redis-server" && $2 == "unix" { print $3; exit }')
PGSOCK=$(echo "$L" | awk '$1 == "postgres" && $2 == "unix" { print $3; exit }')
if [ -z "$MOCK" ] || [ -z "$PGSOCK" ] || [ -z "$REDISSOCK" ]; then
  fail "background run did not bring up mockapi, postgres and redis-server: $(tail -3 "$WORK/bg.err")"
  finish
fi
echo "background run: mockapi :$MOCK, postgres $PGSOCK, redis $REDISSOCK"

# ---- what the harness's services listen on --------------------------------
echo "$L" | sed 's/^/  listening: /'
bad=$(echo "$L" | awk '($2 == "tcp" && $3 !~ /^127\./) ||
                       ($2 == "tcp6" && $3 !~ /^00000000000000000000000001000000:/) ||
                       ($2 == "unix" && $3 !~ /^\/tmp\/concbench-/)')
[ -z "$bad" ] && echo "ok: every service of the run listens on loopback or its own unix socket" ||
  fail "a service listens beyond loopback: $bad"
echo "$L" | grep -q "^mockapi tcp 127\.0\.0\.1:" && echo "ok: mockapi listens on 127.0.0.1" ||
  fail "mockapi has no 127.0.0.1 listener"
# Redis has no password: any local user who reaches it can read the run's
# configuration, trim its stream, FLUSHALL or SHUTDOWN it.
echo "$L" | grep -q '^redis-server tcp' && fail "redis-server listens on TCP: $(echo "$L" | grep '^redis-server tcp')" ||
  echo "ok: redis-server has no TCP listener"
case "$REDISSOCK" in
/tmp/concbench-redis-*/*) echo "ok: redis-server's unix socket is in its own directory: $REDISSOCK" ;;
*) fail "redis-server's unix socket is not under /tmp/concbench-redis-*: $REDISSOCK" ;;
esac
[ "$(stat -c %a "${REDISSOCK%/*}")" = 700 ] && echo "ok: ${REDISSOCK%/*} is closed to other users (700)" ||
  fail "${REDISSOCK%/*} has mode $(stat -c %a "${REDISSOCK%/*}"), want 700"
if [ "$(id -u)" = 0 ] && command -v redis-cli >/dev/null && command -v runuser >/dev/null; then
  [ "$(redis-cli -s "$REDISSOCK" ping 2>&1)" = PONG ] && echo "ok: the harness's user reaches the private Redis" ||
    fail "root cannot reach the private Redis: $(redis-cli -s "$REDISSOCK" ping 2>&1 | head -1)"
  if [ "$(runuser -u nobody -- redis-cli -s "$REDISSOCK" ping 2>&1)" = PONG ]; then
    fail "another local user (nobody) can talk to the private Redis"
  else
    echo "ok: another local user (nobody) cannot talk to the private Redis"
  fi
else
  echo "skipped: Redis as another user (needs root, redis-cli and runuser)"
fi
# PostgreSQL trusts every connection and its role is a superuser (which can
# run programs as the server's OS user): it must be reachable by the
# harness's own user only, through a unix socket in a closed directory.
echo "$L" | grep -q '^postgres tcp' && fail "postgres listens on TCP: $(echo "$L" | grep '^postgres tcp')" ||
  echo "ok: postgres has no TCP listener"
case "$PGSOCK" in
/tmp/concbench-pg-*/.s.PGSQL.*) echo "ok: postgres's unix socket is in its own directory: $PGSOCK" ;;
*) fail "postgres's unix socket is not under /tmp/concbench-pg-*: $PGSOCK" ;;
esac
PGDIR=${PGSOCK%/*} PGPORT=${PGSOCK##*.}
[ "$(stat -c %a "$PGDIR")" = 700 ] && echo "ok: $PGDIR is closed to other users (700)" ||
  fail "$PGDIR has mode $(stat -c %a "$PGDIR"), want 700"
if [ "$(id -u)" = 0 ] && command -v psql >/dev/null && command -v runuser >/dev/null; then
  pgq() { psql "host=$PGDIR port=$PGPORT user=concbench dbname=postgres connect_timeout=5" -Atc 'select 1'; }
  [ "$(pgq 2>&1)" = 1 ] && echo "ok: the harness's user reaches the private PostgreSQL" ||
    fail "root cannot reach the private PostgreSQL: $(pgq 2>&1 | head -1)"
  if runuser -u nobody -- psql "host=$PGDIR port=$PGPORT user=concbench dbname=postgres connect_timeout=5" \
    -Atc 'select 1' >/dev/null 2>&1; then
    fail "another local user (nobody) can connect to the private PostgreSQL as its superuser"
  else
    echo "ok: another local user (nobody) cannot connect to the private PostgreSQL"
  fi
else
  echo "skipped: connecting as another user (needs root, psql and runuser)"
fi

# ---- a server of the wrong protocol ----------------------------------------
pgdsn() { echo "host=127.0.0.1 port=$1 user=concbench dbname=postgres"; }
expect_fail "--pg at the mock API (HTTP)" 2 "cannot connect to PostgreSQL" 20 -- \
  run --model thread-pool --requests 5 --pg "$(pgdsn $MOCK)" --out "$WORK/p1"
no_result "$WORK/p1" "--pg at HTTP"
# A Redis on TCP of the test's own (the run's has none).
REDIS=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$WORK" --logfile "$WORK/redis-tcp.log" &
REDIS_PID=$!
for _ in $(seq 1 50); do redis-cli -p "$REDIS" ping >/dev/null 2>&1 && break; sleep 0.1; done
expect_fail "--pg at Redis" 2 "cannot connect to PostgreSQL" 20 -- \
  run --model thread-pool --requests 5 --pg "$(pgdsn $REDIS)" --out "$WORK/p2"
no_result "$WORK/p2" "--pg at Redis"
expect_fail "--api at Redis" 2 "mock API not usable" 30 -- \
  run --model thread-pool --requests 5 --api "http://127.0.0.1:$REDIS" --out "$WORK/p4"
no_result "$WORK/p4" "--api at Redis"
kill -TERM $REDIS_PID && wait $REDIS_PID 2>/dev/null || true
expect_fail "--redis at the mock API (HTTP)" 2 "^stream-workers: " 30 -- \
  run --model stream-workers --requests 5 --redis "redis://127.0.0.1:$MOCK" --out "$WORK/p5"
incomplete_or_none "$WORK/p5" "--redis at HTTP"

# ---- a server that accepts and never answers ----------------------------------
# A stopped process's listening socket: the kernel completes the handshake,
# nobody ever reads or writes.
"$MOCKAPI" --host 127.0.0.1 --port 0 >"$WORK/stopped.out" 2>/dev/null &
STOPPED=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/stopped.out" && break; sleep 0.1; done
HANG=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/stopped.out")
kill -STOP $STOPPED
expect_fail "--pg at a server that never answers" 2 "cannot connect to PostgreSQL.*timeout" 30 -- \
  run --model thread-pool --requests 5 --pg "$(pgdsn $HANG)" --out "$WORK/h1"
no_result "$WORK/h1" "--pg hung"
expect_fail "--api at a server that never answers" 2 "mock API not usable.*Timeout" 40 -- \
  run --model thread-pool --requests 5 --api "http://127.0.0.1:$HANG" --out "$WORK/h2"
no_result "$WORK/h2" "--api hung"
expect_fail "--redis at a server that never answers" 2 "^stream-workers: " 60 -- \
  run --model stream-workers --requests 5 --redis "redis://127.0.0.1:$HANG" --out "$WORK/h3"
incomplete_or_none "$WORK/h3" "--redis hung"
kill -CONT $STOPPED
kill -TERM $STOPPED
wait $STOPPED 2>/dev/null || true
STOPPED=""

# ---- malformed scenario files: FILE:LINE: reason, before anything starts -----
scen() { printf "$2" >"$WORK/$1.conf"; echo "$WORK/$1.conf"; }
expect_fail "scenario: line without '='" 2 "missing_eq\.conf:3: expected 'key = value'" 5 -- \
  run --scenario "$(scen missing_eq '# c\nrequests = 5\nconcurrency 5\n')" --out "$WORK/s1"
expect_fail "scenario: unknown knob" 2 "unknown_knob\.conf:2: unknown knob 'bogus'" 5 -- \
  run --scenario "$(scen unknown_knob 'requests = 5\nbogus = 1\n')" --out "$WORK/s1"
expect_fail "scenario: malformed number" 2 "bad_number\.conf:4: requests: 'ten' is not a whole number" 5 -- \
  run --scenario "$(scen bad_number '\n\n# c\nrequests = ten\n')" --out "$WORK/s1"
expect_fail "scenario: number out of range" 2 "out_of_range\.conf:1: concurrency: 0 is out of range" 5 -- \
  run --scenario "$(scen out_of_range 'concurrency = 0\n')" --out "$WORK/s1"
expect_fail "scenario: seed above its range" 2 "seed_range\.conf:1: seed: .* is out of range" 5 -- \
  run --scenario "$(scen seed_range 'seed = 18446744073709551615\n')" --out "$WORK/s1"
expect_fail "scenario: unknown choice" 2 "bad_choice\.conf:1: latency_dist: 'gaussian' is not one of" 5 -- \
  run --scenario "$(scen bad_choice 'latency_dist = gaussian\n')" --out "$WORK/s1"
expect_fail "scenario: NUL byte (no newline at the end)" 2 "nul\.conf:2: NUL byte" 5 -- \
  run --scenario "$(scen nul 'requests = 5\nconcurrency = 1\x0000')" --out "$WORK/s1"
expect_fail "scenario: includes another" 2 "include\.conf:1: a scenario cannot include another" 5 -- \
  run --scenario "$(scen include 'scenario = quick\n')" --out "$WORK/s1"
expect_fail "scenario: a directory" 2 "cannot read scenario .*: Is a directory" 5 -- \
  run --scenario "$WORK/" --out "$WORK/s1"
expect_fail "scenario: a binary file" 2 "NUL byte|larger than 65536 bytes" 5 -- run --scenario "$CONCBENCH" --out "$WORK/s1"
[ ! -e "$WORK/s1" ] && echo "ok: no output folder made for a bad scenario" || fail "output folder made for a bad scenario"

# ---- a full disk while writing results -----------------------------------------
# A tmpfs of one page: the output folder is made, results.json does not fit.
mkdir -p "$WORK/disk"
if mount -t tmpfs -o size=4k tmpfs "$WORK/disk" 2>/dev/null; then
  expect_fail "full disk while writing results" 2 "cannot write .*: No space left on device" 60 -- \
    run --model thread-pool --requests 5 --concurrency 2 --latency-ms 1 --out "$WORK/disk/r"
  # The CSVs written before the disk filled are removed; a results.json, if
  # it then fits, says the invocation is incomplete.
  left=$(ls -A "$WORK/disk/r" 2>/dev/null | grep -v '^results\.json$' | tr '\n' ' ' || true)
  [ -z "$left" ] && echo "ok: full disk: nothing half-written" || fail "full disk: left behind: $left"
  if [ -e "$WORK/disk/r/results.json" ]; then
    check "full disk: results.json says incomplete" '.complete == false and .exit_status == 2' "$WORK/disk/r/results.json"
  fi
  umount "$WORK/disk"
  # Larger: results.json fits; whatever else exists must be whole.
  for size in 8k 16k; do
    mount -t tmpfs -o size=$size tmpfs "$WORK/disk"
    set +e
    "$CONCBENCH" run --model thread-pool --requests 5 --concurrency 2 --latency-ms 1 \
      --out "$WORK/disk/r" progress=0 >"$WORK/out" 2>"$WORK/err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] && grep -q "No space left on device" "$WORK/err" &&
      echo "ok: full disk ($size): exit 2, says No space left on device" ||
      fail "full disk ($size): exit $rc: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -2)"
    [ -z "$(ls -A "$WORK/disk/r" | grep '^\.')" ] && echo "ok: full disk ($size): no temporary file left" ||
      fail "full disk ($size): temporary files left: $(ls -A "$WORK/disk/r" | grep '^\.')"
    for f in "$WORK"/disk/r/*.json; do
      [ -e "$f" ] || continue
      jq -e . "$f" >/dev/null && echo "ok: full disk ($size): $(basename "$f") is whole JSON" ||
        fail "full disk ($size): $(basename "$f") is not whole JSON"
    done
    umount "$WORK/disk"
  done
else
  echo "skipped: full disk (cannot mount a tmpfs: not root?)"
fi

# ---- C > N is fine for every model ---------------------------------------------
"$CONCBENCH" run --model all --requests 3 --concurrency 50 --latency-ms 1 --out "$WORK/cn" \
  progress=0 >"$WORK/out" 2>"$WORK/err" || fail "C > N: exit $?: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -3)"
r="$WORK/cn/results.json"
if [ -f "$r" ]; then
  check "C > N: every model ran" "(.runs | length) == $("$CONCBENCH" list | awk '/^Models:/ {m = 1; next} /^$/ {m = 0} m && /^  [a-z]/ {n++} END {print n}')" "$r"
  check "C > N: every run verified, 3 rows each" '[.runs[] | .verified and .succeeded == 3 and .rows == 3] | all' "$r"
  check "C > N: the pools start no more workers than requests" \
    '[.runs[] | select(.model == "thread-pool" or .model == "process-pool") | .workers_peak <= 3 and .db_conns <= 3] | all' "$r"
else
  fail "C > N: no results.json"
fi

kill -TERM $BG
wait $BG 2>/dev/null || true
BG=""
finish

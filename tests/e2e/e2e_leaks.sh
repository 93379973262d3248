#!/usr/bin/env bash
# No definite leak and no memory error, under valgrind memcheck:
#   - mockapi serving good requests, pipelined ones, garbage, oversized and
#     half-sent heads, hung requests, then SIGTERM with connections open;
#   - one small `concbench run` of every model with API faults on, one with
#     a worker SIGKILLed for every model where crash injection applies, and
#     a run that fails at set-up (unreachable mock API).
# valgrind follows fork() without exec: the harness, each model's child and
# the workers a model forks are all checked, each in its own log. Processes
# that exec (mockapi, PostgreSQL, redis-server started by the harness) run
# natively; mockapi is checked on its own first. A process killed by a
# signal (the crashed worker) never reaches valgrind's exit report.
source "$(dirname "$0")/../lib/e2e_lib.sh"
MOCKAPI="$(dirname "$CONCBENCH")/mockapi"
command -v valgrind >/dev/null || {
  echo "SKIP: valgrind not found (Debian package valgrind)"
  exit 77
}
VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9
  --track-fds=no --child-silent-after-fork=no)

# vg_verdict DESC LOG_PREFIX MIN_PROCS: every per-process log that reached
# the exit report must show no definite leak and no error; at least
# MIN_PROCS processes must have reported.
vg_verdict() {
  local desc=$1 prefix=$2 min=$3 n=0 bad="" f
  for f in "$prefix".*.log; do
    [ -e "$f" ] || continue
    grep -q "ERROR SUMMARY" "$f" || continue # exec'd into an unchecked binary
    n=$((n + 1))
    if ! grep -q "ERROR SUMMARY: 0 errors" "$f" ||
      grep -qE "definitely lost: [1-9]" "$f"; then
      bad="$bad $f"
    fi
  done
  if [ -n "$bad" ]; then
    fail "$desc: valgrind found errors or definite leaks:"
    for f in $bad; do grep -E "definitely lost|ERROR SUMMARY|Invalid|uninitialised|^==[0-9]+==    (at|by) " "$f" | head -30 >&2; done
  elif [ "$n" -lt "$min" ]; then
    fail "$desc: only $n process(es) reported to valgrind, want at least $min"
  else
    echo "ok: $desc: $n process(es) checked, no definite leak, no memory error"
  fi
}

# ---- mockapi ---------------------------------------------------------------
"${VG[@]}" --log-file="$WORK/vg-mockapi.%p.log" "$MOCKAPI" --host 127.0.0.1 --port 0 \
  --latency-ms 5 --hang-rate 0.2 --fail-rate 0.1 --bad-body-rate 0.1 --threads 2 \
  >"$WORK/mockapi.out" 2>"$WORK/mockapi.err" &
MOCK=$!
trap '[ -n "$MOCK" ] && kill -TERM $MOCK 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 300); do
  grep -qs listening "$WORK/mockapi.out" && break
  sleep 0.1
done
PORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/mockapi.out")
[ -n "$PORT" ] || { fail "mockapi under valgrind did not start: $(cat "$WORK/mockapi.err")"; finish; }

# raw BYTES [KEEP]: sends printf-escaped BYTES on a new connection and reads
# the answer for up to 1 s; with KEEP, leaves the connection open (fd kept).
raw() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  printf "$1" >&$fd
  if [ "${2:-}" = keep ]; then
    HELD+=("$fd")
  else
    timeout 1 cat <&$fd >>"$WORK/raw.out" || true
    exec {fd}>&-
  fi
}
HELD=()
for i in $(seq 1 30); do
  curl -s -m 1 -o /dev/null "http://127.0.0.1:$PORT/orders/$i" || true
done
stats=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/__stats" || true)
curl -s -m 5 -o /dev/null -X POST "http://127.0.0.1:$PORT/__reset" || true
raw 'GET /orders/1 HTTP/1.1\r\n\r\nGET /orders/2 HTTP/1.1\r\n\r\nGET /orders/3 HTTP/1.1\r\nConnection: close\r\n\r\n'
raw 'POST /__reset HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /nope HTTP/1.0\r\n\r\n'
raw 'GARBAGE\001\002\r\n\r\n'
raw '\026\003\001\002\000\001\000\001\374\003\003'            # a TLS ClientHello
raw '\000\000\000\010\004\322\026\057'                        # PostgreSQL SSLRequest
raw '*1\r\n$4\r\nPING\r\n'                                    # Redis
raw "GET /$(head -c 9000 /dev/zero | tr '\0' a) HTTP/1.1\r\n\r\n" # head too large
raw 'POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n'
raw 'POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
raw 'GET /orders/4 HTTP/1.1\r\nHost: x\r\n' keep                # half a head
raw 'POST /__reset HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc' keep # half a body
for i in $(seq 5 24); do raw "GET /orders/$i HTTP/1.1\r\n\r\n" keep; done # some hang
sleep 0.5
[ "$stats" = 200 ] && grep -q "400 Bad Request" "$WORK/raw.out" &&
  echo "ok: mockapi under valgrind answered /__stats and refused the garbage with 400" ||
  fail "mockapi under valgrind: /__stats $stats; answers: $(head -c 300 "$WORK/raw.out")"
# SIGTERM with ${#HELD[@]} connections still open.
kill -TERM $MOCK
set +e
timeout 60 tail --pid=$MOCK -f /dev/null
wait $MOCK
rc=$?
MOCK=""
set -e
for fd in "${HELD[@]}"; do exec {fd}>&-; done
[ "$rc" -eq 0 ] && echo "ok: mockapi under valgrind stopped on SIGTERM with ${#HELD[@]} connections open (exit 0)" ||
  fail "mockapi under valgrind: exit $rc after SIGTERM (9 = valgrind error)"
vg_verdict "mockapi" "$WORK/vg-mockapi" 1

# ---- one small run of every model, with faults; a crash where it applies ----
# The faults (503s, resets, hangs, bad bodies, short timeouts) drive the
# retry and failure paths, where a leak hides more easily than on the happy
# path; the run must still verify. With one retry some requests fail for
# good: max_error_rate lets the run be ok, so its exit status speaks of
# valgrind's findings only.
FAULTS=(fail_rate=0.1 reset_rate=0.05 hang_rate=0.03 bad_body_rate=0.05 timeout_ms=300
  retries=1 backoff_ms=5 max_error_rate=0.5)
list=$("$CONCBENCH" list)
models=$(echo "$list" | awk '/^Models:/ {m = 1; next} /^$/ {m = 0} m && /^  [a-z]/ {print $1}')
crashable=$(echo "$list" | awk '/^Models:/ {m = 1; next} /^$/ {m = 0}
  m && /^  [a-z]/ {name = $1} m && /crash injection: yes/ {print name}')
[ -n "$models" ] || { fail "no models listed"; finish; }

# vg_run NAME MIN_PROCS ARGS...: one concbench run under valgrind, which must
# exit 0 (verified); a model's child with a valgrind error exits 9, which
# the harness turns into exit 2.
vg_run() {
  local name=$1 min=$2 rc
  shift 2
  set +e
  timeout 300 "${VG[@]}" --log-file="$WORK/vg-$name.%p.log" "$CONCBENCH" run "$@" \
    --out "$WORK/out-$name" progress=0 >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  set -e
  [ "$rc" -eq 0 ] && echo "ok: $name under valgrind: exit 0, verified" ||
    fail "$name under valgrind: exit $rc; $(grep -v -e 'starting a private' -e ' ready; its cluster' "$WORK/$name.err" | head -3)"
  vg_verdict "$name" "$WORK/vg-$name" "$min"
}

for m in $models; do
  # The harness and the model's process at least; forking models more.
  vg_run "$m" 2 --model "$m" --requests 60 --concurrency 4 --latency-ms 1 "${FAULTS[@]}"
done
for m in $crashable; do
  # The killed worker never reports; its replacement and the rest do.
  vg_run "$m-crash" 3 --model "$m" --requests 200 --concurrency 4 --latency-ms 5 \
    --crash-after 0.3 claim_idle_ms=500
  check "$m-crash: one worker killed and recovered" \
    '.runs[0].crash.killed == 1 and .runs[0].succeeded == 200' "$WORK/out-$m-crash/results.json"
done

# ---- a run that fails at set-up ------------------------------------------------
set +e
"${VG[@]}" --log-file="$WORK/vg-setupfail.%p.log" "$CONCBENCH" run --model thread-pool \
  --requests 5 --api http://127.0.0.1:1 --out "$WORK/out-fail" progress=0 >/dev/null 2>"$WORK/fail.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && echo "ok: set-up failure under valgrind: exit 2" ||
  fail "set-up failure under valgrind: exit $rc, want 2: $(head -2 "$WORK/fail.err")"
vg_verdict "set-up failure (unreachable mock API)" "$WORK/vg-setupfail" 1
finish

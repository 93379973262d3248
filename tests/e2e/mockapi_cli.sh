#!/usr/bin/env bash
# The mockapi command-line contract, end to end with curl:
#   --help exits 0; bad flags give one stderr line and exit 2;
#   --port 0 prints exactly "mockapi listening on http://127.0.0.1:PORT";
#   the same seed gives the same bodies across runs, another seed others;
#   /__stats carries the contract keys, /__reset answers {"reset":true};
#   garbage gets a 400 and the server keeps serving;
#   a taken port exits 1 (also with --threads 2, despite SO_REUSEPORT);
#   SIGINT and SIGTERM exit 0 promptly.
# Usage: mockapi_cli.sh PATH-TO-MOCKAPI
set -euo pipefail

MOCKAPI=${1:?usage: $0 PATH-TO-MOCKAPI}
TMP=$(mktemp -d)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# start NAME ARGS...: runs mockapi in the background, waits for its line and
# sets PORT and PID.
start() {
    local name=$1
    shift
    "$MOCKAPI" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PID=$!
    PIDS+=("$PID")
    for _ in $(seq 100); do
        [[ -s $TMP/$name.out ]] && break
        sleep 0.05
    done
    local line
    line=$(cat "$TMP/$name.out")
    [[ $line =~ ^mockapi\ listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]] ||
        fail "$name: listening line was '$line'"
    PORT=${BASH_REMATCH[1]}
}

# stop PID SIGNAL: the server must exit 0 within 3 s.
stop() {
    local pid=$1 sig=$2 rc=0
    kill "-$sig" "$pid"
    for _ in $(seq 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && fail "no exit within 3 s of SIG$sig"
    wait "$pid" || rc=$?
    [[ $rc -eq 0 ]] || fail "exit status $rc after SIG$sig"
}

# --help
"$MOCKAPI" --help >"$TMP/help" || fail "--help exited $?"
grep -q '^usage: mockapi' "$TMP/help" || fail "--help prints no usage"

# Bad flags: exit 2, exactly one line on stderr, nothing on stdout.
for args in "--bogus" "--port 99999" "--latency-ms abc" "--latency-sd-ms 3" "--port"; do
    rc=0
    # shellcheck disable=SC2086
    "$MOCKAPI" $args >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
    [[ $rc -eq 2 ]] || fail "'$args' exited $rc, want 2"
    [[ $(wc -l <"$TMP/bad.err") -eq 1 ]] || fail "'$args' stderr: $(cat "$TMP/bad.err")"
    [[ ! -s $TMP/bad.out ]] || fail "'$args' wrote to stdout"
done

start a --port 0 --seed 42
PA=$PORT PIDA=$PID
start b --port 0 --seed 42
PB=$PORT PIDB=$PID
start c --port 0 --seed 43 --threads 2
PC=$PORT PIDC=$PID

# Determinism across runs.
body_a=$(curl -sS --fail "http://127.0.0.1:$PA/orders/42")
body_b=$(curl -sS --fail "http://127.0.0.1:$PB/orders/42")
body_c=$(curl -sS --fail "http://127.0.0.1:$PC/orders/42")
[[ $body_a == "$body_b" ]] || fail "same seed, different bodies"
[[ $body_a != "$body_c" ]] || fail "different seeds, same body"
[[ $body_a == '{"id":42,'* ]] || fail "unexpected body: $body_a"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PA/orders/0")
[[ $code == 404 ]] || fail "/orders/0 gave $code"

# Stats keys and reset.
stats=$(curl -sS --fail "http://127.0.0.1:$PA/__stats")
for key in served throttled peak_inflight peak_connections connections inflight responses \
    faults cpu_user_s cpu_sys_s per_second; do
    [[ $stats == *"\"$key\":"* ]] || fail "/__stats lacks $key: $stats"
done
[[ $stats == *'"served":1,'* ]] || fail "served should be 1: $stats"
reset=$(curl -sS --fail -X POST "http://127.0.0.1:$PA/__reset")
[[ $reset == '{"reset":true}' ]] || fail "reset answered $reset"
stats=$(curl -sS --fail "http://127.0.0.1:$PA/__stats")
[[ $stats == *'"served":0,'* ]] || fail "served not reset: $stats"

# Garbage: 400 and a closed connection, then business as usual.
exec 3<>"/dev/tcp/127.0.0.1/$PA"
printf '\x01\x02garbage\r\n\r\n' >&3
IFS= read -r -t 5 status <&3 || fail "no answer to garbage"
[[ $status == "HTTP/1.1 400 "* ]] || fail "garbage got '$status'"
exec 3<&-
curl -sS --fail -o /dev/null "http://127.0.0.1:$PA/orders/1" || fail "not serving after garbage"

# A port in use: exit 1 with one line, whatever the thread count. Server c
# listens with SO_REUSEPORT (--threads 2), which a second --threads 2 server
# could otherwise silently share.
for threads in 1 2; do
    rc=0
    "$MOCKAPI" --port "$PC" --threads "$threads" >"$TMP/dup.out" 2>"$TMP/dup.err" &
    dup=$!
    PIDS+=("$dup")
    for _ in $(seq 60); do
        kill -0 "$dup" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$dup" 2>/dev/null && fail "a second server shares port $PC (threads $threads)"
    wait "$dup" || rc=$?
    [[ $rc -eq 1 ]] || fail "second server on port $PC (threads $threads) exited $rc"
    grep -q "cannot listen on" "$TMP/dup.err" || fail "port clash message: $(cat "$TMP/dup.err")"
done

stop "$PIDA" INT
stop "$PIDB" TERM
stop "$PIDC" TERM
echo "mockapi_cli: all checks passed"

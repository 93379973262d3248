#!/usr/bin/env bash
# Careless and hostile input (issue 17 points 9, 12): scenario files that
# are devices, FIFOs, huge, binary, with a BOM or a key given twice; the
# same model twice in --model; C far above N and the open-file warning.
# Each bad input ends in one line and exit 2 within seconds, before any
# service starts, and no raw control byte reaches the terminal.
source "$(dirname "$0")/../lib/e2e_lib.sh"

# Address space bounded (1 GiB) so that a file read whole cannot take the
# machine, where the binary runs under such a limit at all (an
# AddressSanitizer build reserves terabytes of shadow and does not).
VLIMIT=unlimited
(ulimit -v 1048576 && "$CONCBENCH" --version) >/dev/null 2>&1 && VLIMIT=1048576

# refused DESC PATTERN ARGS...: exit 2 within 10 s, stderr matches PATTERN,
# and holds no control byte but newlines.
refused() {
  local desc=$1 pattern=$2 rc=0
  shift 2
  (ulimit -v $VLIMIT; timeout 10 "$CONCBENCH" run "$@" --out "$WORK/r" progress=0) \
    >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" != 2 ]; then
    fail "$desc: exit $rc, want 2: $(head -c 200 "$WORK/err" | cat -v)"
  elif ! grep -qE "$pattern" "$WORK/err"; then
    fail "$desc: stderr does not match /$pattern/: $(head -c 200 "$WORK/err" | cat -v)"
  elif LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$WORK/err"); then
    fail "$desc: raw control bytes on the terminal: $(head -c 200 "$WORK/err" | cat -v)"
  elif grep -q "starting a private" "$WORK/err"; then
    fail "$desc: services were started before the input was refused"
  else
    echo "ok: $desc: $(head -1 "$WORK/err" | cut -c1-150)"
  fi
}

refused "scenario /dev/zero" "/dev/zero: not a regular file" --scenario /dev/zero
mkfifo "$WORK/fifo"
refused "scenario a FIFO nobody writes" "fifo: not a regular file" --scenario "$WORK/fifo"
head -c 100000 /dev/zero | tr '\0' '#' >"$WORK/big.conf"
refused "scenario of 100 KB" "big\.conf: larger than 65536 bytes" --scenario "$WORK/big.conf"
{ printf 'requests = 5\n# '; head -c 5000 /dev/zero | tr '\0' x; printf '\n'; } >"$WORK/long.conf"
refused "scenario with a 5 KB line" "long\.conf:2: line longer than 1024 bytes" --scenario "$WORK/long.conf"
printf 'requests = 5\n\033]0;pwned\007\033[2J = 1\n' >"$WORK/esc.conf"
refused "scenario with terminal escapes" 'esc\.conf:2: .*\\x1b' --scenario "$WORK/esc.conf"
printf 'requests = 5\nconcurrency = 2\nrequests = 7\n' >"$WORK/dup.conf"
refused "scenario with a key twice" "dup\.conf:3: requests is already set on line 1" --scenario "$WORK/dup.conf"
refused "the same model twice in --model" "names thread-pool twice" --model thread-pool,semaphore-loop,thread-pool

# A UTF-8 BOM is not part of the first key: the file is accepted (the run
# then stops at the output folder, which cannot be made under /proc).
printf '\xef\xbb\xbfrequests = 5\n' >"$WORK/bom.conf"
rc=0
"$CONCBENCH" run --scenario "$WORK/bom.conf" --out /proc/concbench-no progress=0 >/dev/null 2>"$WORK/err" || rc=$?
grep -q "output folder" "$WORK/err" && ! grep -q "unknown knob" "$WORK/err" &&
  echo "ok: a scenario with a UTF-8 BOM is read" || fail "BOM: exit $rc: $(head -c 200 "$WORK/err" | cat -v)"

# C far above N: only N requests can be in flight, so only N descriptors are
# needed; no warning about an open-file limit that N never reaches.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 100000 ]; then
  rc=0
  "$CONCBENCH" run --model semaphore-loop --requests 5 --concurrency 100000 --latency-ms 1 \
    --out "$WORK/cn" progress=0 >/dev/null 2>"$WORK/err" || rc=$?
  [ "$rc" = 0 ] && ! grep -q RLIMIT_NOFILE "$WORK/err" &&
    echo "ok: C = 100000 > N = 5: no open-file warning (hard limit $hard)" ||
    fail "C > N: exit $rc: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -2)"
else
  echo "skipped: the open-file hard limit ($hard) is too high to test the warning"
fi
# A reused --out holds only the new run's files (a user's own file stays);
# the first run is a staged model, which writes the most kinds of file.
"$CONCBENCH" run --model pipeline --requests 20 --concurrency 2 --latency-ms 1 \
  --out "$WORK/re" progress=0 >/dev/null 2>"$WORK/err" || fail "reuse: first run: $(head -2 "$WORK/err")"
echo mine >"$WORK/re/notes.txt"
"$CONCBENCH" run --model semaphore-loop --requests 20 --concurrency 2 --latency-ms 1 \
  --out "$WORK/re" progress=0 >/dev/null 2>"$WORK/err" || fail "reuse: second run: $(head -2 "$WORK/err")"
old=$(ls "$WORK/re" | grep pipeline | tr '\n' ' ' || true)
[ -z "$old" ] && [ -e "$WORK/re/notes.txt" ] && grep -q "removed .* files of an earlier run" "$WORK/err" &&
  echo "ok: a reused --out holds no file of the earlier run ($(grep -o 'removed [0-9]* files' "$WORK/err")), notes.txt kept" ||
  fail "a reused --out keeps the earlier run's files: $old"

# --api's server answers in 0 ms; the run assumes 20 ms: its floor is
# meaningless, and concbench says so, naming both.
MOCKAPI="$(dirname "$CONCBENCH")/mockapi"
"$MOCKAPI" --host 127.0.0.1 --port 0 >"$WORK/mock.out" 2>/dev/null &
MPID=$!
for _ in $(seq 1 50); do grep -q listening "$WORK/mock.out" && break; sleep 0.1; done
MPORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/mock.out")
"$CONCBENCH" run --model thread-pool --requests 10 --latency-ms 20 --api "http://u:hunter2api@127.0.0.1:$MPORT" \
  --out "$WORK/api" progress=0 >"$WORK/out" 2>"$WORK/err" || fail "--api run: $(head -2 "$WORK/err")"
grep -rqF hunter2api "$WORK/out" "$WORK/err" "$WORK/api" && fail "--api's password is shown: $(grep -rlF hunter2api "$WORK/out" "$WORK/err" "$WORK/api")" ||
  echo "ok: --api's password is in no output and no file"
grep -q "answers in 0 ms .*assumes 20 ms" "$WORK/err" &&
  echo "ok: --api with another latency: $(grep -o 'answers in .*assumes [0-9]* ms' "$WORK/err")" ||
  fail "--api with another latency is not named: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -2)"
kill -TERM $MPID && wait $MPID 2>/dev/null || true
finish

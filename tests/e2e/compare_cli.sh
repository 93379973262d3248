#!/usr/bin/env bash
# `concbench compare` as CI calls it: exit statuses, the table naming the
# regressed model and metric, one-line errors. No services needed.
#   test_compare.sh path/to/concbench tests/data/compare
source "$(dirname "$0")/../lib/e2e_lib.sh"
DATA=${2:?usage: $0 path/to/concbench tests/data/compare}

# expect DESCRIPTION EXIT STREAM PATTERN -- ARGS...: exit status, and
# PATTERN (grep -E) in stdout (STREAM=out) or stderr (STREAM=err).
expect() {
  local desc=$1 want=$2 stream=$3 pattern=$4
  shift 5
  set +e
  "$CONCBENCH" compare "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  set -e
  if [ "$rc" -ne "$want" ]; then
    fail "$desc: exit $rc, want $want; stderr: $(head -c 300 "$WORK/err")"
  elif ! grep -qE -- "$pattern" "$WORK/$stream"; then
    fail "$desc: $stream does not match /$pattern/: $(head -c 600 "$WORK/$stream")"
  else
    echo "ok: $desc"
  fi
}

B=$DATA/baseline.json
expect "identical" 0 out "^OK: no metric worse" -- "$B" "$B"
expect "30% slower, tight repetitions" 1 out "^thread-pool +wall s .* worse" -- "$B" "$DATA/slower-tight.json"
grep -q "^WORSE: thread-pool wall" "$WORK/out" && echo "ok: regression named" || fail "no WORSE line"
grep -q "^WORSE: process-pool" "$WORK/out" && fail "process-pool did not change" || echo "ok: only the changed model"
expect "30% slower, overlapping repetitions" 0 out "^thread-pool +wall s .* noisy" -- "$B" "$DATA/slower-noisy.json"
expect "within a 50% threshold" 0 out "^thread-pool +wall s .* same" -- "$B" "$DATA/slower-tight.json" --threshold 50%

# A folder holding a results.json, with the workload changed by jq.
mkdir -p "$WORK/cur"
jq '.config.requests = 300' "$B" >"$WORK/cur/results.json"
expect "different workload" 2 err "^concbench compare: different workload.*requests is 200 in the baseline, 300 in the results" -- "$B" "$WORK/cur"
[ "$(wc -l <"$WORK/err")" -eq 1 ] && echo "ok: one line" || fail "more than one line on stderr"
[ ! -s "$WORK/out" ] && echo "ok: no table when incomparable" || fail "table printed on exit 2"
jq '.runs |= map(select(.model != "process-pool"))' "$B" >"$WORK/cur/results.json"
expect "missing model" 2 err "model process-pool is in the baseline but not in the results" -- "$B" "$WORK/cur"
jq '.runs[1].verified = false' "$B" >"$WORK/cur/results.json"
expect "unverified run" 1 out "^UNVERIFIED: process-pool repeat 0" -- "$B" "$WORK/cur"
printf '{"schema_version": 1,' >"$WORK/cur/results.json"
expect "malformed file" 2 err "^concbench compare: results .*/results.json: line 1:" -- "$B" "$WORK/cur"
expect "missing file" 2 err "^concbench compare: baseline /nonexistent/x.json: unable to open" -- /nonexistent/x.json "$B"
expect "malformed threshold" 2 err "--threshold: 'ten%' is not a fraction" -- "$B" "$B" --threshold ten%
expect "unknown metric" 2 err "unknown metric 'latency'" -- "$B" "$B" --metric wall,latency
expect "one file" 2 err "want two files" -- "$B"
expect "help" 0 out "^usage: concbench compare" -- --help
finish

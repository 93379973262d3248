#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time, starting from its committed
# seed corpus, and prints what it did.
#   run.sh FUZZER SECONDS ARTIFACT_DIR [SEED_DIR | -libFuzzer_flag]...
# New inputs go to a temporary corpus (the seed folders are only read); a
# crashing input is kept in ARTIFACT_DIR and the test fails.
set -euo pipefail
fuzzer=$1 seconds=$2 artifacts=$3
shift 3
corpus=$(mktemp -d /tmp/concbench-fuzz-XXXXXX)
trap 'rm -rf "$corpus" "$corpus.log"' EXIT
mkdir -p "$artifacts"
log="$corpus.log"
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$corpus" "$@" >"$log" 2>&1
rc=$?
set -e
# The summary: executions, speed, coverage, corpus, and any crash report.
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)|^#[0-9]+ *DONE|^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*Test unit written|artifact_prefix)' \
  "$log" || true
if [ "$rc" -ne 0 ]; then
  echo "FAIL: $(basename "$fuzzer") exited $rc; last lines of its log:" >&2
  tail -40 "$log" >&2
  exit 1
fi
echo "ok: $(basename "$fuzzer"): no crash, no leak, no invariant broken in ${seconds} s"

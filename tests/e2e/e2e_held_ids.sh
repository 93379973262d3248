#!/usr/bin/env bash
# Where a model takes its ids (docs/results.md, wait_ms; ids_held_peak):
# pipeline's fetch stage takes an id only when one of its C fetch slots is
# free, so it never holds more ids taken-but-not-settled than its slots and
# queues can hold, whatever N is; semaphore-loop and hybrid take all N at
# the start (asyncio.gather behind a semaphore) and hold N at once. The
# figure is the harness's, swept from each id's taken and settled times in
# the outcome table. 2,000 requests, C = 20, a 5 ms API, small queues.
source "$(dirname "$0")/../lib/e2e_lib.sh"

N=2000 C=20 W=2 TQ=4 DB=2 WQ=20 B=10
out="$WORK/held"
"$CONCBENCH" run --model semaphore-loop,hybrid,pipeline --requests $N --concurrency $C \
  --latency-ms 5 --out "$out" progress=0 cpu_workers=$W transform_queue=$TQ db_conns=$DB \
  write_queue=$WQ batch_size=$B >"$WORK/stdout" 2>"$WORK/stderr" || {
  cat "$WORK/stdout" "$WORK/stderr"
  fail "concbench run exited $?"
}
r="$out/results.json"
run() { echo ".runs[] | select(.model == \"$1\") | $2"; }
for m in semaphore-loop hybrid pipeline; do
  check "$m: every request succeeded, rows verified" \
    "$(run "$m" ".succeeded == $N and .rows_match == true")" "$r"
done
# C fetching or parked in their slots, TQ bodies queued and W being
# transformed, WQ rows queued and DB writers' batches of B not committed.
bound=$((C + TQ + W + WQ + DB * B))
check "pipeline: at most C + queues + workers + writers x batch = $bound ids held at once" \
  "$(run pipeline ".ids_held_peak <= $bound")" "$r"
check "pipeline: its C fetch slots were used (held at least C)" \
  "$(run pipeline ".ids_held_peak >= $C")" "$r"
for m in semaphore-loop hybrid; do
  check "$m: all N ids taken at the start, held at once" "$(run "$m" ".ids_held_peak == $N")" "$r"
done
# The wait each model reports follows from where it takes ids: semaphore-
# loop's median id waits for about N / 2C rounds of 5 ms; pipeline's takes
# a free slot, so its wait is the connect alone.
check "pipeline: wait p50 under a tenth of semaphore-loop's" \
  "($(run pipeline .wait_ms.p50)) < ($(run semaphore-loop .wait_ms.p50)) / 10" "$r"
finish

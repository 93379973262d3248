#!/usr/bin/env bash
# hybrid and pipeline end to end against the real mockapi and a private
# PostgreSQL: every row verified, the mock never saw more than C in flight,
# no more than cpu_workers transforms at once, no queue above its bound in
# any sample of the stages timeline (stages-MODEL-0.csv), and back-pressure:
# with the transform made slow the fetch stage holds fewer requests on the
# wire than with it fast, rows still correct.
source "$(dirname "$0")/../lib/e2e_lib.sh"
trap 'rm -rf "$WORK"' EXIT

run() { # run NAME ARGS...: concbench run into $WORK/NAME, stderr kept
  local name=$1
  shift
  "$CONCBENCH" run --out "$WORK/$name" progress=0 "$@" \
    >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" || {
    cat "$WORK/$name.stderr"
    fail "$name: exited $?"
  }
}

# csv_max FILE COLUMN: the largest value of a column of a stages CSV.
csv_max() {
  awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
    k && $k > m { m = $k } END { print m + 0 }' "$1"
}
# csv_mean FILE COLUMN: its mean over the samples.
csv_mean() {
  awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
    k { s += $k; n++ } END { printf "%.3f\n", n ? s / n : -1 }' "$1"
}

# staged_checks MODEL NAME N C W TQ [DB WQ]: the invariants of one run; DB
# and WQ (pipeline) are its writers and write queue bound.
staged_checks() {
  local m=$1 name=$2 n=$3 c=$4 w=$5 tq=$6 db=${7:-} wq=${8:-}
  local r="$WORK/$name/results.json" csv="$WORK/$name/stages-$m-0.csv"
  check "$m/$name: $n succeeded, rows verified, no duplicates" \
    ".runs[0].succeeded == $n and .runs[0].rows == $n and .runs[0].verified == true
     and .runs[0].duplicates == 0" "$r"
  check "$m/$name: the mock never saw more than C = $c in flight" \
    ".runs[0].server.peak_inflight <= $c and .runs[0].client_peak_inflight <= $c" "$r"
  check "$m/$name: at most cpu_workers = $w transforms at once, and some ran" \
    ".runs[0].stages.transform.width == $w and .runs[0].stages.transform.peak <= $w
     and .runs[0].stages.transform.peak >= 1" "$r"
  check "$m/$name: the transform queue's peak within its bound $tq" \
    ".runs[0].stages.transform_queue.cap == $tq and .runs[0].stages.transform_queue.peak <= $tq" "$r"
  [ -s "$csv" ] || fail "$m/$name: no $csv"
  [ "$(wc -l <"$csv")" -ge 3 ] || fail "$m/$name: fewer than 2 samples in $csv"
  [ "$(csv_max "$csv" transform_queue)" -le "$tq" ] ||
    fail "$m/$name: a sample of the transform queue above $tq"
  [ "$(csv_max "$csv" transform_busy)" -le "$w" ] ||
    fail "$m/$name: a sample with more than $w transforms"
  [ "$(csv_max "$csv" fetch_inflight)" -le "$c" ] ||
    fail "$m/$name: a sample with more than $c on the wire"
  [ -n "$db" ] || return 0
  check "$m/$name: $db PostgreSQL connections, as many writers at most" \
    ".runs[0].db_conns == $db and .runs[0].stages.write.width == $db
     and .runs[0].stages.write.peak <= $db" "$r"
  check "$m/$name: the write queue's peak within its bound $wq" \
    ".runs[0].stages.write_queue.cap == $wq and .runs[0].stages.write_queue.peak <= $wq" "$r"
  [ "$(csv_max "$csv" write_queue)" -le "$wq" ] ||
    fail "$m/$name: a sample of the write queue above $wq"
}

for m in hybrid pipeline; do
  # Fast transform: fetching is the work, the C slots stay busy. Two
  # connections (pipeline: two writers) behind a write queue of 15 rows.
  run "$m-fast" --model "$m" --requests 600 --concurrency 16 --latency-ms 40 \
    transform_cost=1 cpu_workers=2 transform_queue=3 batch_size=10 db_conns=2 write_queue=15
  wargs=()
  [ "$m" = pipeline ] && wargs=(2 15)
  staged_checks "$m" "$m-fast" 600 16 2 3 "${wargs[@]}"
  # Slow transform (one worker, ~13 ms a body against 16 fetches per 40 ms):
  # the pool is the bottleneck, so bodies wait in fetch slots and fewer
  # requests are on the wire.
  run "$m-slow" --model "$m" --requests 80 --concurrency 16 --latency-ms 40 \
    transform_cost=40000 cpu_workers=1 transform_queue=2 batch_size=10 db_conns=2 write_queue=15
  staged_checks "$m" "$m-slow" 80 16 1 2 "${wargs[@]}"
  fast=$(csv_mean "$WORK/$m-fast/stages-$m-0.csv" fetch_inflight)
  slow=$(csv_mean "$WORK/$m-slow/stages-$m-0.csv" fetch_inflight)
  echo "$m: mean requests on the wire: fast transform $fast, slow transform $slow (C = 16)"
  awk -v f="$fast" -v s="$slow" 'BEGIN { exit !(s < f / 2) }' ||
    fail "$m: back-pressure: the slow transform kept $slow on the wire against $fast"
done

# pipeline, write-bound: one writer committing every row fills the write
# queue, which must reach its bound of 5 and never pass it.
run pipeline-wb --model pipeline --requests 300 --concurrency 16 --latency-ms 5 \
  transform_cost=1 cpu_workers=2 transform_queue=3 batch_size=1 db_conns=1 write_queue=5
staged_checks pipeline pipeline-wb 300 16 2 3 1 5
check "pipeline/pipeline-wb: the write queue filled up (the bound was tested)" \
  '.runs[0].stages.write_queue.peak == 5' "$WORK/pipeline-wb/results.json"

# A PostgreSQL that turns connections away (20 wanted, 10 allowed): exit 2
# with one line naming what failed.
for m in hybrid pipeline; do
  rc=0
  "$CONCBENCH" run --out "$WORK/$m-nopg" progress=0 --model "$m" --requests 300 \
    --concurrency 10 --latency-ms 5 pg_max_conns=10 db_conns=20 \
    >"$WORK/$m-nopg.stdout" 2>"$WORK/$m-nopg.stderr" || rc=$?
  [ "$rc" -eq 2 ] && echo "ok: $m/nopg: exit 2" || fail "$m/nopg: exit $rc, want 2"
  n=$(grep -cE "^$m: (PostgreSQL connection [0-9]+|writer) cannot connect|^$m: PostgreSQL connection [0-9]+: cannot connect" \
    "$WORK/$m-nopg.stderr" || true)
  [ "$n" -eq 1 ] && echo "ok: $m/nopg: one clear line" ||
    fail "$m/nopg: $n lines naming the connection failure: $(cat "$WORK/$m-nopg.stderr")"
done
finish

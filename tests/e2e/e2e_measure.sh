#!/usr/bin/env bash
# Measurement you can trust: the harness's peak memory and CPU of a process
# tree of known cost, by every method this machine offers, and a cross-check
# against GNU time on the same command. Usage: e2e_measure.sh CONCBENCH MEMHOG
source "$(dirname "$0")/../lib/e2e_lib.sh"
MEMHOG=${2:?memhog path}
MIB=$((1024 * 1024))

# within VALUE EXPECTED PCT: |VALUE - EXPECTED| <= PCT% of EXPECTED
within() { awk -v v="$1" -v e="$2" -v p="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }'; }

methods=(proc-pss)
for m in cgroup-v1 cgroup-v2; do
  if "$CONCBENCH" measure --memory-method "$m" -- true 2>/dev/null; then methods+=("$m"); fi
done
echo "methods available: ${methods[*]}"

for m in "${methods[@]}"; do
  "$CONCBENCH" measure --json --memory-method "$m" -- "$MEMHOG" mem 64 >"$WORK/one.json"
  peak=$(jq .peak_mem_bytes "$WORK/one.json")
  within "$peak" $((64 * MIB)) 10 && echo "ok: $m: one process of 64 MiB measured as $((peak / MIB)) MiB" \
    || fail "$m: one process of 64 MiB measured as $peak bytes"

  "$CONCBENCH" measure --json --memory-method "$m" -- "$MEMHOG" mem 32 4 >"$WORK/tree.json"
  peak=$(jq .peak_mem_bytes "$WORK/tree.json")
  within "$peak" $((128 * MIB)) 10 && echo "ok: $m: 4 children x 32 MiB measured as $((peak / MIB)) MiB (the tree, not the largest child)" \
    || fail "$m: 4 children x 32 MiB measured as $peak bytes, want ~128 MiB"
done

# Socket buffers: 32 MiB queued in loopback TCP connections the process
# never reads (kernel memory, outside its RSS). A method that says it counts
# them must see at least that; one that says it does not must not pretend.
for m in "${methods[@]}"; do
  "$CONCBENCH" measure --json --memory-method "$m" -- "$MEMHOG" sock 32 >"$WORK/sock.json" \
    || fail "$m: memhog sock failed"
  peak=$(jq .peak_mem_bytes "$WORK/sock.json")
  how=$(jq -r .memory_method "$WORK/sock.json")
  case "$how" in
    *"not counted"*)
      [ "$peak" -lt $((32 * MIB)) ] && echo "ok: $m: socket buffers not counted, and said so ($how)" \
        || fail "$m: '$how' yet $peak bytes for 32 MiB of socket buffers" ;;
    *)
      [ "$peak" -ge $((32 * MIB)) ] && echo "ok: $m: 32 MiB of socket buffers measured as $((peak / MIB)) MiB ($how)" \
        || fail "$m: 32 MiB of socket buffers measured as $peak bytes by '$how'" ;;
  esac
done

"$CONCBENCH" measure --json -- "$MEMHOG" cpu 0.5 2 >"$WORK/cpu.json"
cpu=$(jq '.cpu_user_s + .cpu_sys_s' "$WORK/cpu.json")
within "$cpu" 1.0 10 && echo "ok: two children burning 0.5 s each measured as $cpu s" \
  || fail "two children burning 0.5 s each measured as $cpu s"

# Cross-check with GNU time on the same single-process command.
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$MEMHOG" mem 64 2>"$WORK/gnutime" >/dev/null
  gt_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/gnutime")
  "$CONCBENCH" measure --json -- "$MEMHOG" mem 64 >"$WORK/ours.json"
  ours=$(jq .peak_mem_bytes "$WORK/ours.json")
  within "$ours" $((gt_kb * 1024)) 10 && echo "ok: peak memory $((ours / 1024)) KiB vs GNU time's $gt_kb KiB" \
    || fail "peak memory $ours bytes vs GNU time's $gt_kb KiB"
  /usr/bin/time -v "$MEMHOG" cpu 0.6 0 2>"$WORK/gnutime" >/dev/null
  gt_cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {print u + s}' "$WORK/gnutime")
  "$CONCBENCH" measure --json -- "$MEMHOG" cpu 0.6 0 >"$WORK/ours.json"
  ours=$(jq '.cpu_user_s + .cpu_sys_s' "$WORK/ours.json")
  within "$ours" "$gt_cpu" 10 && echo "ok: CPU $ours s vs GNU time's $gt_cpu s" || fail "CPU $ours s vs GNU time's $gt_cpu s"
else
  fail "/usr/bin/time (GNU time) missing: scripts/install-deps.sh installs it"
fi

# measure passes the command's exit status through and names a command it cannot run.
set +e
"$CONCBENCH" measure -- sh -c 'exit 7' 2>/dev/null; rc=$?
"$CONCBENCH" measure -- /nonexistent/cmd 2>"$WORK/err"; rc2=$?
set -e
[ "$rc" -eq 7 ] && echo "ok: exit status passed through" || fail "exit status $rc, want 7"
[ "$rc2" -eq 127 ] && grep -q "cannot run /nonexistent/cmd" "$WORK/err" && echo "ok: missing command named" \
  || fail "missing command: exit $rc2"

# Repetitions: three runs give median, min and max, and median lies between.
"$CONCBENCH" run --model thread-pool --requests 100 --concurrency 10 --latency-ms 5 --repeat 3 \
  --out "$WORK/rep" progress=0 >/dev/null 2>"$WORK/rep.err" || fail "repeat run failed: $(tail -3 "$WORK/rep.err")"
r="$WORK/rep/results.json"
check "three measured runs" '(.runs | length) == 3 and .summary[0].runs == 3' "$r"
# The summary's figures recomputed here from the three runs' wall times.
check "summary wall_s: median, min and max of the runs" \
  '([.runs[].wall_s] | sort) as $w | .summary[0].wall_s | (.median == $w[1] and .min == $w[0] and .max == $w[2])' "$r"
finish

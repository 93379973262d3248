#!/usr/bin/env bash
# Nothing outlives a run, and what an unclean exit leaves is cleaned up:
#   - SIGKILL of the harness in every model's run: the model's processes
#     (PR_SET_PDEATHSIG, workers included) and the services die with it
#     within 3 s; its memory cgroup and service folders are left...
#   - ...and the next run removes them (their owner is gone), while it
#     leaves alone a folder whose owner lives, one whose owner file is
#     not ours, and a symlink (never followed);
#   - SIGKILL of the model's top process (process-pool, stream-workers):
#     its workers do not keep the run's cgroup alive; the run ends with
#     exit 2 and no cgroup of the harness is left.
# Every signal goes to a process this script started, by PID.
source "$(dirname "$0")/../lib/e2e_lib.sh"
CG_ROOTS="/sys/fs/cgroup/memory /sys/fs/cgroup/unified /sys/fs/cgroup"



# cgroup_of PID: the path of PID's concbench memory cgroup ("" if none).
cgroup_of() {
  local name r
  name=$(grep -o 'concbench-[^/]*' /proc/$1/cgroup 2>/dev/null | head -1 || true)
  [ -n "$name" ] || return 0
  for r in $CG_ROOTS; do
    [ -d "$r/$name" ] && { echo "$r/$name"; return 0; }
  done
}

# harness_cgroups PID: cgroups named after harness PID that still exist.
harness_cgroups() {
  local r
  for r in $CG_ROOTS; do
    ls -d "$r"/concbench-*-"$1"-* "$r"/concbench-"$1"-* 2>/dev/null || true
  done
}

# ---- SIGKILL of the harness, every model, side by side ----------------------
kill_case() { # MODEL
  local model=$1 cb child tree left
  "$CONCBENCH" run --model "$model" --requests 20000 --concurrency 10 --latency-ms 200 \
    --out "$WORK/kill-$model" progress=0 >/dev/null 2>&1 &
  cb=$!
  wait_child $cb concbench || { fail "$model: the model never started"; return; }
  sleep 0.5
  child=$(pgrep -P $cb -x concbench | head -1 || true)
  tree=$(descendants $cb)
  cgroup_of "$child" >"$WORK/cg-$model"
  for p in $tree; do tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null || true; done |
    grep -oE '/tmp/concbench-(pg|redis)-[A-Za-z0-9]+' | sort -u >"$WORK/dirs-$model" || true
  kill -KILL $cb
  wait $cb 2>/dev/null || true
  for _ in $(seq 30); do
    left=$(alive "$tree")
    [ -z "$left" ] && break
    sleep 0.1
  done
  if [ -z "$left" ]; then
    echo "ok: $model: SIGKILL of the harness: its $(echo $tree | wc -w) processes died with it"
  else
    fail "$model: SIGKILL of the harness left running after 3 s:$left"
    for p in $left; do kill -KILL "${p%%(*}" 2>/dev/null || true; done # ours: the run's tree
  fi
}

# ---- SIGKILL of the model's top process -------------------------------------
top_case() { # MODEL
  local model=$1 cb child tree left
  "$CONCBENCH" run --model "$model" --requests 20000 --concurrency 10 --latency-ms 200 \
    --out "$WORK/top-$model" progress=0 >"$WORK/top-$model.out" 2>&1 &
  cb=$!
  wait_child $cb concbench || { fail "$model: the model never started"; return; }
  sleep 0.5
  child=$(pgrep -P $cb -x concbench | head -1 || true)
  tree=$(descendants "$child")
  [ -n "$(cgroup_of "$child")" ] || echo "note: $model: no memory cgroup here; the cgroup check is vacuous"
  kill -KILL "$child"
  set +e
  wait $cb
  rc=$?
  set -e
  [ "$rc" = 2 ] && echo "ok: $model: its top process killed -> exit 2" \
    || fail "$model: its top process killed -> exit $rc, want 2"
  left=$(alive "$tree")
  if [ -z "$left" ]; then
    echo "ok: $model: none of its $(echo $tree | wc -w) processes is left"
  else
    fail "$model: left running:$left"
    for p in $left; do kill -KILL "${p%%(*}" 2>/dev/null || true; done # ours: the model's tree
  fi
  left=$(harness_cgroups $cb)
  [ -z "$left" ] && echo "ok: $model: its cgroup was emptied and removed" \
    || fail "$model: cgroup left behind: $left"
}

models=$("$CONCBENCH" list | awk '/^Models:/ {m = 1; next} /^$/ {m = 0} m && /^  [a-z]/ {print $1}')
cases=()
for m in $models; do cases+=("kill_case $m"); done
cases+=("top_case process-pool" "top_case stream-workers")
run_cases "${cases[@]}"

# ---- the next run sweeps what the killed ones left --------------------------
stale=$(cat "$WORK"/cg-* "$WORK"/dirs-* | sort -u)
for s in $stale; do
  [ -e "$s" ] || fail "leftover $s was not there to sweep (the SIGKILL cases cleaned up?)"
done
# Planted folders: the owner is identified by PID namespace, PID and start
# time (/proc/PID/stat field 22), as concbench writes it.
ns=$(stat -L -c %i /proc/self/ns/pid)
start=$(awk '{sub(/.*\) /, ""); print $20}' /proc/$$/stat)
live=$(mktemp -d /tmp/concbench-pg-XXXXXX)
echo "$ns-$$-$start" >"$live/concbench.owner"
reused=$(mktemp -d /tmp/concbench-redis-XXXXXX) # our PID, another start time: gone
echo "$ns-$$-1" >"$reused/concbench.owner"
notours=$(mktemp -d /tmp/concbench-pg-XXXXXX)
echo "$ns-$$-1" >"$notours/concbench.owner"
chown nobody "$notours/concbench.owner"
mkdir "$WORK/victim"
echo "$ns-$$-1" >"$WORK/victim/concbench.owner"
link=$(mktemp -u /tmp/concbench-pg-XXXXXX)
ln -s "$WORK/victim" "$link"
trap 'rm -rf "$WORK" "$live" "$reused" "$notours"; rm -f "$link"' EXIT

"$CONCBENCH" run --model thread-pool --requests 20 --concurrency 2 --out "$WORK/sweep" \
  progress=0 >"$WORK/sweep.out" 2>"$WORK/sweep.err" || fail "the sweeping run failed: $(tail -2 "$WORK/sweep.err")"
n=0
for s in $stale; do
  [ -e "$s" ] && fail "left by a killed harness and not swept: $s" || n=$((n + 1))
done
echo "ok: the next run removed the $n cgroups and folders the killed harnesses left"
[ ! -e "$reused" ] && echo "ok: a folder whose owner PID came round again (another start time) was removed" \
  || fail "a folder of a gone owner (PID reused) was kept: $reused"
[ -f "$live/concbench.owner" ] && echo "ok: a folder whose owner is alive was left alone" \
  || fail "the folder of a live owner was removed: $live"
[ -f "$notours/concbench.owner" ] && echo "ok: a folder whose owner file is not ours was left alone" \
  || fail "a folder with someone else's owner file was removed: $notours"
[ -L "$link" ] && [ -f "$WORK/victim/concbench.owner" ] && echo "ok: a symlink named like ours was not followed" \
  || fail "the symlink $link or its target was touched"
finish

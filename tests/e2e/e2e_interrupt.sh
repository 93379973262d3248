#!/usr/bin/env bash
# Interruption: SIGINT or SIGTERM in the middle of any model's run stops the
# model's whole tree and every service the harness started (no orphan
# process, no temporary directory), writes results marked incomplete, and
# exits 130 or 143.
source "$(dirname "$0")/../lib/e2e_lib.sh"

models=$("$CONCBENCH" list | awk '/^Models:/ {m = 1; next} /^$/ {m = 0} m && /^  [a-z]/ {print $1}')
[ -n "$models" ] || { fail "no models listed"; finish; }
# And an external model whose tree is a Python parent and 10 forked workers
# (docs/external-models.md: Ctrl-C stops the whole tree, as for every model).
models="$models py-process-pool"

# wait_for_model PID: until the run under PID is running a model (the harness
# has started its services and forked the model's child, a concbench below
# concbench), at most 20 s.
wait_for_model() {
  for _ in $(seq 1 200); do
    for p in $(descendants "$1"); do
      [ "$(cat /proc/$p/comm 2>/dev/null)" = concbench ] && return 0
    done
    sleep 0.1
  done
}

i=0
for model in $models; do
  i=$((i + 1))
  if [ $((i % 2)) -eq 1 ]; then sig=INT; want=130; else sig=TERM; want=143; fi
  out="$WORK/$model"
  # unbounded-loop sends all N at once and would finish within about one
  # latency: give it 5 s so the signal lands mid-run, as for the others.
  lat=200
  [ "$model" = unbounded-loop ] && lat=5000
  "$CONCBENCH" run --model "$model" --requests 20000 --concurrency 10 --latency-ms "$lat" \
    --out "$out" progress=0 >"$WORK/$model.out" 2>"$WORK/$model.err" &
  cb=$!
  wait_for_model "$cb"
  sleep 1
  tree=$(descendants $cb)
  tmpdirs=$(for p in $tree; do tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null; done | grep -oE '/tmp/concbench-(pg|redis)-[A-Za-z0-9]+' | sort -u || true)
  kill -s "$sig" "$cb"
  set +e
  timeout 30 tail --pid="$cb" -f /dev/null
  wait "$cb"
  rc=$?
  set -e
  [ "$rc" -eq "$want" ] && echo "ok: $model: SIG$sig -> exit $rc" || fail "$model: SIG$sig -> exit $rc, want $want; $(tail -2 "$WORK/$model.err")"
  left=""
  for p in $tree; do kill -0 "$p" 2>/dev/null && left="$left $p($(cat /proc/$p/comm 2>/dev/null))"; done
  [ -z "$left" ] && echo "ok: $model: all $(echo $tree | wc -w) processes of the run are gone" || fail "$model: left running:$left"
  for d in $tmpdirs; do
    [ ! -e "$d" ] || fail "$model: temporary directory $d left behind"
  done
  [ -n "$tmpdirs" ] && echo "ok: $model: temporary directories removed: $(echo $tmpdirs)" || fail "$model: no service temporary directory seen"
  if [ -f "$out/results.json" ]; then
    check "$model: results marked incomplete" ".complete == false and .exit_status == $want" "$out/results.json"
    check "$model: the interrupted run is not verified" '[.runs[] | .verified] | all(. == false)' "$out/results.json"
  else
    fail "$model: no results.json after the interruption"
  fi
  grep -q "INTERRUPTED" "$WORK/$model.out" && echo "ok: $model: says INTERRUPTED" || fail "$model: no INTERRUPTED line"
done

# A second Ctrl-C exits at once, and takes the services down with it.
"$CONCBENCH" run --model semaphore-loop --requests 20000 --concurrency 10 --latency-ms 200 \
  --out "$WORK/twice" progress=0 >/dev/null 2>&1 &
cb=$!
wait_for_model "$cb"
tree=$(descendants $cb)
kill -INT "$cb"
sleep 0.1 # two signals sent back to back would merge into one
start=$(date +%s%N)
kill -INT "$cb"
set +e
wait "$cb"
rc=$?
set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 130 ] && [ "$ms" -lt 2000 ] && echo "ok: a second SIGINT exits at once (exit $rc after $ms ms)" \
  || fail "second SIGINT: exit $rc after $ms ms"
# The services were SIGKILLed; PostgreSQL's backends notice their
# postmaster's death and exit on their own, which takes a moment on a busy
# machine: wait for the tree to be gone, up to 5 s. A process whose stat
# cannot be read any more, or a zombie (state Z, waiting for init to reap
# it), is dead.
left_of_tree() {
  local p c st out=""
  for p in $tree; do
    c=$(cat /proc/$p/comm 2>/dev/null || true)
    st=$(awk '{print $3}' /proc/$p/stat 2>/dev/null || true)
    [ -n "$c" ] && [ -n "$st" ] && [ "$st" != Z ] && out="$out $p($c,$st)"
  done
  echo "$out"
}
for _ in $(seq 50); do
  left=$(left_of_tree)
  [ -z "$left" ] && break
  sleep 0.1
done
[ -z "$left" ] && echo "ok: neither the model nor a service survives a second SIGINT" \
  || fail "left after a second SIGINT:$left"
finish

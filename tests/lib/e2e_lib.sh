# Shared helpers of the end-to-end tests. Source it; $1 of the test is the
# concbench binary.
set -euo pipefail
CONCBENCH=${1:?usage: $0 path/to/concbench}
WORK=$(mktemp -d /tmp/concbench-test-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0

fail() {
  echo "FAIL: $*" >&2
  FAILS=$((FAILS + 1))
}

# check DESCRIPTION JQ_EXPR FILE: the jq expression must print true.
check() {
  local desc=$1 expr=$2 file=$3
  if [ "$(jq -r "$expr" "$file" 2>/dev/null)" = "true" ]; then
    echo "ok: $desc"
  else
    fail "$desc ($expr) — got: $(jq -c "${expr%%[=<>!]*}" "$file" 2>/dev/null | head -c 300)"
  fi
}

# page_refs_resolve PAGE: every <img src> and <a href> of the HTML page
# resolves: an anchor with its id in the page, a data: URL, the SVG
# namespace name, or a file beside the page. Says how many.
page_refs_resolve() {
  local page=$1 ref n=0
  for ref in $(grep -Eo '<img [^>]*src="[^"]*"|<a [^>]*href="[^"]*"' "$page" | sed -E 's/.*(src|href)="//; s/"$//'); do
    n=$((n + 1))
    case $ref in
      data:* | http://www.w3.org/* | https://www.w3.org/*) ;;
      \#*) grep -q " id=\"${ref#\#}\"" "$page" || fail "$page: link $ref: no such id" ;;
      *://*) fail "$page refers outside itself: $ref" ;;
      *) [ -e "$(dirname "$page")/${ref%%#*}" ] || fail "$page: <img>/link $ref does not resolve" ;;
    esac
  done
  echo "ok: $n <img>/link(s) of $(basename "$page") checked"
}

# descendants PID: every process below PID (one ps, walked breadth-first).
descendants() {
  ps -eo pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      q[0] = root; n = 1
      for (i = 0; i < n; i++)
        for (p in parent)
          if (parent[p] == q[i]) { q[n++] = p; print p }
    }'
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

# alive PIDS: those of PIDS still running (zombies count as dead), as
# "pid(comm,state)".
alive() {
  local p st out=""
  for p in $1; do
    st=$(awk '{print $3}' /proc/$p/stat 2>/dev/null || true)
    [ -n "$st" ] && [ "$st" != Z ] && out="$out $p($(cat /proc/$p/comm 2>/dev/null),$st)"
  done
  echo "$out"
}

# wait_child PID COMM [MAX_S]: until PID has a child named COMM (every
# 10 ms, at most MAX_S s, default 30). Returns 1 if none came.
wait_child() {
  local n=$(( ${3:-30} * 100 ))
  for _ in $(seq 1 "$n"); do
    pgrep -P "$1" -x "$2" >/dev/null && return 0
    sleep 0.01
  done
  return 1
}

# run_cases CASE...: runs each CASE (a command line: a function and its
# arguments) in a subshell of its own, side by side, then prints their
# lines case by case and adds their failures to FAILS.
run_cases() {
  local i n pids=()
  for i in $(seq 1 $#); do
    (
      FAILS=0
      ${!i}
      exit $FAILS
    ) >"$WORK/case-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in $(seq 1 $#); do
    set +e
    wait "${pids[$((i - 1))]}"
    n=$?
    set -e
    cat "$WORK/case-$i.log"
    # A case that stopped on an error (set -e) has said nothing of it.
    [ "$n" -gt 0 ] && ! grep -q '^FAIL' "$WORK/case-$i.log" &&
      echo "FAIL: case '${!i}' stopped early (exit $n)" >&2
    FAILS=$((FAILS + n))
  done
}

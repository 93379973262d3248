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

#!/usr/bin/env bash
# The layering contract (docs/architecture.md), checked on every project
# #include: each folder includes only from itself and the layers below it,
# and no chain of modules (x.c + x.h) loops back on itself.
#
#   common < workload < engine < models < harness;  mock_server beside
#   models (common, workload); inside harness: config < services < run <
#   report < cli.
#
# usage: layers.sh SOURCE_DIR
set -uo pipefail
cd "${1:?usage: layers.sh SOURCE_DIR}" || exit 2

allowed() { # the include prefixes a file in folder $1 may use
  case "$1" in
    common) echo "common" ;;
    workload) echo "common workload" ;;
    engine) echo "common workload engine" ;;
    models) echo "common workload engine models" ;;
    mock_server) echo "common workload mock_server" ;;
    harness/config) echo "common workload harness/config" ;;
    harness/services) echo "common workload engine harness/config harness/services" ;;
    harness/run) echo "common workload engine models harness/config harness/services harness/run" ;;
    harness/report) echo "common workload engine models harness/config harness/run harness/report" ;;
    harness/cli) echo "common workload engine models mock_server harness" ;;
    *) echo "" ;;
  esac
}

layer_of() { # the layer a path belongs to
  case "$1" in
    harness/*/*) echo "${1%/*}" | cut -d/ -f1-2 ;;
    */*) echo "${1%%/*}" ;;
    *) echo "" ;;
  esac
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r f; do
  layer=$(layer_of "$f")
  ok=$(allowed "$layer")
  [ -n "$ok" ] || continue
  while IFS= read -r inc; do
    case "$inc" in
      */*) target=$inc ;;
      *) target="${f%/*}/$inc" ;; # a sibling, by bare name
    esac
    if [ ! -f "$target" ]; then
      echo "FAIL: $f includes \"$inc\", which is not a file of the project"
      bad=1
      continue
    fi
    tl=$(layer_of "$target")
    permitted=0
    for p in $ok; do
      case "$tl" in "$p" | "$p"/*) permitted=1 ;; esac
    done
    if [ "$permitted" = 0 ]; then
      echo "FAIL: $f ($layer) includes $target ($tl): not a layer below it"
      bad=1
    fi
    # Modules, not files: x.c and x.h are one module, so x.c -> y.h and
    # y.c -> x.h is the loop it is.
    [ "${f%.?}" = "${target%.?}" ] || echo "${f%.?} ${target%.?}" >>"$edges"
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(git ls-files 'common/*.[ch]' 'workload/*.[ch]' 'engine/*.[ch]' 'models/*.[ch]' \
  'mock_server/*.[ch]' 'harness/*.[ch]' 2>/dev/null || find common workload engine models \
  mock_server harness -name '*.[ch]')

# A module that (through others) depends on itself: tsort names the loop.
if ! tsort <"$edges" >/dev/null 2>"$edges.err"; then
  echo "FAIL: include cycle:"
  sed 's/^/  /' "$edges.err"
  bad=1
fi
rm -f "$edges.err"
[ "$bad" = 0 ] && echo "ok: every include respects the layers, and none loops"
exit "$bad"

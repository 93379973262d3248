#!/usr/bin/env bash
# --version of both binaries, and cmake/version.cmake (which the build runs
# every time) on a scratch git repository: clean, dirty, a new commit, a
# touched but unchanged file, and no git at all.
# usage: cli_version.sh CONCBENCH MOCKAPI SOURCE_DIR
source "$(dirname "$0")/../lib/e2e_lib.sh"
MOCKAPI=${2:?mockapi}
SRC=${3:?source dir}

re='^concbench [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{12}(-dirty)?|unknown), [A-Za-z]+ build\)$'
"$CONCBENCH" --version >"$WORK/cb" || fail "concbench --version exit $?"
head -1 "$WORK/cb" | grep -qE "$re" && echo "ok: concbench --version: $(head -1 "$WORK/cb")" ||
  fail "concbench --version first line: $(head -1 "$WORK/cb")"
grep -qE '^libcurl [0-9.]+, libuv [0-9.]+, libpq [0-9.]+, jansson [0-9.]+, hiredis [0-9.]+$' "$WORK/cb" &&
  echo "ok: concbench --version names the libraries" || fail "library line: $(sed -n 2p "$WORK/cb")"
"$MOCKAPI" --version >"$WORK/mk" || fail "mockapi --version exit $?"
grep -qE '^mockapi [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{12}(-dirty)?|unknown)\)$' "$WORK/mk" &&
  echo "ok: mockapi --version" || fail "mockapi --version: $(cat "$WORK/mk")"
c1=$(head -1 "$WORK/cb" | sed -E 's/.*\(git ([^,]+),.*/\1/')
c2=$(head -1 "$WORK/mk" | sed -E 's/.*\(git ([^)]+)\).*/\1/')
[ "$c1" = "$c2" ] && echo "ok: both binaries carry the same commit ($c1)" || fail "commits differ: $c1 vs $c2"

# The script itself, on a repository whose state the test sets.
gen() { cmake -DSRC_DIR="$1" -DOUT="$WORK/v.c" -DVERSION=9.8.7 -P "$SRC/cmake/version.cmake" &&
  sed -nE 's/^const char cb_git_commit\[\] = "(.*)";$/\1/p' "$WORK/v.c"; }
repo=$WORK/repo
git init -q "$repo"
git -C "$repo" -c user.email=t@t -c user.name=t commit -q --allow-empty -m one
echo a >"$repo/f" && git -C "$repo" add f &&
  git -C "$repo" -c user.email=t@t -c user.name=t commit -q -m two
h=$(git -C "$repo" rev-parse --short=12 HEAD)
[ "$(gen "$repo")" = "$h" ] && echo "ok: clean tree: $h" || fail "clean tree: $(gen "$repo"), want $h"
grep -q 'cb_version\[\] = "9.8.7"' "$WORK/v.c" && echo "ok: version recorded" || fail "version: $(cat "$WORK/v.c")"
echo b >"$repo/f"
[ "$(gen "$repo")" = "$h-dirty" ] && echo "ok: a changed tracked file marks it dirty" ||
  fail "dirty tree: $(gen "$repo"), want $h-dirty"
git -C "$repo" -c user.email=t@t -c user.name=t commit -q -am three
h2=$(git -C "$repo" rev-parse --short=12 HEAD)
[ "$(gen "$repo")" = "$h2" ] && [ "$h2" != "$h" ] && echo "ok: a new commit is picked up without reconfiguring" ||
  fail "after a commit: $(gen "$repo"), want $h2"
before=$(stat -c %Y "$WORK/v.c")
sleep 1.1
touch "$repo/f"
echo untracked >"$repo/new-file"
[ "$(gen "$repo")" = "$h2" ] && echo "ok: a touched file or an untracked one is not dirt" ||
  fail "touched: $(gen "$repo"), want $h2"
[ "$(stat -c %Y "$WORK/v.c")" = "$before" ] && echo "ok: unchanged text is not rewritten (nothing recompiles)" ||
  fail "version_info.c rewritten with the same text"
mkdir "$WORK/nogit"
[ "$(gen "$WORK/nogit")" = "unknown" ] && echo "ok: outside git: unknown" || fail "no git: $(gen "$WORK/nogit")"
finish

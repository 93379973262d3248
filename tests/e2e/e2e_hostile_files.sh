#!/usr/bin/env bash
# Hostile folders and hostile results (issue 17 points 1, 3, 11), run as
# root with the attacker side as user nobody:
# - an --out folder another user can write, or owns, or can replace, is
#   refused before anything is written into it (a planted .probe symlink
#   once created a file of the attacker's choosing as root), and
#   --save-baseline never writes through a symlink;
# - gnuplot runs from a private folder: a common.gp swapped into the
#   results folder while the charts are drawn is not run;
# - text from results.json is never code in a chart script (gnuplot runs
#   `backquoted` commands inside double-quoted strings);
# - on a full disk no truncated chart is left, `concbench plot` and `run`
#   exit non-zero, and report.html is not announced when it was not written.
#   e2e_hostile_files.sh CONCBENCH SAMPLE_DIR
source "$(dirname "$0")/../lib/e2e_lib.sh"
SAMPLE=${2:?usage: $0 CONCBENCH SAMPLE_DIR}
cleanup() {
  mountpoint -q "$WORK/disk" 2>/dev/null && umount "$WORK/disk"
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ] || ! command -v runuser >/dev/null; then
  echo "SKIP: needs root and runuser to act as another user (nobody)"
  exit 77
fi
chmod 711 "$WORK" # nobody may walk through, not list or write
sample() { rm -rf "$1" && cp -r "$SAMPLE" "$1" && rm -f "$1/README.md"; }

# refused DESC DIR: `run --out DIR` exits 2 naming the folder, before any
# service starts and without writing into it.
refused() {
  local rc=0
  "$CONCBENCH" run --model thread-pool --requests 1 --out "$2" progress=0 >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" = 2 ] && grep -q "output folder $2" "$WORK/err" && ! grep -q "starting a private" "$WORK/err"; then
    echo "ok: $1: refused: $(head -1 "$WORK/err" | cut -c1-160)"
  else
    fail "$1: exit $rc: $(head -2 "$WORK/err")"
  fi
}

# ---- point 1: folders others can write --------------------------------------
mkdir -m 0777 "$WORK/open"
runuser -u nobody -- ln -s "$WORK/victim" "$WORK/open/.probe"
refused "an --out folder writable by others, a .probe symlink planted by nobody" "$WORK/open"
[ ! -e "$WORK/victim" ] && echo "ok: the symlink's target was not created" ||
  fail "root created $WORK/victim through nobody's symlink"
mkdir -m 0775 "$WORK/group"
refused "an --out folder writable by its group" "$WORK/group"
mkdir "$WORK/theirs" && chown nobody "$WORK/theirs"
refused "an --out folder owned by nobody" "$WORK/theirs"
refused "an --out folder inside a folder others can write" "$WORK/open/sub"
[ ! -e "$WORK/open/sub" ] || [ "$(stat -c %U "$WORK/open/sub")" = root ] || fail "sub made by someone else"
ln -s "$WORK/group" "$WORK/link"
refused "an --out that is a symlink" "$WORK/link"
# --save-baseline at a path where nobody planted a symlink: the baseline
# replaces the link, the link's target is not written.
runuser -u nobody -- ln -s "$WORK/victim2" "$WORK/open/base.json"
"$CONCBENCH" run --model thread-pool --requests 5 --concurrency 1 --latency-ms 1 --out "$WORK/b" \
  --save-baseline "$WORK/open/base.json" progress=0 >/dev/null 2>"$WORK/err" ||
  fail "--save-baseline: $(grep -v -e starting -e ' ready; its cluster' "$WORK/err" | head -2)"
[ ! -e "$WORK/victim2" ] && [ -f "$WORK/open/base.json" ] && [ ! -L "$WORK/open/base.json" ] &&
  echo "ok: --save-baseline replaces a planted symlink instead of writing through it" ||
  fail "--save-baseline wrote through nobody's symlink"
# Inside a sticky folder (as /tmp) a folder of ours is fine.
mkdir -m 1777 "$WORK/sticky"
sample "$WORK/sticky/ours"
"$CONCBENCH" plot "$WORK/sticky/ours" >/dev/null 2>"$WORK/err" &&
  echo "ok: a folder of ours inside a sticky folder is accepted" ||
  fail "plot in a folder of ours inside a sticky folder: $(head -2 "$WORK/err")"
sample "$WORK/theirs/r" && chown -R nobody "$WORK/theirs/r"
rc=0
"$CONCBENCH" plot "$WORK/theirs/r" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] && grep -q "belongs to uid" "$WORK/err" && echo "ok: plot refuses a folder owned by nobody" ||
  fail "plot of nobody's folder: exit $rc: $(head -2 "$WORK/err")"

# ---- point 1: gnuplot loads nothing from the results folder -------------------
# A gnuplot in PATH that swaps the folder's common.gp just before the real
# one starts (as an attacker racing the run would), and notes its cwd.
REAL_GNUPLOT=$(command -v gnuplot || true)
if [ -n "$REAL_GNUPLOT" ]; then
  mkdir "$WORK/bin"
  cat >"$WORK/bin/gnuplot" <<EOS
#!/bin/sh
printf 'system("touch $WORK/pwned-common")\n' >"$WORK/swap/common.gp"
pwd >>"$WORK/gnuplot-cwd"
exec "$REAL_GNUPLOT" "\$@"
EOS
  chmod 755 "$WORK/bin/gnuplot"
  sample "$WORK/swap"
  PATH="$WORK/bin:$PATH" "$CONCBENCH" plot "$WORK/swap" >/dev/null 2>"$WORK/err" ||
    fail "plot with a swapped common.gp: $(head -2 "$WORK/err")"
  [ ! -e "$WORK/pwned-common" ] && echo "ok: a common.gp swapped into the folder is not run" ||
    fail "gnuplot ran the common.gp swapped into the results folder"
  grep -qvx "$WORK/swap" "$WORK/gnuplot-cwd" && ! grep -qx "$WORK/swap" "$WORK/gnuplot-cwd" &&
    echo "ok: gnuplot runs outside the results folder ($(head -1 "$WORK/gnuplot-cwd"))" ||
    fail "gnuplot ran in the results folder"
else
  echo "skipped: gnuplot not installed"
fi

# A private folder left by a concbench that died while drawing (its PID is
# in the name) is removed by the next one; one whose owner lives is not.
DEAD=$(sh -c 'echo $$')
mkdir -m 700 "/tmp/concbench-plot-$DEAD-hstest" "/tmp/concbench-plot-$$-hstest"
touch "/tmp/concbench-plot-$DEAD-hstest/chart-wall.png"
sample "$WORK/sweep"
"$CONCBENCH" plot "$WORK/sweep" >/dev/null 2>&1 || fail "plot for the sweep: exit $?"
[ ! -e "/tmp/concbench-plot-$DEAD-hstest" ] && [ -d "/tmp/concbench-plot-$$-hstest" ] &&
  echo "ok: a dead owner's private plot folder is removed, a live one's kept" ||
  fail "private plot folders: dead owner's $(ls -d /tmp/concbench-plot-$DEAD-hstest 2>&1), live one's $(ls -d /tmp/concbench-plot-$$-hstest 2>&1)"
rm -rf "/tmp/concbench-plot-$DEAD-hstest" "/tmp/concbench-plot-$$-hstest"
[ -z "$(ls -d /tmp/concbench-plot-* 2>/dev/null | while read -r d; do
  p=${d#/tmp/concbench-plot-}; p=${p%%-*}; [ "$p" -gt 0 ] 2>/dev/null && ! kill -0 "$p" 2>/dev/null && echo "$d"; done)" ] &&
  echo "ok: no private plot folder of a dead concbench is left in /tmp" ||
  fail "private plot folders of dead processes left in /tmp"

# ---- point 3: results.json text is data, never gnuplot code -------------------
sample "$WORK/bq"
export HS_MARK1=$WORK/pwned-model HS_MARK2=$WORK/pwned-scen
M1='a`touch $HS_MARK1`'"'"'q'
jq --arg m "$M1" --arg s '`touch $HS_MARK2`"\n$(id)' \
  '(.summary[] | select(.model == "thread-pool") | .model) |= $m
   | (.runs[] | select(.model == "thread-pool") | .model) |= $m
   | .config.scenario = $s' "$SAMPLE/results.json" >"$WORK/bq/results.json"
for f in "$WORK"/bq/*-thread-pool-*.csv; do mv "$f" "${f/thread-pool/$M1}"; done
rc=0
"$CONCBENCH" plot "$WORK/bq" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 0 ] || fail "plot of a results.json with backquotes: exit $rc: $(head -2 "$WORK/err")"
[ ! -e "$WORK/pwned-model" ] && [ ! -e "$WORK/pwned-scen" ] &&
  echo "ok: backquotes in a model name and the scenario are not run by gnuplot" ||
  fail "gnuplot ran a command from results.json: $(ls "$WORK" | grep -E 'pwned-(model|scen)')"
grep -qF 'touch' "$WORK/bq/chart-wall.svg" && echo "ok: the model name is drawn as written" ||
  fail "the model name with backquotes is not in chart-wall.svg"

# ---- point 11: a full disk while drawing --------------------------------------
whole() { # whole FILE: a PNG with its IEND chunk or an SVG with its end tag
  case "$1" in
  *.png) [ "$(tail -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 49454e44ae426082 ] ;;
  *.svg) tail -c 16 "$1" | grep -q '</svg>' ;;
  esac
}
# all_charts_whole DIR: DIR/report.html names at least one chart file, and
# every chart file it names (inline SVGs link their PNG and SVG) is in DIR,
# whole.
all_charts_whole() {
  local f n=0
  for f in $(grep -o 'chart-[a-z-]*\.\(png\|svg\)' "$1/report.html" | sort -u); do
    [ -e "$1/$f" ] && whole "$1/$f" || return 1
    n=$((n + 1))
  done
  [ "$n" -gt 0 ]
}
mkdir "$WORK/disk"
if mount -t tmpfs -o size=1m tmpfs "$WORK/disk" 2>/dev/null; then
  umount "$WORK/disk"
  for size in 200k 400k 600k 800k 2m; do
    mount -t tmpfs -o size=$size tmpfs "$WORK/disk"
    sample "$WORK/disk/r" 2>/dev/null || true
    rc=0
    "$CONCBENCH" plot "$WORK/disk/r" >"$WORK/out" 2>"$WORK/err" || rc=$?
    bad=""
    for f in "$WORK"/disk/r/chart-*.png "$WORK"/disk/r/chart-*.svg; do
      [ -e "$f" ] && ! whole "$f" && bad="$bad $(basename "$f")"
    done
    tmp=$(ls -A "$WORK/disk/r" | grep '^\.' | tr '\n' ' ' || true)
    if [ -n "$bad" ] || [ -n "$tmp" ]; then
      fail "full disk ($size): truncated charts:$bad; temporary files: $tmp"
    elif [ "$rc" = 0 ] && [ -e "$WORK/disk/r/report.html" ] && all_charts_whole "$WORK/disk/r"; then
      echo "ok: full disk ($size): exit 0, every chart whole"
    elif [ "$rc" = 2 ] && grep -q "No space left on device" "$WORK/err" && ! grep -q '^report:' "$WORK/out"; then
      echo "ok: full disk ($size): exit 2, No space left on device, no chart half-written"
    else
      fail "full disk ($size): exit $rc: $(head -2 "$WORK/err"); stdout: $(head -2 "$WORK/out")"
    fi
    umount "$WORK/disk"
  done
  # A whole run whose results fit and whose charts do not.
  mount -t tmpfs -o size=96k tmpfs "$WORK/disk"
  rc=0
  "$CONCBENCH" run --model thread-pool --requests 20 --concurrency 2 --latency-ms 1 \
    --out "$WORK/disk/run" progress=0 >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" = 2 ] && { grep -q '^report:  not written' "$WORK/out" ||
    grep -q '^report: .*(incomplete' "$WORK/out"; }; then
    echo "ok: run on a full disk: exit 2, $(grep '^report:' "$WORK/out")"
  else
    fail "run on a full disk: exit $rc, no report.html; stdout: $(grep -E '^(results|report)' "$WORK/out")"
  fi
  # results.json says exit 2, or (when even it could not be rewritten) the
  # run says that it still says 0.
  if grep -q "results.json still says exit status 0; this run's is 2" "$WORK/err"; then
    echo "ok: run on a full disk: says results.json could not be rewritten with exit 2"
  elif [ -e "$WORK/disk/run/results.json" ]; then
    check "run on a full disk: results.json says exit 2" '.exit_status == 2' "$WORK/disk/run/results.json"
  fi
  umount "$WORK/disk"
else
  echo "skipped: full disk (cannot mount a tmpfs)"
fi
finish

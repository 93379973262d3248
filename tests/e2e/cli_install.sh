#!/usr/bin/env bash
# cmake --install into a scratch prefix, then: the installed concbench finds
# its scenarios, gnuplot scripts and external models there (not in the
# source tree); each
# man page names exactly the options its binary's --help names, and every
# knob; the bash completion completes subcommands, options, models,
# scenarios and knobs for a few prefixes.
# usage: cli_install.sh CONCBENCH BUILD_DIR PLOT_SAMPLE_DIR
source "$(dirname "$0")/../lib/e2e_lib.sh"
BUILD=${2:?build dir}
SAMPLE=${3:?plot sample dir}
P=$WORK/prefix

cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1 || fail "cmake --install: $(tail -3 "$WORK/install.log")"
for f in bin/concbench bin/mockapi share/man/man1/concbench.1 share/man/man1/mockapi.1 \
  share/bash-completion/completions/concbench share/bash-completion/completions/mockapi \
  share/concbench/scenarios/default.conf share/concbench/plots/common.gp share/concbench/plots/chart-wall.gp; do
  [ -e "$P/$f" ] || fail "not installed: $f"
done
echo "ok: installed binaries, man pages, completion, scenarios, plots"

# The installed binary looks beside itself, not in the source tree.
"$P/bin/concbench" list >"$WORK/list" 2>&1
grep -q "files in $P/bin/../share/concbench/scenarios" "$WORK/list" &&
  echo "ok: installed concbench lists its installed scenarios" || fail "scenario folder: $(grep 'files in' "$WORK/list")"
echo "# mine — a scenario only the installed copy has." >"$P/share/concbench/scenarios/only-installed.conf"
"$P/bin/concbench" list scenarios | grep -qx only-installed && echo "ok: installed scenarios are the ones read" ||
  fail "installed scenario not listed"
grep -q "files in $P/bin/../share/concbench/models/external" "$WORK/list" &&
  "$P/bin/concbench" list models | grep -qx py-threads &&
  [ -e "$P/share/concbench/examples/python/threads_queue.py" ] &&
  echo "ok: installed concbench finds its external models and their example programs" ||
  fail "external models: $(grep -i 'external' "$WORK/list" | head -2)"
"$P/bin/concbench" --version | head -1 | grep -q '^concbench ' && "$P/bin/mockapi" --version | grep -q '^mockapi ' &&
  echo "ok: installed --version" || fail "installed --version"
cp -r "$SAMPLE" "$WORK/plot" && chmod -R u+w "$WORK/plot"
rm -f "$WORK/plot"/*.png "$WORK/plot"/*.svg
if "$P/bin/concbench" plot "$WORK/plot" >"$WORK/plot.out" 2>&1 && [ -s "$WORK/plot/chart-wall.png" ]; then
  echo "ok: installed concbench draws charts with its installed scripts"
else
  fail "installed plot: $(tail -3 "$WORK/plot.out")"
fi

# Man pages: the options of --help, no more, no fewer; every knob named.
man_opts() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1" | grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' | sort -u; }
help_opts() { grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' | sort -u; }
for c in "" run compare measure worker list plot; do "$CONCBENCH" $c --help 2>&1; done | help_opts >"$WORK/cb.help"
man_opts "$P/share/man/man1/concbench.1" >"$WORK/cb.man"
if diff "$WORK/cb.help" "$WORK/cb.man" >"$WORK/cb.diff"; then
  echo "ok: concbench.1 names exactly the $(wc -l <"$WORK/cb.help") options of --help"
else
  fail "concbench.1 vs --help (< help only, > man only): $(tr '\n' ' ' <"$WORK/cb.diff")"
fi
"$P/bin/mockapi" --help | help_opts >"$WORK/mk.help"
man_opts "$P/share/man/man1/mockapi.1" >"$WORK/mk.man"
if diff "$WORK/mk.help" "$WORK/mk.man" >"$WORK/mk.diff"; then
  echo "ok: mockapi.1 names exactly the $(wc -l <"$WORK/mk.help") options of --help"
else
  fail "mockapi.1 vs --help (< help only, > man only): $(tr '\n' ' ' <"$WORK/mk.diff")"
fi
missing=$("$CONCBENCH" list knobs | while read -r k; do grep -q "^\.BR $k\b" "$P/share/man/man1/concbench.1" || echo "$k"; done)
[ -z "$missing" ] && echo "ok: concbench.1 names every knob" || fail "knobs missing from concbench.1: $missing"
MANWIDTH=100 man -l "$P/share/man/man1/concbench.1" >"$WORK/man.txt" 2>"$WORK/man.err" && [ ! -s "$WORK/man.err" ] &&
  grep -q "EXIT STATUS" "$WORK/man.txt" && echo "ok: concbench.1 renders without warnings" ||
  fail "man -l concbench.1: $(head -3 "$WORK/man.err")"

# Completion: source it and ask, as bash would, for a few prefixes (in an
# empty folder, so file names do not join in).
mkdir "$WORK/empty" && cd "$WORK/empty"
complete_at() { # WORDS...: completes the last word; prints the candidates
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
    case ${COMP_WORDS[0]} in *mockapi) _mockapi ;; *) _concbench ;; esac; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$P/share/bash-completion/completions/concbench" "$@" | sort | paste -sd' '
}
expect_completion() { # WANT WORDS...
  local want=$1 got
  shift
  got=$(complete_at "$@")
  [ "$got" = "$want" ] && echo "ok: complete '${*:2}': $got" || fail "complete '${*:2}': got '$got', want '$want'"
}
CB=$P/bin/concbench
expect_completion "compare" "$CB" co
expect_completion "measure" "$CB" me
expect_completion "--max-error-rate --max-mem-mib --max-p99-ms" "$CB" compare a.json b.json --max
expect_completion "--max-error-rate --max-mem-mib --max-p99-ms" "$CB" run --max-
expect_completion "$("$CB" list models | grep '^s' | sort | paste -sd' ')" "$CB" run --model s
expect_completion "thread-pool,semaphore-loop thread-pool,stream-workers" "$CB" run --model thread-pool,s
expect_completion "$("$CB" list scenarios | grep '^c' | sort | paste -sd' ')" "$CB" run --scenario c
expect_completion "0 1 json" "$CB" run --progress ''
expect_completion "$("$CB" list knobs | grep '^t' | sed 's/$/=/' | sort | paste -sd' ')" "$CB" run t
expect_completion "scenarios" "$CB" list s
expect_completion "" "$CB" run --requests ''
# every model `list models` names, whatever models/external holds
expect_completion "$( (echo all; "$CB" list models) | sort | paste -sd' ')" "$CB" run --model ''
"$CB" list models | grep -qx thread-pool && echo "ok: list models names the built-in models" || fail "list models"
expect_completion "wall,rss" "$CB" compare --metric wall,r
expect_completion "--latency-dist --latency-max-ms --latency-min-ms --latency-ms --latency-sd-ms --latency-sigma" \
  "$P/bin/mockapi" --latency
expect_completion "--version" "$P/bin/mockapi" --ve
expect_completion "--allow-invalid" "$CB" compare a.json b.json --al
finish

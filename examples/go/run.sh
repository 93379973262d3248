#!/bin/sh
# Runs a Go model (goroutines | pool | streams), compiling it first when its
# sources changed. The binary is kept in a private folder of the user's,
# ${XDG_CACHE_HOME:-$HOME/.cache}/concbench-go (mode 700, ours, not a
# symlink), named by the sources' SHA-256; a compile goes to a fresh
# folder inside it and is renamed into place, so concurrent runs never see
# half a binary. Offline, from Debian's packaged sources:
# golang-go, golang-github-lib-pq-dev, golang-github-gomodule-redigo-dev
# (scripts/install-deps.sh).
#   run.sh --build   compile only (do it before measuring: a compile inside
#                    a run is part of its wall time)
set -eu
src=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/concbench-go
command -v go >/dev/null 2>&1 || { echo "go is not installed (scripts/install-deps.sh installs it)" >&2; exit 2; }
mkdir -p -m 700 "$cache"
if [ -L "$cache" ] || [ ! -O "$cache" ]; then
  echo "$cache is not a folder of this user's: remove it" >&2
  exit 2
fi
sum=$(cat "$src"/*.go | sha256sum | cut -c1-16)
bin=$cache/concbench-go-$sum
if [ ! -x "$bin" ]; then
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  if ! (cd "$src" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$cache/gocache" \
        go build -o "$tmp/concbench-go" .) >&2; then
    rm -rf "$tmp"
    echo "cannot compile examples/go (are golang-github-lib-pq-dev and golang-github-gomodule-redigo-dev installed?)" >&2
    exit 2
  fi
  mv -f "$tmp/concbench-go" "$bin"
  rm -rf "$tmp"
fi
[ "${1:-}" = --build ] && exit 0
exec "$bin" "$@"

#!/usr/bin/env bash
# Installs every Debian package concbench needs to build, test and run.
# Idempotent and quiet when everything is already there; exits 0 when all
# packages are installed afterwards, else non-zero with one line saying
# what failed and what to do.
#
# For tests (tests/e2e/install_deps.sh): INSTALL_DEPS_POLICY overrides the
# path of invoke-rc.d's policy file.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libuv1-dev libcurl4-openssl-dev libpq-dev libjansson-dev libhiredis-dev libssl-dev
  libcmocka-dev
  postgresql redis-server gnuplot-nox
  jq curl time procps nghttp2-client iproute2
  clang libclang-rt-14-dev valgrind
  python3 python3-psycopg2 python3-aiohttp python3-asyncpg python3-redis
  golang-go golang-github-lib-pq-dev golang-github-gomodule-redigo-dev
)

say() { echo "install-deps: $*" >&2; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

mapfile -t missing < <(missing_packages)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    say "missing packages (${missing[*]}) and not root: run as root, or install them"
    exit 2
  fi
  SUDO=(sudo)
fi
say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# The postgresql and redis-server packages start system services where an
# init system runs; concbench never uses them (it starts private servers),
# so invoke-rc.d is told not to start anything while we install. A policy
# file that is already there is left as it is.
policy=${INSTALL_DEPS_POLICY:-/usr/sbin/policy-rc.d}
created_policy=0
cleanup() {
  # An EXIT trap's last status becomes the script's: never let a false
  # test here turn a successful install into a failure.
  if [ "$created_policy" = 1 ]; then
    "${SUDO[@]}" rm -f "$policy" || true
  fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  if printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null &&
    "${SUDO[@]}" chmod +x "$policy"; then
    created_policy=1
  else
    say "cannot write $policy; installing anyway (services may start)"
  fi
fi

if ! "${SUDO[@]}" apt-get update -qq; then
  say "apt-get update failed: check the machine's Debian mirror and network, then run again"
  exit 1
fi
if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  say "apt-get install failed for: ${missing[*]} (see apt's message above)"
  exit 1
fi
mapfile -t still < <(missing_packages)
if [ ${#still[@]} -ne 0 ]; then
  say "still missing after apt-get install: ${still[*]}"
  exit 1
fi
exit 0

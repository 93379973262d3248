#!/usr/bin/env bash
# Installs every Debian package concbench needs to build, test and run.
# Idempotent and quiet when everything is already there.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libuv1-dev libcurl4-openssl-dev libpq-dev libjansson-dev libhiredis-dev libssl-dev
  libcmocka-dev
  postgresql redis-server gnuplot-nox
  jq curl time procps
  clang libclang-rt-14-dev valgrind
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    SUDO="sudo"
  else
    echo "install-deps: missing packages (${missing[*]}) and not root: run as root or install them" >&2
    exit 2
  fi
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The postgresql and redis-server packages start system services where an init
# system runs; concbench never uses them (it starts private servers), so tell
# invoke-rc.d not to start anything while we install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created_policy=1
fi
# An EXIT trap's last status becomes the script's: never let a false test
# here turn a successful install into a failure.
cleanup() {
  if [ "$created_policy" = 1 ]; then
    $SUDO rm -f "$policy"
  fi
}
trap cleanup EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

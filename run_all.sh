#!/usr/bin/env bash
# The two commands of the quick start:
#   ./run_all.sh        install what is missing, build, run the default benchmark
#   ./run_all.sh test   install what is missing, build, run every test with ctest
# Extra arguments after `./run_all.sh` are passed to `concbench run`.
set -euo pipefail
cd "$(dirname "$0")"

mode=bench
if [ "${1:-}" = "test" ]; then
  mode=test
  shift
fi

scripts/install-deps.sh

cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
[ "${CI:-}" = "true" ] && cmake_args+=(-DCONCBENCH_WERROR=ON)
cmake -S . -B build "${cmake_args[@]}" >/dev/null
cmake --build build -j "$(nproc)"

if [ "$mode" = test ]; then
  cd build
  exec ctest --output-on-failure --timeout 600 "$@"
fi

exec build/concbench run --scenario default "$@"

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
  # 1. The whole suite on the normal build.
  (cd build && ctest --output-on-failure --timeout 600 "$@")
  # 2. The threaded code (the queue, thread-pool, the event-loop engine that
  #    stream-workers shares) under ThreadSanitizer.
  cmake -S . -B build-tsan "${cmake_args[@]}" -DCONCBENCH_TSAN=ON >/dev/null
  cmake --build build-tsan -j "$(nproc)"
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure --timeout 900 \
    -R 'unit_bqueue|e2e_thread_pool|e2e_loops')
  # 3. The whole suite on an AddressSanitizer + UndefinedBehaviorSanitizer
  #    build (any report aborts the test). The fuzz and leak tests bring
  #    their own instrumentation and ran above.
  cmake -S . -B build-asan "${cmake_args[@]}" -DCONCBENCH_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$(nproc)"
  export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  cd build-asan
  exec ctest --output-on-failure --timeout 900 -LE 'fuzz|leaks' "$@"
fi

exec build/concbench run --scenario default "$@"

# Reliability (issue 11); include()d from tests/CMakeLists.txt.
#   fuzz_http_parser, fuzz_config, fuzz_transform (label fuzz): mockapi's
#     request parser, the scenario parser, and the transform every model runs
#     on the API's bodies, as libFuzzer targets built with
#     clang (the main build may use gcc), each run for CONCBENCH_FUZZ_SECONDS
#     from its seed corpus in tests/fuzz/<target>/. Without clang and its
#     libFuzzer runtime (Debian: clang, libclang-rt-14-dev) they are skipped.
#   e2e_leaks (label leaks): mockapi and one run of each model under valgrind.
#   e2e_bad_input (label e2e): wrong servers, hung servers, malformed
#     scenarios, a full disk: one clear line, a non-zero exit, bounded time.

set(CONCBENCH_FUZZ_SECONDS 20 CACHE STRING "Seconds each fuzz test runs under ctest")

find_program(CB_CLANG NAMES clang clang-16 clang-15 clang-14 DOC "clang for the libFuzzer targets")
set(CB_FUZZ_SKIP "")
if(NOT CB_CLANG)
  set(CB_FUZZ_SKIP "clang not found: install the Debian packages clang and libclang-rt-14-dev")
else()
  # clang without its libFuzzer runtime compiles but cannot link -fsanitize=fuzzer.
  set(CB_FUZZ_PROBE ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe)
  file(WRITE ${CB_FUZZ_PROBE}.c
       "#include <stddef.h>\n#include <stdint.h>\n"
       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n"
       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(COMMAND ${CB_CLANG} -fsanitize=fuzzer,address ${CB_FUZZ_PROBE}.c -o ${CB_FUZZ_PROBE}
                  RESULT_VARIABLE CB_FUZZ_PROBE_RC OUTPUT_QUIET ERROR_QUIET)
  if(NOT CB_FUZZ_PROBE_RC EQUAL 0)
    set(CB_FUZZ_SKIP "${CB_CLANG} cannot link -fsanitize=fuzzer: install libclang-rt-14-dev")
  endif()
endif()

set(CB_FUZZ_TARGETS http_parser config transform)
set(CB_FUZZ_SOURCES_http_parser ${CMAKE_SOURCE_DIR}/mock_server/http_parser.c)
set(CB_FUZZ_DEPENDS_http_parser ${CMAKE_SOURCE_DIR}/mock_server/http_parser.h)
set(CB_FUZZ_FLAGS_http_parser -I${CMAKE_SOURCE_DIR}/mock_server)
set(CB_FUZZ_ARGS_http_parser -dict=${CMAKE_SOURCE_DIR}/tests/fuzz/http_parser.dict)
set(CB_FUZZ_SOURCES_config ${CMAKE_SOURCE_DIR}/harness/config.c)
set(CB_FUZZ_DEPENDS_config ${CMAKE_SOURCE_DIR}/harness/config.h
    ${CMAKE_SOURCE_DIR}/models/model.h ${CMAKE_SOURCE_DIR}/workload/outcome.h)
set(CB_FUZZ_FLAGS_config -I${CMAKE_SOURCE_DIR}/harness -I${CMAKE_SOURCE_DIR}/models
    -I${CMAKE_SOURCE_DIR}/workload -DCONCBENCH_SCENARIO_DIR="${CMAKE_SOURCE_DIR}/scenarios")
# The shipped scenarios are seeds too: the corpus follows them as they change.
set(CB_FUZZ_ARGS_config ${CMAKE_SOURCE_DIR}/scenarios)
set(CB_FUZZ_SOURCES_transform ${CMAKE_SOURCE_DIR}/workload/transform.c
    ${CMAKE_SOURCE_DIR}/workload/order.c)
set(CB_FUZZ_DEPENDS_transform ${CMAKE_SOURCE_DIR}/workload/transform.h
    ${CMAKE_SOURCE_DIR}/workload/order.h)
set(CB_FUZZ_FLAGS_transform -I${CMAKE_SOURCE_DIR}/workload ${JANSSON_CFLAGS} ${CRYPTO_CFLAGS})
set(CB_FUZZ_LIBS_transform ${JANSSON_LDFLAGS} ${CRYPTO_LDFLAGS})

set(CB_FUZZ_CFLAGS -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
if(CONCBENCH_WERROR)
  list(APPEND CB_FUZZ_CFLAGS -Werror)
endif()

foreach(t ${CB_FUZZ_TARGETS})
  if(CB_FUZZ_SKIP)
    add_test(NAME fuzz_${t} COMMAND sh -c "echo 'SKIP: fuzz_${t}: ${CB_FUZZ_SKIP}'; exit 77")
    set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz SKIP_RETURN_CODE 77)
    continue()
  endif()
  set(bin ${CMAKE_BINARY_DIR}/fuzz_${t})
  add_custom_command(
    OUTPUT ${bin}
    COMMAND ${CB_CLANG} ${CB_FUZZ_CFLAGS} ${CB_FUZZ_FLAGS_${t}}
            ${CMAKE_SOURCE_DIR}/tests/fuzz_${t}.c ${CB_FUZZ_SOURCES_${t}} ${CB_FUZZ_LIBS_${t}} -lm
            -o ${bin}
    DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz_${t}.c ${CB_FUZZ_SOURCES_${t}} ${CB_FUZZ_DEPENDS_${t}}
    COMMENT "Building libFuzzer target fuzz_${t} with ${CB_CLANG}"
    VERBATIM)
  add_custom_target(fuzz_${t}_bin ALL DEPENDS ${bin})
  add_test(NAME fuzz_${t}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fuzz/run.sh ${bin} ${CONCBENCH_FUZZ_SECONDS}
                   ${CMAKE_BINARY_DIR}/fuzz-artifacts ${CMAKE_SOURCE_DIR}/tests/fuzz/${t}
                   ${CB_FUZZ_ARGS_${t}})
  set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz TIMEOUT 300)
endforeach()

add_test(NAME e2e_bad_input COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_bad_input.sh $<TARGET_FILE:concbench>)
set_tests_properties(e2e_bad_input PROPERTIES TIMEOUT 300 LABELS e2e RUN_SERIAL TRUE)

if(CONCBENCH_SANITIZE)
  # valgrind cannot run AddressSanitizer binaries; that build checks itself.
  add_test(NAME e2e_leaks COMMAND sh -c
           "echo 'SKIP: e2e_leaks: valgrind cannot check a -DCONCBENCH_SANITIZE=ON build'; exit 77")
else()
  add_test(NAME e2e_leaks COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_leaks.sh $<TARGET_FILE:concbench>)
endif()
set_tests_properties(e2e_leaks PROPERTIES TIMEOUT 300 LABELS leaks RUN_SERIAL TRUE SKIP_RETURN_CODE 77)

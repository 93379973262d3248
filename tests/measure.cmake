add_executable(memhog ${CMAKE_CURRENT_LIST_DIR}/helpers/memhog.c)
# Its memory is the known quantity the test measures: no sanitizer shadow.
target_compile_options(memhog PRIVATE -fno-sanitize=all)
target_link_options(memhog PRIVATE -fno-sanitize=all)
add_test(NAME e2e_measure COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_measure.sh
                                  $<TARGET_FILE:concbench> $<TARGET_FILE:memhog>)
set_tests_properties(e2e_measure PROPERTIES TIMEOUT 180 LABELS e2e RUN_SERIAL TRUE)

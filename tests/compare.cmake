# `concbench compare`, the CI regression gate: the verdict rules on
# hand-written results (unit), and the real binary's exit statuses (bash).
add_executable(test_compare ${CMAKE_CURRENT_LIST_DIR}/test_compare.c)
target_link_libraries(test_compare PRIVATE cb_harness PkgConfig::CMOCKA)
add_test(NAME unit_compare COMMAND test_compare ${CMAKE_CURRENT_LIST_DIR}/data/compare)

add_test(NAME compare_cli COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_compare.sh
                                  $<TARGET_FILE:concbench> ${CMAKE_CURRENT_LIST_DIR}/data/compare)
set_tests_properties(compare_cli PROPERTIES TIMEOUT 60)

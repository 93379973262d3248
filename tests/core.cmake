# Core unit tests and the foundation's end-to-end tests.
add_executable(test_workload ${CMAKE_CURRENT_LIST_DIR}/test_workload.c)
target_link_libraries(test_workload PRIVATE cb_workload PkgConfig::CMOCKA)
add_test(NAME unit_workload COMMAND test_workload)

add_executable(test_bqueue ${CMAKE_CURRENT_LIST_DIR}/test_bqueue.c)
target_link_libraries(test_bqueue PRIVATE cb_models PkgConfig::CMOCKA)
add_test(NAME unit_bqueue COMMAND test_bqueue)

add_executable(test_harness_units ${CMAKE_CURRENT_LIST_DIR}/test_harness_units.c)
target_link_libraries(test_harness_units PRIVATE cb_harness PkgConfig::CMOCKA)
add_test(NAME unit_harness COMMAND test_harness_units)

add_executable(test_services ${CMAKE_CURRENT_LIST_DIR}/test_services.c)
target_link_libraries(test_services PRIVATE cb_harness PkgConfig::CMOCKA)
add_test(NAME services COMMAND test_services)
set_tests_properties(services PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)

foreach(t e2e_thread_pool e2e_usage_errors)
  add_test(NAME ${t} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${t}.sh $<TARGET_FILE:concbench>)
  set_tests_properties(${t} PROPERTIES TIMEOUT 300 LABELS e2e RUN_SERIAL TRUE)
endforeach()

add_test(NAME e2e_interrupt COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_interrupt.sh $<TARGET_FILE:concbench>)
set_tests_properties(e2e_interrupt PROPERTIES TIMEOUT 300 LABELS e2e RUN_SERIAL TRUE)

add_test(NAME e2e_sweep COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_sweep.sh $<TARGET_FILE:concbench>)
set_tests_properties(e2e_sweep PROPERTIES TIMEOUT 300 LABELS e2e RUN_SERIAL TRUE)

add_test(NAME e2e_scenarios COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_scenarios.sh $<TARGET_FILE:concbench>)
set_tests_properties(e2e_scenarios PROPERTIES TIMEOUT 600 LABELS e2e RUN_SERIAL TRUE)

# mockapi's tests; include()d from tests/CMakeLists.txt.
#   mockapi_parser, _faults, _options, _stats: cmocka unit tests of cb_mockhttp
#   mockapi_e2e, mockapi_load: cmocka tests that run the real binary over sockets
#   mockapi_cli: the command-line contract, with curl

if(CMOCKA_FOUND)
  foreach(t parser faults options stats)
    add_executable(test_mockapi_${t} ${CMAKE_SOURCE_DIR}/tests/test_mockapi_${t}.c)
    target_link_libraries(test_mockapi_${t} PRIVATE cb_mockhttp PkgConfig::CMOCKA m)
    add_test(NAME mockapi_${t} COMMAND test_mockapi_${t})
    set_tests_properties(mockapi_${t} PROPERTIES TIMEOUT 30)
  endforeach()

  # End-to-end: the real binary over sockets; helpers in test_mockapi_client.c.
  foreach(t e2e load)
    add_executable(test_mockapi_${t} ${CMAKE_SOURCE_DIR}/tests/test_mockapi_${t}.c
                                     ${CMAKE_SOURCE_DIR}/tests/test_mockapi_client.c)
    target_link_libraries(test_mockapi_${t} PRIVATE cb_mockhttp cb_workload PkgConfig::CMOCKA
                          PkgConfig::JANSSON Threads::Threads m)
    add_test(NAME mockapi_${t} COMMAND test_mockapi_${t} $<TARGET_FILE:mockapi>)
    set_tests_properties(mockapi_${t} PROPERTIES TIMEOUT 60)
  endforeach()
else()
  message(WARNING "cmocka not found: mockapi unit and e2e tests are not built")
endif()

add_test(NAME mockapi_cli COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mockapi_cli.sh
                                  $<TARGET_FILE:mockapi>)
set_tests_properties(mockapi_cli PROPERTIES TIMEOUT 60)

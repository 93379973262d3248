# stream-workers end to end against a redis-server the test starts itself:
# plain run (rows verified, Redis keys cleaned up), crash recovery through
# XAUTOCLAIM, an external `concbench worker` joining a run, and an
# unreachable Redis failing fast.
add_test(NAME e2e_stream_workers
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_stream_workers.sh $<TARGET_FILE:concbench>)
set_tests_properties(e2e_stream_workers PROPERTIES TIMEOUT 300 LABELS e2e RUN_SERIAL TRUE)

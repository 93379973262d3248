# unbounded-loop and semaphore-loop end to end (models/loop_engine.c).
add_test(NAME e2e_loops COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_loops.sh $<TARGET_FILE:concbench>)
set_tests_properties(e2e_loops PROPERTIES TIMEOUT 300 LABELS e2e RUN_SERIAL TRUE)

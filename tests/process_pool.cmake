# process-pool end to end: plain run, crash recovery, and a pool whose
# workers cannot connect to PostgreSQL.
add_test(NAME e2e_process_pool
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/e2e_process_pool.sh $<TARGET_FILE:concbench>)
set_tests_properties(e2e_process_pool PROPERTIES TIMEOUT 300 LABELS e2e RUN_SERIAL TRUE)

# `concbench plot` on a stored, synthetic results folder (tests/data/plot-sample,
# see its README): summary files, charts, report.html and the failure modes.
# plot_chromium also renders report.html in headless Chromium; it is skipped
# (exit 77) where chromium is not installed.
add_test(NAME plot COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_plot.sh $<TARGET_FILE:concbench>
                           ${CMAKE_CURRENT_LIST_DIR}/data/plot-sample)
set_tests_properties(plot PROPERTIES TIMEOUT 120 LABELS plot)
add_test(NAME plot_chromium
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_plot.sh $<TARGET_FILE:concbench>
                 ${CMAKE_CURRENT_LIST_DIR}/data/plot-sample --chromium)
set_tests_properties(plot_chromium PROPERTIES TIMEOUT 180 LABELS plot SKIP_RETURN_CODE 77)

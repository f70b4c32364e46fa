# tests/report.cmake: `zcevo report` (scripts/report.py, master/cli/cmd_report.c)
# on synthetic inputs: closed-form correlations, every bad input refused with
# one line and nothing written, atomic output under a write error, the script
# found from a copy outside the tree and from an installed prefix
# (tests/report_test.sh). The report on real `zcevo proxies` output is
# proxies_command_and_report (tests/proxies.cmake).
add_test(NAME report_cli
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/report_test.sh $<TARGET_FILE:zcevo> ${ZCEVO_PYTHON}
                 ${CMAKE_BINARY_DIR} ${CMAKE_COMMAND})
set_tests_properties(report_cli PROPERTIES TIMEOUT 300
                     PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")

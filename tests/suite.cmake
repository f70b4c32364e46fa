# tests/suite.cmake: the rules of the test suite itself (docs/testing.md):
# tests/missing_dependency.sh (skip outside CI, fail under CI, GPU tests
# skip only without a GPU) and scripts/check_tests.py (a vanished, failed,
# skipped or unlisted test fails the run), on a throwaway CMake project
# (tests/suite_rules_test.sh, a few seconds).
add_test(NAME suite_rules
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/suite_rules_test.sh ${CMAKE_SOURCE_DIR}
                 ${CMAKE_COMMAND} ${CMAKE_CTEST_COMMAND} ${ZCEVO_PYTHON})
set_tests_properties(suite_rules PROPERTIES TIMEOUT 120
                     PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")

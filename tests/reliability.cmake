# tests/reliability.cmake: no output destroys an input, concurrent writers
# cannot corrupt, files read are checked, late failures come early (issue
# 14, the C side).
#   outputs: common/util/outputs.h in C (same-file tests, lock files with
#     stale-lock reclaim, claims, checked text outputs on a full disk).
#   reliability: each defect of the issue reproduced on the command line
#     (tests/reliability_test.sh: must fail on the code before the fix).
#   bad_input: the bad-input matrix of every command (tests/bad_input_test.sh):
#     one line naming the file or value, exit 1 (2 for usage), files
#     byte-identical.
add_executable(test_outputs ${CMAKE_CURRENT_SOURCE_DIR}/test_outputs.c)
target_link_libraries(test_outputs PRIVATE zcevo_core)
add_test(NAME outputs COMMAND test_outputs ${CMAKE_CURRENT_BINARY_DIR}/outputs_scratch)
set_tests_properties(outputs PROPERTIES TIMEOUT 120 LABELS "reliability"
                     PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
if(TARGET zcevo)
  add_test(NAME reliability
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/reliability_test.sh $<TARGET_FILE:zcevo>
                   ${ZCEVO_DATA_DIR})
  set_tests_properties(reliability PROPERTIES TIMEOUT 600 LABELS "reliability"
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
  add_test(NAME bad_input
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bad_input_test.sh $<TARGET_FILE:zcevo>
                   ${ZCEVO_DATA_DIR})
  set_tests_properties(bad_input PROPERTIES TIMEOUT 600 LABELS "reliability"
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
endif()

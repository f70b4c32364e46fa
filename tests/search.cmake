# tests/search.cmake: `zcevo search` (docs/search.md).
#   search_unit: encodings against the tables (bijection, mutations inside
#     the space), the score cache, the ranking rule, the stand-alone
#     supernet (tests/test_search.c).
#   search_zcpt_torch: Zero-Cost-PT on a tiny supernet against a PyTorch
#     supernet written for the test (tests/torch_supernet_ref.py).
#   search_command: determinism for a seed and for 1 or 3 MPI ranks, spaces,
#     usage errors (tests/search_test.sh); search_resume: a run killed with
#     SIGKILL resumes to the identical result (tests/search_resume_test.sh).
add_executable(test_search ${CMAKE_SOURCE_DIR}/tests/test_search.c)
target_link_libraries(test_search PRIVATE zcevo_app)
set(SEARCH_TEST_DIR ${CMAKE_BINARY_DIR}/search_test)
file(MAKE_DIRECTORY ${SEARCH_TEST_DIR})
add_test(NAME search_unit COMMAND test_search ${ZCEVO_DATA_DIR} ${SEARCH_TEST_DIR})
set_tests_properties(search_unit PROPERTIES TIMEOUT 120
                     PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")

add_test(NAME search_zcpt_torch
         COMMAND ${ZCEVO_PYTHON} ${CMAKE_SOURCE_DIR}/tests/torch_supernet_ref.py
                 --exe $<TARGET_FILE:test_search> --out ${SEARCH_TEST_DIR}/supernet.bin)
set_tests_properties(search_zcpt_torch PROPERTIES TIMEOUT 300
                     PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")

if(TARGET zcevo)
  add_test(NAME search_command
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/search_test.sh $<TARGET_FILE:zcevo>
                   ${ZCEVO_DATA_DIR} ${SEARCH_TEST_DIR})
  set_tests_properties(search_command PROPERTIES TIMEOUT 600
                       PASS_REGULAR_EXPRESSION "search command: all checks passed")
  add_test(NAME search_resume
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/search_resume_test.sh $<TARGET_FILE:zcevo>
                   ${ZCEVO_DATA_DIR} ${SEARCH_TEST_DIR})
  set_tests_properties(search_resume PROPERTIES TIMEOUT 600
                       PASS_REGULAR_EXPRESSION "search resume: identical")
endif()

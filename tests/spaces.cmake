# tests/spaces.cmake: the JSON-backed design spaces (issue 8): parameter
# counts of every architecture against the benchmark files, bad strings,
# RCB blocks; and all 22 terminals of `zcevo stats --store-params` against
# an independent PyTorch implementation (tests/torch_spaces_ref.py).
add_executable(test_spaces ${CMAKE_SOURCE_DIR}/tests/test_spaces.c)
target_link_libraries(test_spaces PRIVATE zcevo_core)
foreach(space nasbench_macro channel_resnet channel_mobilenet)
  add_test(NAME spaces_params_${space}
           COMMAND test_spaces ${ZCEVO_DATA_DIR} ${space})
  set_tests_properties(spaces_params_${space} PROPERTIES
                       PASS_REGULAR_EXPRESSION "all equal to the table: yes")
endforeach()

# tests/data.cmake: the data loaders (common/data/cifar.c, common/data/bench_table.c)
# against the real files of ${ZCEVO_DATA_DIR}. CTest name: data.
add_executable(test_data ${CMAKE_CURRENT_SOURCE_DIR}/test_data.c)
target_link_libraries(test_data PRIVATE zcevo_core)
add_test(NAME data COMMAND test_data ${ZCEVO_DATA_DIR})
set_tests_properties(data PROPERTIES TIMEOUT 120 LABELS "data")

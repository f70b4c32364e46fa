# fastmath.cmake: vectorisable exp/log against libm.
add_executable(test_fastmath ${CMAKE_CURRENT_SOURCE_DIR}/test_fastmath.c)
target_link_libraries(test_fastmath PRIVATE zcevo_core)
add_test(NAME fastmath COMMAND test_fastmath)

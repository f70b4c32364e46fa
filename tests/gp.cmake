# tests/gp.cmake: rank correlation tests (scipy fixtures written at test time
# into the build folder) and the genetic programming engine tests.
add_test(NAME correlation_fixtures
         COMMAND ${ZCEVO_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen_correlation_fixtures.py
                 ${CMAKE_CURRENT_BINARY_DIR}/correlation_fixtures.txt)
set_tests_properties(correlation_fixtures PROPERTIES FIXTURES_SETUP correlation_data)

add_executable(test_correlation test_correlation.c)
target_link_libraries(test_correlation PRIVATE zcevo_core)
add_test(NAME correlation
         COMMAND test_correlation ${CMAKE_CURRENT_BINARY_DIR}/correlation_fixtures.txt)
set_tests_properties(correlation PROPERTIES FIXTURES_REQUIRED correlation_data)

add_executable(test_gp test_gp.c)
target_link_libraries(test_gp PRIVATE zcevo_app)
add_test(NAME gp COMMAND test_gp)

add_executable(test_fitness test_fitness.c)
target_link_libraries(test_fitness PRIVATE zcevo_app)
add_test(NAME gp_fitness COMMAND test_fitness)

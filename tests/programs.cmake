# tests/programs.cmake: proxy programs, primitives and evaluator.
# programs_fixtures (FIXTURES_SETUP) runs the PyTorch fixture generator into
# the build folder; programs_primitives compares every primitive with it.
add_executable(test_primitives ${CMAKE_CURRENT_SOURCE_DIR}/test_primitives.c)
target_link_libraries(test_primitives PRIVATE zcevo_core)
add_test(NAME programs_fixtures
         COMMAND ${ZCEVO_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen_primitive_fixtures.py
                 ${CMAKE_CURRENT_BINARY_DIR}/primitive_fixtures.bin)
set_tests_properties(programs_fixtures PROPERTIES FIXTURES_SETUP primitive_fixtures)
add_test(NAME programs_primitives
         COMMAND test_primitives ${CMAKE_CURRENT_BINARY_DIR}/primitive_fixtures.bin)
set_tests_properties(programs_primitives PROPERTIES FIXTURES_REQUIRED primitive_fixtures)

add_executable(test_program ${CMAKE_CURRENT_SOURCE_DIR}/test_program.c)
target_link_libraries(test_program PRIVATE zcevo_core)
add_test(NAME programs_program COMMAND test_program)

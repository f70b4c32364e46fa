# tests/srnas.cmake: SR-NAS on the GP engine (docs/sr_nas.md): the small
# proxies files of srnas_fixture.py (FIXTURES_SETUP), the C test of the
# operators, scalar evaluator and hand computation (test_srnas.c), and the
# command-line runs of srnas_test.sh: the preset runs deterministically and
# resumes, 1 and 3 MPI ranks agree, zcevo score --proxies equals numpy and
# scipy, bad input is refused.
set(ZCEVO_SRNAS_WORK ${CMAKE_CURRENT_BINARY_DIR}/srnas_work)
file(MAKE_DIRECTORY ${ZCEVO_SRNAS_WORK}/fixture)
add_test(NAME srnas_fixture
         COMMAND ${ZCEVO_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/srnas_fixture.py
                 ${ZCEVO_SRNAS_WORK}/fixture)
set_tests_properties(srnas_fixture PROPERTIES FIXTURES_SETUP srnas_files)

add_executable(test_srnas ${CMAKE_CURRENT_SOURCE_DIR}/test_srnas.c)
target_link_libraries(test_srnas PRIVATE zcevo_app)
add_test(NAME srnas_engine COMMAND test_srnas ${ZCEVO_SRNAS_WORK}/fixture/task_a.h5)
set_tests_properties(srnas_engine PROPERTIES FIXTURES_REQUIRED srnas_files)

foreach(mode run score refuse)
  add_test(NAME srnas_${mode} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/srnas_test.sh
           $<TARGET_FILE:zcevo> ${ZCEVO_PYTHON} ${ZCEVO_SRNAS_WORK} ${mode})
  set_tests_properties(srnas_${mode} PROPERTIES FIXTURES_REQUIRED srnas_files TIMEOUT 180)
endforeach()
find_program(ZCEVO_SRNAS_MPIRUN NAMES mpirun mpiexec)
if(ZCEVO_SRNAS_MPIRUN)
  add_test(NAME srnas_ranks COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/srnas_test.sh
           $<TARGET_FILE:zcevo> ${ZCEVO_PYTHON} ${ZCEVO_SRNAS_WORK} ranks)
  set_tests_properties(srnas_ranks PROPERTIES FIXTURES_REQUIRED srnas_files TIMEOUT 240
                       RUN_SERIAL TRUE)
endif()

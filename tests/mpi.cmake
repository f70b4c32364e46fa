# mpi.cmake: distributed zcevo under mpirun (as root, oversubscribed):
# identical results for 1/2/3/5 ranks, split tasks, kill -9 + resume,
# signals, a lost worker, refusals, distributed stats. Scripts: tests/mpi_*.sh.
# Without mpirun the same tests are registered as missing dependencies
# (tests/missing_dependency.sh: skip, or fail under CI).
find_program(ZCEVO_MPIRUN NAMES mpirun mpiexec)
set(ZCEVO_MPI_WORK ${CMAKE_CURRENT_BINARY_DIR}/mpi_work)
set(ZCEVO_MPI_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/mpi_evolve_test.sh)
set(ZCEVO_MPI_MISSING "mpirun not found (Debian: openmpi-bin; scripts/install_deps.sh)")
if(ZCEVO_MPIRUN)
  add_test(NAME mpi_fixture COMMAND ${ZCEVO_MPI_SCRIPT} $<TARGET_FILE:zcevo>
           ${ZCEVO_DATA_DIR} ${ZCEVO_MPI_WORK} fixture)
else()
  zc_add_missing_test(mpi_fixture ${ZCEVO_MPI_MISSING})
endif()
set_tests_properties(mpi_fixture PROPERTIES FIXTURES_SETUP mpi_stats TIMEOUT 120)
foreach(mode ranks split resume signal lost refuse)
  if(ZCEVO_MPIRUN)
    add_test(NAME mpi_${mode} COMMAND ${ZCEVO_MPI_SCRIPT} $<TARGET_FILE:zcevo>
             ${ZCEVO_DATA_DIR} ${ZCEVO_MPI_WORK} ${mode})
  else()
    zc_add_missing_test(mpi_${mode} ${ZCEVO_MPI_MISSING})
  endif()
  set_tests_properties(mpi_${mode} PROPERTIES FIXTURES_REQUIRED mpi_stats TIMEOUT 240
                       RUN_SERIAL TRUE)
endforeach()
if(ZCEVO_MPIRUN)
  add_test(NAME mpi_stats COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mpi_stats_test.sh
           $<TARGET_FILE:zcevo> ${ZCEVO_DATA_DIR} ${CMAKE_CURRENT_BINARY_DIR}/mpi_work)
else()
  zc_add_missing_test(mpi_stats ${ZCEVO_MPI_MISSING})
endif()
set_tests_properties(mpi_stats PROPERTIES TIMEOUT 240 RUN_SERIAL TRUE)

# share plan and record serialisation (no MPI job needed)
add_executable(test_mpi_plan ${CMAKE_CURRENT_SOURCE_DIR}/test_mpi_plan.c)
target_link_libraries(test_mpi_plan PRIVATE zcevo_app)
add_test(NAME mpi_plan COMMAND test_mpi_plan)

# slurm.cmake: the slurm/ job templates on a private single-node SLURM
# cluster started by the tests (munge + slurmctld + slurmd from a temporary
# folder). SLURM (slurm-wlm, munge) is installed by scripts/install_deps.sh,
# never by a test; where it is missing the tests skip (77) through
# tests/missing_dependency.sh, and fail under CI=true / ZCEVO_TEST_STRICT=1.
# About 30 s (pipeline) + 120 s (requeue).
find_program(ZCEVO_SBATCH sbatch)
find_program(ZCEVO_SLURMCTLD slurmctld PATHS /usr/sbin)
find_program(ZCEVO_SLURMD slurmd PATHS /usr/sbin)
find_program(ZCEVO_MUNGED munged PATHS /usr/sbin)
if(ZCEVO_SBATCH AND ZCEVO_SLURMCTLD AND ZCEVO_SLURMD AND ZCEVO_MUNGED)
  set(ZCEVO_SLURM_FOUND ON)
else()
  set(ZCEVO_SLURM_FOUND OFF)
endif()
add_test(NAME slurm_cluster
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm_cluster_test.sh $<TARGET_FILE:zcevo>
                 ${ZCEVO_DATA_DIR} ${ZCEVO_PYTHON})
add_test(NAME slurm_requeue
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm_requeue_test.sh $<TARGET_FILE:zcevo>
                 ${ZCEVO_DATA_DIR})
set_tests_properties(slurm_cluster PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 LABELS slurm)
set_tests_properties(slurm_requeue PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 480 LABELS slurm)
# merge_stats.py alone (no SLURM): merge == one direct run, refusals (about 10 s)
add_test(NAME slurm_merge
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm_merge_test.sh $<TARGET_FILE:zcevo>
                 ${ZCEVO_DATA_DIR} ${ZCEVO_PYTHON})
set_tests_properties(slurm_merge PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS slurm)

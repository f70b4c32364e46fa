# slurm.cmake: the slurm/ job templates on a private single-node SLURM
# cluster started by the tests (munge + slurmctld + slurmd from a temporary
# folder; installed with apt-get when missing). Exit 77 = skipped (SLURM cannot
# be installed or started here). About 30 s (pipeline) + 90 s (requeue).
add_test(NAME slurm_cluster
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm_cluster_test.sh $<TARGET_FILE:zcevo>
                 ${ZCEVO_DATA_DIR} ${ZCEVO_PYTHON})
add_test(NAME slurm_requeue
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm_requeue_test.sh $<TARGET_FILE:zcevo>
                 ${ZCEVO_DATA_DIR})
set_tests_properties(slurm_cluster PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 LABELS slurm)
set_tests_properties(slurm_requeue PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 330 LABELS slurm)
# merge_stats.py alone (no SLURM): merge == one direct run, refusals (about 10 s)
add_test(NAME slurm_merge
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/slurm_merge_test.sh $<TARGET_FILE:zcevo>
                 ${ZCEVO_DATA_DIR} ${ZCEVO_PYTHON})
set_tests_properties(slurm_merge PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 LABELS slurm)

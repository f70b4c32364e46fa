# tests/stats_h5.cmake: the HDF5 statistics cache (common/stats/stats_h5.c).
# stats_h5: round trip, resume, refusals, corrupt files, locking, speed (C).
# stats_h5_inspect: scripts/inspect_stats.py (h5py only) reads the file the C
# test leaves behind and must report its 6 complete architectures.
add_executable(test_stats_h5 ${CMAKE_CURRENT_SOURCE_DIR}/test_stats_h5.c)
target_link_libraries(test_stats_h5 PRIVATE zcevo_core)
add_test(NAME stats_h5 COMMAND test_stats_h5 ${CMAKE_CURRENT_BINARY_DIR}/stats_h5_scratch)
set_tests_properties(stats_h5 PROPERTIES TIMEOUT 300 LABELS "stats_h5"
                     FIXTURES_SETUP stats_h5_file)

add_test(NAME stats_h5_inspect
         COMMAND ${ZCEVO_PYTHON} ${CMAKE_SOURCE_DIR}/scripts/inspect_stats.py
                 ${CMAKE_CURRENT_BINARY_DIR}/stats_h5_scratch/roundtrip.h5 --expect-archs 6)
# Exit status 0 (--expect-archs checks the count) AND the printed count.
set_tests_properties(stats_h5_inspect PROPERTIES LABELS "stats_h5"
                     FIXTURES_REQUIRED stats_h5_file)

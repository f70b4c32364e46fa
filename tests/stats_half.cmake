# tests/stats_half.cmake: the memory-lean (half-precision) form of the
# statistics (common/stats/stats_half.h) against an independent rounding
# reference.
add_executable(test_stats_half test_stats_half.c)
target_link_libraries(test_stats_half PRIVATE zcevo_core)
add_test(NAME stats_half COMMAND test_stats_half)

# tests/kernels.cmake: the CPU reference kernels against direct double loops
# (test `kernels`); also prints conv timings. OpenBLAS is kept at one thread,
# as zcevo runs it.
add_executable(test_kernels ${CMAKE_CURRENT_SOURCE_DIR}/test_kernels.c)
target_link_libraries(test_kernels PRIVATE zcevo_core)
add_test(NAME kernels COMMAND test_kernels)
set_tests_properties(kernels PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1" TIMEOUT 300)

# Kernel timings on NAS-Bench-201 shapes (not a test): build/bench_kernels.
add_executable(bench_kernels ${CMAKE_SOURCE_DIR}/scripts/bench_kernels.c)
target_link_libraries(bench_kernels PRIVATE zcevo_core)

# kernels_torch: conv / pooling / batch norm against PyTorch outputs written
# at test time by gen_kernel_fixtures.py.
add_test(NAME kernels_torch_fixtures
         COMMAND ${ZCEVO_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen_kernel_fixtures.py
                 ${CMAKE_CURRENT_BINARY_DIR}/kernel_fixtures.bin)
set_tests_properties(kernels_torch_fixtures PROPERTIES FIXTURES_SETUP kernel_fixtures)
add_test(NAME kernels_torch
         COMMAND test_kernels ${CMAKE_CURRENT_BINARY_DIR}/kernel_fixtures.bin)
set_tests_properties(kernels_torch PROPERTIES FIXTURES_REQUIRED kernel_fixtures
                     ENVIRONMENT "OPENBLAS_NUM_THREADS=1")

# tests/cuda.cmake: the CUDA backend (kernels/cuda). Built when CMake found
# nvcc and cuDNN (ZCEVO_HAVE_CUDA); otherwise the same tests are registered
# as placeholders (tests/missing_dependency.sh --gpu: skipped where there is
# no GPU, failed under CI on a machine with one). Labelled `gpu`;
# cuda_agreement exits 77 (skipped) on machines without a GPU; cuda_backend
# runs everywhere the backend is built.
if(ZCEVO_HAVE_CUDA)
  add_executable(test_cuda_agreement ${CMAKE_CURRENT_SOURCE_DIR}/test_cuda_agreement.c)
  target_link_libraries(test_cuda_agreement PRIVATE zcevo_cuda zcevo_core)
  add_test(NAME cuda_agreement COMMAND test_cuda_agreement)

  add_executable(test_cuda_backend ${CMAKE_CURRENT_SOURCE_DIR}/test_cuda_backend.c)
  target_link_libraries(test_cuda_backend PRIVATE zcevo_cuda zcevo_core)
  add_test(NAME cuda_backend COMMAND test_cuda_backend)

  # Benchmarks for scripts/gpu_check.sh (not tests): build/tests/cuda_bench.
  add_executable(cuda_bench ${CMAKE_CURRENT_SOURCE_DIR}/test_cuda_bench.c)
  target_link_libraries(cuda_bench PRIVATE zcevo_cuda zcevo_core)
else()
  foreach(t cuda_agreement cuda_backend)
    zc_add_missing_test(${t} GPU "${t}: this build has no CUDA backend (nvcc or cuDNN not found)")
  endforeach()
endif()
set_tests_properties(cuda_agreement PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 TIMEOUT 600)
set_tests_properties(cuda_backend PROPERTIES LABELS gpu TIMEOUT 300)

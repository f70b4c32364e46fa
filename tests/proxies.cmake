# tests/proxies.cmake: hand-crafted zero-cost proxies (common/proxies.h).
#   proxies_unit: closed forms (synflow of deep chains beyond float32 and
#     float64 range, slogdet, eigenvalues, nwot kernel, names).
#   proxies_torch_<n>: every proxy on a small NB201 network against PyTorch
#     (tests/torch_proxies_ref.py runs test_proxies --dump, then recomputes).
add_executable(test_proxies ${CMAKE_SOURCE_DIR}/tests/test_proxies.c)
target_link_libraries(test_proxies PRIVATE zcevo_core)
add_test(NAME proxies_unit COMMAND test_proxies)
set_tests_properties(proxies_unit PROPERTIES PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")

set(PROXIES_TEST_DIR ${CMAKE_BINARY_DIR}/proxies_test)
file(MAKE_DIRECTORY ${PROXIES_TEST_DIR})
set(PROXIES_ARCHS
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
  "|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|none~0|skip_connect~1|nor_conv_3x3~2|")
set(i 0)
foreach(arch ${PROXIES_ARCHS})
  add_test(NAME proxies_torch_${i}
           COMMAND ${ZCEVO_PYTHON} ${CMAKE_SOURCE_DIR}/tests/torch_proxies_ref.py
                   --exe $<TARGET_FILE:test_proxies> --arch "${arch}"
                   --out ${PROXIES_TEST_DIR}/dump_${i}.bin)
  set_tests_properties(proxies_torch_${i} PROPERTIES TIMEOUT 300
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
  math(EXPR i "${i} + 1")
endforeach()

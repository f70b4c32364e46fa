# tests/export.cmake: `zcevo export` (docs/export.md), checked by
# tests/export_test.py: the PyTorch export of eznas-a and of >= 20 random
# valid programs using every primitive gives zcevo's score to 1e-4 on
# PyTorch builds of 6 NB201 cells, 3 NATS-SSS and 3 Channel-Bench-Macro
# ResNet architectures (zcevo's stored parameters and inputs); the SymPy
# export parses back and evaluates to zcevo's values; the named programs
# are generated in the build.
set(ZCEVO_EXPORT_WORK ${CMAKE_CURRENT_BINARY_DIR}/export_work)
file(MAKE_DIRECTORY ${ZCEVO_EXPORT_WORK})
set(ZCEVO_EXPORT_TEST ${CMAKE_CURRENT_SOURCE_DIR}/export_test.py)
# export_stats(NAME SPACE BATCH ARCH...): statistics with parameters stored
function(export_stats name space batch)
  set(arch_args "")
  foreach(arch ${ARGN})
    string(APPEND arch_args " --arch '${arch}'")
  endforeach()
  set(out ${ZCEVO_EXPORT_WORK}/${name}.h5)
  add_test(NAME export_fixture_${name}
           COMMAND sh -c "rm -f '${out}' '${out}.partial' && '$<TARGET_FILE:zcevo>' stats --data '${ZCEVO_DATA_DIR}' --space ${space} --dataset cifar10${arch_args} --batch ${batch} --seed 5 --threads 2 --store-params --quiet --out '${out}'")
  set_tests_properties(export_fixture_${name} PROPERTIES FIXTURES_SETUP export_stats TIMEOUT 300)
endfunction()
# NB201: every operation, a cell with nodes fed only by none, a skip-only path
export_stats(nb201 nb201 4
  "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
  "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|"
  "|none~0|+|skip_connect~0|nor_conv_3x3~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
  "|nor_conv_1x1~0|+|none~0|none~1|+|nor_conv_3x3~0|skip_connect~1|nor_conv_1x1~2|"
  "|skip_connect~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|"
  "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|avg_pool_3x3~2|")
export_stats(nats_sss nats_sss 4 "8:16:24:32:40" "64:8:64:8:64" "32:32:32:32:32")
export_stats(channel_resnet channel_resnet 2 1111111 2112111 1121211)

add_test(NAME export_torch
         COMMAND ${ZCEVO_PYTHON} ${ZCEVO_EXPORT_TEST} torch $<TARGET_FILE:zcevo>
                 ${ZCEVO_EXPORT_WORK} ${CMAKE_SOURCE_DIR})
set_tests_properties(export_torch PROPERTIES FIXTURES_REQUIRED export_stats TIMEOUT 900)
add_test(NAME export_sympy
         COMMAND ${ZCEVO_PYTHON} ${ZCEVO_EXPORT_TEST} sympy $<TARGET_FILE:zcevo>
                 ${ZCEVO_EXPORT_WORK} ${CMAKE_SOURCE_DIR})
set_tests_properties(export_sympy PROPERTIES FIXTURES_REQUIRED srnas_files TIMEOUT 300)
add_test(NAME export_named
         COMMAND ${ZCEVO_PYTHON} ${ZCEVO_EXPORT_TEST} named $<TARGET_FILE:zcevo>
                 ${ZCEVO_EXPORT_WORK} ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/export)

# tests/torch_stats.cmake: `zcevo stats` terminals checked against an
# independent PyTorch reference (tests/torch_stats_ref.py).
#
# torch_stats_fixture_*: the checker on self-made files (passes on a clean
#   file, must report exactly the damaged tensor / the renamed block).
# torch_stats_<case>: run the real binary (fixture producer, fresh output
#   file each time), then compare all 22 terminals of every RCB block with
#   PyTorch on the stored parameters and inputs (rel. error < 1e-4).
set(TORCH_STATS_REF ${CMAKE_SOURCE_DIR}/tests/torch_stats_ref.py)
set(TORCH_STATS_DIR ${CMAKE_BINARY_DIR}/torch_stats)
file(MAKE_DIRECTORY ${TORCH_STATS_DIR})

# ---- the checker itself -----------------------------------------------------
foreach(space nb201 nats_sss)
  add_test(NAME torch_stats_fixture_write_${space}
           COMMAND ${ZCEVO_PYTHON} ${TORCH_STATS_REF} --write-fixture
                   ${TORCH_STATS_DIR}/fixture_${space}.h5 --space ${space})
  set_tests_properties(torch_stats_fixture_write_${space} PROPERTIES
                       FIXTURES_SETUP torch_fixture_${space})
  add_test(NAME torch_stats_fixture_check_${space}
           COMMAND ${ZCEVO_PYTHON} ${TORCH_STATS_REF} ${TORCH_STATS_DIR}/fixture_${space}.h5)
  set_tests_properties(torch_stats_fixture_check_${space} PROPERTIES
                       FIXTURES_REQUIRED torch_fixture_${space}
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
endforeach()

add_test(NAME torch_stats_fixture_corrupt_value
         COMMAND sh -c "${ZCEVO_PYTHON} ${TORCH_STATS_REF} --write-fixture ${TORCH_STATS_DIR}/corrupt_value.h5 --corrupt value && ${ZCEVO_PYTHON} ${TORCH_STATS_REF} ${TORCH_STATS_DIR}/corrupt_value.h5; echo exit=$?")
set_tests_properties(torch_stats_fixture_corrupt_value PROPERTIES PASS_REGULAR_EXPRESSION
  "FAIL arch 000007 [^\n]*cells\\.2\\.layers\\.4 act_grad_noise: rel err[^\n]*\n.* passed, 1 failed\nexit=1")
add_test(NAME torch_stats_fixture_corrupt_block
         COMMAND sh -c "${ZCEVO_PYTHON} ${TORCH_STATS_REF} --write-fixture ${TORCH_STATS_DIR}/corrupt_block.h5 --corrupt block && ${ZCEVO_PYTHON} ${TORCH_STATS_REF} ${TORCH_STATS_DIR}/corrupt_block.h5; echo exit=$?")
set_tests_properties(torch_stats_fixture_corrupt_block PROPERTIES PASS_REGULAR_EXPRESSION
  "block list differs[^\n]*missing \\['cells\\.1\\.layers\\.0'\\], extra \\['cells\\.1\\.layers\\.0\\.bogus'\\].*exit=1")

# ---- the real binary against PyTorch ----------------------------------------
# torch_stats_case(NAME SPACE DATASET ARCH...): produce NAME.h5 then check it.
function(torch_stats_case name space dataset)
  set(out ${TORCH_STATS_DIR}/torch_${name}.h5)
  set(arch_args "")
  foreach(arch ${ARGN})
    string(APPEND arch_args " --arch '${arch}'")
  endforeach()
  add_test(NAME torch_stats_${name}_produce
           COMMAND sh -c "rm -f '${out}' '${out}.partial' && '$<TARGET_FILE:zcevo>' stats --data '${ZCEVO_DATA_DIR}' --space ${space} --dataset ${dataset}${arch_args} --batch 4 --seed 7 --store-params --out '${out}'")
  set_tests_properties(torch_stats_${name}_produce PROPERTIES
                       FIXTURES_SETUP torch_stats_${name} TIMEOUT 600)
  add_test(NAME torch_stats_${name}_check
           COMMAND ${ZCEVO_PYTHON} ${TORCH_STATS_REF} ${out} --rtol 1e-4)
  set_tests_properties(torch_stats_${name}_check PROPERTIES
                       FIXTURES_REQUIRED torch_stats_${name} TIMEOUT 600
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
endfunction()

if(TARGET zcevo)
  # Every NB201 operation; node 3 fed only by none (blocks whose outputs are
  # multiplied by 0); nodes fed only by none (blocks on all-zero inputs:
  # BN with zero variance); an all-none cell; a skip-only cell.
  torch_stats_case(nb201 nb201 cifar10
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    "|nor_conv_1x1~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|skip_connect~1|avg_pool_3x3~2|"
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|none~0|none~1|none~2|"
    "|none~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|")
  # Channels differing within cells (FactorizedReduce, POOLING preprocess
  # absent in the SSS genotype) and a uniform-width config.
  torch_stats_case(nats_sss nats_sss cifar10 "8:16:24:64:40" "64:64:64:64:64")
  torch_stats_case(nb201_cifar100 nb201 cifar100
    "|nor_conv_1x1~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|skip_connect~1|avg_pool_3x3~2|")
  torch_stats_case(nb201_imagenet16 nb201 imagenet16
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|")
endif()

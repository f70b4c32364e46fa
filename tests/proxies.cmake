# tests/proxies.cmake: hand-crafted zero-cost proxies (common/proxies/proxies.h).
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

# zcevo proxies on a few architectures (small batch), then zcevo report on
# that folder plus an evolve-style log.csv; the figures must be valid PNGs.
if(TARGET zcevo)
  set(REPORT_RUN ${PROXIES_TEST_DIR}/run)
  add_test(NAME proxies_command_and_report
           COMMAND sh -c "rm -rf '${REPORT_RUN}' && mkdir -p '${REPORT_RUN}' && '$<TARGET_FILE:zcevo>' proxies --data '${ZCEVO_DATA_DIR}' --archs 6 --batch 8 --threads 2 --proxies synflow,nwot,snip,params,jacov --out-csv '${REPORT_RUN}/nb201_cifar10.csv' --out-h5 '${REPORT_RUN}/nb201_cifar10.h5' --out-corr '${REPORT_RUN}/zcevo_corr.txt' --quiet && cp '${REPORT_RUN}/nb201_cifar10.csv' '${REPORT_RUN}/copy_without_h5.csv' && printf 'generation,best,mean,valid_fraction,evals_per_s,seconds\\n0,0.30,0.10,0.9,10,1\\n1,0.42,0.20,0.9,10,2\\n2,0.51,0.26,0.95,10,3\\n' > '${REPORT_RUN}/log.csv' && ZCEVO_PYTHON=${ZCEVO_PYTHON} '$<TARGET_FILE:zcevo>' report '${REPORT_RUN}' --scatter synflow,nwot && ${ZCEVO_PYTHON} ${CMAKE_SOURCE_DIR}/tests/torch_proxies_ref.py --check-corr '${REPORT_RUN}/zcevo_corr.txt' --check-png '${REPORT_RUN}/report' tau_by_task.png tau_heatmap.png scatter_nb201_cifar10_synflow.png scatter_nb201_cifar10_nwot.png gp_progress_0_run.png")
  set_tests_properties(proxies_command_and_report PROPERTIES TIMEOUT 300
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
endif()

# zcevo proxies killed with SIGKILL resumes from its journal to the same
# outputs; a journal of another configuration is refused and kept.
if(TARGET zcevo)
  add_test(NAME proxies_resume
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/proxies_resume_test.sh $<TARGET_FILE:zcevo>
                   ${ZCEVO_DATA_DIR} ${PROXIES_TEST_DIR})
  set_tests_properties(proxies_resume PROPERTIES TIMEOUT 300)
endif()

# NDS architecture strings are JSON (quotes, commas): the proxies CSV must
# keep each one a single RFC 4180 field that parses back to the record.
if(TARGET zcevo)
  add_test(NAME proxies_csv_quoting
           COMMAND sh -c "'$<TARGET_FILE:zcevo>' proxies --data '${ZCEVO_DATA_DIR}' --space nds_darts_in --archs 3 --batch 2 --image-size 32 --proxies params,flops --quiet --out-csv '${PROXIES_TEST_DIR}/nds_quoting.csv' >/dev/null && ${ZCEVO_PYTHON} -c \"import csv, json, sys; r = list(csv.DictReader(open(sys.argv[1]))); assert len(r) == 3 and all(json.loads(x['arch_str'])['genotype'] and float(x['params']) > 0 for x in r), r; print('3 JSON architecture strings parse back')\" '${PROXIES_TEST_DIR}/nds_quoting.csv'")
  set_tests_properties(proxies_csv_quoting PROPERTIES TIMEOUT 120
                       PASS_REGULAR_EXPRESSION "3 JSON architecture strings parse back")
endif()

# The proxies of 2023-2024 (common/proxies/modern.h: AZ-NAS, ZiCo, MeCo,
# SWAP).
#   proxies_modern_unit: closed forms (rank aggregate with ties / NaN / -inf,
#     SWAP's pattern count, MeCo of a known correlation), rebatched networks,
#     the block vector-Jacobian product, block outputs of the spaces, groups.
#   proxies_modern_torch_<n>: every new proxy on a small NB201 network
#     against tests/torch_modern_proxies_ref.py (PyTorch, float64, written
#     from the papers' definitions); relative error <= 1e-4.
#   proxies_modern_aggregate: `zcevo proxies --proxies az_nas,zico` on a few
#     architectures; the CSV's az_nas must equal scipy's rank aggregate of
#     the CSV's own az_* columns, the HDF5 file must carry the same values
#     and name az_nas as set-dependent; zico (the second minibatch) finite.
add_executable(test_modern_proxies ${CMAKE_SOURCE_DIR}/tests/test_modern_proxies.c)
target_link_libraries(test_modern_proxies PRIVATE zcevo_core)
add_test(NAME proxies_modern_unit COMMAND test_modern_proxies)
set_tests_properties(proxies_modern_unit PROPERTIES PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")

set(MODERN_ARCHS
  "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
  "|skip_connect~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"
  "|avg_pool_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|none~2|")
set(i 0)
foreach(arch ${MODERN_ARCHS})
  add_test(NAME proxies_modern_torch_${i}
           COMMAND ${ZCEVO_PYTHON} ${CMAKE_SOURCE_DIR}/tests/torch_modern_proxies_ref.py
                   --exe $<TARGET_FILE:test_modern_proxies> --arch "${arch}"
                   --out ${PROXIES_TEST_DIR}/modern_dump_${i}.bin)
  set_tests_properties(proxies_modern_torch_${i} PROPERTIES TIMEOUT 600
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
  math(EXPR i "${i} + 1")
endforeach()

if(TARGET zcevo)
  set(AGG_DIR ${PROXIES_TEST_DIR}/aggregate)
  add_test(NAME proxies_modern_aggregate
           COMMAND sh -c "rm -rf '${AGG_DIR}' && mkdir -p '${AGG_DIR}' && '$<TARGET_FILE:zcevo>' proxies --data '${ZCEVO_DATA_DIR}' --archs 7 --batch 4 --image-size 16 --threads 2 --proxies az_nas,zico --out-csv '${AGG_DIR}/az.csv' --out-h5 '${AGG_DIR}/az.h5' --quiet > '${AGG_DIR}/az.md' && ${ZCEVO_PYTHON} ${CMAKE_SOURCE_DIR}/tests/torch_modern_proxies_ref.py --check-aggregate '${AGG_DIR}/az.csv' '${AGG_DIR}/az.h5' '${AGG_DIR}/az.md'")
  set_tests_properties(proxies_modern_aggregate PROPERTIES TIMEOUT 300
                       PASS_REGULAR_EXPRESSION "[1-9][0-9]* passed, 0 failed")
endif()

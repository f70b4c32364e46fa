# tests/fuzz/fuzz.cmake: the fuzz harnesses (fuzz_<name>.c: program parser,
# architecture strings of every space, JSON and CSV benchmark readers,
# statistics-file reader), each with a committed seed corpus in
# tests/fuzz/<name>/corpus (tests/fuzz/make_seeds.py).
#   fuzz_<name>_corpus (label fuzz_corpus, every build): every seed (and
#     every input kept in tests/fuzz/<name>/crashes once it is fixed: a
#     regression input) once through the harness; the gcc build links the
#     replay driver fuzz_replay.c.
#   fuzz_<name> (label fuzz, ZCEVO_FUZZ builds: clang, libFuzzer, ASan +
#     UBSan): a bounded libFuzzer run, -runs=N -seed=1, from a fresh work
#     corpus in the build folder (new inputs and crash artifacts go there,
#     never into the source tree). About a minute for the five on 2 cores.
# fuzz_stats_h5 also seeds from files written at test time by
# make_stats_seed (fixture fuzz_stats_seed), which match this build's writer.
#   fuzz_stats_h5_crashes: each input of tests/fuzz/stats_h5/crashes alone
#     (60 s at most): the statistics reader must return an error on it.
# FUZZ_STATS_KNOWN_CRASHES: the format-1 reader of before issue 14 crashed
# (HDF5 read a corrupt variable-length string attribute: memcpy of a garbage
# length in H5HG_read, or a hang) on the inputs in
# tests/fuzz/stats_h5/crashes; the hardened reader (stats_h5_legacy: global
# heaps bounds-checked before HDF5 opens a file) refuses them, so it is OFF.
# ON registers fuzz_stats_h5_crashes and fuzz_stats_h5 DISABLED (then tag
# them `disabled` in tests/expected/*.txt, which scripts/check_tests.py
# checks both ways).
set(FUZZ_STATS_KNOWN_CRASHES OFF)
set(FUZZ_SRC ${CMAKE_CURRENT_LIST_DIR})
set(FUZZ_WORK ${CMAKE_BINARY_DIR}/fuzz)
# executions per libFuzzer run (measured: docs/testing.md)
set(FUZZ_RUNS_program 300000)
set(FUZZ_RUNS_arch 60000)
set(FUZZ_RUNS_bench_json 12000)
set(FUZZ_RUNS_bench_table 12000)
set(FUZZ_RUNS_stats_h5 3000)

add_library(zcevo_fuzz_util STATIC ${FUZZ_SRC}/fuzz_util.c)
target_link_libraries(zcevo_fuzz_util PUBLIC zcevo_core)
target_include_directories(zcevo_fuzz_util PUBLIC ${FUZZ_SRC})

add_executable(make_stats_seed ${FUZZ_SRC}/make_stats_seed.c)
target_link_libraries(make_stats_seed PRIVATE zcevo_core)
add_test(NAME fuzz_stats_h5_seed
         COMMAND sh -c "mkdir -p '${FUZZ_WORK}/stats_h5_seed' && '$<TARGET_FILE:make_stats_seed>' '${FUZZ_WORK}/stats_h5_seed'")
set_tests_properties(fuzz_stats_h5_seed PROPERTIES FIXTURES_SETUP fuzz_stats_seed
                     LABELS "fuzz;fuzz_corpus")

foreach(h program arch bench_json bench_table stats_h5)
  if(ZCEVO_FUZZ)
    add_executable(fuzz_${h} ${FUZZ_SRC}/fuzz_${h}.c)
    target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(fuzz_${h} ${FUZZ_SRC}/fuzz_${h}.c ${FUZZ_SRC}/fuzz_replay.c)
  endif()
  target_link_libraries(fuzz_${h} PRIVATE zcevo_fuzz_util)
  set(inputs ${FUZZ_SRC}/${h}/corpus)
  if(h STREQUAL "stats_h5")
    list(APPEND inputs ${FUZZ_WORK}/stats_h5_seed)
  elseif(EXISTS ${FUZZ_SRC}/${h}/crashes)
    list(APPEND inputs ${FUZZ_SRC}/${h}/crashes)
  endif()
  if(ZCEVO_FUZZ)
    # libFuzzer with -runs=0 runs every input of the folders once
    add_test(NAME fuzz_${h}_corpus COMMAND fuzz_${h} -runs=0 ${inputs})
    set(work ${FUZZ_WORK}/${h})
    add_test(NAME fuzz_${h}
             COMMAND sh -c "rm -rf '${work}' && mkdir -p '${work}/corpus' && exec '$<TARGET_FILE:fuzz_${h}>' -runs=${FUZZ_RUNS_${h}} -seed=1 -max_len=65536 -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix='${work}/' '${work}/corpus' ${inputs}")
    set_tests_properties(fuzz_${h} PROPERTIES LABELS fuzz TIMEOUT 300)
  else()
    add_test(NAME fuzz_${h}_corpus COMMAND fuzz_${h} ${inputs})
  endif()
  set_tests_properties(fuzz_${h}_corpus PROPERTIES LABELS fuzz_corpus TIMEOUT 300)
  if(h STREQUAL "stats_h5")
    set_tests_properties(fuzz_${h}_corpus PROPERTIES FIXTURES_REQUIRED fuzz_stats_seed)
    if(ZCEVO_FUZZ)
      set_tests_properties(fuzz_${h} PROPERTIES FIXTURES_REQUIRED fuzz_stats_seed
                           DISABLED ${FUZZ_STATS_KNOWN_CRASHES})
    endif()
  endif()
endforeach()

# every crash input of the statistics reader in its own process
add_test(NAME fuzz_stats_h5_crashes
         COMMAND sh -c "n=0; bad=0; for f in '${FUZZ_SRC}'/stats_h5/crashes/*; do n=$((n+1)); timeout 60 '$<TARGET_FILE:fuzz_stats_h5>' \"$f\" >/dev/null 2>&1 || { bad=$((bad+1)); echo \"not handled: $f\"; }; done; echo \"$n inputs, $bad not handled\"; [ $n -gt 0 ] && [ $bad = 0 ]")
set_tests_properties(fuzz_stats_h5_crashes PROPERTIES LABELS fuzz_corpus TIMEOUT 400
                     DISABLED ${FUZZ_STATS_KNOWN_CRASHES})

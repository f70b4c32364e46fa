# stats_cli.cmake: `zcevo stats` bad-input, refusal, resume and kill tests.
add_test(NAME stats_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/stats_cli_test.sh
         $<TARGET_FILE:zcevo> ${ZCEVO_DATA_DIR})

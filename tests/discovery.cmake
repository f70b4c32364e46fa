# discovery.cmake: the discovery workflow on a tiny configuration (EZNAS
# protocol command line, named programs, half-precision statistics, sized
# computed tasks): tests/discovery_test.sh.
add_test(NAME discovery COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/discovery_test.sh
         $<TARGET_FILE:zcevo> ${ZCEVO_DATA_DIR})

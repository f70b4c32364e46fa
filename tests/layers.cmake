# tests/layers.cmake: the floor plan of docs/architecture.md, checked on the
# sources (includes) and on the compiled objects (functions used): no layer
# uses a higher one, no two modules depend on each other.
add_test(NAME layers
         COMMAND ${ZCEVO_PYTHON} ${CMAKE_SOURCE_DIR}/scripts/check_layers.py ${CMAKE_SOURCE_DIR}
                 --objects ${CMAKE_BINARY_DIR})

/* h5check.h: H5_CHECK, the checker for HDF5 calls. A negative return is
 * reported with file, line and the call text, and the enclosing function
 * jumps to its `fail` label (the function must define one). */
#ifndef ZC_H5CHECK_H
#define ZC_H5CHECK_H

#include <hdf5.h>
#include <stdio.h>

#define H5_CHECK(call)                                                           \
    do {                                                                         \
        if ((call) < 0) {                                                        \
            fprintf(stderr, "zcevo: hdf5: %s failed at %s:%d\n", #call, __FILE__,\
                    __LINE__);                                                   \
            goto fail;                                                           \
        }                                                                        \
    } while (0)

#endif

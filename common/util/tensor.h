/* tensor.h: the minimal float32 tensor view used for statistics and for
 * program evaluation: up to 4 dims, row-major, data owned elsewhere. */
#ifndef ZC_TENSOR_H
#define ZC_TENSOR_H

#include <stdint.h>

#define ZC_MAX_DIMS 4

typedef struct {
    int ndim;                    /* 0 (scalar) .. 4                         */
    int64_t shape[ZC_MAX_DIMS];  /* shape[0..ndim)                          */
    float *data;                 /* NULL when the tensor is not held        */
} zc_tensor;

/* zc_tensor_numel: product of the shape (1 for a 0-d tensor). */
static inline int64_t zc_tensor_numel(const zc_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

#endif

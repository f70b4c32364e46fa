/* primitives.h: the tensor operations behind the proxy primitives
 * (program.h opcodes), on float32 zc_tensors of up to 4 dims, with the
 * semantics written in docs/primitives.md (PyTorch-compatible, reference
 * defects fixed). Shape inference and computation are separate so that a
 * caller can allocate the result from its own pool; no function here ever
 * writes to its inputs (except where the caller asks for in-place work by
 * passing out->data == a->data, see zc_prim_apply). */
#ifndef ZC_PRIMITIVES_H
#define ZC_PRIMITIVES_H

#include <stddef.h>
#include <stdint.h>

#include "common/util/rng.h"
#include "common/util/tensor.h"

/* Results larger than this many elements make the program invalid on that
 * layer (an outer-product-like blow-up), as do matmuls of more than
 * ZC_PRIM_MAX_FLOPS multiply-adds. */
#define ZC_PRIM_MAX_NUMEL ((int64_t)1 << 25)
/* The protected operations of SR-NAS (gplearn's): pdiv(a, b) = 1 where
 * |b| <= ZC_PROTECT_EPS, plog(x) = 0 where |x| <= ZC_PROTECT_EPS. */
#define ZC_PROTECT_EPS 0.001f
#define ZC_PRIM_MAX_FLOPS ((int64_t)1 << 33)

/* Scratch memory for det/logdet/eig_ratio/softmax; grows, is reused. Zero
 * it to initialise; free with zc_prim_work_free. */
typedef struct {
    double *dbl;
    size_t dbl_cap;
    float *flt;
    size_t flt_cap;
} zc_prim_work;

void zc_prim_work_free(zc_prim_work *w);

/* zc_prim_shape: shape of op(a) or op(a, b) (b ignored for unary ops) into
 * out->ndim / out->shape (out->data untouched). Returns 0, or -1 when the
 * shapes do not fit the op (broadcast failure, matmul mismatch, non-square
 * det, a result over ZC_PRIM_MAX_NUMEL...), with a one-line reason in err
 * when err is not NULL. */
int zc_prim_shape(int op, const zc_tensor *a, const zc_tensor *b, zc_tensor *out,
                  char *err, size_t errlen);

/* zc_prim_apply: compute op into out, whose shape must be the one
 * zc_prim_shape gave and whose data holds that many floats. out->data may
 * equal a->data for unary shape-preserving ops, and may equal the data of a
 * binary elementwise operand whose shape equals the result shape (in-place
 * work on a buffer the caller owns); otherwise it must not overlap the
 * inputs. rng is used by add_noise only. Returns 0, or -1 when add_noise
 * has no rng. */
int zc_prim_apply(int op, const zc_tensor *a, const zc_tensor *b, zc_tensor *out,
                  zc_prim_work *w, zc_rng *rng);

/* ---- pointwise kernels (used by the evaluator's fused chains) ------------ */

/* zc_prim_unary_block: out[i] = op(in[i]) for a pointwise unary op
 * (zc_op_is_elementwise and arity 1); in may equal out. */
void zc_prim_unary_block(int op, const float *in, float *out, int64_t n);

/* zc_prim_scalar_block: out[i] = op(x[i], s) when scalar_on_left is 0,
 * op(s, x[i]) otherwise, for a binary elementwise op; x may equal out. */
void zc_prim_scalar_block(int op, const float *x, float s, int scalar_on_left, float *out,
                          int64_t n);

/* zc_prim_broadcast_shape: numpy/PyTorch broadcast of two shapes into out;
 * 0, or -1 when a dimension pair is neither equal nor 1. */
int zc_prim_broadcast_shape(const zc_tensor *a, const zc_tensor *b, zc_tensor *out);

/* zc_prim_format_shape: "(2, 3, 4)" / "()" into buf; returns buf. */
char *zc_prim_format_shape(const zc_tensor *t, char *buf, size_t buflen);

#endif

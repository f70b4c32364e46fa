/* gpu_eval_kernels.cuh: the device kernels of the GPU program evaluator
 * (common/program/gpu_eval.cu), with plain arguments: device pointers,
 * element counts, pointwise functions as ints (ZC_GEK_F_*), and chains of
 * pointwise steps as arrays. Nothing here knows about programs or plans.
 *
 * Every launcher enqueues on `stream` and returns cudaGetLastError() after
 * its launches (cudaSuccess, or the first launch error). Reductions are
 * two-stage block reductions in double with a fixed launch shape for a
 * given n: no float atomics, results identical from run to run. C++
 * linkage: used only by the CUDA evaluator. */
#ifndef ZC_GPU_EVAL_KERNELS_CUH
#define ZC_GPU_EVAL_KERNELS_CUH

#include <cuda_runtime.h>
#include <stdint.h>

/* Pointwise functions. Unary: x -> f(x). Binary: (x, y) -> f(x, y). */
enum {
    ZC_GEK_F_LOG,        /* x <= 0 ? 0 : log(x)                             */
    ZC_GEK_F_ABSLOG,     /* x == 0 ? 0 : |log|x||                           */
    ZC_GEK_F_ABS,
    ZC_GEK_F_SQUARE,
    ZC_GEK_F_EXP,
    ZC_GEK_F_RELU,       /* x < 0 ? 0 : x (NaN propagates)                  */
    ZC_GEK_F_SIGN,       /* -1, 0, 1 (0 for NaN)                            */
    ZC_GEK_F_POSITIVE,   /* x > 0 ? 1 : 0 (heaviside, pos_mask)             */
    ZC_GEK_F_NEGATIVE,   /* x < 0 ? 1 : 0                                   */
    ZC_GEK_F_RECIPROCAL,
    ZC_GEK_F_SIGMOID,
    ZC_GEK_F_ONE,        /* 1                                               */
    ZC_GEK_F_ZERO,       /* 0                                               */
    ZC_GEK_F_ADD,        /* binary from here on                             */
    ZC_GEK_F_SUB,
    ZC_GEK_F_MUL,
    ZC_GEK_F_LT,         /* x < y ? 1 : 0                                   */
    ZC_GEK_F_GT,
    ZC_GEK_F_EQ
};

/* kinds of a chain step */
enum {
    ZC_GEK_UNARY,        /* v = f(v)                                        */
    ZC_GEK_SCALAR_RIGHT, /* v = f(v, *scalar)                               */
    ZC_GEK_SCALAR_LEFT   /* v = f(*scalar, v)                               */
};

#define ZC_GEK_MAX_STEPS 48 /* longer chains are split by the caller        */
#define ZC_GEK_MAX_BLOCKS 1024
/* doubles of the `partials` scratch every reduction needs */
#define ZC_GEK_PARTIALS (ZC_GEK_MAX_BLOCKS + 8)

/* A chain of pointwise steps applied to every element; scalar[k] points to
 * the one element (device memory) of step k's other operand. */
typedef struct {
    int n;
    unsigned char fn[ZC_GEK_MAX_STEPS];
    unsigned char kind[ZC_GEK_MAX_STEPS];
    const float *scalar[ZC_GEK_MAX_STEPS];
} zc_gek_chain;

/* what a reduction accumulates (in double) over the chain's outputs v */
enum {
    ZC_GEK_SUM,
    ZC_GEK_ABS_SUM,
    ZC_GEK_SQ_SUM,
    ZC_GEK_HAMMING /* count of (v > 0) != (b[i] > 0)                        */
};

/* how a reduction's total t is finished */
enum {
    ZC_GEK_MEAN_F, /* out_f[0] = float(t / n), +-inf on float overflow      */
    ZC_GEK_SQRT_F, /* out_f[0] = float(sqrt(t))                             */
    ZC_GEK_SUM_F,  /* out_f[0] = (float)t                                   */
    ZC_GEK_MEAN_D  /* out_d[0] = t / n                                      */
};

/* out[i] = chain(in[i]), i < n (in may equal out) */
cudaError_t zc_gek_chain_map(cudaStream_t stream, const float *in, float *out, int64_t n,
                             const zc_gek_chain *chain);

/* reduce `mode` over v = chain(a[i]), i < n (b: the second operand of
 * ZC_GEK_HAMMING, else NULL), finished by `fin` into out_f or out_d;
 * partials: ZC_GEK_PARTIALS doubles of scratch */
cudaError_t zc_gek_reduce(cudaStream_t stream, const float *a, const float *b, int64_t n,
                          const zc_gek_chain *chain, int mode, int fin, double *partials,
                          float *out_f, double *out_d);

/* out = (in - mean) / std (unbiased; 0 where that is NaN), as the
 * normalize primitive; partials: ZC_GEK_PARTIALS doubles of scratch */
cudaError_t zc_gek_normalize(cudaStream_t stream, const float *in, float *out, int64_t n,
                             double *partials);

/* out[i] = f(a[...], b[...]) for the n elements of a broadcast: out_shape,
 * a_stride and b_stride are padded to 4 dims, strides 0 on broadcast dims */
cudaError_t zc_gek_binary_broadcast(cudaStream_t stream, int fn, const float *a, const float *b,
                                    float *out, int64_t n, const int64_t out_shape[4],
                                    const int64_t a_stride[4], const int64_t b_stride[4]);

/* out[0] = v */
cudaError_t zc_gek_set(cudaStream_t stream, float *out, float v);

/* det (logdet 0) or logdet (logdet 1) of `batch` n x n matrices in a, one
 * per thread by LU with partial pivoting in double, into out[batch];
 * scratch: batch * n * n doubles */
cudaError_t zc_gek_det(cudaStream_t stream, const float *a, int64_t batch, int n, double *scratch,
                       float *out, int logdet);

#endif

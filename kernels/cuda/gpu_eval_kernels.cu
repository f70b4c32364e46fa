/* gpu_eval_kernels.cu: the device kernels of the GPU program evaluator and
 * their launchers (see gpu_eval_kernels.cuh): pointwise chains mapped or
 * reduced on the fly, broadcast binary ops, normalize, det / logdet. */
#include "kernels/cuda/gpu_eval_kernels.cuh"

#include <string.h>

#define GEK_THREADS 256

/* internal reduction mode and finish of normalize's two passes */
enum { GEK_CENTERED_SQ = ZC_GEK_HAMMING + 1 };
enum { GEK_SUM_D = ZC_GEK_MEAN_D + 1 };

/* blocks of a reduction over n elements (a fixed function of n: the
 * summation order, and so the result, depends on it) */
static unsigned reduce_blocks(int64_t n) {
    int64_t b = (n + GEK_THREADS * 4 - 1) / (GEK_THREADS * 4);
    if (b < 1) b = 1;
    return (unsigned)(b > ZC_GEK_MAX_BLOCKS ? ZC_GEK_MAX_BLOCKS : b);
}

/* blocks of a grid-stride map over n elements */
static unsigned map_blocks(int64_t n) { return reduce_blocks(n) * 4; }

#define GRID_LOOP(i, n)                                                          \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);    \
         i += (int64_t)gridDim.x * blockDim.x)

/* ---- pointwise functions ----------------------------------------------------- */

__device__ __forceinline__ float gek_unary(int fn, float x) {
    switch (fn) {
    case ZC_GEK_F_LOG: return x <= 0.0f ? 0.0f : logf(x);
    case ZC_GEK_F_ABSLOG: return x == 0.0f ? 0.0f : fabsf(logf(fabsf(x)));
    case ZC_GEK_F_ABS: return fabsf(x);
    case ZC_GEK_F_SQUARE: return x * x;
    case ZC_GEK_F_EXP: return expf(x);
    case ZC_GEK_F_RELU: return x < 0.0f ? 0.0f : x;
    case ZC_GEK_F_SIGN: return (float)((x > 0.0f) - (x < 0.0f));
    case ZC_GEK_F_POSITIVE: return x > 0.0f ? 1.0f : 0.0f;
    case ZC_GEK_F_NEGATIVE: return x < 0.0f ? 1.0f : 0.0f;
    case ZC_GEK_F_RECIPROCAL: return 1.0f / x;
    case ZC_GEK_F_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case ZC_GEK_F_ONE: return 1.0f;
    case ZC_GEK_F_ZERO: return 0.0f;
    default: return __int_as_float(0x7fc00000); /* unreachable: the host checks */
    }
}

__device__ __forceinline__ float gek_binary(int fn, float x, float y) {
    switch (fn) {
    case ZC_GEK_F_ADD: return x + y;
    case ZC_GEK_F_SUB: return x - y;
    case ZC_GEK_F_MUL: return x * y;
    case ZC_GEK_F_LT: return x < y ? 1.0f : 0.0f;
    case ZC_GEK_F_GT: return x > y ? 1.0f : 0.0f;
    case ZC_GEK_F_EQ: return x == y ? 1.0f : 0.0f;
    default: return __int_as_float(0x7fc00000);
    }
}

__device__ __forceinline__ float gek_apply(const zc_gek_chain &c, float v) {
    for (int k = 0; k < c.n; k++) {
        int fn = c.fn[k];
        if (c.kind[k] == ZC_GEK_UNARY) v = gek_unary(fn, v);
        else if (c.kind[k] == ZC_GEK_SCALAR_RIGHT) v = gek_binary(fn, v, *c.scalar[k]);
        else v = gek_binary(fn, *c.scalar[k], v);
    }
    return v;
}

/* double -> float, +-inf beyond the float range */
__device__ __forceinline__ float gek_to_float(double v) {
    if (v > 3.4028234663852886e38) return __int_as_float(0x7f800000);
    if (v < -3.4028234663852886e38) return __int_as_float(0xff800000);
    return (float)v;
}

/* ---- chains and reductions ----------------------------------------------------- */

__global__ void k_chain_map(const float *__restrict__ in, float *out, int64_t n, zc_gek_chain c) {
    GRID_LOOP(i, n) out[i] = gek_apply(c, in[i]);
}

/* block sum of doubles into partials[blockIdx.x] (fixed order) */
__device__ void gek_block_sum(double v, double *partials) {
    __shared__ double sh[GEK_THREADS / 32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < GEK_THREADS / 32 ? sh[threadIdx.x] : 0.0;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
        if (threadIdx.x == 0) partials[blockIdx.x] = v;
    }
}

/* center: the mean (device double) of GEK_CENTERED_SQ, else unused */
__global__ void k_chain_reduce(const float *__restrict__ a, const float *__restrict__ b, int64_t n,
                               zc_gek_chain c, int mode, const double *center, double *partials) {
    double acc = 0.0;
    double mean = mode == GEK_CENTERED_SQ ? center[0] : 0.0;
    GRID_LOOP(i, n) {
        float v = gek_apply(c, a[i]);
        switch (mode) {
        case ZC_GEK_SUM: acc += (double)v; break;
        case ZC_GEK_ABS_SUM: acc += (double)fabsf(v); break;
        case ZC_GEK_SQ_SUM: acc += (double)v * (double)v; break;
        case GEK_CENTERED_SQ: {
            double d = (double)v - mean;
            acc += d * d;
            break;
        }
        default: acc += (double)((v > 0.0f) != (b[i] > 0.0f)); break;
        }
    }
    gek_block_sum(acc, partials);
}

/* one block: sum partials in a fixed order and finish */
__global__ void k_finish(const double *partials, int nb, int fin, double n, float *out_f,
                         double *out_d) {
    __shared__ double sh[GEK_THREADS];
    double v = 0.0;
    for (int i = threadIdx.x; i < nb; i += GEK_THREADS) v += partials[i];
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = GEK_THREADS / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x) return;
    double t = sh[0];
    switch (fin) {
    case ZC_GEK_MEAN_F: out_f[0] = gek_to_float(t / n); break;
    case ZC_GEK_SQRT_F: out_f[0] = gek_to_float(sqrt(t)); break;
    case ZC_GEK_SUM_F: out_f[0] = (float)t; break;
    case ZC_GEK_MEAN_D: out_d[0] = t / n; break;
    default: out_d[0] = t; break;
    }
}

cudaError_t zc_gek_chain_map(cudaStream_t stream, const float *in, float *out, int64_t n,
                             const zc_gek_chain *chain) {
    k_chain_map<<<map_blocks(n), GEK_THREADS, 0, stream>>>(in, out, n, *chain);
    return cudaGetLastError();
}

/* the two launches of a reduction, with normalize's centre */
static cudaError_t reduce(cudaStream_t stream, const float *a, const float *b, int64_t n,
                          const zc_gek_chain *chain, int mode, const double *center, int fin,
                          double *partials, float *out_f, double *out_d) {
    unsigned nb = reduce_blocks(n);
    k_chain_reduce<<<nb, GEK_THREADS, 0, stream>>>(a, b, n, *chain, mode, center, partials);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    k_finish<<<1, GEK_THREADS, 0, stream>>>(partials, (int)nb, fin, (double)n, out_f, out_d);
    return cudaGetLastError();
}

cudaError_t zc_gek_reduce(cudaStream_t stream, const float *a, const float *b, int64_t n,
                          const zc_gek_chain *chain, int mode, int fin, double *partials,
                          float *out_f, double *out_d) {
    return reduce(stream, a, b, n, chain, mode, NULL, fin, partials, out_f, out_d);
}

/* ---- normalize ------------------------------------------------------------------ */

/* stats[0] = sum, stats[1] = centred sum of squares, stats[2] = mean */
__global__ void k_mean_of(double *stats, double n) { stats[2] = stats[0] / n; }

__global__ void k_normalize_map(const float *in, float *out, int64_t n, const double *stats) {
    double mean = stats[2];
    double var = n > 1 ? stats[1] / (double)(n - 1) : __longlong_as_double(0x7ff8000000000000LL);
    float meanf = gek_to_float(mean), stdf = gek_to_float(sqrt(var));
    GRID_LOOP(i, n) {
        float v = (in[i] - meanf) / stdf;
        out[i] = v != v ? 0.0f : v;
    }
}

cudaError_t zc_gek_normalize(cudaStream_t stream, const float *in, float *out, int64_t n,
                             double *partials) {
    zc_gek_chain none;
    memset(&none, 0, sizeof none);
    double *stats = partials + ZC_GEK_MAX_BLOCKS;
    cudaError_t e =
        reduce(stream, in, NULL, n, &none, ZC_GEK_SUM, NULL, GEK_SUM_D, partials, NULL, stats);
    if (e != cudaSuccess) return e;
    k_mean_of<<<1, 1, 0, stream>>>(stats, (double)n);
    if ((e = cudaGetLastError()) != cudaSuccess) return e;
    e = reduce(stream, in, NULL, n, &none, GEK_CENTERED_SQ, stats + 2, GEK_SUM_D, partials, NULL,
               stats + 1);
    if (e != cudaSuccess) return e;
    k_normalize_map<<<map_blocks(n), GEK_THREADS, 0, stream>>>(in, out, n, stats);
    return cudaGetLastError();
}

/* ---- broadcast binary ops, constants ------------------------------------------- */

typedef struct {
    int64_t os[4], sa[4], sb[4];
} gek_bcast;

__global__ void k_binary_bcast(int fn, const float *a, const float *b, float *out, int64_t n,
                               gek_bcast g) {
    GRID_LOOP(i, n) {
        int64_t r = i;
        int64_t i3 = r % g.os[3]; r /= g.os[3];
        int64_t i2 = r % g.os[2]; r /= g.os[2];
        int64_t i1 = r % g.os[1]; int64_t i0 = r / g.os[1];
        float x = a[i0 * g.sa[0] + i1 * g.sa[1] + i2 * g.sa[2] + i3 * g.sa[3]];
        float y = b[i0 * g.sb[0] + i1 * g.sb[1] + i2 * g.sb[2] + i3 * g.sb[3]];
        out[i] = gek_binary(fn, x, y);
    }
}

cudaError_t zc_gek_binary_broadcast(cudaStream_t stream, int fn, const float *a, const float *b,
                                    float *out, int64_t n, const int64_t out_shape[4],
                                    const int64_t a_stride[4], const int64_t b_stride[4]) {
    gek_bcast g;
    for (int i = 0; i < 4; i++) {
        g.os[i] = out_shape[i];
        g.sa[i] = a_stride[i];
        g.sb[i] = b_stride[i];
    }
    k_binary_bcast<<<map_blocks(n), GEK_THREADS, 0, stream>>>(fn, a, b, out, n, g);
    return cudaGetLastError();
}

__global__ void k_set(float *out, float v) { out[0] = v; }

cudaError_t zc_gek_set(cudaStream_t stream, float *out, float v) {
    k_set<<<1, 1, 0, stream>>>(out, v);
    return cudaGetLastError();
}

/* ---- det / logdet ------------------------------------------------------------------ */

/* one matrix per thread, LU with partial pivoting in double in global
 * scratch (as primitives.c's lu_logabs) */
__global__ void k_det(const float *a, int64_t batch, int n, double *scratch, float *out,
                      int logdet) {
    int64_t bi = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (bi >= batch) return;
    const float *src = a + bi * n * n;
    double *m = scratch + bi * n * n;
    int finite = 1;
    for (int i = 0; i < n * n; i++) {
        m[i] = src[i];
        if (!isfinite(src[i])) finite = 0;
    }
    int sign = 1;
    double la = 0.0;
    for (int k = 0; k < n && sign != 0; k++) {
        int p = k;
        double best = fabs(m[k * n + k]);
        for (int i = k + 1; i < n; i++) {
            double v = fabs(m[i * n + k]);
            if (v > best) { best = v; p = i; }
        }
        if (p != k) {
            for (int j = 0; j < n; j++) {
                double t = m[k * n + j];
                m[k * n + j] = m[p * n + j];
                m[p * n + j] = t;
            }
            sign = -sign;
        }
        double piv = m[k * n + k];
        if (piv == 0.0) { la = -INFINITY; sign = 0; break; }
        if (piv < 0) sign = -sign;
        la += log(fabs(piv));
        for (int i = k + 1; i < n; i++) {
            double f = m[i * n + k] / piv;
            if (f == 0.0) continue;
            for (int j = k + 1; j < n; j++) m[i * n + j] -= f * m[k * n + j];
        }
    }
    float r;
    const float qnan = __int_as_float(0x7fc00000);
    if (!logdet) {
        if (!finite || la != la) r = qnan;
        else if (sign == 0) r = 0.0f;
        else r = gek_to_float(sign * exp(la));
    } else {
        if (la != la || !finite) r = 0.0f;
        else if (sign == 0) r = -INFINITY;
        else if (sign < 0) r = 0.0f;
        else r = gek_to_float(la);
    }
    out[bi] = r;
}

cudaError_t zc_gek_det(cudaStream_t stream, const float *a, int64_t batch, int n, double *scratch,
                       float *out, int logdet) {
    k_det<<<(unsigned)((batch + 127) / 128), 128, 0, stream>>>(a, batch, n, scratch, out, logdet);
    return cudaGetLastError();
}

/* gpu_kernels.cuh: launchers of the small hand-written CUDA kernels of the
 * network executor (gpu_kernels.cu). Every launcher enqueues on `stream`,
 * checks the launch (CUDA_CHECK(cudaGetLastError())) and returns 0, or -1
 * with the thread's CUDA error set (cuda_check.h). Layouts are
 * NCHW float32 as in cpu_kernels.h; "acc" != 0 adds into the output instead
 * of overwriting it (gradient accumulation). C++ linkage: used only inside
 * the CUDA backend. */
#ifndef ZC_GPU_KERNELS_CUH
#define ZC_GPU_KERNELS_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#define ZC_GK_MAX_IN 8

typedef struct {
    const float *p[ZC_GK_MAX_IN];
    int n;
} zc_gk_ptrs;

/* y = x < 0 ? 0 : x (NaN propagates, as zc_relu_forward) */
int zc_gk_relu_forward(cudaStream_t s, const float *x, float *y, int64_t n);
/* dx (+)= x > 0 ? dy : 0 */
int zc_gk_relu_backward(cudaStream_t s, const float *x, const float *dy, float *dx, int64_t n,
                        int acc);
/* y = in.p[0] + in.p[1] + ... left to right (n_in >= 1) */
int zc_gk_add_n(cudaStream_t s, zc_gk_ptrs in, float *y, int64_t n);
/* y = x * 0 (NaN/inf give NaN, as the reference's Zero module) */
int zc_gk_mul_zero(cudaStream_t s, const float *x, float *y, int64_t n);
/* y[i] = v */
int zc_gk_fill(cudaStream_t s, float *y, float v, int64_t n);
/* dst += src */
int zc_gk_accumulate(cudaStream_t s, float *dst, const float *src, int64_t n);
/* y (planes) = mean over hw of x (planes, hw), double accumulation */
int zc_gk_gap_forward(cudaStream_t s, const float *x, float *y, int64_t planes, int hw);
/* dx (planes, hw) (+)= dy[plane] * (1/hw) */
int zc_gk_gap_backward(cudaStream_t s, const float *dy, float *dx, int64_t planes, int hw,
                       int acc);
/* zero pad / crop of (planes, h, w) by top, bottom, left, right */
int zc_gk_pad_forward(cudaStream_t s, const float *x, float *y, int64_t planes, int h, int w,
                      int top, int bottom, int left, int right);
/* dx (planes, h, w) (+)= the matching window of dy */
int zc_gk_pad_backward(cudaStream_t s, const float *dy, float *dx, int64_t planes, int h, int w,
                       int top, int bottom, int left, int right, int acc);
/* rows x width block copy: dst[r*dst_pitch + j] (+)= src[r*src_pitch + j] */
int zc_gk_slice_copy(cudaStream_t s, float *dst, int64_t dst_pitch, const float *src,
                     int64_t src_pitch, int64_t width, int64_t rows, int acc);
/* y (n, out) = b broadcast over rows */
int zc_gk_bias_fill(cudaStream_t s, float *y, const float *b, int n, int out);
/* db[o] = sum_i dy[i*out + o] (double accumulation) */
int zc_gk_column_sum(cudaStream_t s, const float *dy, float *db, int n, int out);
/* terminal collection: v = src ? src[i] : 0, zeroed where mask && !(mask > 0);
 * dst = v (diff 0) or dst = v - dst (diff 1: perturb minus data) */
int zc_gk_collect(cudaStream_t s, float *dst, const float *src, const float *mask, int64_t n,
                  int diff);

#endif

/* gpu_kernels.cu: the small hand-written CUDA kernels of the network
 * executor (see gpu_kernels.cuh): grid-stride elementwise loops, one warp
 * per plane for reductions; every launcher checks its launch. */
#include "kernels/cuda/gpu_kernels.cuh"

#include "kernels/cuda/cuda_check.h"

#define GK_THREADS 256
#define GK_MAX_BLOCKS 4096

static unsigned blocks_for(int64_t n) {
    int64_t b = (n + GK_THREADS - 1) / GK_THREADS;
    if (b < 1) b = 1;
    return (unsigned)(b > GK_MAX_BLOCKS ? GK_MAX_BLOCKS : b);
}

#define GRID_LOOP(i, n)                                                          \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);    \
         i += (int64_t)gridDim.x * blockDim.x)

__global__ void k_relu_forward(const float *__restrict__ x, float *__restrict__ y, int64_t n) {
    GRID_LOOP(i, n) {
        float v = x[i];
        y[i] = v < 0.0f ? 0.0f : v;
    }
}

__global__ void k_relu_backward(const float *__restrict__ x, const float *__restrict__ dy,
                                float *__restrict__ dx, int64_t n, int acc) {
    GRID_LOOP(i, n) {
        float v = x[i] > 0.0f ? dy[i] : 0.0f;
        dx[i] = acc ? dx[i] + v : v;
    }
}

__global__ void k_add_n(zc_gk_ptrs in, float *__restrict__ y, int64_t n) {
    GRID_LOOP(i, n) {
        float v = in.p[0][i];
        for (int k = 1; k < in.n; k++) v += in.p[k][i];
        y[i] = v;
    }
}

__global__ void k_mul_zero(const float *__restrict__ x, float *__restrict__ y, int64_t n) {
    GRID_LOOP(i, n) y[i] = x[i] * 0.0f;
}

__global__ void k_fill(float *__restrict__ y, float v, int64_t n) {
    GRID_LOOP(i, n) y[i] = v;
}

__global__ void k_accumulate(float *__restrict__ dst, const float *__restrict__ src, int64_t n) {
    GRID_LOOP(i, n) dst[i] += src[i];
}

/* one warp per plane */
__global__ void k_gap_forward(const float *__restrict__ x, float *__restrict__ y, int64_t planes,
                              int hw) {
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32;
    int lane = threadIdx.x & 31;
    if (warp >= planes) return;
    const float *xs = x + warp * hw;
    double acc = 0.0;
    for (int i = lane; i < hw; i += 32) acc += (double)xs[i];
    for (int o = 16; o > 0; o >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, o);
    if (lane == 0) y[warp] = (float)(acc / hw);
}

__global__ void k_gap_backward(const float *__restrict__ dy, float *__restrict__ dx,
                               int64_t planes, int hw, int acc) {
    const float inv = 1.0f / (float)hw;
    GRID_LOOP(i, planes * hw) {
        float v = dy[i / hw] * inv;
        dx[i] = acc ? dx[i] + v : v;
    }
}

__global__ void k_pad_forward(const float *__restrict__ x, float *__restrict__ y, int64_t planes,
                              int h, int w, int oh, int ow, int top, int left) {
    GRID_LOOP(i, planes * oh * ow) {
        int64_t pl = i / ((int64_t)oh * ow);
        int r = (int)((i / ow) % oh), c = (int)(i % ow);
        int sr = r - top, sc = c - left;
        y[i] = (sr >= 0 && sr < h && sc >= 0 && sc < w) ? x[(pl * h + sr) * w + sc] : 0.0f;
    }
}

__global__ void k_pad_backward(const float *__restrict__ dy, float *__restrict__ dx,
                               int64_t planes, int h, int w, int oh, int ow, int top, int left,
                               int acc) {
    GRID_LOOP(i, planes * h * w) {
        int64_t pl = i / ((int64_t)h * w);
        int r = (int)((i / w) % h), c = (int)(i % w);
        int yr = r + top, yc = c + left;
        float v = (yr >= 0 && yr < oh && yc >= 0 && yc < ow) ? dy[(pl * oh + yr) * ow + yc] : 0.0f;
        dx[i] = acc ? dx[i] + v : v;
    }
}

__global__ void k_slice_copy(float *__restrict__ dst, int64_t dst_pitch,
                             const float *__restrict__ src, int64_t src_pitch, int64_t width,
                             int64_t rows, int acc) {
    GRID_LOOP(i, rows * width) {
        int64_t r = i / width, j = i % width;
        float v = src[r * src_pitch + j];
        float *d = dst + r * dst_pitch + j;
        *d = acc ? *d + v : v;
    }
}

__global__ void k_bias_fill(float *__restrict__ y, const float *__restrict__ b, int n, int out) {
    GRID_LOOP(i, (int64_t)n * out) y[i] = b[i % out];
}

__global__ void k_column_sum(const float *__restrict__ dy, float *__restrict__ db, int n, int out) {
    GRID_LOOP(o, (int64_t)out) {
        double s = 0.0;
        for (int i = 0; i < n; i++) s += (double)dy[(int64_t)i * out + o];
        db[o] = (float)s;
    }
}

__global__ void k_collect(float *__restrict__ dst, const float *__restrict__ src,
                          const float *__restrict__ mask, int64_t n, int diff) {
    GRID_LOOP(i, n) {
        float v = src ? src[i] : 0.0f;
        if (mask && !(mask[i] > 0.0f)) v = 0.0f;
        dst[i] = diff ? v - dst[i] : v;
    }
}

int zc_gk_relu_forward(cudaStream_t s, const float *x, float *y, int64_t n) {
    k_relu_forward<<<blocks_for(n), GK_THREADS, 0, s>>>(x, y, n);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_relu_backward(cudaStream_t s, const float *x, const float *dy, float *dx, int64_t n,
                        int acc) {
    k_relu_backward<<<blocks_for(n), GK_THREADS, 0, s>>>(x, dy, dx, n, acc);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_add_n(cudaStream_t s, zc_gk_ptrs in, float *y, int64_t n) {
    k_add_n<<<blocks_for(n), GK_THREADS, 0, s>>>(in, y, n);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_mul_zero(cudaStream_t s, const float *x, float *y, int64_t n) {
    k_mul_zero<<<blocks_for(n), GK_THREADS, 0, s>>>(x, y, n);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_fill(cudaStream_t s, float *y, float v, int64_t n) {
    k_fill<<<blocks_for(n), GK_THREADS, 0, s>>>(y, v, n);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_accumulate(cudaStream_t s, float *dst, const float *src, int64_t n) {
    k_accumulate<<<blocks_for(n), GK_THREADS, 0, s>>>(dst, src, n);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_gap_forward(cudaStream_t s, const float *x, float *y, int64_t planes, int hw) {
    int64_t threads = planes * 32;
    unsigned blocks = (unsigned)((threads + GK_THREADS - 1) / GK_THREADS);
    k_gap_forward<<<blocks, GK_THREADS, 0, s>>>(x, y, planes, hw);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_gap_backward(cudaStream_t s, const float *dy, float *dx, int64_t planes, int hw,
                       int acc) {
    k_gap_backward<<<blocks_for(planes * hw), GK_THREADS, 0, s>>>(dy, dx, planes, hw, acc);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_pad_forward(cudaStream_t s, const float *x, float *y, int64_t planes, int h, int w,
                      int top, int bottom, int left, int right) {
    int oh = h + top + bottom, ow = w + left + right;
    k_pad_forward<<<blocks_for(planes * oh * ow), GK_THREADS, 0, s>>>(x, y, planes, h, w, oh, ow,
                                                                     top, left);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_pad_backward(cudaStream_t s, const float *dy, float *dx, int64_t planes, int h, int w,
                       int top, int bottom, int left, int right, int acc) {
    int oh = h + top + bottom, ow = w + left + right;
    k_pad_backward<<<blocks_for(planes * h * w), GK_THREADS, 0, s>>>(dy, dx, planes, h, w, oh, ow,
                                                                    top, left, acc);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_slice_copy(cudaStream_t s, float *dst, int64_t dst_pitch, const float *src,
                     int64_t src_pitch, int64_t width, int64_t rows, int acc) {
    k_slice_copy<<<blocks_for(rows * width), GK_THREADS, 0, s>>>(dst, dst_pitch, src, src_pitch,
                                                                 width, rows, acc);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_bias_fill(cudaStream_t s, float *y, const float *b, int n, int out) {
    k_bias_fill<<<blocks_for((int64_t)n * out), GK_THREADS, 0, s>>>(y, b, n, out);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_column_sum(cudaStream_t s, const float *dy, float *db, int n, int out) {
    k_column_sum<<<blocks_for(out), GK_THREADS, 0, s>>>(dy, db, n, out);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}
int zc_gk_collect(cudaStream_t s, float *dst, const float *src, const float *mask, int64_t n,
                  int diff) {
    k_collect<<<blocks_for(n), GK_THREADS, 0, s>>>(dst, src, mask, n, diff);
    CUDA_CHECK(cudaGetLastError());
    return 0;
}

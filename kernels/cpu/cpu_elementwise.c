/* cpu_elementwise.c: ReLU, add, accumulate, global average pooling, spatial
 * zero-padding / cropping and channel concatenation of the CPU backend
 * (NCHW float32). Contiguous loops over restrict pointers so that they
 * vectorise. See cpu_kernels.h for the contracts. */
#include "kernels/cpu/cpu_kernels.h"

#include <string.h>

void zc_relu_forward(long count, const float *x, float *y) {
    /* NaN propagates (as torch.relu): NaN < 0 is false. In-place (x == y) is
     * allowed, hence no restrict here. */
    for (long i = 0; i < count; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void zc_relu_backward(long count, const float *x, const float *dy, float *dx) {
    for (long i = 0; i < count; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

void zc_add(long count, const float *a, const float *b, float *y) {
    for (long i = 0; i < count; i++) y[i] = a[i] + b[i];
}

void zc_accumulate(long count, const float *restrict a, float *restrict y) {
    for (long i = 0; i < count; i++) y[i] += a[i];
}

void zc_gap_forward(int n, int c, int hw, const float *x, float *y) {
    const long planes = (long)n * c;
    for (long pl = 0; pl < planes; pl++) {
        const float *restrict xs = x + (size_t)pl * hw;
        double acc[4] = {0, 0, 0, 0};
        int i = 0;
        for (; i + 4 <= hw; i += 4)
            for (int j = 0; j < 4; j++) acc[j] += (double)xs[i + j];
        double total = (acc[0] + acc[2]) + (acc[1] + acc[3]);
        for (; i < hw; i++) total += (double)xs[i];
        y[pl] = (float)(total / hw);
    }
}

void zc_gap_backward(int n, int c, int hw, const float *dy, float *dx) {
    const long planes = (long)n * c;
    const float inv = 1.0f / (float)hw;
    for (long pl = 0; pl < planes; pl++) {
        const float v = dy[pl] * inv;
        float *restrict dxs = dx + (size_t)pl * hw;
        for (int i = 0; i < hw; i++) dxs[i] = v;
    }
}

/* Copy the overlap of a (h, w) plane placed at (top, left) inside an
 * (oh, ow) plane, in either direction; everything else of dst is zeroed. */
static void pad_plane(const float *restrict src, int sh, int sw, float *restrict dst,
                      int dh, int dw, int top, int left) {
    /* dst row i <-> src row i - top; dst col j <-> src col j - left */
    int i_lo = top > 0 ? top : 0, i_hi = top + sh < dh ? top + sh : dh;
    int j_lo = left > 0 ? left : 0, j_hi = left + sw < dw ? left + sw : dw;
    if (i_hi <= i_lo || j_hi <= j_lo) {
        memset(dst, 0, sizeof(float) * (size_t)dh * dw);
        return;
    }
    if (i_lo > 0) memset(dst, 0, sizeof(float) * (size_t)i_lo * dw);
    for (int i = i_lo; i < i_hi; i++) {
        float *row = dst + (size_t)i * dw;
        const float *in = src + (size_t)(i - top) * sw + (j_lo - left);
        if (j_lo > 0) memset(row, 0, sizeof(float) * j_lo);
        memcpy(row + j_lo, in, sizeof(float) * (j_hi - j_lo));
        if (j_hi < dw) memset(row + j_hi, 0, sizeof(float) * (dw - j_hi));
    }
    if (i_hi < dh) memset(dst + (size_t)i_hi * dw, 0, sizeof(float) * (size_t)(dh - i_hi) * dw);
}

void zc_pad2d_forward(int n, int c, int h, int w, int top, int bottom, int left,
                      int right, const float *x, float *y) {
    const int oh = h + top + bottom, ow = w + left + right;
    const long planes = (long)n * c;
    for (long pl = 0; pl < planes; pl++)
        pad_plane(x + (size_t)pl * h * w, h, w, y + (size_t)pl * oh * ow, oh, ow, top,
                  left);
}

void zc_pad2d_backward(int n, int c, int h, int w, int top, int bottom, int left,
                       int right, const float *dy, float *dx) {
    const int oh = h + top + bottom, ow = w + left + right;
    const long planes = (long)n * c;
    /* dx is dy placed at (-top, -left): the inverse shift. */
    for (long pl = 0; pl < planes; pl++)
        pad_plane(dy + (size_t)pl * oh * ow, oh, ow, dx + (size_t)pl * h * w, h, w, -top,
                  -left);
}

void zc_concat_forward(int n, int hw, int count, const int *cs,
                       const float *const *xs, float *y) {
    long total_c = 0;
    for (int i = 0; i < count; i++) total_c += cs[i];
    for (int ni = 0; ni < n; ni++) {
        float *dst = y + (size_t)ni * total_c * hw;
        for (int i = 0; i < count; i++) {
            size_t len = (size_t)cs[i] * hw;
            memcpy(dst, xs[i] + (size_t)ni * len, sizeof(float) * len);
            dst += len;
        }
    }
}

void zc_concat_backward(int n, int hw, int count, const int *cs, const float *dy,
                        float *const *dxs) {
    long total_c = 0;
    for (int i = 0; i < count; i++) total_c += cs[i];
    for (int ni = 0; ni < n; ni++) {
        const float *src = dy + (size_t)ni * total_c * hw;
        for (int i = 0; i < count; i++) {
            size_t len = (size_t)cs[i] * hw;
            memcpy(dxs[i] + (size_t)ni * len, src, sizeof(float) * len);
            src += len;
        }
    }
}

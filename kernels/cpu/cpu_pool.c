/* cpu_pool.c: average and max pooling (forward and backward) of the CPU
 * backend, NCHW float32, PyTorch semantics with ceil_mode=False: average
 * pooling divides by the window size (count_include_pad) or by the number of
 * in-image elements; max pooling pads with -inf and records the first
 * maximum of each window (NaN wins, as in PyTorch's CPU kernel).
 * See cpu_kernels.h for the contracts. */
#include "kernels/cpu/cpu_kernels.h"

#include <math.h>
#include <string.h>

int zc_pool_desc_make(zc_pool_desc *d, int n, int c, int h, int w, int kh, int kw,
                      int stride_h, int stride_w, int pad_h, int pad_w,
                      int count_include_pad) {
    if (!d || n <= 0 || c <= 0 || h <= 0 || w <= 0 || kh <= 0 || kw <= 0) return -1;
    if (stride_h <= 0 || stride_w <= 0 || pad_h < 0 || pad_w < 0) return -1;
    if (pad_h > kh / 2 || pad_w > kw / 2) return -1;
    int span_h = h + 2 * pad_h - kh, span_w = w + 2 * pad_w - kw;
    if (span_h < 0 || span_w < 0) return -1;
    d->n = n; d->c = c; d->h = h; d->w = w;
    d->kh = kh; d->kw = kw;
    d->stride_h = stride_h; d->stride_w = stride_w;
    d->pad_h = pad_h; d->pad_w = pad_w;
    d->count_include_pad = count_include_pad ? 1 : 0;
    d->p = span_h / stride_h + 1;
    d->q = span_w / stride_w + 1;
    return 0;
}

/* Window rows [*lo, *hi) of output row pi, clipped to the image. */
static void window_rows(int pi, int stride, int pad, int k, int h, int *lo, int *hi) {
    int start = pi * stride - pad;
    int end = start + k;
    *lo = start < 0 ? 0 : start;
    *hi = end > h ? h : end;
}

/* Output columns [*q_lo, *q_hi) whose input column q*stride + offset lies in
 * [0, w). */
static void valid_cols(int offset, int stride, int w, int q_count, int *q_lo,
                       int *q_hi) {
    int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int hi = (w - 1 - offset) < 0 ? 0 : (w - 1 - offset) / stride + 1;
    if (lo > q_count) lo = q_count;
    if (hi > q_count) hi = q_count;
    if (hi < lo) hi = lo;
    *q_lo = lo;
    *q_hi = hi;
}

/* Divisor of output (pi, qi) window. */
static float avg_divisor(const zc_pool_desc *d, int rows, int qi) {
    if (d->count_include_pad) return (float)(d->kh * d->kw);
    int start = qi * d->stride_w - d->pad_w, end = start + d->kw;
    int lo = start < 0 ? 0 : start, hi = end > d->w ? d->w : end;
    return (float)(rows * (hi - lo));
}

/* dst[qi - q0] = src[qi] / divisor(qi) for qi in [q0, q1): columns whose window
 * lies inside the image share one divisor (a vectorised loop); only the
 * edge columns compute their own. */
static void divide_row(const zc_pool_desc *d, int rows, const float *src, float *dst,
                       int q0, int q1) {
    int full_lo = 0, full_hi = d->q;
    if (!d->count_include_pad) {
        /* columns whose window [q*sw - pw, q*sw - pw + kw) lies inside [0, w) */
        valid_cols(-d->pad_w, d->stride_w, d->w, d->q, &full_lo, &full_hi);
        int hi2, lo2;
        valid_cols(d->kw - 1 - d->pad_w, d->stride_w, d->w, d->q, &lo2, &hi2);
        if (hi2 < full_hi) full_hi = hi2;
        if (full_hi < full_lo) full_hi = full_lo;
    }
    if (full_lo < q0) full_lo = q0;
    if (full_hi > q1) full_hi = q1;
    if (full_hi < full_lo) full_lo = full_hi = q1;
    for (int qi = q0; qi < full_lo; qi++) dst[qi - q0] = src[qi] / avg_divisor(d, rows, qi);
    const float full = d->count_include_pad ? (float)(d->kh * d->kw) : (float)(rows * d->kw);
    for (int qi = full_lo; qi < full_hi; qi++) dst[qi - q0] = src[qi] / full;
    for (int qi = full_hi; qi < q1; qi++) dst[qi - q0] = src[qi] / avg_divisor(d, rows, qi);
}

void zc_avgpool_forward(const zc_pool_desc *d, const float *x, float *y) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q, sw = d->stride_w;
    const long planes = (long)d->n * d->c;
    for (long pl = 0; pl < planes; pl++) {
        const float *restrict xc = x + (size_t)pl * H * W;
        float *restrict yc = y + (size_t)pl * P * Q;
        for (int pi = 0; pi < P; pi++) {
            float *restrict out = yc + (size_t)pi * Q;
            memset(out, 0, sizeof(float) * Q);
            int h_lo, h_hi;
            window_rows(pi, d->stride_h, d->pad_h, d->kh, H, &h_lo, &h_hi);
            for (int ih = h_lo; ih < h_hi; ih++) {
                const float *restrict in = xc + (size_t)ih * W;
                for (int si = 0; si < d->kw; si++) {
                    int off = si - d->pad_w, q_lo, q_hi;
                    valid_cols(off, sw, W, Q, &q_lo, &q_hi);
                    if (sw == 1) {
                        for (int qi = q_lo; qi < q_hi; qi++) out[qi] += in[qi + off];
                    } else {
                        for (int qi = q_lo; qi < q_hi; qi++) out[qi] += in[qi * sw + off];
                    }
                }
            }
            divide_row(d, h_hi - h_lo, out, out, 0, Q);
        }
    }
}

void zc_avgpool_backward(const zc_pool_desc *d, const float *dy, float *dx) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q, sw = d->stride_w;
    const long planes = (long)d->n * d->c;
    memset(dx, 0, sizeof(float) * (size_t)planes * H * W);
    /* Scaled gradient row of one output row (Q is small: a stack buffer of
     * at most ZC_POOL_ROW floats per chunk). */
    enum { ZC_POOL_ROW = 256 };
    float scaled[ZC_POOL_ROW];
    for (long pl = 0; pl < planes; pl++) {
        float *restrict xc = dx + (size_t)pl * H * W;
        const float *restrict gc = dy + (size_t)pl * P * Q;
        for (int pi = 0; pi < P; pi++) {
            int h_lo, h_hi;
            window_rows(pi, d->stride_h, d->pad_h, d->kh, H, &h_lo, &h_hi);
            for (int q0 = 0; q0 < Q; q0 += ZC_POOL_ROW) {
                int q1 = q0 + ZC_POOL_ROW < Q ? q0 + ZC_POOL_ROW : Q;
                divide_row(d, h_hi - h_lo, gc + (size_t)pi * Q, scaled, q0, q1);
                for (int ih = h_lo; ih < h_hi; ih++) {
                    float *restrict dst = xc + (size_t)ih * W;
                    for (int si = 0; si < d->kw; si++) {
                        int off = si - d->pad_w, q_lo, q_hi;
                        valid_cols(off, sw, W, Q, &q_lo, &q_hi);
                        if (q_lo < q0) q_lo = q0;
                        if (q_hi > q1) q_hi = q1;
                        if (sw == 1) {
                            for (int qi = q_lo; qi < q_hi; qi++) dst[qi + off] += scaled[qi - q0];
                        } else {
                            for (int qi = q_lo; qi < q_hi; qi++)
                                dst[qi * sw + off] += scaled[qi - q0];
                        }
                    }
                }
            }
        }
    }
}

void zc_maxpool_forward(const zc_pool_desc *d, const float *x, float *y,
                        int *argmax) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q;
    const long planes = (long)d->n * d->c;
    for (long pl = 0; pl < planes; pl++) {
        const float *restrict xc = x + (size_t)pl * H * W;
        float *restrict yc = y + (size_t)pl * P * Q;
        int *restrict ac = argmax + (size_t)pl * P * Q;
        for (int pi = 0; pi < P; pi++) {
            int h_lo, h_hi;
            window_rows(pi, d->stride_h, d->pad_h, d->kh, H, &h_lo, &h_hi);
            for (int qi = 0; qi < Q; qi++) {
                int w_lo, w_hi;
                window_rows(qi, d->stride_w, d->pad_w, d->kw, W, &w_lo, &w_hi);
                float best = -INFINITY;
                int best_index = h_lo * W + w_lo;
                for (int ih = h_lo; ih < h_hi; ih++) {
                    for (int iw = w_lo; iw < w_hi; iw++) {
                        float v = xc[ih * W + iw];
                        if (v > best || v != v) {
                            best = v;
                            best_index = ih * W + iw;
                        }
                    }
                }
                yc[(size_t)pi * Q + qi] = best;
                ac[(size_t)pi * Q + qi] = best_index;
            }
        }
    }
}

void zc_maxpool_backward(const zc_pool_desc *d, const float *dy, const int *argmax,
                         float *dx) {
    const int HW = d->h * d->w, PQ = d->p * d->q;
    const long planes = (long)d->n * d->c;
    memset(dx, 0, sizeof(float) * (size_t)planes * HW);
    for (long pl = 0; pl < planes; pl++) {
        float *restrict xc = dx + (size_t)pl * HW;
        const float *restrict gc = dy + (size_t)pl * PQ;
        const int *restrict ac = argmax + (size_t)pl * PQ;
        for (int i = 0; i < PQ; i++) xc[ac[i]] += gc[i];
    }
}

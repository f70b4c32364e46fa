/* cpu_conv.c: 2-D convolution (forward, backward-data, backward-filter) of
 * the CPU backend, NCHW float32 with stride, padding, dilation and groups.
 *
 * General path: per image and per group, im2col into the caller's workspace
 * and one cblas_sgemm (1x1 stride-1 unpadded convolutions use the input
 * directly, without im2col). Backward-data is W^T dy followed by col2im;
 * backward-filter accumulates dy im2col(x)^T over the batch in the GEMM's
 * beta. Convolutions with one input channel per group (depthwise, with any
 * channel multiplier) take a direct-loop path instead of tiny GEMMs.
 * See cpu_kernels.h for the contracts. */
#include "kernels/cpu/cpu_kernels.h"

#include <cblas.h>
#include <string.h>

int zc_conv_desc_make(zc_conv_desc *d, int n, int c, int h, int w, int k, int r,
                      int s, int stride_h, int stride_w, int pad_h, int pad_w,
                      int dil_h, int dil_w, int groups) {
    if (!d || n <= 0 || c <= 0 || h <= 0 || w <= 0 || k <= 0 || r <= 0 || s <= 0)
        return -1;
    if (stride_h <= 0 || stride_w <= 0 || dil_h <= 0 || dil_w <= 0) return -1;
    if (pad_h < 0 || pad_w < 0 || groups <= 0) return -1;
    if (c % groups != 0 || k % groups != 0) return -1;
    int span_h = h + 2 * pad_h - dil_h * (r - 1) - 1;
    int span_w = w + 2 * pad_w - dil_w * (s - 1) - 1;
    if (span_h < 0 || span_w < 0) return -1;
    d->n = n; d->c = c; d->h = h; d->w = w;
    d->k = k; d->r = r; d->s = s;
    d->stride_h = stride_h; d->stride_w = stride_w;
    d->pad_h = pad_h; d->pad_w = pad_w;
    d->dil_h = dil_h; d->dil_w = dil_w;
    d->groups = groups;
    d->p = span_h / stride_h + 1;
    d->q = span_w / stride_w + 1;
    return 0;
}

/* One input channel per group: the direct (depthwise) path. */
static int conv_is_depthwise(const zc_conv_desc *d) {
    return d->groups > 1 && d->c == d->groups;
}

/* 1x1, stride 1, no padding: the input image of a group is its own im2col. */
static int conv_is_pointwise(const zc_conv_desc *d) {
    return d->r == 1 && d->s == 1 && d->stride_h == 1 && d->stride_w == 1 &&
           d->pad_h == 0 && d->pad_w == 0;
}

/* Floats of one image-and-group im2col buffer (0 when not needed). */
static size_t conv_col_floats(const zc_conv_desc *d) {
    if (conv_is_pointwise(d)) return 0;
    return (size_t)(d->c / d->groups) * (size_t)d->r * (size_t)d->s *
           (size_t)d->p * (size_t)d->q;
}

/* Workspace layout (general path): [im2col buffer][dw^T accumulator of
 * k * (c/g) * r * s floats, used by backward-filter]. The depthwise path
 * needs none. */
size_t zc_conv_workspace_floats(const zc_conv_desc *d) {
    if (conv_is_depthwise(d)) return 0;
    return conv_col_floats(d) +
           (size_t)d->k * (size_t)(d->c / d->groups) * (size_t)d->r * (size_t)d->s;
}

/* Output columns q in [*q_lo, *q_hi) read input column q*stride + offset
 * inside [0, w). */
static void valid_range(int offset, int stride, int w, int q_count, int *q_lo,
                        int *q_hi) {
    /* smallest q with q*stride + offset >= 0 */
    int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    /* largest q with q*stride + offset <= w - 1, plus one */
    int hi = (w - 1 - offset) < 0 ? 0 : (w - 1 - offset) / stride + 1;
    if (lo > q_count) lo = q_count;
    if (hi > q_count) hi = q_count;
    if (hi < lo) hi = lo;
    *q_lo = lo;
    *q_hi = hi;
}

/* im2col of cpg channels of one image: col (cpg*r*s, p*q). */
static void im2col(const zc_conv_desc *d, int cpg, const float *restrict x,
                   float *restrict col) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q;
    const int sh = d->stride_h, sw = d->stride_w;
    for (int ci = 0; ci < cpg; ci++) {
        const float *restrict xc = x + (size_t)ci * H * W;
        for (int ri = 0; ri < d->r; ri++) {
            for (int si = 0; si < d->s; si++) {
                float *restrict row =
                    col + ((size_t)(ci * d->r + ri) * d->s + si) * P * Q;
                int w_off = si * d->dil_w - d->pad_w;
                int q_lo, q_hi;
                valid_range(w_off, sw, W, Q, &q_lo, &q_hi);
                for (int pi = 0; pi < P; pi++) {
                    float *restrict out = row + (size_t)pi * Q;
                    int ih = pi * sh - d->pad_h + ri * d->dil_h;
                    if (ih < 0 || ih >= H) {
                        memset(out, 0, sizeof(float) * Q);
                        continue;
                    }
                    const float *restrict in = xc + (size_t)ih * W;
                    for (int qi = 0; qi < q_lo; qi++) out[qi] = 0.0f;
                    if (sw == 1) {
                        if (q_hi > q_lo)
                            memcpy(out + q_lo, in + q_lo + w_off, sizeof(float) * (q_hi - q_lo));
                    } else {
                        for (int qi = q_lo; qi < q_hi; qi++) out[qi] = in[qi * sw + w_off];
                    }
                    for (int qi = q_hi; qi < Q; qi++) out[qi] = 0.0f;
                }
            }
        }
    }
}

/* col2im: dx (cpg, h, w) += scatter of col (cpg*r*s, p*q). */
static void col2im_add(const zc_conv_desc *d, int cpg, const float *restrict col,
                       float *restrict dx) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q;
    const int sh = d->stride_h, sw = d->stride_w;
    for (int ci = 0; ci < cpg; ci++) {
        float *restrict xc = dx + (size_t)ci * H * W;
        for (int ri = 0; ri < d->r; ri++) {
            for (int si = 0; si < d->s; si++) {
                const float *restrict row =
                    col + ((size_t)(ci * d->r + ri) * d->s + si) * P * Q;
                int w_off = si * d->dil_w - d->pad_w;
                int q_lo, q_hi;
                valid_range(w_off, sw, W, Q, &q_lo, &q_hi);
                for (int pi = 0; pi < P; pi++) {
                    int ih = pi * sh - d->pad_h + ri * d->dil_h;
                    if (ih < 0 || ih >= H) continue;
                    const float *restrict src = row + (size_t)pi * Q;
                    float *restrict dst = xc + (size_t)ih * W;
                    if (sw == 1) {
                        for (int qi = q_lo; qi < q_hi; qi++) dst[qi + w_off] += src[qi];
                    } else {
                        for (int qi = q_lo; qi < q_hi; qi++) dst[qi * sw + w_off] += src[qi];
                    }
                }
            }
        }
    }
}

/* dot_f32: sum a[i] b[i] over n floats, eight independent partial sums so
 * that the compiler can vectorise without reassociating one accumulator. */
static inline float dot_f32(const float *restrict a, const float *restrict b, int n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
    float total = ((acc[0] + acc[4]) + (acc[1] + acc[5])) +
                  ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) total += a[i] * b[i];
    return total;
}

/* ---- depthwise direct path (c == groups; m = k / c outputs per channel) -- */

static void depthwise_forward(const zc_conv_desc *d, const float *restrict x,
                              const float *restrict w, float *restrict y) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q, R = d->r, S = d->s;
    const int sh = d->stride_h, sw = d->stride_w, mult = d->k / d->c;
    for (int ni = 0; ni < d->n; ni++) {
        for (int ko = 0; ko < d->k; ko++) {
            const float *restrict xc = x + ((size_t)ni * d->c + ko / mult) * H * W;
            const float *restrict wk = w + (size_t)ko * R * S;
            float *restrict yc = y + ((size_t)ni * d->k + ko) * P * Q;
            memset(yc, 0, sizeof(float) * P * Q);
            for (int ri = 0; ri < R; ri++) {
                for (int si = 0; si < S; si++) {
                    const float wv = wk[ri * S + si];
                    int w_off = si * d->dil_w - d->pad_w;
                    int q_lo, q_hi;
                    valid_range(w_off, sw, W, Q, &q_lo, &q_hi);
                    for (int pi = 0; pi < P; pi++) {
                        int ih = pi * sh - d->pad_h + ri * d->dil_h;
                        if (ih < 0 || ih >= H) continue;
                        const float *restrict in = xc + (size_t)ih * W;
                        float *restrict out = yc + (size_t)pi * Q;
                        if (sw == 1) {
                            for (int qi = q_lo; qi < q_hi; qi++) out[qi] += wv * in[qi + w_off];
                        } else {
                            for (int qi = q_lo; qi < q_hi; qi++)
                                out[qi] += wv * in[qi * sw + w_off];
                        }
                    }
                }
            }
        }
    }
}

static void depthwise_backward_data(const zc_conv_desc *d, const float *restrict dy,
                                    const float *restrict w, float *restrict dx) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q, R = d->r, S = d->s;
    const int sh = d->stride_h, sw = d->stride_w, mult = d->k / d->c;
    memset(dx, 0, sizeof(float) * (size_t)d->n * d->c * H * W);
    for (int ni = 0; ni < d->n; ni++) {
        for (int ko = 0; ko < d->k; ko++) {
            float *restrict xc = dx + ((size_t)ni * d->c + ko / mult) * H * W;
            const float *restrict wk = w + (size_t)ko * R * S;
            const float *restrict gc = dy + ((size_t)ni * d->k + ko) * P * Q;
            for (int ri = 0; ri < R; ri++) {
                for (int si = 0; si < S; si++) {
                    const float wv = wk[ri * S + si];
                    int w_off = si * d->dil_w - d->pad_w;
                    int q_lo, q_hi;
                    valid_range(w_off, sw, W, Q, &q_lo, &q_hi);
                    for (int pi = 0; pi < P; pi++) {
                        int ih = pi * sh - d->pad_h + ri * d->dil_h;
                        if (ih < 0 || ih >= H) continue;
                        float *restrict dst = xc + (size_t)ih * W;
                        const float *restrict src = gc + (size_t)pi * Q;
                        if (sw == 1) {
                            for (int qi = q_lo; qi < q_hi; qi++) dst[qi + w_off] += wv * src[qi];
                        } else {
                            for (int qi = q_lo; qi < q_hi; qi++)
                                dst[qi * sw + w_off] += wv * src[qi];
                        }
                    }
                }
            }
        }
    }
}

static void depthwise_backward_filter(const zc_conv_desc *d, const float *restrict x,
                                      const float *restrict dy, float *restrict dw) {
    const int H = d->h, W = d->w, P = d->p, Q = d->q, R = d->r, S = d->s;
    const int sh = d->stride_h, sw = d->stride_w, mult = d->k / d->c;
    for (int ko = 0; ko < d->k; ko++) {
        for (int ri = 0; ri < R; ri++) {
            for (int si = 0; si < S; si++) {
                int w_off = si * d->dil_w - d->pad_w;
                int q_lo, q_hi;
                valid_range(w_off, sw, W, Q, &q_lo, &q_hi);
                double total = 0.0;
                for (int ni = 0; ni < d->n; ni++) {
                    const float *restrict xc =
                        x + ((size_t)ni * d->c + ko / mult) * H * W;
                    const float *restrict gc = dy + ((size_t)ni * d->k + ko) * P * Q;
                    float image_sum = 0.0f;
                    for (int pi = 0; pi < P; pi++) {
                        int ih = pi * sh - d->pad_h + ri * d->dil_h;
                        if (ih < 0 || ih >= H) continue;
                        const float *restrict in = xc + (size_t)ih * W;
                        const float *restrict g = gc + (size_t)pi * Q;
                        float row_sum = 0.0f;
                        if (sw == 1) {
                            row_sum = dot_f32(g + q_lo, in + q_lo + w_off, q_hi - q_lo);
                        } else {
                            for (int qi = q_lo; qi < q_hi; qi++)
                                row_sum += g[qi] * in[qi * sw + w_off];
                        }
                        image_sum += row_sum;
                    }
                    total += image_sum;
                }
                dw[((size_t)ko * R + ri) * S + si] = (float)total;
            }
        }
    }
}

/* ---- public kernels ------------------------------------------------------ */

void zc_conv2d_forward(const zc_conv_desc *d, const float *x, const float *w,
                       float *y, float *workspace) {
    if (conv_is_depthwise(d)) {
        depthwise_forward(d, x, w, y);
        return;
    }
    const int G = d->groups, cpg = d->c / G, kpg = d->k / G;
    const int PQ = d->p * d->q, HW = d->h * d->w;
    const int inner = cpg * d->r * d->s;
    const int pointwise = conv_is_pointwise(d);
    for (int ni = 0; ni < d->n; ni++) {
        for (int g = 0; g < G; g++) {
            const float *xg = x + ((size_t)ni * d->c + (size_t)g * cpg) * HW;
            float *yg = y + ((size_t)ni * d->k + (size_t)g * kpg) * PQ;
            const float *wg = w + (size_t)g * kpg * inner;
            const float *col = xg;
            if (!pointwise) {
                im2col(d, cpg, xg, workspace);
                col = workspace;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kpg, PQ, inner,
                        1.0f, wg, inner, col, PQ, 0.0f, yg, PQ);
        }
    }
}

void zc_conv2d_backward_data(const zc_conv_desc *d, const float *dy,
                             const float *w, float *dx, float *workspace) {
    if (conv_is_depthwise(d)) {
        depthwise_backward_data(d, dy, w, dx);
        return;
    }
    const int G = d->groups, cpg = d->c / G, kpg = d->k / G;
    const int PQ = d->p * d->q, HW = d->h * d->w;
    const int inner = cpg * d->r * d->s;
    const int pointwise = conv_is_pointwise(d);
    if (!pointwise) memset(dx, 0, sizeof(float) * (size_t)d->n * d->c * HW);
    for (int ni = 0; ni < d->n; ni++) {
        for (int g = 0; g < G; g++) {
            float *dxg = dx + ((size_t)ni * d->c + (size_t)g * cpg) * HW;
            const float *dyg = dy + ((size_t)ni * d->k + (size_t)g * kpg) * PQ;
            const float *wg = w + (size_t)g * kpg * inner;
            float *col = pointwise ? dxg : workspace;
            /* col (inner, PQ) = W_g^T (inner, kpg) dy_g (kpg, PQ) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, inner, PQ, kpg,
                        1.0f, wg, inner, dyg, PQ, 0.0f, col, PQ);
            if (!pointwise) col2im_add(d, cpg, col, dxg);
        }
    }
}

void zc_conv2d_backward_filter(const zc_conv_desc *d, const float *x,
                               const float *dy, float *dw, float *workspace) {
    if (conv_is_depthwise(d)) {
        depthwise_backward_filter(d, x, dy, dw);
        return;
    }
    const int G = d->groups, cpg = d->c / G, kpg = d->k / G;
    const int PQ = d->p * d->q, HW = d->h * d->w;
    const int inner = cpg * d->r * d->s;
    const int pointwise = conv_is_pointwise(d);
    /* Accumulate dw^T (inner, kpg) per group: col dy^T runs markedly faster
     * in OpenBLAS than dy col^T when kpg is small (16 channels). */
    float *dwt = workspace + conv_col_floats(d);
    for (int ni = 0; ni < d->n; ni++) {
        for (int g = 0; g < G; g++) {
            const float *xg = x + ((size_t)ni * d->c + (size_t)g * cpg) * HW;
            const float *dyg = dy + ((size_t)ni * d->k + (size_t)g * kpg) * PQ;
            float *dwtg = dwt + (size_t)g * kpg * inner;
            const float *col = xg;
            if (!pointwise) {
                im2col(d, cpg, xg, workspace);
                col = workspace;
            }
            /* dw_g^T (inner, kpg) (+)= col (inner, PQ) dy_g^T (PQ, kpg) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, inner, kpg, PQ, 1.0f,
                        col, PQ, dyg, PQ, ni == 0 ? 0.0f : 1.0f, dwtg, kpg);
        }
    }
    for (int g = 0; g < G; g++) {
        const float *restrict src = dwt + (size_t)g * kpg * inner;
        float *restrict dst = dw + (size_t)g * kpg * inner;
        for (int i = 0; i < inner; i++)
            for (int kk = 0; kk < kpg; kk++)
                dst[(size_t)kk * inner + i] = src[(size_t)i * kpg + kk];
    }
}

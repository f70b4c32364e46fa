/* net_exec64.c: the float64 executor with a log scale per tensor (see
 * net_exec64.h): scaled-tensor arithmetic, the float64 convolution and
 * pooling kernels of one sample, and the forward and backward passes. */
#include "kernels/cpu/net_exec64.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* ---- scaled tensors ------------------------------------------------------- */

static int64_t sample_numel(const zc_net *net, int v) {
    const zc_vshape *s = &net->vshape[v];
    return (int64_t)s->c * s->h * s->w;
}

/* normalise: rescale so that max |m| = 1 (all-zero tensors keep scale 0). */
static void normalise(zc_scaled *t, int64_t n) {
    double mx = 0;
    for (int64_t i = 0; i < n; i++) mx = fmax(mx, fabs(t->m[i]));
    if (mx == 0 || !isfinite(mx)) {
        if (mx == 0) t->log_s = 0;
        return;
    }
    double inv = 1.0 / mx;
    for (int64_t i = 0; i < n; i++) t->m[i] *= inv;
    t->log_s += log(mx);
}

/* add_into: dst += src (both scaled), rescaling to the larger scale. */
static void add_into(zc_scaled *dst, const double *src_m, double src_log, int64_t n) {
    if (!dst->set) {
        memcpy(dst->m, src_m, sizeof(double) * (size_t)n);
        dst->log_s = src_log;
        dst->set = 1;
        normalise(dst, n);
        return;
    }
    double L = fmax(dst->log_s, src_log);
    double a = exp(dst->log_s - L), b = exp(src_log - L);
    for (int64_t i = 0; i < n; i++) dst->m[i] = dst->m[i] * a + src_m[i] * b;
    dst->log_s = L;
    normalise(dst, n);
}

/* ---- float64 kernels of one sample ------------------------------------------ */

/* im2col of one ungrouped sample: col[(c*r + i)*s + j][p*q] = x at the tap
 * (zero outside the image). */
static void im2col_d(const zc_conv_desc *d, const double *x, double *col) {
    int pq = d->p * d->q;
    for (int c = 0; c < d->c; c++)
        for (int r = 0; r < d->r; r++)
            for (int s = 0; s < d->s; s++) {
                double *row = col + ((size_t)(c * d->r + r) * d->s + s) * pq;
                const double *xc = x + (size_t)c * d->h * d->w;
                for (int p = 0; p < d->p; p++) {
                    int ih = p * d->stride_h - d->pad_h + r * d->dil_h;
                    for (int q = 0; q < d->q; q++) {
                        int iw = q * d->stride_w - d->pad_w + s * d->dil_w;
                        row[p * d->q + q] = (ih < 0 || ih >= d->h || iw < 0 || iw >= d->w)
                                                ? 0
                                                : xc[ih * d->w + iw];
                    }
                }
            }
}

/* col2im: dx (zeroed here) = the sum of col's entries over their taps. */
static void col2im_d(const zc_conv_desc *d, const double *col, double *dx) {
    int pq = d->p * d->q;
    memset(dx, 0, sizeof(double) * (size_t)d->c * d->h * d->w);
    for (int c = 0; c < d->c; c++)
        for (int r = 0; r < d->r; r++)
            for (int s = 0; s < d->s; s++) {
                const double *row = col + ((size_t)(c * d->r + r) * d->s + s) * pq;
                double *dxc = dx + (size_t)c * d->h * d->w;
                for (int p = 0; p < d->p; p++) {
                    int ih = p * d->stride_h - d->pad_h + r * d->dil_h;
                    if (ih < 0 || ih >= d->h) continue;
                    for (int q = 0; q < d->q; q++) {
                        int iw = q * d->stride_w - d->pad_w + s * d->dil_w;
                        if (iw >= 0 && iw < d->w) dxc[ih * d->w + iw] += row[p * d->q + q];
                    }
                }
            }
}

/* unfold: the im2col matrix of one ungrouped sample (malloc'd, free it). */
static double *unfold(const zc_conv_desc *d, const double *x) {
    double *col = zc_malloc(sizeof(double) * (size_t)d->c * d->r * d->s * d->p * d->q);
    im2col_d(d, x, col);
    return col;
}

/* Convolution of one sample with w (k x c/g x r x s), y = W * x. */
static void conv_fwd(const zc_conv_desc *d, const double *w, const double *x, double *y) {
    int cg = d->c / d->groups, kg = d->k / d->groups;
    if (d->groups == 1) {
        int K = d->c * d->r * d->s, pq = d->p * d->q;
        double *col = unfold(d, x);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->k, pq, K, 1.0, w, K, col, pq,
                    0.0, y, pq);
        free(col);
        return;
    }
    memset(y, 0, sizeof(double) * (size_t)d->k * d->p * d->q);
    for (int k = 0; k < d->k; k++) {
        int g = k / kg;
        double *yk = y + (size_t)k * d->p * d->q;
        for (int c = 0; c < cg; c++) {
            const double *xc = x + (size_t)(g * cg + c) * d->h * d->w;
            for (int r = 0; r < d->r; r++)
                for (int s = 0; s < d->s; s++) {
                    double wv = w[(((size_t)k * cg + c) * d->r + r) * d->s + s];
                    if (wv == 0) continue;
                    for (int p = 0; p < d->p; p++) {
                        int ih = p * d->stride_h - d->pad_h + r * d->dil_h;
                        if (ih < 0 || ih >= d->h) continue;
                        for (int q = 0; q < d->q; q++) {
                            int iw = q * d->stride_w - d->pad_w + s * d->dil_w;
                            if (iw < 0 || iw >= d->w) continue;
                            yk[p * d->q + q] += wv * xc[ih * d->w + iw];
                        }
                    }
                }
        }
    }
}

/* Backward of conv_fwd: dx = W^T dy (overwritten) and dw = dy (x) x. */
static void conv_bwd(const zc_conv_desc *d, const double *w, const double *x,
                     const double *dy, double *dx, double *dw) {
    int cg = d->c / d->groups, kg = d->k / d->groups;
    if (d->groups == 1) {
        int K = d->c * d->r * d->s, pq = d->p * d->q;
        double *col = unfold(d, x);
        /* dw = dy col^T (k x K) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->k, K, pq, 1.0, dy, pq, col, pq,
                    0.0, dw, K);
        /* dcol = W^T dy (K x pq), then back to the image */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, pq, d->k, 1.0, w, K, dy, pq,
                    0.0, col, pq);
        col2im_d(d, col, dx);
        free(col);
        return;
    }
    memset(dx, 0, sizeof(double) * (size_t)d->c * d->h * d->w);
    for (int k = 0; k < d->k; k++) {
        int g = k / kg;
        const double *dyk = dy + (size_t)k * d->p * d->q;
        for (int c = 0; c < cg; c++) {
            const double *xc = x + (size_t)(g * cg + c) * d->h * d->w;
            double *dxc = dx + (size_t)(g * cg + c) * d->h * d->w;
            for (int r = 0; r < d->r; r++)
                for (int s = 0; s < d->s; s++) {
                    size_t wi = (((size_t)k * cg + c) * d->r + r) * d->s + s;
                    double wv = w[wi], acc = 0;
                    for (int p = 0; p < d->p; p++) {
                        int ih = p * d->stride_h - d->pad_h + r * d->dil_h;
                        if (ih < 0 || ih >= d->h) continue;
                        for (int q = 0; q < d->q; q++) {
                            int iw = q * d->stride_w - d->pad_w + s * d->dil_w;
                            if (iw < 0 || iw >= d->w) continue;
                            double g1 = dyk[p * d->q + q];
                            acc += g1 * xc[ih * d->w + iw];
                            dxc[ih * d->w + iw] += wv * g1;
                        }
                    }
                    dw[wi] = acc;
                }
        }
    }
}

/* pool_divisor: the divisor of average pooling's window at (h0, w0):
 * count_include_pad as the layer, else the cnt taps inside the image. */
static int pool_divisor(const zc_pool_desc *d, int h0, int w0, int cnt) {
    int div = d->count_include_pad ? (ZC_MIN(h0 + d->kh, d->h + d->pad_h) - h0) *
                                         (ZC_MIN(w0 + d->kw, d->w + d->pad_w) - w0)
                                   : cnt;
    return div > 0 ? div : 1;
}

/* Pooling of one sample (c planes); max pooling records its winners. */
static void pool_fwd(const zc_pool_desc *d, int is_max, const double *x, double *y,
                     int *argmax) {
    for (int c = 0; c < d->c; c++)
        for (int p = 0; p < d->p; p++)
            for (int q = 0; q < d->q; q++) {
                int h0 = p * d->stride_h - d->pad_h, w0 = q * d->stride_w - d->pad_w;
                double acc = is_max ? -INFINITY : 0;
                int cnt = 0, best = -1;
                for (int i = h0; i < h0 + d->kh; i++)
                    for (int j = w0; j < w0 + d->kw; j++) {
                        if (i < 0 || i >= d->h || j < 0 || j >= d->w) continue;
                        double v = x[((size_t)c * d->h + i) * d->w + j];
                        cnt++;
                        if (is_max) {
                            if (v > acc || best < 0) {
                                acc = v;
                                best = i * d->w + j;
                            }
                        } else acc += v;
                    }
                size_t o = ((size_t)c * d->p + p) * d->q + q;
                if (is_max) {
                    y[o] = acc;
                    argmax[o] = best;
                } else y[o] = acc / pool_divisor(d, h0, w0, cnt);
            }
}

/* Backward of pool_fwd: dx (overwritten) from dy. */
static void pool_bwd(const zc_pool_desc *d, int is_max, const double *dy, const int *argmax,
                     double *dx) {
    memset(dx, 0, sizeof(double) * (size_t)d->c * d->h * d->w);
    for (int c = 0; c < d->c; c++)
        for (int p = 0; p < d->p; p++)
            for (int q = 0; q < d->q; q++) {
                size_t o = ((size_t)c * d->p + p) * d->q + q;
                double *dxc = dx + (size_t)c * d->h * d->w;
                if (is_max) {
                    if (argmax[o] >= 0) dxc[argmax[o]] += dy[o];
                    continue;
                }
                int h0 = p * d->stride_h - d->pad_h, w0 = q * d->stride_w - d->pad_w;
                int cnt = 0;
                for (int i = h0; i < h0 + d->kh; i++)
                    for (int j = w0; j < w0 + d->kw; j++)
                        if (i >= 0 && i < d->h && j >= 0 && j < d->w) cnt++;
                double g = dy[o] / pool_divisor(d, h0, w0, cnt);
                for (int i = h0; i < h0 + d->kh; i++)
                    for (int j = w0; j < w0 + d->kw; j++)
                        if (i >= 0 && i < d->h && j >= 0 && j < d->w) dxc[i * d->w + j] += g;
            }
}

/* ---- storage ----------------------------------------------------------------- */

zc_net64 *zc_net64_new(const zc_net *net) {
    zc_net64 *e = zc_calloc(1, sizeof *e);
    e->net = net;
    int nv = net->n_values;
    e->val = zc_calloc((size_t)nv, sizeof *e->val);
    e->grad = zc_calloc((size_t)nv, sizeof *e->grad);
    int64_t maxn = 0;
    for (int v = 0; v < nv; v++) {
        int64_t n = sample_numel(net, v);
        maxn = ZC_MAX(maxn, n);
        e->val[v].m = zc_malloc(sizeof(double) * (size_t)n);
        e->grad[v].m = zc_malloc(sizeof(double) * (size_t)n);
    }
    e->tmp = zc_malloc(sizeof(double) * (size_t)maxn);
    e->param = zc_calloc((size_t)net->n_params, sizeof(double *));
    for (int p = 0; p < net->n_params; p++) {
        const zc_param *P = &net->params[p];
        e->param[p] = zc_malloc(sizeof(double) * (size_t)P->numel);
        for (int64_t i = 0; i < P->numel; i++) e->param[p][i] = (double)P->data[i];
    }
    e->argmax = zc_calloc((size_t)net->n_layers, sizeof(int *));
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_MAXPOOL)
            e->argmax[l] = zc_malloc(sizeof(int) * (size_t)sample_numel(net, net->layers[l].out));
    return e;
}

void zc_net64_free(zc_net64 *e) {
    if (!e) return;
    const zc_net *net = e->net;
    for (int v = 0; v < net->n_values; v++) {
        free(e->val[v].m);
        free(e->grad[v].m);
    }
    for (int p = 0; p < net->n_params; p++) free(e->param[p]);
    for (int l = 0; l < net->n_layers; l++) free(e->argmax[l]);
    free(e->argmax);
    free(e->param);
    free(e->val);
    free(e->grad);
    free(e->tmp);
    free(e);
}

/* ---- forward ------------------------------------------------------------------ */

static void gap_fwd(const zc_vshape *s, const double *x, double *y) {
    int hw = s->h * s->w;
    for (int c = 0; c < s->c; c++) {
        double acc = 0;
        for (int i = 0; i < hw; i++) acc += x[(size_t)c * hw + i];
        y[c] = acc / hw;
    }
}

/* linear_fwd: y = W x + b, with the bias brought to the scale of W x (or
 * the result to scale 1 when x is smaller). */
static void linear_fwd(const zc_net64 *e, const zc_layer *L, const zc_scaled *x, zc_scaled *y) {
    int64_t n_out = sample_numel(e->net, L->out), n_in = sample_numel(e->net, L->in[0]);
    const double *w = e->param[L->param[0]], *b = e->param[L->param[1]];
    double Lnew = fmax(x->log_s, 0.0);
    double sx = exp(x->log_s - Lnew), sb = exp(-Lnew);
    for (int64_t o = 0; o < n_out; o++) {
        double acc = 0;
        for (int64_t i = 0; i < n_in; i++) acc += w[o * n_in + i] * x->m[i];
        y->m[o] = acc * sx + b[o] * sb;
    }
    y->log_s = Lnew;
}

/* max_log_scale: the largest scale of L's inputs. */
static double max_log_scale(const zc_net64 *e, const zc_layer *L) {
    double Lmax = -INFINITY;
    for (int i = 0; i < L->n_in; i++) Lmax = fmax(Lmax, e->val[L->in[i]].log_s);
    return Lmax;
}

static void add_fwd(const zc_net64 *e, const zc_layer *L, zc_scaled *y) {
    int64_t n_out = sample_numel(e->net, L->out);
    double Lmax = max_log_scale(e, L);
    memset(y->m, 0, sizeof(double) * (size_t)n_out);
    for (int i = 0; i < L->n_in; i++) {
        double f = exp(e->val[L->in[i]].log_s - Lmax);
        const double *xm = e->val[L->in[i]].m;
        for (int64_t j = 0; j < n_out; j++) y->m[j] += f * xm[j];
    }
    y->log_s = Lmax;
}

static void concat_fwd(const zc_net64 *e, const zc_layer *L, zc_scaled *y) {
    double Lmax = max_log_scale(e, L);
    int64_t off = 0;
    for (int i = 0; i < L->n_in; i++) {
        int64_t n = sample_numel(e->net, L->in[i]);
        double f = exp(e->val[L->in[i]].log_s - Lmax);
        for (int64_t j = 0; j < n; j++) y->m[off + j] = f * e->val[L->in[i]].m[j];
        off += n;
    }
    y->log_s = Lmax;
}

/* pad_fwd: zero padding (or cropping) by L->pad of one sample. */
static void pad_fwd(const zc_net *net, const zc_layer *L, const double *x, double *y) {
    const zc_vshape *s = &net->vshape[L->in[0]], *o = &net->vshape[L->out];
    memset(y, 0, sizeof(double) * (size_t)sample_numel(net, L->out));
    for (int c = 0; c < s->c; c++)
        for (int i = 0; i < o->h; i++) {
            int si = i - L->pad[0];
            if (si < 0 || si >= s->h) continue;
            for (int j = 0; j < o->w; j++) {
                int sj = j - L->pad[2];
                if (sj < 0 || sj >= s->w) continue;
                y[((size_t)c * o->h + i) * o->w + j] = x[((size_t)c * s->h + si) * s->w + sj];
            }
        }
}

/* forward_layer: layer l's output (at the scale of its first input unless
 * the kind sets its own), then renormalised. */
static void forward_layer(zc_net64 *e, int l) {
    const zc_net *net = e->net;
    const zc_layer *L = &net->layers[l];
    zc_scaled *y = &e->val[L->out];
    const zc_scaled *x = &e->val[L->in[0]];
    int64_t n_out = sample_numel(net, L->out);
    y->log_s = x->log_s;
    switch (L->kind) {
    case ZC_L_CONV: conv_fwd(&L->conv, e->param[L->param[0]], x->m, y->m); break;
    case ZC_L_BN: /* removed (NASLib synflow: bn=False) */
        memcpy(y->m, x->m, sizeof(double) * (size_t)n_out);
        break;
    case ZC_L_RELU:
        for (int64_t i = 0; i < n_out; i++) y->m[i] = x->m[i] > 0 ? x->m[i] : 0;
        break;
    case ZC_L_AVGPOOL:
    case ZC_L_MAXPOOL:
        pool_fwd(&L->pool, L->kind == ZC_L_MAXPOOL, x->m, y->m, e->argmax[l]);
        break;
    case ZC_L_GAP: gap_fwd(&net->vshape[L->in[0]], x->m, y->m); break;
    case ZC_L_LINEAR: linear_fwd(e, L, x, y); break;
    case ZC_L_ADD: add_fwd(e, L, y); break;
    case ZC_L_ZERO:
        memset(y->m, 0, sizeof(double) * (size_t)n_out);
        y->log_s = 0;
        break;
    case ZC_L_PAD: pad_fwd(net, L, x->m, y->m); break;
    case ZC_L_CONCAT: concat_fwd(e, L, y); break;
    }
    normalise(y, n_out);
}

void zc_net64_forward(zc_net64 *e, const double *x, double log_s) {
    memcpy(e->val[0].m, x, sizeof(double) * (size_t)sample_numel(e->net, 0));
    e->val[0].log_s = log_s;
    for (int l = 0; l < e->net->n_layers; l++) forward_layer(e, l);
}

/* ---- backward ------------------------------------------------------------------ */

static void gap_bwd(const zc_vshape *s, const double *dy, double *dx) {
    int hw = s->h * s->w;
    for (int c = 0; c < s->c; c++)
        for (int i = 0; i < hw; i++) dx[(size_t)c * hw + i] = dy[c] / hw;
}

/* linear_bwd: dx = W^T dy (overwritten) and dw = dy x^T. */
static void linear_bwd(const zc_net64 *e, const zc_layer *L, const double *x, const double *dy,
                       double *dx, double *dw) {
    int64_t n_out = sample_numel(e->net, L->out), n_in = sample_numel(e->net, L->in[0]);
    const double *w = e->param[L->param[0]];
    for (int64_t i = 0; i < n_in; i++) dx[i] = 0;
    for (int64_t o = 0; o < n_out; o++)
        for (int64_t i = 0; i < n_in; i++) {
            dx[i] += w[o * n_in + i] * dy[o];
            dw[o * n_in + i] = dy[o] * x[i];
        }
}

/* pad_bwd: the backward of pad_fwd (dx overwritten). */
static void pad_bwd(const zc_net *net, const zc_layer *L, const double *dy, double *dx) {
    const zc_vshape *s = &net->vshape[L->in[0]], *o = &net->vshape[L->out];
    for (int c = 0; c < s->c; c++)
        for (int i = 0; i < s->h; i++)
            for (int j = 0; j < s->w; j++) {
                int oi = i + L->pad[0], oj = j + L->pad[2];
                dx[((size_t)c * s->h + i) * s->w + j] =
                    (oi >= 0 && oi < o->h && oj >= 0 && oj < o->w)
                        ? dy[((size_t)c * o->h + oi) * o->w + oj]
                        : 0;
            }
}

/* backward_layer: adds layer l's input gradients from its output gradient
 * dy (set); returns the mantissas of its weight gradient (malloc'd) for
 * conv and linear layers, else NULL. */
static double *backward_layer(zc_net64 *e, int l, const zc_scaled *dy) {
    const zc_net *net = e->net;
    const zc_layer *L = &net->layers[l];
    int in = L->in[0];
    const zc_scaled *x = &e->val[in];
    int64_t n_in = sample_numel(net, in);
    double *tmp = e->tmp, *dw = NULL;
    if (L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR)
        dw = zc_malloc(sizeof(double) * (size_t)net->params[L->param[0]].numel);
    switch (L->kind) {
    case ZC_L_CONV: conv_bwd(&L->conv, e->param[L->param[0]], x->m, dy->m, tmp, dw); break;
    case ZC_L_RELU:
        for (int64_t i = 0; i < n_in; i++) tmp[i] = x->m[i] > 0 ? dy->m[i] : 0;
        break;
    case ZC_L_AVGPOOL:
    case ZC_L_MAXPOOL:
        pool_bwd(&L->pool, L->kind == ZC_L_MAXPOOL, dy->m, e->argmax[l], tmp);
        break;
    case ZC_L_GAP: gap_bwd(&net->vshape[in], dy->m, tmp); break;
    case ZC_L_LINEAR: linear_bwd(e, L, x->m, dy->m, tmp, dw); break;
    case ZC_L_PAD: pad_bwd(net, L, dy->m, tmp); break;
    case ZC_L_ZERO: return NULL;
    case ZC_L_BN: /* removed: the gradient passes through */
        add_into(&e->grad[in], dy->m, dy->log_s, n_in);
        return NULL;
    case ZC_L_ADD:
        for (int i = 0; i < L->n_in; i++)
            add_into(&e->grad[L->in[i]], dy->m, dy->log_s, sample_numel(net, L->in[i]));
        return NULL;
    case ZC_L_CONCAT: {
        int64_t off = 0;
        for (int i = 0; i < L->n_in; i++) {
            int64_t n = sample_numel(net, L->in[i]);
            add_into(&e->grad[L->in[i]], dy->m + off, dy->log_s, n);
            off += n;
        }
        return NULL;
    }
    }
    add_into(&e->grad[in], tmp, dy->log_s, n_in);
    return dw;
}

void zc_net64_backward(zc_net64 *e, zc_net64_weight_grad_fn on_weight, void *ctx) {
    const zc_net *net = e->net;
    for (int v = 0; v < net->n_values; v++) e->grad[v].set = 0;
    zc_scaled *seed = &e->grad[net->output];
    for (int64_t i = 0; i < sample_numel(net, net->output); i++) seed->m[i] = 1.0;
    seed->log_s = 0;
    seed->set = 1;
    for (int l = net->n_layers - 1; l >= 0; l--) {
        const zc_layer *L = &net->layers[l];
        const zc_scaled *dy = &e->grad[L->out];
        if (!dy->set) continue;
        double *dw = backward_layer(e, l, dy);
        if (!dw) continue;
        int wparam = L->param[0];
        zc_net64_weight_grad g = {.layer = l,
                                  .w = e->param[wparam],
                                  .dw = dw,
                                  .numel = net->params[wparam].numel,
                                  .log_s_in = e->val[L->in[0]].log_s,
                                  .log_s_dout = dy->log_s};
        on_weight(ctx, &g);
        free(dw);
    }
}

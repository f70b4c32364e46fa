/* proxies_synflow.c: synflow (and T-CET's synflow saliency) on a float64
 * copy of the network's linearised form: parameters replaced by their
 * absolute values, batch norm removed, one all-ones input. Every tensor is
 * held as float64 mantissas (max |m| = 1) times exp(log_scale), so a deep
 * network whose values reach 1e300 and beyond neither overflows nor loses
 * precision; the result is returned as a logarithm. Ungrouped convolutions
 * go through im2col and OpenBLAS's DGEMM (wide ResNets spend most of their
 * synflow time there); grouped ones (depthwise) use direct loops. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/proxies/proxies.h"
#include "common/util/util.h"

typedef struct {
    double *m;      /* mantissas, one sample: c*h*w                       */
    double log_s;   /* the tensor is m * exp(log_s)                        */
    int set;        /* gradient tensors: received a contribution          */
} scaled;

static int64_t sample_numel(const zc_net *net, int v) {
    const zc_vshape *s = &net->vshape[v];
    return (int64_t)s->c * s->h * s->w;
}

/* normalise: rescale so that max |m| = 1 (all-zero tensors keep scale 0). */
static void normalise(scaled *t, int64_t n) {
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
static void add_into(scaled *dst, const double *src_m, double src_log, int64_t n) {
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

/* Convolution of one sample with |W| (abs_w: k x c/g x r x s), y = W * x. */
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

/* Pooling of one sample (c planes). avg: count_include_pad as the layer. */
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
                } else {
                    int div = d->count_include_pad
                                  ? (ZC_MIN(h0 + d->kh, d->h + d->pad_h) - h0) *
                                        (ZC_MIN(w0 + d->kw, d->w + d->pad_w) - w0)
                                  : cnt;
                    y[o] = acc / (div > 0 ? div : 1);
                }
            }
}

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
                int div = d->count_include_pad
                              ? (ZC_MIN(h0 + d->kh, d->h + d->pad_h) - h0) *
                                    (ZC_MIN(w0 + d->kw, d->w + d->pad_w) - w0)
                              : cnt;
                double g = dy[o] / (div > 0 ? div : 1);
                for (int i = h0; i < h0 + d->kh; i++)
                    for (int j = w0; j < w0 + d->kw; j++)
                        if (i >= 0 && i < d->h && j >= 0 && j < d->w) dxc[i * d->w + j] += g;
            }
}

/* log_snr: log(sum(s) / std(s)) of the nonnegative saliencies s (unbiased
 * std; the sum when std = 0). Scale invariant, so mantissas suffice. */
static double log_snr(const double *s, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += s[i];
    if (sum == 0) return 0; /* no saliency at all: the layer adds nothing */
    double mean = sum / (double)n, ss = 0;
    for (int64_t i = 0; i < n; i++) ss += (s[i] - mean) * (s[i] - mean);
    double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
    double snr = sd > 0 ? sum / sd : sum;
    return log(snr);
}

double zc_proxy_synflow(const zc_net *net, const double *lnwot, double *tcet) {
    int nv = net->n_values;
    scaled *val = zc_calloc((size_t)nv, sizeof *val);
    scaled *grad = zc_calloc((size_t)nv, sizeof *grad);
    int64_t maxn = 0;
    for (int v = 0; v < nv; v++) {
        int64_t n = sample_numel(net, v);
        maxn = ZC_MAX(maxn, n);
        val[v].m = zc_malloc(sizeof(double) * (size_t)n);
        grad[v].m = zc_malloc(sizeof(double) * (size_t)n);
    }
    double *tmp = zc_malloc(sizeof(double) * (size_t)maxn);
    /* |parameters| in double */
    double **absp = zc_calloc((size_t)net->n_params, sizeof(double *));
    for (int p = 0; p < net->n_params; p++) {
        const zc_param *P = &net->params[p];
        absp[p] = zc_malloc(sizeof(double) * (size_t)P->numel);
        for (int64_t i = 0; i < P->numel; i++) absp[p][i] = fabs((double)P->data[i]);
    }
    int **argmax = zc_calloc((size_t)net->n_layers, sizeof(int *));

    for (int64_t i = 0; i < sample_numel(net, 0); i++) val[0].m[i] = 1.0;
    val[0].log_s = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        scaled *y = &val[L->out];
        const scaled *x = &val[L->in[0]];
        int64_t n_out = sample_numel(net, L->out), n_in = sample_numel(net, L->in[0]);
        y->log_s = x->log_s;
        switch (L->kind) {
        case ZC_L_CONV:
            conv_fwd(&L->conv, absp[L->param[0]], x->m, y->m);
            break;
        case ZC_L_BN: /* removed (NASLib synflow: bn=False) */
            memcpy(y->m, x->m, sizeof(double) * (size_t)n_out);
            break;
        case ZC_L_RELU:
            for (int64_t i = 0; i < n_out; i++) y->m[i] = x->m[i] > 0 ? x->m[i] : 0;
            break;
        case ZC_L_AVGPOOL:
        case ZC_L_MAXPOOL: {
            int is_max = L->kind == ZC_L_MAXPOOL;
            if (is_max) argmax[l] = zc_malloc(sizeof(int) * (size_t)n_out);
            pool_fwd(&L->pool, is_max, x->m, y->m, argmax[l]);
            break;
        }
        case ZC_L_GAP: {
            const zc_vshape *s = &net->vshape[L->in[0]];
            int hw = s->h * s->w;
            for (int c = 0; c < s->c; c++) {
                double acc = 0;
                for (int i = 0; i < hw; i++) acc += x->m[(size_t)c * hw + i];
                y->m[c] = acc / hw;
            }
            break;
        }
        case ZC_L_LINEAR: {
            const double *w = absp[L->param[0]], *b = absp[L->param[1]];
            double Lnew = fmax(x->log_s, 0.0);
            double sx = exp(x->log_s - Lnew), sb = exp(-Lnew);
            for (int64_t o = 0; o < n_out; o++) {
                double acc = 0;
                for (int64_t i = 0; i < n_in; i++) acc += w[o * n_in + i] * x->m[i];
                y->m[o] = acc * sx + b[o] * sb;
            }
            y->log_s = Lnew;
            break;
        }
        case ZC_L_ADD: {
            double Lmax = -INFINITY;
            for (int i = 0; i < L->n_in; i++) Lmax = fmax(Lmax, val[L->in[i]].log_s);
            memset(y->m, 0, sizeof(double) * (size_t)n_out);
            for (int i = 0; i < L->n_in; i++) {
                double f = exp(val[L->in[i]].log_s - Lmax);
                const double *xm = val[L->in[i]].m;
                for (int64_t j = 0; j < n_out; j++) y->m[j] += f * xm[j];
            }
            y->log_s = Lmax;
            break;
        }
        case ZC_L_ZERO:
            memset(y->m, 0, sizeof(double) * (size_t)n_out);
            y->log_s = 0;
            break;
        case ZC_L_PAD: {
            const zc_vshape *s = &net->vshape[L->in[0]], *o = &net->vshape[L->out];
            memset(y->m, 0, sizeof(double) * (size_t)n_out);
            for (int c = 0; c < s->c; c++)
                for (int i = 0; i < o->h; i++) {
                    int si = i - L->pad[0];
                    if (si < 0 || si >= s->h) continue;
                    for (int j = 0; j < o->w; j++) {
                        int sj = j - L->pad[2];
                        if (sj < 0 || sj >= s->w) continue;
                        y->m[((size_t)c * o->h + i) * o->w + j] =
                            x->m[((size_t)c * s->h + si) * s->w + sj];
                    }
                }
            break;
        }
        case ZC_L_CONCAT: {
            double Lmax = -INFINITY;
            for (int i = 0; i < L->n_in; i++) Lmax = fmax(Lmax, val[L->in[i]].log_s);
            int64_t off = 0;
            for (int i = 0; i < L->n_in; i++) {
                int64_t n = sample_numel(net, L->in[i]);
                double f = exp(val[L->in[i]].log_s - Lmax);
                for (int64_t j = 0; j < n; j++) y->m[off + j] = f * val[L->in[i]].m[j];
                off += n;
            }
            y->log_s = Lmax;
            break;
        }
        }
        normalise(y, n_out);
    }

    /* backward from dR/d(logits) = 1 */
    int out = net->output;
    for (int64_t i = 0; i < sample_numel(net, out); i++) grad[out].m[i] = 1.0;
    grad[out].log_s = 0;
    grad[out].set = 1;
    double log_total = -INFINITY, tcet_sum = 0;
    int tcet_bad = 0;
    for (int l = net->n_layers - 1; l >= 0; l--) {
        const zc_layer *L = &net->layers[l];
        scaled *dy = &grad[L->out];
        if (!dy->set) continue;
        int in = L->in[0];
        const scaled *x = &val[in];
        int64_t n_out = sample_numel(net, L->out), n_in = sample_numel(net, in);
        double *dw = NULL;
        int64_t nw = 0;
        int wparam = -1;
        switch (L->kind) {
        case ZC_L_CONV:
            wparam = L->param[0];
            nw = net->params[wparam].numel;
            dw = zc_malloc(sizeof(double) * (size_t)nw);
            conv_bwd(&L->conv, absp[wparam], x->m, dy->m, tmp, dw);
            add_into(&grad[in], tmp, dy->log_s, n_in);
            break;
        case ZC_L_BN:
            add_into(&grad[in], dy->m, dy->log_s, n_in);
            break;
        case ZC_L_RELU:
            for (int64_t i = 0; i < n_in; i++) tmp[i] = x->m[i] > 0 ? dy->m[i] : 0;
            add_into(&grad[in], tmp, dy->log_s, n_in);
            break;
        case ZC_L_AVGPOOL:
        case ZC_L_MAXPOOL:
            pool_bwd(&L->pool, L->kind == ZC_L_MAXPOOL, dy->m, argmax[l], tmp);
            add_into(&grad[in], tmp, dy->log_s, n_in);
            break;
        case ZC_L_GAP: {
            const zc_vshape *s = &net->vshape[in];
            int hw = s->h * s->w;
            for (int c = 0; c < s->c; c++)
                for (int i = 0; i < hw; i++) tmp[(size_t)c * hw + i] = dy->m[c] / hw;
            add_into(&grad[in], tmp, dy->log_s, n_in);
            break;
        }
        case ZC_L_LINEAR: {
            wparam = L->param[0];
            nw = net->params[wparam].numel;
            dw = zc_malloc(sizeof(double) * (size_t)nw);
            const double *w = absp[wparam];
            for (int64_t i = 0; i < n_in; i++) tmp[i] = 0;
            for (int64_t o = 0; o < n_out; o++)
                for (int64_t i = 0; i < n_in; i++) {
                    tmp[i] += w[o * n_in + i] * dy->m[o];
                    dw[o * n_in + i] = dy->m[o] * x->m[i];
                }
            add_into(&grad[in], tmp, dy->log_s, n_in);
            break;
        }
        case ZC_L_ADD:
            for (int i = 0; i < L->n_in; i++)
                add_into(&grad[L->in[i]], dy->m, dy->log_s, sample_numel(net, L->in[i]));
            break;
        case ZC_L_ZERO:
            break;
        case ZC_L_PAD: {
            const zc_vshape *s = &net->vshape[in], *o = &net->vshape[L->out];
            for (int c = 0; c < s->c; c++)
                for (int i = 0; i < s->h; i++)
                    for (int j = 0; j < s->w; j++) {
                        int oi = i + L->pad[0], oj = j + L->pad[2];
                        tmp[((size_t)c * s->h + i) * s->w + j] =
                            (oi >= 0 && oi < o->h && oj >= 0 && oj < o->w)
                                ? dy->m[((size_t)c * o->h + oi) * o->w + oj]
                                : 0;
                    }
            add_into(&grad[in], tmp, dy->log_s, n_in);
            break;
        }
        case ZC_L_CONCAT: {
            int64_t off = 0;
            for (int i = 0; i < L->n_in; i++) {
                int64_t n = sample_numel(net, L->in[i]);
                add_into(&grad[L->in[i]], dy->m + off, dy->log_s, n);
                off += n;
            }
            break;
        }
        }
        if (dw) {
            /* layer score: sum |W| * dW, with scale exp(x.log_s + dy.log_s) */
            const double *w = absp[wparam];
            double sum = 0;
            for (int64_t i = 0; i < nw; i++) {
                dw[i] *= w[i];
                sum += dw[i];
            }
            if (sum > 0) {
                double ls = log(sum) + x->log_s + dy->log_s;
                double hi = fmax(log_total, ls);
                log_total = hi + log(exp(log_total - hi) + exp(ls - hi));
            }
            if (lnwot && tcet) {
                double t = lnwot[l] * log_snr(dw, nw);
                if (lnwot[l] != 0) {
                    if (isfinite(t)) tcet_sum += t;
                    else tcet_bad = 1;
                }
            }
            free(dw);
        }
    }
    if (tcet) *tcet = tcet_bad ? NAN : tcet_sum;

    for (int v = 0; v < nv; v++) {
        free(val[v].m);
        free(grad[v].m);
    }
    for (int p = 0; p < net->n_params; p++) free(absp[p]);
    for (int l = 0; l < net->n_layers; l++) free(argmax[l]);
    free(argmax);
    free(absp);
    free(val);
    free(grad);
    free(tmp);
    return log_total;
}

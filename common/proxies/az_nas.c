/* az_nas.c: AZ-NAS (Lee and Ham, CVPR 2024; code cvlab-yonsei/AZ-NAS,
 * NB201/ZeroShotProxy/compute_az_nas_score.py): per network, on the block
 * outputs f_0 (stem) .. f_B the space declares (kernels/net.h), with the
 * authors' Kaiming-normal fan-in weights and a Gaussian input:
 *
 *   expressivity   sum_i H(f_i), H = entropy of the normalised eigenvalues
 *                  of the channel covariance of f_i over its n*h*w positions
 *   progressivity  min_i H(f_i) - H(f_{i-1})
 *   trainability   mean_i -s_i - 1/(s_i + 1e-6) + 2, s_i = the largest
 *                  singular value of G_in^T G_out / (n h_out w_out), G_out a
 *                  Rademacher vector at f_i, G_in its vector-Jacobian
 *                  product at f_{i-1} through block i (pixel-unshuffled to
 *                  f_i's resolution); -inf when G_in == G_out exactly
 *   complexity     conv + linear multiply-adds (the flops proxy)
 *
 * and over a set of networks az_nas = sum_k log(rank_k / n) of the four
 * components' ranks (average ranks of ties; NaN ranked as -inf). */
#include "common/proxies/modern.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

void zc_az_init(zc_net *net, zc_rng *rng) {
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR) {
            zc_param *w = &net->params[L->param[0]];
            double fan_in = (double)(w->numel / w->shape[0]);
            zc_rng_fill_normal(rng, w->data, (long)w->numel, 0.0, sqrt(2.0 / fan_in));
            if (L->param[1] >= 0)
                memset(net->params[L->param[1]].data, 0,
                       sizeof(float) * (size_t)net->params[L->param[1]].numel);
        } else if (L->kind == ZC_L_BN) {
            zc_param *g = &net->params[L->param[0]], *b = &net->params[L->param[1]];
            for (int64_t i = 0; i < g->numel; i++) g->data[i] = 1.0f;
            memset(b->data, 0, sizeof(float) * (size_t)b->numel);
        }
    }
}

float **zc_az_signs(const zc_net *net, zc_rng *rng) {
    if (net->n_feat < 2) return NULL;
    float **signs = zc_malloc(sizeof(float *) * (size_t)(net->n_feat - 1));
    for (int b = 1; b < net->n_feat; b++) {
        int64_t n = zc_net_value_numel(net, net->feat[b]);
        signs[b - 1] = zc_malloc(sizeof(float) * (size_t)n);
        for (int64_t i = 0; i < n; i++) signs[b - 1][i] = zc_rng_u64(rng) >> 63 ? 1.0f : -1.0f;
    }
    return signs;
}

void zc_az_signs_free(const zc_net *net, float **signs) {
    if (!signs) return;
    for (int b = 1; b < net->n_feat; b++) free(signs[b - 1]);
    free(signs);
}

double zc_az_feature_entropy(const zc_net *net, int v) {
    const zc_vshape *s = &net->vshape[v];
    int c = s->c;
    int64_t hw = (int64_t)s->h * s->w, rows = (int64_t)s->n * hw;
    const float *x = net->val[v];
    double *mean = zc_calloc((size_t)c, sizeof(double));
    for (int i = 0; i < s->n; i++)
        for (int k = 0; k < c; k++)
            for (int64_t p = 0; p < hw; p++) mean[k] += x[((int64_t)i * c + k) * hw + p];
    for (int k = 0; k < c; k++) mean[k] /= (double)rows;
    /* covariance F^T F / rows of the centred positions x channels matrix,
     * accumulated over chunks of positions */
    enum { CHUNK = 4096 };
    double *cov = zc_calloc((size_t)c * c, sizeof(double));
    double *chunk = zc_malloc(sizeof(double) * CHUNK * (size_t)c);
    for (int64_t r0 = 0; r0 < rows; r0 += CHUNK) {
        int m = (int)ZC_MIN((int64_t)CHUNK, rows - r0);
        for (int j = 0; j < m; j++) {
            int64_t r = r0 + j, i = r / hw, p = r % hw;
            for (int k = 0; k < c; k++)
                chunk[(size_t)j * c + k] = x[(i * c + k) * hw + p] - mean[k];
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, c, m, 1.0, chunk, c, 1.0, cov, c);
    }
    for (int a = 0; a < c; a++)
        for (int b = a; b < c; b++) cov[(size_t)b * c + a] = cov[(size_t)a * c + b] /= (double)rows;
    double *ev = zc_malloc(sizeof(double) * (size_t)c);
    zc_px_eigvalsh(cov, c, ev);
    double sum = 0, h = 0;
    for (int k = 0; k < c; k++) sum += ev[k];
    for (int k = 0; k < c; k++) {
        double p = ev[k] / sum;
        h -= p * log(p + 1e-8);
    }
    free(mean);
    free(cov);
    free(chunk);
    free(ev);
    return h;
}

/* unshuffled_rows: G (rows = n*ho*wo positions of the output, cols = c*r*r)
 * from the gradient g (n, c, hi, wi) at input resolution: position (y, x)
 * goes to output pixel (y / r, x / r), column c*r*r + (y % r)*r + x % r
 * (torch's PixelUnshuffle; zero where y >= hi or x >= wi when hi < r*ho). */
static double *unshuffled_rows(const float *g, const zc_vshape *in, int ho, int wo, int r) {
    int cols = in->c * r * r;
    int64_t rows = (int64_t)in->n * ho * wo;
    double *G = zc_calloc((size_t)(rows * cols), sizeof(double));
    for (int i = 0; i < in->n; i++)
        for (int k = 0; k < in->c; k++)
            for (int y = 0; y < in->h; y++)
                for (int x = 0; x < in->w; x++) {
                    int64_t row = ((int64_t)i * ho + y / r) * wo + x / r;
                    int col = k * r * r + (y % r) * r + x % r;
                    G[row * cols + col] = g[(((int64_t)i * in->c + k) * in->h + y) * in->w + x];
                }
    return G;
}

/* largest_singular_value: of the m x n matrix a (row-major), from the
 * eigenvalues of its smaller Gram matrix. */
static double largest_singular_value(const double *a, int m, int n) {
    int k = ZC_MIN(m, n);
    double *gram = zc_malloc(sizeof(double) * (size_t)k * k);
    if (n <= m) /* A^T A, n x n */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, m, 1.0, a, n, a, n, 0.0,
                    gram, n);
    else /* A A^T, m x m */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, n, 1.0, a, n, a, n, 0.0,
                    gram, m);
    double *ev = zc_malloc(sizeof(double) * (size_t)k);
    zc_px_eigvalsh(gram, k, ev);
    double s = sqrt(fmax(ev[k - 1], 0.0));
    free(gram);
    free(ev);
    return s;
}

/* block_trainability: -s - 1/(s + 1e-6) + 2 for block b (f_{b-1} -> f_b)
 * with Rademacher vector sign (after a forward). */
static double block_trainability(zc_net *net, int b, const float *sign) {
    int v_in = net->feat[b - 1], v_out = net->feat[b];
    zc_net_backward_from(net, v_out, sign, zc_px_layer_producing(net, v_in));
    const zc_vshape *si = &net->vshape[v_in], *so = &net->vshape[v_out];
    int64_t n_in = zc_net_value_numel(net, v_in), n_out = zc_net_value_numel(net, v_out);
    float *g_in = zc_calloc((size_t)n_in, sizeof(float));
    if (net->grad_set[v_in]) memcpy(g_in, net->grad[v_in], sizeof(float) * (size_t)n_in);
    int identical = n_in == n_out && si->c == so->c && si->h == so->h;
    for (int64_t i = 0; identical && i < n_in; i++) identical = g_in[i] == sign[i];
    if (identical) {
        free(g_in);
        return -INFINITY;
    }
    int r = (si->h + so->h - 1) / so->h; /* 1, or the stride of a reduction */
    double *G_in = unshuffled_rows(g_in, si, so->h, so->w, r);
    int cols_in = si->c * r * r;
    int64_t rows = (int64_t)so->n * so->h * so->w, hw = (int64_t)so->h * so->w;
    double *G_out = zc_malloc(sizeof(double) * (size_t)(rows * so->c));
    for (int i = 0; i < so->n; i++)
        for (int k = 0; k < so->c; k++)
            for (int64_t p = 0; p < hw; p++)
                G_out[((int64_t)i * hw + p) * so->c + k] = sign[((int64_t)i * so->c + k) * hw + p];
    double *mat = zc_malloc(sizeof(double) * (size_t)cols_in * so->c);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cols_in, so->c, (int)rows,
                1.0 / (double)rows, G_in, cols_in, G_out, so->c, 0.0, mat, so->c);
    double s = largest_singular_value(mat, cols_in, so->c);
    free(g_in);
    free(G_in);
    free(G_out);
    free(mat);
    return -s - 1.0 / (s + 1e-6) + 2.0;
}

static double nan_to_minus_inf(double v) { return isnan(v) ? -INFINITY : v; }

void zc_az_components_of(zc_net *net, const float *x, float *const *signs,
                         zc_az_components *out) {
    zc_net_forward(net, x);
    int nf = net->n_feat;
    double *h = zc_malloc(sizeof(double) * (size_t)(nf + 1));
    double expressivity = 0, progressivity = INFINITY, trainability = 0;
    for (int i = 0; i < nf; i++) {
        h[i] = zc_az_feature_entropy(net, net->feat[i]);
        expressivity += h[i];
        if (i > 0) {
            double d = h[i] - h[i - 1];
            progressivity = isnan(d) || isnan(progressivity) ? NAN : fmin(progressivity, d);
        }
    }
    /* the authors walk the blocks from the last to the first; the mean does
     * not depend on the order */
    for (int b = nf - 1; b >= 1; b--) trainability += block_trainability(net, b, signs[b - 1]);
    trainability = nf >= 2 ? trainability / (nf - 1) : NAN;
    if (nf < 2) progressivity = NAN;
    out->expressivity = nan_to_minus_inf(nf >= 1 ? expressivity : NAN);
    out->progressivity = nan_to_minus_inf(progressivity);
    out->trainability = nan_to_minus_inf(trainability);
    free(h);
}

/* ---- the aggregate over a set ------------------------------------------------ */

typedef struct {
    double v;
    int i;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* average_ranks: ranks 1..n of v (ties share their mean rank; NaN counts as
 * -inf), as scipy.stats.rankdata(method='average'). */
static void average_ranks(const double *v, int stride, int n, double *rank) {
    ranked *r = zc_malloc(sizeof(ranked) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        double x = v[(size_t)i * stride];
        r[i].v = isnan(x) ? -INFINITY : x;
        r[i].i = i;
    }
    qsort(r, (size_t)n, sizeof(ranked), cmp_ranked);
    for (int a = 0; a < n;) {
        int b = a;
        while (b + 1 < n && r[b + 1].v == r[a].v) b++;
        double mean_rank = 0.5 * (a + b) + 1.0;
        for (int k = a; k <= b; k++) rank[r[k].i] = mean_rank;
        a = b + 1;
    }
    free(r);
}

void zc_proxies_fill_set_dependent(zc_proxy_mask mask, double *values, int n_rows) {
    if (!(mask & (1u << ZC_PX_AZ_NAS)) || n_rows <= 0) return;
    static const int components[4] = {ZC_PX_AZ_EXPRESSIVITY, ZC_PX_AZ_PROGRESSIVITY,
                                      ZC_PX_AZ_TRAINABILITY, ZC_PX_AZ_COMPLEXITY};
    double *rank = zc_malloc(sizeof(double) * (size_t)n_rows);
    for (int i = 0; i < n_rows; i++) values[(size_t)i * ZC_PX_COUNT + ZC_PX_AZ_NAS] = 0;
    for (int k = 0; k < 4; k++) {
        average_ranks(values + components[k], ZC_PX_COUNT, n_rows, rank);
        for (int i = 0; i < n_rows; i++)
            values[(size_t)i * ZC_PX_COUNT + ZC_PX_AZ_NAS] += log(rank[i] / n_rows);
    }
    free(rank);
}

/* test_kernels.c: checks every CPU reference kernel of kernels/cpu_kernels.h
 * against direct loops written here in double precision, on random inputs,
 * over many shapes (strides 1..3, paddings 0..3, dilations 1..2, groups 1, 2,
 * 4 and depthwise, kernels 1, 3, 5, 1x7, 7x1, batch 1 and 3), plus
 * invariants: adjointness of the convolution's backward kernels, a finite
 * difference check of batch-norm backward, and exact outputs for the
 * data-movement kernels. Outputs are pre-filled with NaN to catch kernels
 * that do not overwrite, and the conv workspace carries a guard zone to
 * catch writes beyond zc_conv_workspace_floats. Ends with a timing line for
 * a 3x3 16->16 convolution on 16x32x32 (fwd + bwd-data + bwd-filter).
 * Given a fixture file from tests/gen_kernel_fixtures.py (test
 * kernels_torch), it instead compares conv, pooling and batch norm with
 * PyTorch's outputs. */
#include "common/util/rng.h"
#include "common/util/util.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tests/test_util.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define CONV_TOL 1e-5

static zc_rng g_rng;

static float *alloc_random(long count) {
    float *p = zc_malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    zc_rng_fill_normal(&g_rng, p, count, 0.0, 1.0);
    return p;
}

static float *alloc_nan(long count) {
    float *p = zc_malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    for (long i = 0; i < count; i++) p[i] = NAN;
    return p;
}

static float *to_float(const double *a, long count) {
    float *p = zc_malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    for (long i = 0; i < count; i++) p[i] = (float)a[i];
    return p;
}

static double dot_ff(const float *a, const float *b, long count) {
    double s = 0;
    for (long i = 0; i < count; i++) s += (double)a[i] * (double)b[i];
    return s;
}

static double norm_f(const float *a, long count) { return sqrt(dot_ff(a, a, count)); }

/* ---- convolution references (double, direct loops) ----------------------- */

/* Input coordinate of output (pi, ri) or -1 when in the padding. */
static int in_coord(int o, int k, int stride, int pad, int dil, int size) {
    int i = o * stride - pad + k * dil;
    return (i >= 0 && i < size) ? i : -1;
}

static void ref_conv_forward(const zc_conv_desc *d, const float *x, const float *w,
                             double *y) {
    int cpg = d->c / d->groups, kpg = d->k / d->groups;
    for (int n = 0; n < d->n; n++)
        for (int k = 0; k < d->k; k++)
            for (int p = 0; p < d->p; p++)
                for (int q = 0; q < d->q; q++) {
                    double s = 0;
                    int g = k / kpg;
                    for (int cl = 0; cl < cpg; cl++)
                        for (int r = 0; r < d->r; r++)
                            for (int t = 0; t < d->s; t++) {
                                int ih = in_coord(p, r, d->stride_h, d->pad_h, d->dil_h, d->h);
                                int iw = in_coord(q, t, d->stride_w, d->pad_w, d->dil_w, d->w);
                                if (ih < 0 || iw < 0) continue;
                                int c = g * cpg + cl;
                                s += (double)x[(((size_t)n * d->c + c) * d->h + ih) * d->w + iw] *
                                     (double)w[(((size_t)k * cpg + cl) * d->r + r) * d->s + t];
                            }
                    y[(((size_t)n * d->k + k) * d->p + p) * d->q + q] = s;
                }
}

/* dx and dw of sum(y * dy) by the same loops, transposed. */
static void ref_conv_backward(const zc_conv_desc *d, const float *x, const float *w,
                              const float *dy, double *dx, double *dw) {
    int cpg = d->c / d->groups, kpg = d->k / d->groups;
    memset(dx, 0, sizeof(double) * (size_t)d->n * d->c * d->h * d->w);
    memset(dw, 0, sizeof(double) * (size_t)d->k * cpg * d->r * d->s);
    for (int n = 0; n < d->n; n++)
        for (int k = 0; k < d->k; k++)
            for (int p = 0; p < d->p; p++)
                for (int q = 0; q < d->q; q++) {
                    double g = dy[(((size_t)n * d->k + k) * d->p + p) * d->q + q];
                    int grp = k / kpg;
                    for (int cl = 0; cl < cpg; cl++)
                        for (int r = 0; r < d->r; r++)
                            for (int t = 0; t < d->s; t++) {
                                int ih = in_coord(p, r, d->stride_h, d->pad_h, d->dil_h, d->h);
                                int iw = in_coord(q, t, d->stride_w, d->pad_w, d->dil_w, d->w);
                                if (ih < 0 || iw < 0) continue;
                                int c = grp * cpg + cl;
                                size_t xi = (((size_t)n * d->c + c) * d->h + ih) * d->w + iw;
                                size_t wi = (((size_t)k * cpg + cl) * d->r + r) * d->s + t;
                                dx[xi] += g * (double)w[wi];
                                dw[wi] += g * (double)x[xi];
                            }
                }
}

static int g_conv_cases = 0;

/* One convolution case: all three kernels against the references and the
 * adjoint identities. Returns 1 if the shape was valid and tested. */
static int check_conv(int n, int c, int h, int w, int k, int r, int s, int sh, int sw,
                      int ph, int pw, int dh, int dw_, int groups) {
    zc_conv_desc d;
    int span_h = h + 2 * ph - dh * (r - 1) - 1, span_w = w + 2 * pw - dw_ * (s - 1) - 1;
    int rc = zc_conv_desc_make(&d, n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw_, groups);
    if (span_h < 0 || span_w < 0) {
        CHECK_MSG(rc == -1, "conv desc should be invalid (span %d %d)", span_h, span_w);
        return 0;
    }
    CHECK(rc == 0);
    if (rc != 0) return 0;
    CHECK(d.p == span_h / sh + 1 && d.q == span_w / sw + 1);
    long nx = (long)n * c * h * w, ny = (long)n * k * d.p * d.q;
    long nw = (long)k * (c / groups) * r * s;
    size_t wsf = zc_conv_workspace_floats(&d);
    const int guard = 64;
    float *ws = zc_malloc(sizeof(float) * (wsf + guard));
    for (int i = 0; i < guard; i++) ws[wsf + i] = 12345.0f;
    float *x = alloc_random(nx), *wt = alloc_random(nw), *dy = alloc_random(ny);
    float *w2 = alloc_random(nw);
    float *y = alloc_nan(ny), *dx = alloc_nan(nx), *dwt = alloc_nan(nw);
    float *y2 = alloc_nan(ny);
    double *ry = zc_malloc(sizeof(double) * ny), *rdx = zc_malloc(sizeof(double) * nx);
    double *rdw = zc_malloc(sizeof(double) * nw);

    zc_conv2d_forward(&d, x, wt, y, ws);
    zc_conv2d_backward_data(&d, dy, wt, dx, ws);
    zc_conv2d_backward_filter(&d, x, dy, dwt, ws);
    zc_conv2d_forward(&d, x, w2, y2, ws);
    ref_conv_forward(&d, x, wt, ry);
    ref_conv_backward(&d, x, wt, dy, rdx, rdw);

    float *fy = to_float(ry, ny), *fdx = to_float(rdx, nx), *fdw = to_float(rdw, nw);
    double ey = rel_error(y, fy, ny), edx = rel_error(dx, fdx, nx),
           edw = rel_error(dwt, fdw, nw);
    const char *shape_fmt = "n%d c%d %dx%d k%d %dx%d s%d,%d p%d,%d d%d,%d g%d";
#define CONV_SHAPE n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw_, groups
    CHECK_MSG(ey < CONV_TOL, "forward rel err %.3g", ey);
    CHECK_MSG(edx < CONV_TOL, "backward_data rel err %.3g", edx);
    CHECK_MSG(edw < CONV_TOL, "backward_filter rel err %.3g", edw);
    if (ey >= CONV_TOL || edx >= CONV_TOL || edw >= CONV_TOL) {
        fprintf(stderr, "  shape: ");
        fprintf(stderr, shape_fmt, CONV_SHAPE);
        fprintf(stderr, " (ws %zu)\n", wsf);
    }
    /* <conv(x), dy> == <x, bwd_data(dy)>;  <bwd_filter(x, dy), w2> ==
     * <conv_w2(x), dy>, to float accuracy relative to Cauchy-Schwarz. */
    double lhs = dot_ff(y, dy, ny), rhs = dot_ff(x, dx, nx);
    double scale = norm_f(y, ny) * norm_f(dy, ny) + norm_f(x, nx) * norm_f(dx, nx) + 1e-30;
    CHECK_MSG(fabs(lhs - rhs) <= 1e-5 * scale, "adjoint data %.9g vs %.9g", lhs, rhs);
    double lhs2 = dot_ff(dwt, w2, nw), rhs2 = dot_ff(y2, dy, ny);
    double scale2 = norm_f(dwt, nw) * norm_f(w2, nw) + norm_f(y2, ny) * norm_f(dy, ny) + 1e-30;
    CHECK_MSG(fabs(lhs2 - rhs2) <= 1e-5 * scale2, "adjoint filter %.9g vs %.9g", lhs2, rhs2);
    int guard_ok = 1;
    for (int i = 0; i < guard; i++) guard_ok &= ws[wsf + i] == 12345.0f;
    CHECK_MSG(guard_ok, "workspace overflow beyond %zu floats", wsf);
#undef CONV_SHAPE
    free(ws); free(x); free(wt); free(dy); free(w2); free(y); free(dx); free(dwt);
    free(y2); free(ry); free(rdx); free(rdw); free(fy); free(fdx); free(fdw);
    g_conv_cases++;
    return 1;
}

static void test_conv(void) {
    static const int ks[][2] = {{1, 1}, {3, 3}, {5, 5}, {1, 7}, {7, 1}};
    /* groups: 1, 2, 4 and depthwise (-1: groups = c = k; -2: multiplier 2) */
    static const int gs[] = {1, 2, 4, -1, -2};
    for (int gi = 0; gi < 5; gi++)
        for (int ki = 0; ki < 5; ki++)
            for (int st = 1; st <= 3; st++)
                for (int pad = 0; pad <= 3; pad++)
                    for (int dil = 1; dil <= 2; dil++)
                        for (int nb = 1; nb <= 3; nb += 2) {
                            int g = gs[gi], c, k;
                            if (g == 1) { c = 3; k = 5; }
                            else if (g == 2) { c = 4; k = 6; }
                            else if (g == 4) { c = 8; k = 8; }
                            else if (g == -1) { c = 5; k = 5; g = 5; }
                            else { c = 3; k = 6; g = 3; }
                            check_conv(nb, c, 11, 9, k, ks[ki][0], ks[ki][1], st, st, pad,
                                       pad, dil, dil, g);
                        }
    /* asymmetric strides / paddings / dilations */
    check_conv(2, 4, 10, 13, 6, 3, 5, 1, 2, 2, 1, 2, 1, 2);
    check_conv(2, 6, 10, 13, 6, 3, 5, 2, 1, 0, 3, 1, 2, 6);
    check_conv(1, 2, 7, 12, 4, 1, 7, 1, 3, 0, 3, 1, 1, 1);
    check_conv(3, 4, 12, 7, 4, 7, 1, 3, 1, 3, 0, 1, 1, 4);
    /* NAS-Bench-201-like shapes: long rows (vector paths), 1x1 pointwise */
    check_conv(2, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    check_conv(2, 16, 16, 16, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1);
    check_conv(2, 16, 16, 16, 32, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    check_conv(2, 16, 8, 8, 16, 1, 1, 2, 2, 0, 0, 1, 1, 1);
    check_conv(2, 8, 32, 32, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8);
    check_conv(2, 8, 32, 32, 8, 5, 5, 2, 2, 4, 4, 2, 2, 8);
    check_conv(3, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16);
    check_conv(1, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    printf("conv: %d valid shapes checked\n", g_conv_cases);
    CHECK(g_conv_cases > 700);

    /* invalid descriptors */
    zc_conv_desc d;
    CHECK(zc_conv_desc_make(&d, 1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2) == -1);
    CHECK(zc_conv_desc_make(&d, 1, 4, 8, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2) == -1);
    CHECK(zc_conv_desc_make(&d, 1, 4, 8, 8, 4, 3, 3, 0, 1, 1, 1, 1, 1, 1) == -1);
    CHECK(zc_conv_desc_make(&d, 1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1, 0, 1, 1) == -1);
    CHECK(zc_conv_desc_make(&d, 1, 4, 2, 2, 4, 5, 5, 1, 1, 0, 0, 1, 1, 1) == -1);
    CHECK(zc_conv_desc_make(&d, 1, 4, 8, 8, 4, 3, 3, 1, 1, -1, 1, 1, 1, 1) == -1);
}

/* ---- batch norm ---------------------------------------------------------- */

static void ref_bn_forward(int n, int c, int hw, const double *x, const double *gamma,
                           const double *beta, double eps, double *y, double *mean,
                           double *invstd) {
    double m = (double)n * hw;
    for (int ci = 0; ci < c; ci++) {
        double s = 0, v = 0;
        for (int ni = 0; ni < n; ni++)
            for (int i = 0; i < hw; i++) s += x[((size_t)ni * c + ci) * hw + i];
        double mu = s / m;
        for (int ni = 0; ni < n; ni++)
            for (int i = 0; i < hw; i++) {
                double t = x[((size_t)ni * c + ci) * hw + i] - mu;
                v += t * t;
            }
        double is = 1.0 / sqrt(v / m + eps);
        if (mean) mean[ci] = mu;
        if (invstd) invstd[ci] = is;
        for (int ni = 0; ni < n; ni++)
            for (int i = 0; i < hw; i++) {
                size_t j = ((size_t)ni * c + ci) * hw + i;
                y[j] = gamma[ci] * (x[j] - mu) * is + beta[ci];
            }
    }
}

/* Closed form: dx = gamma invstd / M (M dy - sum dy - xhat sum dy xhat). */
static void ref_bn_backward(int n, int c, int hw, const double *x, const double *dy,
                            const double *gamma, double eps, double *dx, double *dgamma,
                            double *dbeta) {
    double m = (double)n * hw;
    double *y = zc_malloc(sizeof(double) * (size_t)n * c * hw);
    double *mean = zc_malloc(sizeof(double) * c), *inv = zc_malloc(sizeof(double) * c);
    double *zero = zc_calloc((size_t)c, sizeof(double));
    ref_bn_forward(n, c, hw, x, gamma, zero, eps, y, mean, inv);
    for (int ci = 0; ci < c; ci++) {
        double sdy = 0, sdyx = 0;
        for (int ni = 0; ni < n; ni++)
            for (int i = 0; i < hw; i++) {
                size_t j = ((size_t)ni * c + ci) * hw + i;
                sdy += dy[j];
                sdyx += dy[j] * (x[j] - mean[ci]) * inv[ci];
            }
        dgamma[ci] = sdyx;
        dbeta[ci] = sdy;
        for (int ni = 0; ni < n; ni++)
            for (int i = 0; i < hw; i++) {
                size_t j = ((size_t)ni * c + ci) * hw + i;
                double xhat = (x[j] - mean[ci]) * inv[ci];
                dx[j] = gamma[ci] * inv[ci] / m * (m * dy[j] - sdy - xhat * sdyx);
            }
    }
    free(y); free(mean); free(inv); free(zero);
}

static double bn_loss(int n, int c, int hw, const double *x, const double *gamma,
                      const double *beta, double eps, const double *r, double *ybuf) {
    ref_bn_forward(n, c, hw, x, gamma, beta, eps, ybuf, NULL, NULL);
    double l = 0;
    for (long i = 0; i < (long)n * c * hw; i++) l += ybuf[i] * r[i];
    return l;
}

static void check_bn(int n, int c, int hw, double offset, int finite_diff) {
    long cnt = (long)n * c * hw;
    const float eps = 1e-5f;
    float *x = alloc_random(cnt), *dy = alloc_random(cnt);
    float *gamma = alloc_random(c), *beta = alloc_random(c);
    for (long i = 0; i < cnt; i++) x[i] = (float)(x[i] * 0.7 + offset);
    float *y = alloc_nan(cnt), *dx = alloc_nan(cnt), *mean = alloc_nan(c),
          *inv = alloc_nan(c), *dg = alloc_nan(c), *db = alloc_nan(c);
    zc_bn_train_forward(n, c, hw, x, gamma, beta, eps, y, mean, inv);
    zc_bn_train_backward(n, c, hw, x, dy, gamma, mean, inv, dx, dg, db);

    double *xd = zc_malloc(sizeof(double) * cnt), *dyd = zc_malloc(sizeof(double) * cnt);
    double *gd = zc_malloc(sizeof(double) * c), *bd = zc_malloc(sizeof(double) * c);
    for (long i = 0; i < cnt; i++) { xd[i] = x[i]; dyd[i] = dy[i]; }
    for (int i = 0; i < c; i++) { gd[i] = gamma[i]; bd[i] = beta[i]; }
    double *ry = zc_malloc(sizeof(double) * cnt), *rmean = zc_malloc(sizeof(double) * c),
           *rinv = zc_malloc(sizeof(double) * c), *rdx = zc_malloc(sizeof(double) * cnt),
           *rdg = zc_malloc(sizeof(double) * c), *rdb = zc_malloc(sizeof(double) * c);
    ref_bn_forward(n, c, hw, xd, gd, bd, eps, ry, rmean, rinv);
    ref_bn_backward(n, c, hw, xd, dyd, gd, eps, rdx, rdg, rdb);
    float *f;
    f = to_float(ry, cnt); double e_y = rel_error(y, f, cnt); free(f);
    f = to_float(rmean, c); double e_m = rel_error(mean, f, c); free(f);
    f = to_float(rinv, c); double e_i = rel_error(inv, f, c); free(f);
    f = to_float(rdx, cnt); double e_dx = rel_error(dx, f, cnt); free(f);
    f = to_float(rdg, c); double e_dg = rel_error(dg, f, c); free(f);
    f = to_float(rdb, c); double e_db = rel_error(db, f, c); free(f);
    /* an offset mean costs float accuracy in x - mean (as in PyTorch) */
    double tol = offset != 0 ? 1e-4 : 1e-5;
    CHECK_MSG(e_y < tol, "bn y rel err %.3g (n%d c%d hw%d)", e_y, n, c, hw);
    CHECK_MSG(e_m < 1e-6, "bn mean rel err %.3g", e_m);
    CHECK_MSG(e_i < 1e-6, "bn invstd rel err %.3g", e_i);
    CHECK_MSG(e_dx < tol, "bn dx rel err %.3g (n%d c%d hw%d)", e_dx, n, c, hw);
    CHECK_MSG(e_dg < tol, "bn dgamma rel err %.3g", e_dg);
    CHECK_MSG(e_db < 1e-6, "bn dbeta rel err %.3g", e_db);

    if (finite_diff) {
        /* central differences in double of L = sum(y * dy) */
        const double step = 1e-6;
        double *fd = zc_malloc(sizeof(double) * cnt), *yb = zc_malloc(sizeof(double) * cnt);
        double max_err_closed = 0, max_ref = 0;
        for (long i = 0; i < cnt; i++) {
            double keep = xd[i];
            xd[i] = keep + step;
            double lp = bn_loss(n, c, hw, xd, gd, bd, eps, dyd, yb);
            xd[i] = keep - step;
            double lm = bn_loss(n, c, hw, xd, gd, bd, eps, dyd, yb);
            xd[i] = keep;
            fd[i] = (lp - lm) / (2 * step);
            max_err_closed = fmax(max_err_closed, fabs(fd[i] - rdx[i]));
            max_ref = fmax(max_ref, fabs(fd[i]));
        }
        CHECK_MSG(max_err_closed <= 1e-6 * max_ref + 1e-8,
                  "bn closed form vs finite differences: %.3g", max_err_closed);
        f = to_float(fd, cnt);
        double e_fd = rel_error(dx, f, cnt);
        free(f);
        CHECK_MSG(e_fd < 1e-5, "bn dx vs finite differences rel err %.3g", e_fd);
        for (int ci = 0; ci < c; ci++) {
            double keep = gd[ci];
            gd[ci] = keep + step;
            double lp = bn_loss(n, c, hw, xd, gd, bd, eps, dyd, yb);
            gd[ci] = keep - step;
            double lm = bn_loss(n, c, hw, xd, gd, bd, eps, dyd, yb);
            gd[ci] = keep;
            CHECK_CLOSE(dg[ci], (lp - lm) / (2 * step), 1e-4, 1e-4);
            keep = bd[ci];
            bd[ci] = keep + step;
            lp = bn_loss(n, c, hw, xd, gd, bd, eps, dyd, yb);
            bd[ci] = keep - step;
            lm = bn_loss(n, c, hw, xd, gd, bd, eps, dyd, yb);
            bd[ci] = keep;
            CHECK_CLOSE(db[ci], (lp - lm) / (2 * step), 1e-4, 1e-4);
        }
        free(fd); free(yb);
    }
    /* dgamma / dbeta may be NULL */
    float *dx2 = alloc_nan(cnt);
    zc_bn_train_backward(n, c, hw, x, dy, gamma, mean, inv, dx2, NULL, NULL);
    CHECK(memcmp(dx, dx2, sizeof(float) * cnt) == 0);
    free(dx2);
    free(x); free(dy); free(gamma); free(beta); free(y); free(dx); free(mean); free(inv);
    free(dg); free(db); free(xd); free(dyd); free(gd); free(bd); free(ry); free(rmean);
    free(rinv); free(rdx); free(rdg); free(rdb);
}

static void test_bn(void) {
    check_bn(2, 3, 5, 0.0, 1);
    check_bn(3, 2, 7, 0.5, 1);
    check_bn(1, 4, 1, 0.0, 0);
    check_bn(4, 16, 64, 0.0, 0);
    check_bn(8, 16, 1024, 0.0, 0);
    check_bn(3, 5, 37, 4.0, 0);
}

/* ---- elementwise ----------------------------------------------------------- */

static void test_elementwise(void) {
    const long cnt = 1037;
    float *x = alloc_random(cnt), *a = alloc_random(cnt), *y = alloc_nan(cnt);
    x[0] = 0.0f; x[1] = -0.0f; x[2] = NAN;
    zc_relu_forward(cnt, x, y);
    int ok = 1;
    for (long i = 3; i < cnt; i++) ok &= y[i] == (x[i] > 0 ? x[i] : 0.0f);
    CHECK(ok);
    CHECK(y[0] == 0.0f && y[1] == 0.0f && isnan(y[2]));
    float *dx = alloc_nan(cnt);
    zc_relu_backward(cnt, x, a, dx);
    ok = 1;
    for (long i = 0; i < cnt; i++) ok &= dx[i] == (x[i] > 0 ? a[i] : 0.0f);
    CHECK(ok);
    zc_add(cnt, x, a, y);
    ok = 1;
    for (long i = 3; i < cnt; i++) ok &= y[i] == x[i] + a[i];
    CHECK(ok);
    memcpy(y, x, sizeof(float) * cnt);
    zc_accumulate(cnt, a, y);
    ok = 1;
    for (long i = 3; i < cnt; i++) ok &= y[i] == x[i] + a[i];
    CHECK(ok);
    /* in-place relu */
    memcpy(y, a, sizeof(float) * cnt);
    zc_relu_forward(cnt, y, y);
    ok = 1;
    for (long i = 0; i < cnt; i++) ok &= y[i] == (a[i] > 0 ? a[i] : 0.0f);
    CHECK(ok);
    free(x); free(a); free(y); free(dx);

    /* GAP */
    int n = 3, c = 5, hw = 49;
    float *g = alloc_random((long)n * c * hw), *gy = alloc_nan(n * c);
    zc_gap_forward(n, c, hw, g, gy);
    ok = 1;
    for (int i = 0; i < n * c; i++) {
        double s = 0;
        for (int j = 0; j < hw; j++) s += g[i * hw + j];
        ok &= fabs(gy[i] - s / hw) <= 1e-6 * (1 + fabs(s / hw));
    }
    CHECK(ok);
    float *gdx = alloc_nan((long)n * c * hw);
    zc_gap_backward(n, c, hw, gy, gdx);
    ok = 1;
    for (int i = 0; i < n * c * hw; i++) ok &= fabs(gdx[i] - gy[i / hw] / hw) <= 1e-7;
    CHECK(ok);
    free(g); free(gy); free(gdx);
}

/* ---- pooling --------------------------------------------------------------- */

static void check_pool(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph,
                       int pw, int include_pad, int integer_values) {
    zc_pool_desc d;
    int rc = zc_pool_desc_make(&d, n, c, h, w, kh, kw, sh, sw, ph, pw, include_pad);
    if (ph > kh / 2 || pw > kw / 2 || h + 2 * ph < kh || w + 2 * pw < kw) {
        CHECK(rc == -1);
        return;
    }
    CHECK(rc == 0);
    if (rc) return;
    CHECK(d.p == (h + 2 * ph - kh) / sh + 1 && d.q == (w + 2 * pw - kw) / sw + 1);
    long nx = (long)n * c * h * w, ny = (long)n * c * d.p * d.q;
    float *x = alloc_random(nx), *dy = alloc_random(ny);
    if (integer_values) /* ties and all-negative windows */
        for (long i = 0; i < nx; i++) x[i] = -1.0f - (float)zc_rng_below(&g_rng, 3);
    float *y = alloc_nan(ny), *dx = alloc_nan(nx), *my = alloc_nan(ny), *mdx = alloc_nan(nx);
    int *am = zc_malloc(sizeof(int) * ny);
    double *ry = zc_malloc(sizeof(double) * ny), *rdx = zc_calloc(nx, sizeof(double));
    double *rmy = zc_malloc(sizeof(double) * ny), *rmdx = zc_calloc(nx, sizeof(double));
    int *ram = zc_malloc(sizeof(int) * ny);
    for (long pl = 0; pl < (long)n * c; pl++)
        for (int p = 0; p < d.p; p++)
            for (int q = 0; q < d.q; q++) {
                double s = 0, best = -INFINITY;
                int cntv = 0, bi = -1;
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++) {
                        int ih = p * sh - ph + i, iw = q * sw - pw + j;
                        if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                        double v = x[pl * h * w + ih * w + iw];
                        s += v;
                        cntv++;
                        if (bi < 0 || v > best) { best = v; bi = ih * w + iw; }
                    }
                long o = pl * d.p * d.q + p * d.q + q;
                double div = include_pad ? kh * kw : cntv;
                ry[o] = s / div;
                rmy[o] = best;
                ram[o] = bi;
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++) {
                        int ih = p * sh - ph + i, iw = q * sw - pw + j;
                        if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                        rdx[pl * h * w + ih * w + iw] += dy[o] / div;
                    }
                rmdx[pl * h * w + bi] += dy[o];
            }
    zc_avgpool_forward(&d, x, y);
    zc_avgpool_backward(&d, dy, dx);
    zc_maxpool_forward(&d, x, my, am);
    zc_maxpool_backward(&d, dy, am, mdx);
    float *f;
    f = to_float(ry, ny); double e1 = rel_error(y, f, ny); free(f);
    f = to_float(rdx, nx); double e2 = rel_error(dx, f, nx); free(f);
    f = to_float(rmy, ny); double e3 = rel_error(my, f, ny); free(f);
    f = to_float(rmdx, nx); double e4 = rel_error(mdx, f, nx); free(f);
    CHECK_MSG(e1 < 1e-6 && e2 < 1e-6 && e3 == 0 && e4 < 1e-6 &&
                  memcmp(am, ram, sizeof(int) * ny) == 0,
              "pool k%dx%d s%d,%d p%d,%d incl%d: avg %.3g/%.3g max %.3g/%.3g argmax %s", kh,
              kw, sh, sw, ph, pw, include_pad, e1, e2, e3, e4,
              memcmp(am, ram, sizeof(int) * ny) == 0 ? "ok" : "differs");
    free(x); free(dy); free(y); free(dx); free(my); free(mdx); free(am); free(ry);
    free(rdx); free(rmy); free(rmdx); free(ram);
}

static void test_pool(void) {
    for (int k = 1; k <= 4; k++)
        for (int st = 1; st <= 3; st++)
            for (int pad = 0; pad <= 2; pad++)
                for (int incl = 0; incl <= 1; incl++)
                    for (int iv = 0; iv <= 1; iv++)
                        check_pool(2, 3, 9, 8, k, k, st, st, pad, pad, incl, iv);
    check_pool(2, 3, 9, 8, 3, 2, 2, 1, 1, 0, 0, 0);
    check_pool(2, 3, 9, 8, 2, 5, 1, 3, 1, 2, 1, 1);
    /* NAS-Bench-201: 3x3 s1 p1 without padding counted, 2x2 s2 p0 */
    check_pool(4, 16, 32, 32, 3, 3, 1, 1, 1, 1, 0, 0);
    check_pool(4, 16, 32, 32, 2, 2, 2, 2, 0, 0, 1, 0);
    check_pool(1, 2, 600, 300, 3, 3, 1, 1, 1, 1, 0, 0); /* rows longer than a chunk */
    /* explicit NB201 corner value: 3x3 s1 p1 excl. pad, corner averages 4 */
    zc_pool_desc d;
    CHECK(zc_pool_desc_make(&d, 1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 0) == 0);
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[9];
    zc_avgpool_forward(&d, x, y);
    CHECK_CLOSE(y[0], (1 + 2 + 4 + 5) / 4.0, 1e-6, 0);
    CHECK_CLOSE(y[4], 5.0, 1e-6, 0);
    d.count_include_pad = 1;
    zc_avgpool_forward(&d, x, y);
    CHECK_CLOSE(y[0], (1 + 2 + 4 + 5) / 9.0, 1e-6, 0);
    CHECK(zc_pool_desc_make(&d, 1, 1, 3, 3, 3, 3, 1, 1, 2, 2, 0) == -1);
    CHECK(zc_pool_desc_make(&d, 1, 1, 3, 3, 3, 3, 0, 1, 1, 1, 0) == -1);
}

/* ---- linear ---------------------------------------------------------------- */

static void test_linear(void) {
    int n = 5, in = 17, out = 10;
    float *x = alloc_random((long)n * in), *w = alloc_random((long)out * in);
    float *b = alloc_random(out), *dy = alloc_random((long)n * out);
    float *y = alloc_nan((long)n * out), *y0 = alloc_nan((long)n * out);
    float *dx = alloc_nan((long)n * in), *dw = alloc_nan((long)out * in), *db = alloc_nan(out);
    zc_linear_forward(n, in, out, x, w, b, y);
    zc_linear_forward(n, in, out, x, w, NULL, y0);
    zc_linear_backward(n, in, out, x, w, dy, dx, dw, db);
    double ey = 0, ey0 = 0, edx = 0, edw = 0, edb = 0, ny = 0, ndx = 0, ndw = 0, ndb = 0;
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int j = 0; j < in; j++) s += (double)x[i * in + j] * w[o * in + j];
            ey += pow(y[i * out + o] - (s + b[o]), 2);
            ey0 += pow(y0[i * out + o] - s, 2);
            ny += s * s;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < in; j++) {
            double s = 0;
            for (int o = 0; o < out; o++) s += (double)dy[i * out + o] * w[o * in + j];
            edx += pow(dx[i * in + j] - s, 2);
            ndx += s * s;
        }
    for (int o = 0; o < out; o++) {
        double sb = 0;
        for (int j = 0; j < in; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += (double)dy[i * out + o] * x[i * in + j];
            edw += pow(dw[o * in + j] - s, 2);
            ndw += s * s;
        }
        for (int i = 0; i < n; i++) sb += dy[i * out + o];
        edb += pow(db[o] - sb, 2);
        ndb += sb * sb;
    }
    CHECK(sqrt(ey / ny) < 1e-6 && sqrt(ey0 / ny) < 1e-6);
    CHECK(sqrt(edx / ndx) < 1e-6);
    CHECK(sqrt(edw / ndw) < 1e-6);
    CHECK(sqrt(edb / ndb) < 1e-6);
    /* NULL outputs are skipped */
    float *dx2 = alloc_nan((long)n * in);
    zc_linear_backward(n, in, out, x, w, dy, dx2, NULL, NULL);
    CHECK(memcmp(dx, dx2, sizeof(float) * n * in) == 0);
    free(x); free(w); free(b); free(dy); free(y); free(y0); free(dx); free(dw); free(db);
    free(dx2);
}

/* ---- pad2d / concat -------------------------------------------------------- */

static void check_pad(int n, int c, int h, int w, int top, int bottom, int left, int right) {
    int oh = h + top + bottom, ow = w + left + right;
    long nx = (long)n * c * h * w, ny = (long)n * c * oh * ow;
    float *x = alloc_random(nx), *dy = alloc_random(ny);
    float *y = alloc_nan(ny), *dx = alloc_nan(nx);
    zc_pad2d_forward(n, c, h, w, top, bottom, left, right, x, y);
    zc_pad2d_backward(n, c, h, w, top, bottom, left, right, dy, dx);
    int ok = 1;
    for (long pl = 0; pl < (long)n * c; pl++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                int si = i - top, sj = j - left;
                float want = (si >= 0 && si < h && sj >= 0 && sj < w)
                                 ? x[pl * h * w + si * w + sj] : 0.0f;
                ok &= y[pl * oh * ow + i * ow + j] == want;
            }
    CHECK_MSG(ok, "pad2d forward %d %d %d %d", top, bottom, left, right);
    ok = 1;
    for (long pl = 0; pl < (long)n * c; pl++)
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                int si = i + top, sj = j + left;
                float want = (si >= 0 && si < oh && sj >= 0 && sj < ow)
                                 ? dy[pl * oh * ow + si * ow + sj] : 0.0f;
                ok &= dx[pl * h * w + i * w + j] == want;
            }
    CHECK_MSG(ok, "pad2d backward %d %d %d %d", top, bottom, left, right);
    double lhs = dot_ff(y, dy, ny), rhs = dot_ff(x, dx, nx);
    CHECK_CLOSE(lhs, rhs, 1e-9, 1e-9);
    free(x); free(dy); free(y); free(dx);
}

static void test_pad_concat(void) {
    check_pad(2, 3, 5, 6, 1, 1, 1, 1);
    check_pad(2, 3, 5, 6, 0, 1, 0, 1);   /* factorized reduce: pad right/bottom */
    check_pad(2, 3, 5, 6, -1, 0, -1, 0); /* crop top-left */
    check_pad(2, 3, 5, 6, 2, -1, -2, 3);
    check_pad(1, 1, 4, 4, -1, -1, -1, -1);

    int n = 3, hw = 7, cs[3] = {2, 5, 1};
    float *xs[3], *dxs[3];
    for (int i = 0; i < 3; i++) {
        xs[i] = alloc_random((long)n * cs[i] * hw);
        dxs[i] = alloc_nan((long)n * cs[i] * hw);
    }
    float *y = alloc_nan((long)n * 8 * hw);
    zc_concat_forward(n, hw, 3, cs, (const float *const *)xs, y);
    int ok = 1;
    for (int ni = 0; ni < n; ni++) {
        int coff = 0;
        for (int i = 0; i < 3; i++) {
            for (int ci = 0; ci < cs[i]; ci++)
                for (int j = 0; j < hw; j++)
                    ok &= y[((size_t)ni * 8 + coff + ci) * hw + j] ==
                          xs[i][((size_t)ni * cs[i] + ci) * hw + j];
            coff += cs[i];
        }
    }
    CHECK(ok);
    zc_concat_backward(n, hw, 3, cs, y, dxs);
    for (int i = 0; i < 3; i++)
        CHECK(memcmp(dxs[i], xs[i], sizeof(float) * n * cs[i] * hw) == 0);
    for (int i = 0; i < 3; i++) { free(xs[i]); free(dxs[i]); }
    free(y);
}

/* ---- PyTorch fixtures (tests/gen_kernel_fixtures.py) ------------------------ */

/* Read one int32-counted float array; dies with a clear line on a short or
 * mismatched file. */
static float *read_array(FILE *f, const char *path, long expected) {
    int32_t count;
    if (fread(&count, sizeof count, 1, f) != 1)
        zc_die("%s: truncated kernel fixture file", path);
    if (count != expected)
        zc_die("%s: fixture array has %d floats, expected %ld", path, (int)count, expected);
    float *a = zc_malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    if (fread(a, sizeof(float), (size_t)count, f) != (size_t)count)
        zc_die("%s: truncated kernel fixture file", path);
    return a;
}

static void torch_conv_case(FILE *f, const char *path, const int32_t *pr) {
    zc_conv_desc d;
    int rc = zc_conv_desc_make(&d, pr[0], pr[1], pr[2], pr[3], pr[4], pr[5], pr[6], pr[7],
                               pr[8], pr[9], pr[10], pr[11], pr[12], pr[13]);
    CHECK(rc == 0);
    if (rc) zc_die("%s: invalid conv fixture shape", path);
    long nx = (long)d.n * d.c * d.h * d.w, ny = (long)d.n * d.k * d.p * d.q;
    long nw = (long)d.k * (d.c / d.groups) * d.r * d.s;
    float *x = read_array(f, path, nx), *w = read_array(f, path, nw);
    float *dy = read_array(f, path, ny), *ty = read_array(f, path, ny);
    float *tdx = read_array(f, path, nx), *tdw = read_array(f, path, nw);
    float *ws = zc_malloc(sizeof(float) * (zc_conv_workspace_floats(&d) + 1));
    float *y = alloc_nan(ny), *dx = alloc_nan(nx), *dw = alloc_nan(nw);
    zc_conv2d_forward(&d, x, w, y, ws);
    zc_conv2d_backward_data(&d, dy, w, dx, ws);
    zc_conv2d_backward_filter(&d, x, dy, dw, ws);
    double e1 = rel_error(y, ty, ny), e2 = rel_error(dx, tdx, nx), e3 = rel_error(dw, tdw, nw);
    CHECK_MSG(e1 < CONV_TOL && e2 < CONV_TOL && e3 < CONV_TOL,
              "conv vs torch (c%d k%d %dx%d g%d): %.3g %.3g %.3g", d.c, d.k, d.r, d.s,
              d.groups, e1, e2, e3);
    free(x); free(w); free(dy); free(ty); free(tdx); free(tdw); free(ws); free(y);
    free(dx); free(dw);
}

static void torch_pool_case(FILE *f, const char *path, const int32_t *pr) {
    zc_pool_desc d;
    int rc = zc_pool_desc_make(&d, pr[0], pr[1], pr[2], pr[3], pr[4], pr[5], pr[6], pr[7],
                               pr[8], pr[9], pr[10]);
    CHECK(rc == 0);
    if (rc) zc_die("%s: invalid pool fixture shape", path);
    long nx = (long)d.n * d.c * d.h * d.w, ny = (long)d.n * d.c * d.p * d.q;
    float *x = read_array(f, path, nx), *dy = read_array(f, path, ny);
    float *tya = read_array(f, path, ny), *tdxa = read_array(f, path, nx);
    float *tym = read_array(f, path, ny), *tidx = read_array(f, path, ny);
    float *tdxm = read_array(f, path, nx);
    float *ya = alloc_nan(ny), *dxa = alloc_nan(nx), *ym = alloc_nan(ny), *dxm = alloc_nan(nx);
    int *idx = zc_malloc(sizeof(int) * ny);
    zc_avgpool_forward(&d, x, ya);
    zc_avgpool_backward(&d, dy, dxa);
    zc_maxpool_forward(&d, x, ym, idx);
    zc_maxpool_backward(&d, dy, idx, dxm);
    int idx_ok = 1;
    for (long i = 0; i < ny; i++) idx_ok &= idx[i] == (int)tidx[i];
    double e1 = rel_error(ya, tya, ny), e2 = rel_error(dxa, tdxa, nx),
           e3 = rel_error(ym, tym, ny), e4 = rel_error(dxm, tdxm, nx);
    CHECK_MSG(e1 < 1e-6 && e2 < 1e-6 && e3 == 0 && e4 < 1e-6 && idx_ok,
              "pool vs torch (k%dx%d s%d p%d incl%d): avg %.3g %.3g max %.3g %.3g idx %d",
              d.kh, d.kw, d.stride_h, d.pad_h, d.count_include_pad, e1, e2, e3, e4, idx_ok);
    free(x); free(dy); free(tya); free(tdxa); free(tym); free(tidx); free(tdxm); free(ya);
    free(dxa); free(ym); free(dxm); free(idx);
}

static void torch_bn_case(FILE *f, const char *path, const int32_t *pr) {
    int n = pr[0], c = pr[1], hw = pr[2];
    long cnt = (long)n * c * hw;
    float *x = read_array(f, path, cnt), *g = read_array(f, path, c);
    float *b = read_array(f, path, c), *dy = read_array(f, path, cnt);
    float *ty = read_array(f, path, cnt), *tdx = read_array(f, path, cnt);
    float *tdg = read_array(f, path, c), *tdb = read_array(f, path, c);
    float *y = alloc_nan(cnt), *dx = alloc_nan(cnt), *mean = alloc_nan(c), *inv = alloc_nan(c);
    float *dg = alloc_nan(c), *db = alloc_nan(c);
    zc_bn_train_forward(n, c, hw, x, g, b, 1e-5f, y, mean, inv);
    zc_bn_train_backward(n, c, hw, x, dy, g, mean, inv, dx, dg, db);
    double e1 = rel_error(y, ty, cnt), e2 = rel_error(dx, tdx, cnt),
           e3 = rel_error(dg, tdg, c), e4 = rel_error(db, tdb, c);
    CHECK_MSG(e1 < 1e-5 && e2 < 1e-5 && e3 < 1e-5 && e4 < 1e-5,
              "bn vs torch (n%d c%d hw%d): %.3g %.3g %.3g %.3g", n, c, hw, e1, e2, e3, e4);
    free(x); free(g); free(b); free(dy); free(ty); free(tdx); free(tdg); free(tdb); free(y);
    free(dx); free(mean); free(inv); free(dg); free(db);
}

static void test_torch_fixtures(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) zc_die("%s: cannot open kernel fixture file", path);
    char magic[4];
    int32_t cases;
    if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "ZCKF", 4) != 0 ||
        fread(&cases, sizeof cases, 1, f) != 1)
        zc_die("%s: not a kernel fixture file (bad header)", path);
    int seen[3] = {0, 0, 0};
    for (int i = 0; i < cases; i++) {
        int32_t kind, params[16], arrays;
        if (fread(&kind, sizeof kind, 1, f) != 1 || fread(params, sizeof params, 1, f) != 1 ||
            fread(&arrays, sizeof arrays, 1, f) != 1)
            zc_die("%s: truncated kernel fixture file", path);
        if (kind == 0) torch_conv_case(f, path, params);
        else if (kind == 1) torch_pool_case(f, path, params);
        else if (kind == 2) torch_bn_case(f, path, params);
        else zc_die("%s: unknown fixture kind %d", path, (int)kind);
        seen[kind]++;
    }
    fclose(f);
    printf("torch fixtures: %d conv, %d pool, %d bn cases\n", seen[0], seen[1], seen[2]);
    CHECK(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
}

/* ---- timing ---------------------------------------------------------------- */

static void time_conv(const char *label, int n, int c, int hw, int k, int ks, int stride,
                      int groups) {
    zc_conv_desc d;
    if (zc_conv_desc_make(&d, n, c, hw, hw, k, ks, ks, stride, stride, ks / 2, ks / 2, 1, 1,
                          groups) != 0)
        return;
    long nx = (long)n * c * hw * hw, ny = (long)n * k * d.p * d.q;
    long nw = (long)k * (c / groups) * ks * ks;
    float *x = alloc_random(nx), *w = alloc_random(nw), *y = alloc_nan(ny);
    float *dy = alloc_random(ny), *dx = alloc_nan(nx), *dw = alloc_nan(nw);
    float *ws = zc_malloc(sizeof(float) * (zc_conv_workspace_floats(&d) + 1));
    double flop = 3.0 * 2.0 * nw * d.p * d.q * n;
    /* fastest of several rounds: robust against a loaded machine */
    zc_conv2d_forward(&d, x, w, y, ws); /* warm up */
    double best = 1e30, t_start = zc_now();
    while (zc_now() - t_start < 0.4) {
        double t0 = zc_now();
        zc_conv2d_forward(&d, x, w, y, ws);
        zc_conv2d_backward_data(&d, dy, w, dx, ws);
        zc_conv2d_backward_filter(&d, x, dy, dw, ws);
        double t = zc_now() - t0;
        if (t < best) best = t;
    }
    printf("timing %-34s fwd+bwd_data+bwd_filter %7.3f ms  %6.2f GFLOP/s\n", label,
           1e3 * best, flop / best * 1e-9);
    free(x); free(w); free(y); free(dy); free(dx); free(dw); free(ws);
}

/* Without arguments: all direct-loop checks and timings. With a fixture
 * file (tests/gen_kernel_fixtures.py): only the PyTorch comparisons. */
int main(int argc, char **argv) {
    zc_rng_seed(&g_rng, 20240607);
    if (argc > 1) {
        test_torch_fixtures(argv[1]);
        TEST_EXIT();
    }
    test_conv();
    test_bn();
    test_elementwise();
    test_pool();
    test_linear();
    test_pad_concat();
    time_conv("conv3x3 16->16 n16 32x32", 16, 16, 32, 16, 3, 1, 1);
    time_conv("conv3x3 64->64 n16 8x8", 16, 64, 8, 64, 3, 1, 1);
    time_conv("conv1x1 16->16 n16 32x32", 16, 16, 32, 16, 1, 1, 1);
    time_conv("depthwise3x3 16 n16 32x32", 16, 16, 32, 16, 3, 1, 16);
    TEST_EXIT();
}

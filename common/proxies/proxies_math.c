/* proxies_math.c: the small linear algebra of the proxies: dot products,
 * correlation matrices (jacov, epe_nas), log-determinants (nwot, T-CET) and
 * symmetric eigenvalues (jacov). */
#include "common/proxies/proxies_math.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/proxies/proxies.h"
#include "common/util/util.h"

int zc_proxy_is_weight_layer(const zc_layer *L) {
    return L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR;
}

double zc_proxy_dot(const float *a, const float *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

double zc_slogdet(double *a, int n) {
    double logdet = 0;
    for (int k = 0; k < n; k++) {
        int piv = k;
        double best = fabs(a[(size_t)k * n + k]);
        for (int i = k + 1; i < n; i++)
            if (fabs(a[(size_t)i * n + k]) > best) {
                best = fabs(a[(size_t)i * n + k]);
                piv = i;
            }
        if (best == 0 || isnan(best)) return best == 0 ? -INFINITY : NAN;
        if (piv != k)
            for (int j = 0; j < n; j++) {
                double t = a[(size_t)k * n + j];
                a[(size_t)k * n + j] = a[(size_t)piv * n + j];
                a[(size_t)piv * n + j] = t;
            }
        double d = a[(size_t)k * n + k];
        logdet += log(fabs(d));
        for (int i = k + 1; i < n; i++) {
            double f = a[(size_t)i * n + k] / d;
            if (f == 0) continue;
            for (int j = k + 1; j < n; j++) a[(size_t)i * n + j] -= f * a[(size_t)k * n + j];
        }
    }
    return logdet;
}

void zc_sym_eigenvalues(double *a, int n, double *ev) {
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double v = a[(size_t)i * n + j] * a[(size_t)i * n + j];
                if (i == j) diag += v;
                else off += v;
            }
        if (isnan(off) || isnan(diag)) {
            for (int i = 0; i < n; i++) ev[i] = NAN;
            return;
        }
        if (off <= 1e-30 * (diag > 0 ? diag : 1)) break;
        for (int p = 0; p < n - 1; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[(size_t)p * n + q];
                if (apq == 0) continue;
                double app = a[(size_t)p * n + p], aqq = a[(size_t)q * n + q];
                double theta = (aqq - app) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[(size_t)k * n + p], akq = a[(size_t)k * n + q];
                    a[(size_t)k * n + p] = c * akp - s * akq;
                    a[(size_t)k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[(size_t)p * n + k], aqk = a[(size_t)q * n + k];
                    a[(size_t)p * n + k] = c * apk - s * aqk;
                    a[(size_t)q * n + k] = s * apk + c * aqk;
                }
            }
    }
    for (int i = 0; i < n; i++) ev[i] = a[(size_t)i * n + i];
}

void zc_proxy_corrcoef(const float *x, const int *rows, int n, int64_t d, double *out) {
    double *mean = zc_malloc(sizeof(double) * (size_t)n);
    double *cen = zc_malloc(sizeof(double) * (size_t)n * (size_t)d);
    for (int i = 0; i < n; i++) {
        const float *r = x + (size_t)rows[i] * d;
        double s = 0;
        for (int64_t k = 0; k < d; k++) s += r[k];
        mean[i] = s / (double)d;
        for (int64_t k = 0; k < d; k++) cen[(size_t)i * d + k] = r[k] - mean[i];
    }
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            double s = 0;
            const double *a = cen + (size_t)i * d, *b = cen + (size_t)j * d;
            for (int64_t k = 0; k < d; k++) s += a[k] * b[k];
            out[(size_t)i * n + j] = out[(size_t)j * n + i] = s;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j) {
                double den = sqrt(out[(size_t)i * n + i] * out[(size_t)j * n + j]);
                out[(size_t)i * n + j] /= den;
                if (out[(size_t)i * n + j] > 1) out[(size_t)i * n + j] = 1;
                if (out[(size_t)i * n + j] < -1) out[(size_t)i * n + j] = -1;
            }
    for (int i = 0; i < n; i++) {
        double v = out[(size_t)i * n + i];
        out[(size_t)i * n + i] = v > 0 ? 1.0 : NAN; /* numpy: x/x, NaN for 0 */
        if (!(v > 0))
            for (int j = 0; j < n; j++) out[(size_t)i * n + j] = out[(size_t)j * n + i] = NAN;
    }
    free(mean);
    free(cen);
}

int zc_px_ce_seed(const zc_net *net, const int *labels, float *dlogits, char *err,
                  size_t errlen) {
    int n = net->vshape[net->output].n;
    int c = (int)(zc_net_value_numel(net, net->output) / n);
    const float *z = net->val[net->output];
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= c) {
            snprintf(err, errlen, "label %d of sample %d is outside [0, %d)", labels[i], i, c);
            return -1;
        }
        double mx = -INFINITY, s = 0;
        for (int k = 0; k < c; k++) mx = fmax(mx, z[i * c + k]);
        for (int k = 0; k < c; k++) s += exp(z[i * c + k] - mx);
        for (int k = 0; k < c; k++) {
            double p = exp(z[i * c + k] - mx) / s;
            dlogits[i * c + k] = (float)((p - (k == labels[i])) / n);
        }
    }
    return 0;
}

/* cpu_bn.c: training-mode batch normalisation (batch statistics) of the CPU
 * backend, forward and exact backward, NCHW float32. Per-channel statistics
 * accumulate in double (two passes: mean, then biased variance about the
 * mean); the elementwise passes use per-channel float coefficients so that
 * they vectorise. See cpu_kernels.h for the contracts. */
#include "kernels/cpu/cpu_kernels.h"

#include <math.h>

/* Sums over one contiguous segment, four double partial sums each so that
 * the loops vectorise (float -> double conversion, no reassociation). */
static double segment_sum(const float *restrict x, int n) {
    double acc[4] = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++) acc[j] += (double)x[i + j];
    double total = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (; i < n; i++) total += (double)x[i];
    return total;
}

static double segment_sq_dev(const float *restrict x, int n, double mean) {
    double acc[4] = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++) {
            double v = (double)x[i + j] - mean;
            acc[j] += v * v;
        }
    double total = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (; i < n; i++) {
        double v = (double)x[i] - mean;
        total += v * v;
    }
    return total;
}

/* sum dy (into *sum_dy) and sum dy (x - mean) (returned). */
static double segment_dy_dev(const float *restrict dy, const float *restrict x,
                             int n, double mean, double *sum_dy) {
    double acc[4] = {0, 0, 0, 0}, accd[4] = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++) {
            double g = (double)dy[i + j];
            accd[j] += g;
            acc[j] += g * ((double)x[i + j] - mean);
        }
    double total = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    double total_dy = (accd[0] + accd[2]) + (accd[1] + accd[3]);
    for (; i < n; i++) {
        double g = (double)dy[i];
        total_dy += g;
        total += g * ((double)x[i] - mean);
    }
    *sum_dy += total_dy;
    return total;
}

void zc_bn_train_forward(int n, int c, int hw, const float *x, const float *gamma,
                         const float *beta, float eps, float *y, float *save_mean,
                         float *save_invstd) {
    const double count = (double)n * (double)hw;
    for (int ci = 0; ci < c; ci++) {
        double sum = 0.0;
        for (int ni = 0; ni < n; ni++)
            sum += segment_sum(x + ((size_t)ni * c + ci) * hw, hw);
        const double mean = sum / count;
        double sq = 0.0;
        for (int ni = 0; ni < n; ni++)
            sq += segment_sq_dev(x + ((size_t)ni * c + ci) * hw, hw, mean);
        const double var = sq / count;
        const double invstd = 1.0 / sqrt(var + (double)eps);
        save_mean[ci] = (float)mean;
        save_invstd[ci] = (float)invstd;
        /* y = scale * x + shift */
        const float scale = (float)((double)gamma[ci] * invstd);
        const float shift = (float)((double)beta[ci] - (double)gamma[ci] * invstd * mean);
        for (int ni = 0; ni < n; ni++) {
            const float *restrict xs = x + ((size_t)ni * c + ci) * hw;
            float *restrict ys = y + ((size_t)ni * c + ci) * hw;
            for (int i = 0; i < hw; i++) ys[i] = scale * xs[i] + shift;
        }
    }
}

void zc_bn_train_backward(int n, int c, int hw, const float *x, const float *dy,
                          const float *gamma, const float *save_mean,
                          const float *save_invstd, float *dx, float *dgamma,
                          float *dbeta) {
    const double count = (double)n * (double)hw;
    for (int ci = 0; ci < c; ci++) {
        const double mean = (double)save_mean[ci];
        const double invstd = (double)save_invstd[ci];
        double sum_dy = 0.0, sum_dy_dev = 0.0;
        for (int ni = 0; ni < n; ni++) {
            size_t off = ((size_t)ni * c + ci) * hw;
            sum_dy_dev += segment_dy_dev(dy + off, x + off, hw, mean, &sum_dy);
        }
        const double sum_dy_xhat = sum_dy_dev * invstd;
        if (dgamma) dgamma[ci] = (float)sum_dy_xhat;
        if (dbeta) dbeta[ci] = (float)sum_dy;
        /* dx = g*invstd/M * (M dy - sum_dy - xhat sum_dy_xhat)
         *    = a (dy - mean_dy) + b (x - mean) */
        const double g_inv = (double)gamma[ci] * invstd;
        const float a = (float)g_inv;
        const float b = (float)(-g_inv * invstd * sum_dy_xhat / count);
        const float mean_dy = (float)(sum_dy / count);
        const float mean_f = save_mean[ci];
        for (int ni = 0; ni < n; ni++) {
            size_t off = ((size_t)ni * c + ci) * hw;
            const float *restrict xs = x + off;
            const float *restrict gs = dy + off;
            float *restrict dxs = dx + off;
            for (int i = 0; i < hw; i++) dxs[i] = a * (gs[i] - mean_dy) + b * (xs[i] - mean_f);
        }
    }
}

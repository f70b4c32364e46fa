/* cpu_linear.c: fully connected layer (forward and backward) of the CPU
 * backend through CBLAS. See cpu_kernels.h for the contracts. */
#include "kernels/cpu/cpu_kernels.h"

#include <cblas.h>

void zc_linear_forward(int n, int in, int out, const float *x, const float *w,
                       const float *b, float *y) {
    float beta = 0.0f;
    if (b) {
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) y[(size_t)i * out + o] = b[o];
        beta = 1.0f;
    }
    /* y (n, out) = x (n, in) W^T (in, out) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w,
                in, beta, y, out);
}

void zc_linear_backward(int n, int in, int out, const float *x, const float *w,
                        const float *dy, float *dx, float *dw, float *db) {
    if (dx) /* dx (n, in) = dy (n, out) W (out, in) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy,
                    out, w, in, 0.0f, dx, in);
    if (dw) /* dw (out, in) = dy^T (out, n) x (n, in) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out,
                    x, in, 0.0f, dw, in);
    if (db) {
        for (int o = 0; o < out; o++) {
            double s = 0.0;
            for (int i = 0; i < n; i++) s += (double)dy[(size_t)i * out + o];
            db[o] = (float)s;
        }
    }
}

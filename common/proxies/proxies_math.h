/* proxies_math.h: numeric helpers the proxy families share (internal to
 * common/proxies; the public zc_slogdet and zc_sym_eigenvalues, defined in
 * proxies_math.c, are declared in proxies.h). */
#ifndef ZC_PROXIES_MATH_H
#define ZC_PROXIES_MATH_H

#include <stdint.h>

#include "kernels/net.h"

/* zc_proxy_is_weight_layer: 1 for conv and linear layers (the layers whose
 * weights per-layer proxies sum over), else 0. */
int zc_proxy_is_weight_layer(const zc_layer *L);

/* zc_proxy_dot: sum a[i] * b[i] of n floats, accumulated in double in index
 * order. */
double zc_proxy_dot(const float *a, const float *b, int64_t n);

/* zc_proxy_corrcoef: out (n x n doubles, row-major) = the correlation
 * matrix of rows rows[0..n) of x (row stride d floats), as numpy.corrcoef:
 * off-diagonal entries clamped to [-1, 1]; the row and column of a
 * constant row are NaN. */
void zc_proxy_corrcoef(const float *x, const int *rows, int n, int64_t d, double *out);

/* zc_px_ce_seed: d(mean cross-entropy)/d(logits) of the net's output after
 * a forward into dlogits. Returns 0, or -1 with err naming a label outside
 * [0, outputs). */
int zc_px_ce_seed(const zc_net *net, const int *labels, float *dlogits, char *err,
                  size_t errlen);

#endif

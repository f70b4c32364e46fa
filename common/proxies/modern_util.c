/* modern_util.c: helpers shared by the AZ-NAS, ZiCo, MeCo and SWAP proxies
 * (modern.h): symmetric eigenvalues by LAPACK, saving and restoring the
 * parameters a proxy re-draws, the cross-entropy gradient of the logits,
 * independent generators per proxy. */
#include "common/proxies/modern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* LAPACK (OpenBLAS exports it): eigenvalues of a symmetric matrix,
 * divide and conquer. The trailing lengths are gfortran's hidden string
 * lengths of jobz and uplo. */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
                    const int *lda, double *w, double *work, const int *lwork, int *iwork,
                    const int *liwork, int *info, size_t jobz_len, size_t uplo_len);

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void zc_px_eigvalsh(double *a, int n, double *w) {
    if (n <= 0) return;
    for (int i = 0; i < n * n; i++)
        if (isnan(a[i])) {
            for (int k = 0; k < n; k++) w[k] = NAN;
            return;
        }
    int lwork = -1, liwork = -1, info = 0, iwork_query = 0;
    double work_query = 0;
    /* the matrix is symmetric, so row- vs column-major does not matter */
    dsyevd_("N", "U", &n, a, &n, w, &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
    lwork = info == 0 ? (int)work_query + 1 : 2 * n + 1;
    liwork = info == 0 ? iwork_query + 1 : 1;
    double *copy = zc_malloc(sizeof(double) * (size_t)n * n);
    memcpy(copy, a, sizeof(double) * (size_t)n * n);
    double *work = zc_malloc(sizeof(double) * (size_t)lwork);
    int *iwork = zc_malloc(sizeof(int) * (size_t)liwork);
    dsyevd_("N", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    if (info != 0) { /* fall back to Jacobi rotations on the untouched copy */
        zc_sym_eigenvalues(copy, n, w);
        qsort(w, (size_t)n, sizeof(double), cmp_double);
    }
    free(copy);
    free(work);
    free(iwork);
}

float **zc_px_save_params(const zc_net *net) {
    float **saved = zc_malloc(sizeof(float *) * (size_t)(net->n_params + 1));
    for (int p = 0; p < net->n_params; p++) {
        size_t bytes = sizeof(float) * (size_t)net->params[p].numel;
        saved[p] = zc_malloc(bytes);
        memcpy(saved[p], net->params[p].data, bytes);
    }
    return saved;
}

void zc_px_restore_params(zc_net *net, float **saved) {
    for (int p = 0; p < net->n_params; p++) {
        memcpy(net->params[p].data, saved[p], sizeof(float) * (size_t)net->params[p].numel);
        free(saved[p]);
    }
    free(saved);
}

zc_rng zc_px_derive_rng(const zc_rng *base, uint64_t k) {
    zc_rng copy = *base, out;
    uint64_t s = zc_rng_u64(&copy) ^ (0x9E3779B97F4A7C15ull * (k + 1));
    zc_rng_seed(&out, s);
    return out;
}

int zc_px_layer_producing(const zc_net *net, int v) {
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].out == v) return l;
    return -1;
}

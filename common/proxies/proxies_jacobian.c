/* proxies_jacobian.c: jacov and epe_nas (proxies_jacobian.h) on the
 * input Jacobian of the sum of the logits. */
#include "common/proxies/proxies_jacobian.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/proxies/proxies.h"
#include "common/proxies/proxies_math.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

const float *zc_proxy_input_jacobian(zc_net *net) {
    zc_net_backward_seeded(net, NULL); /* d(sum of logits)/d input */
    float *jac = net->grad[0];
    if (!net->grad_set[0]) memset(jac, 0, sizeof(float) * (size_t)zc_net_value_numel(net, 0));
    return jac;
}

double zc_proxy_jacov(const float *jac, int n, int64_t d) {
    int *rows = zc_malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) rows[i] = i;
    double *C = zc_malloc(sizeof(double) * (size_t)n * n);
    double *ev = zc_malloc(sizeof(double) * (size_t)n);
    zc_proxy_corrcoef(jac, rows, n, d, C);
    zc_sym_eigenvalues(C, n, ev);
    double s = 0;
    for (int i = 0; i < n; i++) s += log(ev[i] + 1e-5) + 1.0 / (ev[i] + 1e-5);
    free(rows);
    free(C);
    free(ev);
    return -s;
}

double zc_proxy_epe_nas(const float *jac, const int *labels, int n, int64_t d, int n_classes) {
    const double k = 1e-5;
    int *seen = zc_calloc((size_t)n, sizeof(int));
    int *rows = zc_malloc(sizeof(int) * (size_t)n);
    double *sc = zc_malloc(sizeof(double) * (size_t)n);
    int n_seen = 0;
    double *corr = zc_malloc(sizeof(double) * (size_t)n * n);
    for (int i = 0; i < n; i++) {
        if (seen[i]) continue;
        int m = 0;
        for (int j = i; j < n; j++)
            if (labels[j] == labels[i]) {
                seen[j] = 1;
                rows[m++] = j;
            }
        double s;
        if (m == 1) {
            /* numpy: corrcoef of one vector is 1.0 (0-d); len() of it raises,
             * so the class is skipped when the score divides by len */
            if (n_classes > 100) continue;
            s = log(1.0 + k);
        } else {
            zc_proxy_corrcoef(jac, rows, m, d, corr);
            s = 0;
            for (int a = 0; a < m * m; a++) s += log(fabs(corr[a]) + k);
            if (n_classes > 100) s /= m;
        }
        sc[n_seen++] = s;
    }
    double score = 0;
    if (n_classes <= 100) {
        for (int c = 0; c < n_seen; c++) score += fabs(sc[c]);
    } else {
        for (int c = 0; c < n_seen; c++)
            for (int c2 = 0; c2 < n_seen; c2++) score += fabs(sc[c] - sc[c2]);
        if (n_seen > 0) score /= n_seen;
    }
    free(seen);
    free(rows);
    free(sc);
    free(corr);
    return score;
}

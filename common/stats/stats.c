/* stats.c: lifetime helpers of zc_arch_stats (see stats.h). */
#include "common/stats/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void zc_arch_stats_free(zc_arch_stats *a) {
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) free(a->layers[l].t[t].data);
    free(a->layers);
    free(a->values);
    free(a->arch_str);
    memset(a, 0, sizeof *a);
}

int64_t zc_arch_stats_bytes(const zc_arch_stats *a) {
    int64_t b = 0;
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++)
            if (a->layers[l].t[t].data)
                b += (int64_t)sizeof(float) * zc_tensor_numel(&a->layers[l].t[t]);
    return b + (int64_t)sizeof(double) * a->n_values;
}

int zc_arch_stats_check_finite(const zc_arch_stats *a, char *err, size_t errlen) {
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            const zc_tensor *x = &a->layers[l].t[t];
            if (!x->data) continue;
            int64_t n = zc_tensor_numel(x);
            for (int64_t i = 0; i < n; i++)
                if (!isfinite(x->data[i])) {
                    snprintf(err, errlen, "architecture %d, layer %d (%s), %s[%lld] = %g",
                             a->arch_index, l, a->layers[l].name, zc_terminal_name(t),
                             (long long)i, (double)x->data[i]);
                    return -1;
                }
        }
    return 0;
}

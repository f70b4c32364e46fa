/* meco.c: MeCo (Jiang et al., NeurIPS 2023; code HamsterMimi/MeCo,
 * correlation/NAS_Bench_201.py): one image through the network (batch 1,
 * training-mode BN), and for the output f (c x h*w) of every layer
 *
 *   meco = sum_layers lambda_min( P(f) )
 *
 * P the c x c Pearson correlation of the channels over the h*w positions,
 * NaN entries (a constant channel, or a single position) set to 0, as the
 * authors do. MeCo_opt (the authors' 'meco_opt'): P over 8 channels drawn
 * without replacement per layer (all of them when c < 8), times c / 8. */
#include "common/proxies/modern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

/* channel_correlation: the m x m Pearson correlation of channels
 * chan[0..m) of x (c x p floats, one sample) into out, NaN -> 0. */
static void channel_correlation(const float *x, int64_t p, const int *chan, int m, double *out) {
    double *cen = zc_malloc(sizeof(double) * (size_t)(m * p));
    double *var = zc_malloc(sizeof(double) * (size_t)m);
    for (int a = 0; a < m; a++) {
        const float *row = x + (int64_t)chan[a] * p;
        double mean = 0;
        for (int64_t k = 0; k < p; k++) mean += row[k];
        mean /= (double)p;
        double v = 0;
        for (int64_t k = 0; k < p; k++) {
            cen[a * p + k] = row[k] - mean;
            v += cen[a * p + k] * cen[a * p + k];
        }
        var[a] = v;
    }
    for (int a = 0; a < m; a++)
        for (int b = a; b < m; b++) {
            double s = 0;
            for (int64_t k = 0; k < p; k++) s += cen[a * p + k] * cen[b * p + k];
            double r = s / sqrt(var[a] * var[b]);
            if (!isfinite(r)) r = 0; /* zero variance: NaN in torch.corrcoef */
            if (r > 1) r = 1;        /* torch.corrcoef clips to [-1, 1] */
            if (r < -1) r = -1;
            out[(size_t)a * m + b] = out[(size_t)b * m + a] = r;
        }
    free(cen);
    free(var);
}

void zc_meco_sample_channels(zc_rng *rng, int c, int *chan, int *m) {
    for (int k = 0; k < c; k++) chan[k] = k;
    *m = c;
    if (c <= 8) return;
    *m = 8;
    for (int k = 0; k < 8; k++) {
        int j = k + (int)zc_rng_below(rng, (uint64_t)(c - k));
        int t = chan[k];
        chan[k] = chan[j];
        chan[j] = t;
    }
}

/* layer_score: lambda_min of the (sampled) channel correlation of value v
 * (batch 1), times c / m when m channels of c are sampled. */
static double layer_score(const zc_net *net, int v, zc_rng *rng) {
    const zc_vshape *s = &net->vshape[v];
    int c = s->c, m = c;
    int64_t p = (int64_t)s->h * s->w;
    int *chan = zc_malloc(sizeof(int) * (size_t)c);
    if (rng) zc_meco_sample_channels(rng, c, chan, &m);
    else
        for (int k = 0; k < c; k++) chan[k] = k;
    double *corr = zc_malloc(sizeof(double) * (size_t)m * m), *ev = zc_malloc(sizeof(double) * m);
    channel_correlation(net->val[v], p, chan, m, corr);
    zc_px_eigvalsh(corr, m, ev);
    double score = ev[0] * (rng ? (double)c / m : 1.0);
    free(chan);
    free(corr);
    free(ev);
    return score;
}

double zc_meco(zc_net *net1, const float *x, zc_rng *rng) {
    zc_net_forward(net1, x);
    double sum = 0;
    for (int l = 0; l < net1->n_layers; l++) {
        double s = layer_score(net1, net1->layers[l].out, rng);
        if (isfinite(s)) sum += s; /* the authors drop NaN and inf terms */
    }
    return sum;
}

/* synflow.c: synflow and T-CET's synflow form (proxies.h) on the float64
 * executor (kernels/cpu/net_exec64.h): parameters replaced by their
 * absolute values, batch norm removed, one all-ones input, R = the sum of
 * the logits; each conv/linear layer's sum |W| * dR/dW is accumulated as a
 * logarithm, so deep networks whose synflow exceeds 1e308 stay finite. */
#include <math.h>
#include <stdlib.h>

#include "common/proxies/proxies.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec64.h"

/* log_snr: log(sum(s) / std(s)) of the nonnegative saliencies s (unbiased
 * std; the sum when std = 0). Scale invariant, so mantissas suffice. */
static double log_snr(const double *s, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += s[i];
    if (sum == 0) return 0; /* no saliency at all: the layer adds nothing */
    double mean = sum / (double)n, ss = 0;
    for (int64_t i = 0; i < n; i++) ss += (s[i] - mean) * (s[i] - mean);
    double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
    double snr = sd > 0 ? sum / sd : sum;
    return log(snr);
}

/* The sums the backward pass accumulates, layer by layer. */
typedef struct {
    const double *lnwot; /* per layer, for T-CET; NULL: T-CET not computed */
    double log_total;    /* log of synflow's sum so far                    */
    double tcet_sum;
    int tcet_bad;        /* a layer's T-CET term was not finite            */
} synflow_sums;

/* add_layer: one layer's saliencies |W| * dR/dW (into g->dw) added to the
 * log of the total and, with lnwot, its T-CET term lnwot * log(SNR). */
static void add_layer(void *ctx, zc_net64_weight_grad *g) {
    synflow_sums *acc = ctx;
    double sum = 0;
    for (int64_t i = 0; i < g->numel; i++) {
        g->dw[i] *= g->w[i];
        sum += g->dw[i];
    }
    if (sum > 0) {
        double ls = log(sum) + g->log_s_in + g->log_s_dout;
        double hi = fmax(acc->log_total, ls);
        acc->log_total = hi + log(exp(acc->log_total - hi) + exp(ls - hi));
    }
    if (acc->lnwot) {
        double lnwot = acc->lnwot[g->layer];
        double t = lnwot * log_snr(g->dw, g->numel);
        if (lnwot != 0) {
            if (isfinite(t)) acc->tcet_sum += t;
            else acc->tcet_bad = 1;
        }
    }
}

double zc_proxy_synflow(const zc_net *net, const double *lnwot, double *tcet) {
    zc_net64 *e = zc_net64_new(net);
    for (int p = 0; p < net->n_params; p++)
        for (int64_t i = 0; i < net->params[p].numel; i++) e->param[p][i] = fabs(e->param[p][i]);
    const zc_vshape *s = &net->vshape[0];
    int64_t n_in = (int64_t)s->c * s->h * s->w;
    double *ones = zc_malloc(sizeof(double) * (size_t)n_in);
    for (int64_t i = 0; i < n_in; i++) ones[i] = 1.0;
    zc_net64_forward(e, ones, 0);
    free(ones);

    synflow_sums acc = {.lnwot = tcet ? lnwot : NULL, .log_total = -INFINITY};
    zc_net64_backward(e, add_layer, &acc);
    if (tcet) *tcet = acc.tcet_bad ? NAN : acc.tcet_sum;
    zc_net64_free(e);
    return acc.log_total;
}

/* modern.c: zc_modern_proxies_compute, the one entry point zc_proxies_compute
 * calls for the proxies of 2023-2024 (modern.h): which inputs, parameters
 * and generator each proxy gets. Generators: one base per architecture
 * (zc_proxy_inputs.modern_rng), from which AZ-NAS's weights (1) and signs
 * (4), SWAP (2) and MeCo_opt (3) derive their own, so a proxy's value does
 * not depend on which other proxies are requested (nor AZ-NAS's block
 * scores on the number of classes). */
#include "common/proxies/modern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/nets/net_rebatch.h"
#include "common/proxies/proxies_size.h"
#include "common/util/util.h"

#define WANT(id) (mask & (1u << (id)))

/* az_nas_components: the AZ-NAS authors' initialisation drawn over the
 * net's parameters (restored after), Rademacher signs, the three scores. */
static void az_nas_components(zc_net *net, const zc_proxy_inputs *in, double *out) {
    zc_rng init_rng = zc_px_derive_rng(in->modern_rng, 1);
    zc_rng sign_rng = zc_px_derive_rng(in->modern_rng, 4);
    float **saved = zc_px_save_params(net);
    zc_az_init(net, &init_rng);
    float **signs = zc_az_signs(net, &sign_rng);
    zc_az_components c;
    zc_az_components_of(net, in->gauss_x, signs, &c);
    zc_az_signs_free(net, signs);
    zc_px_restore_params(net, saved);
    out[ZC_PX_AZ_EXPRESSIVITY] = c.expressivity;
    out[ZC_PX_AZ_PROGRESSIVITY] = c.progressivity;
    out[ZC_PX_AZ_TRAINABILITY] = c.trainability;
}

/* first_samples: a copy of net (parameters included) for `n` samples; fed
 * the minibatch x, it reads x's first n samples. NULL with err when the
 * network cannot be rebuilt. */
static zc_net *first_samples(const zc_net *net, int n, char *err, size_t errlen) {
    zc_net *small = zc_net_rebatch(net, n);
    if (!small) snprintf(err, errlen, "cannot rebuild the network at batch %d", n);
    return small;
}

static int meco_scores(const zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                       double *out, char *err, size_t errlen) {
    zc_net *one = first_samples(net, 1, err, errlen);
    if (!one) return -1;
    if (WANT(ZC_PX_MECO)) out[ZC_PX_MECO] = zc_meco(one, in->x, NULL);
    if (WANT(ZC_PX_MECO_OPT)) {
        if (!in->modern_rng) out[ZC_PX_MECO_OPT] = NAN;
        else {
            zc_rng rng = zc_px_derive_rng(in->modern_rng, 3);
            out[ZC_PX_MECO_OPT] = zc_meco(one, in->x, &rng);
        }
    }
    zc_net_free(one);
    return 0;
}

static int swap_scores(const zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                       double *out, char *err, size_t errlen) {
    if (!in->modern_rng) {
        out[ZC_PX_SWAP] = out[ZC_PX_SWAP_REG] = NAN;
        return 0;
    }
    int n = ZC_MIN(net->batch, (int)ZC_SWAP_SAMPLES);
    zc_net *small = n == net->batch ? NULL : first_samples(net, n, err, errlen);
    if (n != net->batch && !small) return -1;
    zc_rng rng = zc_px_derive_rng(in->modern_rng, 2);
    zc_net *target = small ? small : (zc_net *)net;
    double swap = zc_swap(target, in->x, ZC_SWAP_REPEATS, &rng);
    if (WANT(ZC_PX_SWAP)) out[ZC_PX_SWAP] = swap;
    if (WANT(ZC_PX_SWAP_REG))
        out[ZC_PX_SWAP_REG] = zc_swap_regularised(swap, zc_net_param_count(net));
    zc_net_free(small);
    return 0;
}

int zc_modern_proxies_compute(zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                              double *out, char *err, size_t errlen) {
    const zc_proxy_mask az = (1u << ZC_PX_AZ_EXPRESSIVITY) | (1u << ZC_PX_AZ_PROGRESSIVITY) |
                             (1u << ZC_PX_AZ_TRAINABILITY);
    if (mask & az) {
        if (in->gauss_x && in->modern_rng) az_nas_components(net, in, out);
        else
            out[ZC_PX_AZ_EXPRESSIVITY] = out[ZC_PX_AZ_PROGRESSIVITY] =
                out[ZC_PX_AZ_TRAINABILITY] = NAN;
    }
    if (WANT(ZC_PX_AZ_COMPLEXITY)) out[ZC_PX_AZ_COMPLEXITY] = zc_proxy_flops(net); /* AZ-NAS: conv + linear MACs */
    if (WANT(ZC_PX_AZ_NAS)) out[ZC_PX_AZ_NAS] = NAN; /* set-dependent: filled at output */
    if (WANT(ZC_PX_ZICO)) {
        if (!in->x2 || !in->labels2) out[ZC_PX_ZICO] = NAN;
        else {
            const float *const x[2] = {in->x, in->x2};
            const int *const labels[2] = {in->labels, in->labels2};
            if (zc_zico(net, x, labels, &out[ZC_PX_ZICO], err, errlen) != 0) return -1;
        }
    }
    if ((WANT(ZC_PX_MECO) || WANT(ZC_PX_MECO_OPT)) &&
        meco_scores(net, in, mask, out, err, errlen) != 0)
        return -1;
    if ((WANT(ZC_PX_SWAP) || WANT(ZC_PX_SWAP_REG)) &&
        swap_scores(net, in, mask, out, err, errlen) != 0)
        return -1;
    return 0;
}

/* zcpt.c: Zero-Cost-PT's discretisation and validation (see zcpt.h). */
#include "master/search/zcpt.h"

#include <math.h>
#include <stdio.h>

#include "common/proxies/proxies_forward.h"
#include "common/util/util.h"

/* score_state: the proxy of the network of state st on x. */
static int score_state(const zc_pt_supernet *sn, const zc_supernet_state *st, int standalone,
                       const float *x, double *score, char *err, size_t errlen) {
    zc_net *net = zc_nb201_supernet_build(&sn->shape, st, standalone, sn->seed, err, errlen);
    if (!net) return -1;
    *score = zc_proxy_forward(net, x, sn->proxy);
    zc_net_free(net);
    return 0;
}

int zc_pt_score_removals(const zc_pt_supernet *sn, const zc_supernet_state *st, int e,
                         const float *x, double scores[ZC_SUPERNET_OPS], char *err,
                         size_t errlen) {
    ZC_ASSERT(st->fixed[e] < 0);
    zc_supernet_state s = *st;
    for (int o = 0; o < ZC_SUPERNET_OPS; o++) {
        s.removed[e] = o;
        if (score_state(sn, &s, 0, x, &scores[o], err, errlen) != 0) return -1;
    }
    return 0;
}

int zc_pt_choose(const double scores[ZC_SUPERNET_OPS]) {
    int best = -1;
    for (int o = 0; o < ZC_SUPERNET_OPS; o++)
        if (!isnan(scores[o]) && (best < 0 || scores[o] < scores[best])) best = o;
    return best < 0 ? 0 : best;
}

int zc_pt_discretise(const zc_pt_supernet *sn, const int order[ZC_SUPERNET_EDGES],
                     const float *const x[ZC_SUPERNET_EDGES], int genes[ZC_SUPERNET_EDGES],
                     double scores[ZC_SUPERNET_EDGES][ZC_SUPERNET_OPS],
                     void (*step_done)(void *ctx), void *ctx, char *err, size_t errlen) {
    zc_supernet_state st;
    zc_supernet_state_init(&st);
    for (int s = 0; s < ZC_SUPERNET_EDGES; s++) {
        int e = order[s];
        if (zc_pt_score_removals(sn, &st, e, x[s], scores[s], err, errlen) != 0) return -1;
        st.fixed[e] = zc_pt_choose(scores[s]);
        if (step_done) step_done(ctx);
    }
    for (int e = 0; e < ZC_SUPERNET_EDGES; e++) genes[e] = st.fixed[e];
    return 0;
}

int zc_pt_validate(const zc_pt_supernet *sn, const int genes[ZC_SUPERNET_EDGES],
                   const float *const *x, int n, double *score, char *err, size_t errlen) {
    zc_supernet_state st;
    zc_supernet_state_init(&st);
    for (int e = 0; e < ZC_SUPERNET_EDGES; e++) st.fixed[e] = genes[e];
    zc_net *net = zc_nb201_supernet_build(&sn->shape, &st, 1, sn->seed, err, errlen);
    if (!net) return -1;
    double sum = 0;
    for (int v = 0; v < n; v++) sum += zc_proxy_forward(net, x[v], sn->proxy);
    zc_net_free(net);
    *score = sum;
    return 0;
}

/* zcpt.h: Zero-Cost-PT's perturbation-based discretisation (Xiang et al.,
 * AAAI 2023, arXiv 2106.06799; the authors' nasbench201/init_projection.py
 * pt_project and zerocostnas/post_validate.py) on the NAS-Bench-201
 * supernet of common/nets/space_nb201_supernet.h:
 *   for each edge, in the chosen order: score the supernet with each of
 *   the edge's 5 operations removed (weight 0) by a proxy on one minibatch,
 *   fix the edge to the operation whose removal scores lowest (hurts
 *   most; np.nanargmin), go on with the next edge;
 * and the validation of the cells found: the proxy of each stand-alone
 * network summed over V minibatches, the largest sum wins. The proxy is
 * one that reads the network's function alone (proxies_forward.h: nwot,
 * the authors' default "jacob" = their NASWOT kernel; jacov). The
 * driver around these (trials, batches, caches) is search_zcpt.c. */
#ifndef ZC_ZCPT_H
#define ZC_ZCPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/nets/space_nb201_supernet.h"

/* A supernet to score: its shape, the seed of its parameters, the proxy. */
typedef struct {
    zc_supernet_shape shape;
    uint64_t seed;
    int proxy; /* ZC_PX_NWOT or ZC_PX_JACOV */
} zc_pt_supernet;

/* zc_pt_score_removals: scores[o] = the proxy of the supernet in state st
 * with operation o removed from edge e (undecided in st) on minibatch x.
 * Returns 0, or -1 with err (the supernet does not fit its inputs). */
int zc_pt_score_removals(const zc_pt_supernet *sn, const zc_supernet_state *st, int e,
                         const float *x, double scores[ZC_SUPERNET_OPS], char *err,
                         size_t errlen);

/* zc_pt_choose: the operation whose removal scored lowest (NaN skipped,
 * first of equals; 0 when every score is NaN). */
int zc_pt_choose(const double scores[ZC_SUPERNET_OPS]);

/* zc_pt_discretise: one discretisation: edge order[s] decided at step s on
 * minibatch x[s]; genes[e] = the operation edge e is fixed to, scores[s]
 * the removal scores of step s. step_done (may be NULL) is called after
 * each supernet evaluation (progress). Returns 0, or -1 with err. */
int zc_pt_discretise(const zc_pt_supernet *sn, const int order[ZC_SUPERNET_EDGES],
                     const float *const x[ZC_SUPERNET_EDGES], int genes[ZC_SUPERNET_EDGES],
                     double scores[ZC_SUPERNET_EDGES][ZC_SUPERNET_OPS],
                     void (*step_done)(void *ctx), void *ctx, char *err, size_t errlen);

/* zc_pt_validate: *score = sum over v < n of the proxy of the stand-alone
 * network of genes (parameters from sn->seed) on minibatch x[v]. Returns
 * 0, or -1 with err. */
int zc_pt_validate(const zc_pt_supernet *sn, const int genes[ZC_SUPERNET_EDGES],
                   const float *const *x, int n, double *score, char *err, size_t errlen);

#endif

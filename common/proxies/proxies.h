/* proxies.h: the standard hand-crafted zero-cost proxies (NAS-Bench-Suite-
 * Zero's 13, T-CET in its snip and synflow forms, and the EZNAS-A program)
 * computed natively on a zc_net, with the definitions of the reference
 * implementations (NASLib naslib/predictors/utils/pruners/measures/<name>.py,
 * SamsungLabs zero-cost-nas foresight/pruners/measures/<name>.py). Per-layer
 * values are taken over convolution and linear layers (weights only).
 *
 *   grad_norm  sum_l ||dL/dW_l||_2, L = mean cross-entropy on the labels
 *   snip       sum |W * dL/dW|
 *   plain      sum W * dL/dW
 *   grasp      sum -W * (H g), g = dL/dW (conv/linear weights), H g the
 *              exact Hessian-vector product by the R-operator
 *              (kernels/cpu/net_hvp.h), as torch's double backward
 *   fisher     sum_l sum_k fan_in_l * 0.5 * mean_n (sum_hw a * dL/da)^2,
 *              a = the layer's output (NASLib broadcasts the per-channel
 *              value to the fan_in weights of the channel before summing)
 *   synflow    log( sum W * dR/dW ), every parameter replaced by its
 *              absolute value, BN removed, input all ones of batch 1,
 *              R = sum of the logits. Computed in float64 with a per-tensor
 *              log scale, so it never overflows (NASLib reports the log too)
 *   l2_norm    sum_l ||W_l||_2
 *   jacov      -sum_i log(v_i + 1e-5) + 1 / (v_i + 1e-5), v = eigenvalues of
 *              the correlation matrix of per-sample input gradients of the
 *              sum of the logits
 *   nwot       log|det K|, K = sum over ReLU layers of c c^T + (1-c)(1-c)^T,
 *              c = (ReLU input > 0) per sample (-inf when singular)
 *   epe_nas    per label class, s_c = sum log(|corrcoef(J_c)| + 1e-5) of the
 *              input Jacobian rows of that class; sum_c |s_c| when the
 *              network has <= 100 outputs, else the mean pairwise |s_c -
 *              s_c'| with s_c divided by the class count (singletons skipped)
 *   zen        Zen-score: weights N(0,1), BN gamma 1 beta 0, two Gaussian
 *              inputs x1 and x1 + 0.01 x2: log(mean_n sum |f(x1) - f(mix)|)
 *              (f = the input of global average pooling) + sum over BN of
 *              log sqrt(mean_c running_var) after the two train-mode
 *              passes (momentum 0.1 from 1, unbiased batch variance)
 *   params     parameters in millions
 *   flops      multiply-adds of conv and linear layers at batch 1, millions
 *   tcet_snip / tcet_synflow
 *              sum_l lnwot_l * log(SNR_l): lnwot_l = log|det K_l| of the
 *              layer OUTPUT signs (0 when singular), SNR_l = sum(s)/std(s)
 *              (unbiased; the sum if std = 0), s = |W * dL/dW| or
 *              |W * dR/dW|
 *   eznas_a    the EZNAS-A program (program.h "eznas-a") on the network's
 *              EZNAS statistics (needs the three statistics inputs)
 *
 * The proxies of 2023-2024 (common/proxies/modern.h, docs/proxies.md; CPU
 * path only):
 *   az_expressivity, az_progressivity, az_trainability, az_complexity
 *              AZ-NAS's four components per network (its own Kaiming
 *              fan-in weights, the Gaussian input, the block outputs the
 *              space declares)
 *   az_nas     sum of log(rank / n) of the four components over the set of
 *              networks scored together: SET-DEPENDENT, NaN per network,
 *              filled by zc_proxies_fill_set_dependent
 *   zico       ZiCo over two minibatches (needs x2, labels2)
 *   meco, meco_opt
 *              MeCo on the minibatch's first image (MeCo_opt: 8 sampled
 *              channels per layer)
 *   swap, swap_reg
 *              SWAP-Score on the first 16 images, 32 N(0,1) weight draws;
 *              swap_reg its regularised form
 *
 * Discovered by zcevo (docs/discovery.md; not in the groups, asked by name):
 *   zcevo_a    the program "zcevo-a" (named_programs.h) on the network's
 *              EZNAS statistics, as eznas_a
 *
 * Invalid values are NaN or +-inf, as the reference would produce them.
 *
 * This is the one public header of the proxies. They are computed by
 * families: proxies_size.c (params, flops, l2_norm), proxies_codes.c (nwot,
 * T-CET's layer codes), proxies_gradient.c (grad_norm, snip, plain, fisher,
 * tcet_snip, grasp), proxies_jacobian.c (jacov, epe_nas), synflow.c
 * (synflow, tcet_synflow, on the float64 executor kernels/cpu/net_exec64.h),
 * proxies_zen.c, proxies_program.c; proxies_compute.c runs them in order,
 * proxies_math.c holds the shared linear algebra, proxies_init.c the
 * initialisations and proxies.c the names.
 */
#ifndef ZC_PROXIES_H
#define ZC_PROXIES_H

#include <stddef.h>
#include <stdint.h>

#include "common/nets/net.h"
#include "common/util/rng.h"

typedef enum {
    ZC_PX_GRAD_NORM,
    ZC_PX_SNIP,
    ZC_PX_GRASP,
    ZC_PX_FISHER,
    ZC_PX_SYNFLOW,
    ZC_PX_PLAIN,
    ZC_PX_L2_NORM,
    ZC_PX_JACOV,
    ZC_PX_NWOT,
    ZC_PX_EPE_NAS,
    ZC_PX_ZEN,
    ZC_PX_PARAMS,
    ZC_PX_FLOPS,
    ZC_PX_TCET_SNIP,
    ZC_PX_TCET_SYNFLOW,
    ZC_PX_EZNAS_A,
    ZC_PX_AZ_EXPRESSIVITY,
    ZC_PX_AZ_PROGRESSIVITY,
    ZC_PX_AZ_TRAINABILITY,
    ZC_PX_AZ_COMPLEXITY,
    ZC_PX_AZ_NAS,
    ZC_PX_ZICO,
    ZC_PX_MECO,
    ZC_PX_MECO_OPT,
    ZC_PX_SWAP,
    ZC_PX_SWAP_REG,
    ZC_PX_ZCEVO_A,
    ZC_PX_COUNT
} zc_proxy_id;

typedef uint32_t zc_proxy_mask;
/* "all": the 16 proxies up to eznas_a (what "all" has always meant);
 * "modern": the proxies of 2023-2024 from az_expressivity on. */
#define ZC_ALL_PROXIES ((zc_proxy_mask)((1u << (ZC_PX_EZNAS_A + 1)) - 1))
#define ZC_MODERN_PROXIES \
    ((zc_proxy_mask)(((1u << (ZC_PX_SWAP_REG + 1)) - 1) & ~ZC_ALL_PROXIES))

/* zc_proxy_name: the command-line / CSV name of proxy id ("grad_norm"). */
const char *zc_proxy_name(int id);

/* zc_proxy_lookup: id of a proxy name, or -1. */
int zc_proxy_lookup(const char *name);

/* zc_proxy_parse_list: comma-separated names and the groups "all" and
 * "modern" into *mask; az_nas brings its four components with it (they are
 * what it is computed from). Returns 0, or -1 with the offending name
 * copied into bad (badlen bytes). */
int zc_proxy_parse_list(const char *list, zc_proxy_mask *mask, char *bad, size_t badlen);

/* The inputs of one network evaluation. */
typedef struct {
    const float *x;          /* batch*c*h*w data minibatch (value 0 shape) */
    const int *labels;       /* batch class labels in [0, outputs)          */
    const float *zen_x1;     /* batch-shaped N(0,1) inputs for zen; NULL:   */
    const float *zen_x2;     /*   zen is NaN                                 */
    zc_rng *zen_rng;         /* zen's N(0,1) weights; NULL: zen is NaN       */
    const float *const *stats_inputs; /* the 3 EZNAS inputs (task.h) for
                                         eznas_a; NULL: eznas_a is NaN      */
    const float *x2;         /* a second minibatch and its labels for zico; */
    const int *labels2;      /*   NULL: zico is NaN                          */
    const float *gauss_x;    /* batch-shaped N(0,1) input of AZ-NAS; NULL:  */
                             /*   its components are NaN                     */
    const zc_rng *modern_rng;/* base of AZ-NAS's, SWAP's and MeCo_opt's draws
                                (not advanced); NULL: those are NaN          */
} zc_proxy_inputs;

/* zc_proxies_compute: out[id] for every id in mask (others untouched) on
 * net, whose parameters are already drawn. The parameters are restored
 * afterwards (zen re-draws them temporarily). Uses the net's values and
 * gradients as scratch. Returns 0, or -1 with one line in err when the
 * inputs do not fit (label out of range, no output set). */
int zc_proxies_compute(zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                       double *out, char *err, size_t errlen);

/* zc_proxies_fill_set_dependent: the set-dependent proxies (az_nas) of
 * n_rows architectures scored together, from their per-architecture values
 * (values: n_rows x ZC_PX_COUNT, row-major), when in mask. */
void zc_proxies_fill_set_dependent(zc_proxy_mask mask, double *values, int n_rows);

/* zc_proxy_synflow: log(synflow) of net (see above); when tcet is non-NULL
 * also *tcet = the T-CET(synflow) score, which needs lnwot per layer:
 * lnwot[l] for every layer index l of a conv/linear layer (NULL: T-CET not
 * computed). Never overflows: values are float64 mantissas with a log scale
 * per tensor. Returns log(0) = -inf when every path is zero. */
double zc_proxy_synflow(const zc_net *net, const double *lnwot, double *tcet);

/* zc_proxy_zen_init: draw zen's weights from rng into net's parameters:
 * conv and linear weights N(0,1), linear biases 0, BN weight 1, bias 0
 * (in parameter creation order). */
void zc_proxy_zen_init(zc_net *net, zc_rng *rng);

/* zc_proxy_torch_init: PyTorch's default initialisation (what NASLib's
 * scores were computed with): conv and linear weights U(-b, b) with
 * b = 1/sqrt(fan_in), linear bias U(-b, b), BN weight 1 bias 0. */
void zc_proxy_torch_init(zc_net *net, zc_rng *rng);

/* zc_slogdet: log|det A| of the n x n matrix a (row-major, overwritten) by
 * LU with partial pivoting in double; -inf when singular. */
double zc_slogdet(double *a, int n);

/* zc_sym_eigenvalues: eigenvalues of the symmetric n x n matrix a
 * (overwritten) by cyclic Jacobi rotations, into ev (n doubles). NaN in a
 * gives NaN eigenvalues. */
void zc_sym_eigenvalues(double *a, int n, double *ev);

#endif

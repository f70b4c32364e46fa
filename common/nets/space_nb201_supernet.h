/* space_nb201_supernet.h: the NAS-Bench-201 supernet of Zero-Cost-PT
 * (Xiang et al., AAAI 2023; the authors' nasbench201/search_model_darts_
 * proj.py and search_cells.py), untrained and in eval mode as their
 * operation scoring runs it (op_score.py: model.eval()).
 *
 * The TinyNetwork body (stem Conv3x3+BN; N cells of C, 2C, 4C channels
 * separated by ResNet basic blocks; BN+ReLU; pooling; Linear) with search
 * cells: each of the 6 edges carries all 5 operations (none, skip_connect,
 * nor_conv_1x1, nor_conv_3x3, avg_pool_3x3), its output the weighted sum
 * sum_o w_o op_o(x). Every cell shares the edge weights:
 *   - an undecided edge: w_o = 1/5 (the authors' softmax of 1e-3 x N(0,1)
 *     draws, 0.2 to within 4e-4), except a removed operation: w_o = 0;
 *   - a fixed edge: w = 1 for its operation, 0 for the others.
 * An operation of weight 0 runs on a zeroed input (the authors'
 * block_input), so the ReLU of a conv operation still sees (zero) codes;
 * the other weight-0 operations contribute exact zeros and are left out.
 * With `standalone` every weight-0 operation is left out: a fully fixed
 * state then gives the stand-alone network of the cell (xautodl's
 * TinyNetwork), used for validation.
 *
 * Eval mode with untrained running statistics makes every BatchNorm the
 * scale 1/sqrt(1 + 1e-5) (no affine parameters in the cells, gamma 1 beta
 * 0 elsewhere): it is folded into the preceding convolution (the
 * lastact BN, before a ReLU, into the classifier's weight), and an
 * operation's weight into its convolution; skip and pooling weights other
 * than 1 are depthwise 1x1 convolutions ("<edge>.<op>.scale", weight w).
 * Parameters are drawn with PyTorch's default initialisation (conv and
 * linear weights, linear bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in))), each
 * from its own stream keyed by its name, so a parameter has the same
 * values in every state of the supernet built from one seed.
 *
 * Parameter names: stem.0.weight; cells.<i>.edges.<e>.<op>.weight (e the
 * edge in the cell string's order 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2; op 2
 * nor_conv_1x1, 3 nor_conv_3x3); cells.<i>.conv_a.weight, conv_b.weight,
 * downsample.weight; classifier.weight, classifier.bias. */
#ifndef ZC_SPACE_NB201_SUPERNET_H
#define ZC_SPACE_NB201_SUPERNET_H

#include <stddef.h>
#include <stdint.h>

#include "common/nets/net.h"

#define ZC_SUPERNET_EDGES 6
#define ZC_SUPERNET_OPS 5

typedef struct {
    int channels;        /* C: 16 in NAS-Bench-201                         */
    int cells_per_stage; /* N: 5                                           */
    int batch, image_hw, num_classes;
} zc_supernet_shape;

/* Which operation each edge is fixed to (-1: undecided) and which one is
 * removed from it (-1: none; only on undecided edges). */
typedef struct {
    int fixed[ZC_SUPERNET_EDGES];
    int removed[ZC_SUPERNET_EDGES];
} zc_supernet_state;

/* zc_supernet_state_init: every edge undecided, nothing removed. */
void zc_supernet_state_init(zc_supernet_state *st);

/* zc_nb201_supernet_build: the supernet of shape in state st, its
 * parameters drawn from seed (scaled as above). standalone: leave every
 * weight-0 operation out. Returns the network, or NULL with err when the
 * shape does not fit (inputs too small for two reductions). */
zc_net *zc_nb201_supernet_build(const zc_supernet_shape *shape, const zc_supernet_state *st,
                                int standalone, uint64_t seed, char *err, size_t errlen);

/* zc_supernet_draw_param: the unscaled values of the parameter called name
 * with fan_in inputs per output: n floats U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * from the stream (seed, ZC_STREAM_PARAM_INIT, hash of the name). */
void zc_supernet_draw_param(uint64_t seed, const char *name, int64_t fan_in, int64_t n,
                            float *out);

/* The scale eval-mode BatchNorm applies with untrained statistics. */
#define ZC_SUPERNET_BN_SCALE 0.9999950000374997 /* 1 / sqrt(1 + 1e-5) */

#endif

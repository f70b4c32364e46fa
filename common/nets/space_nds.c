/* space_nds.c: NDS design spaces (Radosavovic et al. 2019, "On Network
 * Design Spaces for Visual Recognition"; code facebookresearch/pycls,
 * data facebookresearch/nds), built by hand from a record's "net" object
 * (the architecture string is that object as compact JSON).
 *
 * AnyNet (ResNet_lr-wd, Vanilla_lr-wd, ResNeXt-A, ResNeXt-B; ImageNet):
 *   {"block_type", "ds", "ws", "ss", "bot_muls", "num_gs"}; entry 0 of
 *   ds/ws/ss describes the stem (depth 1, width ws[0], stride ss[0]),
 *   entries 1.. the stages (depth, width, stride of the first block,
 *   bottleneck multiplier, number of groups), as pycls AnyNet of the NDS
 *   release (num_gs = groups of the 3x3 conv, w_b = round(w * bot_mul)).
 *   Stems: ss[0] == 4: ResStemIN (Conv7x7 s2 + BN + ReLU + MaxPool3x3 s2);
 *   ss[0] == 8: three Conv3x3 s2 + BN + ReLU, widths ws[0]/2, ws[0], ws[0]
 *   (the ResNeXt files: inferred from their params and flops, which it
 *   matches exactly for every record; pycls has no such stem).
 *   Blocks: res_basic_block (x + [3x3 BN ReLU 3x3 BN], projection 1x1+BN
 *   when the shape changes, then ReLU), res_bottleneck_block (1x1, grouped
 *   3x3, 1x1), double_plain_block (= pycls vanilla_block: [3x3 BN ReLU] x2).
 *   Head: global average pooling + Linear. Module names follow pycls
 *   (s1.b1.f.a, s1.b1.proj, head.fc); the 8-stride stem is stem.a/b/c.
 *
 * Cell spaces (Amoeba, DARTS, DARTS_fix-w-d, DARTS_lr-wd, ENAS, NASNet,
 *   PNAS; ImageNet): {"genotype": {"normal", "normal_concat", "reduce",
 *   "reduce_concat"}, "width" C, "depth" L, "aux", "drop_prob"}: pycls
 *   NetworkImageNet (from DARTS): stem0 = Conv3x3 s2 (3->C/2)+BN+ReLU+
 *   Conv3x3 s2 (->C)+BN, stem1 = ReLU+Conv3x3 s2+BN; L cells, reductions
 *   (channels doubled, ops on the two cell inputs stride 2) at L/3 and 2L/3;
 *   cell: preprocess0 = FactorizedReduce after a reduction (the first cell
 *   too) else ReLU-Conv1x1-BN, preprocess1 = ReLU-Conv1x1-BN; node i = op(a)
 *   + op(b) for the genotype's pairs; output = concat of the listed states;
 *   GAP + Linear ("classifier.classifier"). Drop path and the auxiliary
 *   head are off (aux is ignored). Operations: none (zeros, subsampled at
 *   stride 2), skip_connect (identity, FactorizedReduce at stride 2),
 *   avg_pool_3x3 (padding not counted), max_pool_3x3/5x5/7x7, conv_1x1,
 *   conv_3x3 (ReLU-Conv-BN), sep_conv_3x3/5x5/7x7 (ReLU dw pw BN ReLU dw pw
 *   BN), dil_conv_3x3/5x5 (ReLU dw(dilation 2) pw BN), dil_sep_conv_3x3
 *   (sep_conv with dilation 2), conv_3x1_1x3 / conv_7x1_1x7 (ReLU
 *   Conv(1xk, stride (1,s)) Conv(kx1, stride (s,1)) BN; built as a stride-1
 *   1xk conv and a stride-s kx1 conv, which is the same function with the
 *   same gradients). FactorizedReduce = ReLU, two Conv1x1 s2 (the second on
 *   the input shifted by one pixel), concat, BN.
 *
 * Block outputs (zc_net_mark_feature): AnyNet: the stem's output (after
 * its max pool or last ReLU), then every block's; cell spaces: stem0's and
 * stem1's outputs, then every cell's (concat) output.
 *
 * RCB blocks: every conv whose input is a ReLU output and whose output
 * goes (directly, or through the second conv of a separable / 1xk-kx1 pair,
 * or as one half of a FactorizedReduce) into a BN (eznas.md section 1),
 * named after the module path of its first conv; wt and wt_grad are that
 * first conv's (depthwise for separable blocks; conv_1 of a
 * FactorizedReduce). AnyNet: the convs after f.a_relu / f.b_relu / a_relu,
 * and the first convs (f.a and proj, or a) of a block fed by the previous
 * block's ReLU or by a stem ReLU. Not: a stem's first conv, convs fed by
 * the max pool.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/nets/space.h"
#include "common/nets/space_builder.h"
#include "common/util/util.h"

zc_net *zc_nds_anynet_build(const char *arch_str, int batch, int num_classes, int image_hw,
                            char *err, size_t errlen);
zc_net *zc_nds_cell_build(const char *arch_str, int batch, int num_classes, int image_hw,
                          char *err, size_t errlen);


/* conv_bn: Conv(k, stride, pad k/2, groups) "<conv_name>" + BN
 * "<bn_name>"; when relu_layer >= 0 the pair is marked as an RCB with that
 * ReLU. */
static int conv_bn(zc_space_builder *b, int x, int c_out, int k, int stride, int groups,
                   const char *conv_name, const char *bn_name, int relu_layer, int stage,
                   int cell) {
    x = zc_space_checked(b, zc_net_conv(b->net, x, c_out, k, k, stride, k / 2, k / 2, 1, groups,
                               conv_name));
    int conv_layer = zc_net_last_layer(b->net);
    x = zc_space_checked(b, zc_net_bn(b->net, x, bn_name));
    if (b->ok && relu_layer >= 0)
        zc_net_mark_rcb(b->net, conv_name, relu_layer, conv_layer, conv_layer,
                        zc_net_last_layer(b->net), stage, cell);
    return x;
}

static int relu(zc_space_builder *b, int x, int *relu_layer) {
    x = zc_space_checked(b, zc_net_relu(b->net, x));
    *relu_layer = zc_net_last_layer(b->net);
    return x;
}

/* ---- AnyNet -------------------------------------------------------------- */

enum { BLOCK_BASIC, BLOCK_BOTTLENECK, BLOCK_PLAIN };
#define ANYNET_MAX_STAGES 8

typedef struct {
    int block_type;
    int n; /* entries, the stem included */
    int ds[ANYNET_MAX_STAGES], ws[ANYNET_MAX_STAGES], ss[ANYNET_MAX_STAGES];
    int gs[ANYNET_MAX_STAGES];
    double bms[ANYNET_MAX_STAGES];
} anynet_spec;

/* number_list: obj[key] as a list of at most max numbers into ints (which
 * must then be integral) and/or reals; its length into *n_out. Returns 0,
 * or -1 if absent, too long or not numeric. */
static int number_list(const cJSON *obj, const char *key, int max, int *n_out, int *ints,
                       double *reals) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsArray(list)) return -1;
    int n = cJSON_GetArraySize(list);
    if (n > max) return -1;
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        if (!cJSON_IsNumber(item)) return -1;
        if (ints) {
            if (item->valuedouble != floor(item->valuedouble)) return -1;
            ints[i] = item->valueint;
        }
        if (reals) reals[i] = item->valuedouble;
        i++;
    }
    *n_out = n;
    return 0;
}

static int parse_anynet(const cJSON *net, anynet_spec *s, char *why, size_t whylen) {
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(net, "block_type");
    if (!cJSON_IsString(bt)) {
        snprintf(why, whylen, "no 'block_type'");
        return -1;
    }
    if (strcmp(bt->valuestring, "res_basic_block") == 0) s->block_type = BLOCK_BASIC;
    else if (strcmp(bt->valuestring, "res_bottleneck_block") == 0) s->block_type = BLOCK_BOTTLENECK;
    else if (strcmp(bt->valuestring, "double_plain_block") == 0 ||
             strcmp(bt->valuestring, "vanilla_block") == 0)
        s->block_type = BLOCK_PLAIN;
    else {
        snprintf(why, whylen, "unknown block type '%.40s'", bt->valuestring);
        return -1;
    }
    int nd, nw, ns, nb = 0, ng = 0;
    if (number_list(net, "ds", ANYNET_MAX_STAGES, &nd, s->ds, NULL) != 0 ||
        number_list(net, "ws", ANYNET_MAX_STAGES, &nw, s->ws, NULL) != 0 ||
        number_list(net, "ss", ANYNET_MAX_STAGES, &ns, s->ss, NULL) != 0 || nd != nw ||
        nd != ns || nd < 2) {
        snprintf(why, whylen, "'ds', 'ws', 'ss' must be integer lists of equal length 2..%d",
                 ANYNET_MAX_STAGES);
        return -1;
    }
    s->n = nd;
    if (s->block_type == BLOCK_BOTTLENECK) {
        if (number_list(net, "bot_muls", ANYNET_MAX_STAGES, &nb, NULL, s->bms) != 0 ||
            number_list(net, "num_gs", ANYNET_MAX_STAGES, &ng, s->gs, NULL) != 0 || nb != nd ||
            ng != nd) {
            snprintf(why, whylen, "'bot_muls' and 'num_gs' must have one entry per stage");
            return -1;
        }
    } else {
        for (int i = 0; i < nd; i++) {
            s->bms[i] = 1.0;
            s->gs[i] = 1;
        }
    }
    for (int i = 0; i < nd; i++) {
        if (s->ds[i] < 1 || s->ws[i] < 1 || s->ss[i] < 1 || s->gs[i] < 1 || s->bms[i] <= 0) {
            snprintf(why, whylen, "entry %d has a non-positive depth/width/stride/group", i);
            return -1;
        }
        int wb = (int)lround(s->ws[i] * s->bms[i]);
        if (i > 0 && (wb < 1 || wb % s->gs[i] != 0)) {
            snprintf(why, whylen, "stage %d: bottleneck width %d not divisible by %d groups", i,
                     wb, s->gs[i]);
            return -1;
        }
    }
    if (s->ds[0] != 1 || (s->ss[0] != 4 && s->ss[0] != 8) || (s->ss[0] == 8 && s->ws[0] % 2)) {
        snprintf(why, whylen, "stem entry must have depth 1 and stride 4 or 8 (even width)");
        return -1;
    }
    return 0;
}

/* anynet_block: one block of stage `stage` (1-based), index j (1-based).
 * in_relu: ReLU layer producing x, or -1. Returns the block output (after
 * the final ReLU for residual blocks and the plain block's b_relu);
 * *out_relu receives that ReLU layer. */
static int anynet_block(zc_space_builder *b, const anynet_spec *s, int x, int w_in, int stage, int j,
                        int in_relu, int *out_relu) {
    int w = s->ws[stage], stride = j == 1 ? s->ss[stage] : 1;
    char p[32], n1[ZC_NAME_LEN], n2[ZC_NAME_LEN];
    snprintf(p, sizeof p, "s%d.b%d", stage, j);
    int r;
    if (s->block_type == BLOCK_PLAIN) {
        snprintf(n1, sizeof n1, "%s.a", p);
        snprintf(n2, sizeof n2, "%s.a_bn", p);
        int y = conv_bn(b, x, w, 3, stride, 1, n1, n2, in_relu, stage, j);
        y = relu(b, y, &r);
        snprintf(n1, sizeof n1, "%s.b", p);
        snprintf(n2, sizeof n2, "%s.b_bn", p);
        y = conv_bn(b, y, w, 3, 1, 1, n1, n2, r, stage, j);
        return relu(b, y, out_relu);
    }
    int shortcut = x;
    if (w_in != w || stride != 1) {
        snprintf(n1, sizeof n1, "%s.proj", p);
        snprintf(n2, sizeof n2, "%s.bn", p);
        shortcut = conv_bn(b, x, w, 1, stride, 1, n1, n2, in_relu, stage, j);
    }
    int y;
    if (s->block_type == BLOCK_BASIC) {
        snprintf(n1, sizeof n1, "%s.f.a", p);
        snprintf(n2, sizeof n2, "%s.f.a_bn", p);
        y = conv_bn(b, x, w, 3, stride, 1, n1, n2, in_relu, stage, j);
        y = relu(b, y, &r);
        snprintf(n1, sizeof n1, "%s.f.b", p);
        snprintf(n2, sizeof n2, "%s.f.b_bn", p);
        y = conv_bn(b, y, w, 3, 1, 1, n1, n2, r, stage, j);
    } else {
        int wb = (int)lround(w * s->bms[stage]);
        snprintf(n1, sizeof n1, "%s.f.a", p);
        snprintf(n2, sizeof n2, "%s.f.a_bn", p);
        y = conv_bn(b, x, wb, 1, 1, 1, n1, n2, in_relu, stage, j);
        y = relu(b, y, &r);
        snprintf(n1, sizeof n1, "%s.f.b", p);
        snprintf(n2, sizeof n2, "%s.f.b_bn", p);
        y = conv_bn(b, y, wb, 3, stride, s->gs[stage], n1, n2, r, stage, j);
        y = relu(b, y, &r);
        snprintf(n1, sizeof n1, "%s.f.c", p);
        snprintf(n2, sizeof n2, "%s.f.c_bn", p);
        y = conv_bn(b, y, w, 1, 1, 1, n1, n2, r, stage, j);
    }
    int parts[2] = {shortcut, y};
    y = zc_space_checked(b, zc_net_add(b->net, 2, parts));
    return relu(b, y, out_relu);
}

zc_net *zc_nds_anynet_build(const char *arch_str, int batch, int num_classes, int image_hw,
                            char *err, size_t errlen) {
    char why[200];
    anynet_spec s;
    cJSON *root = cJSON_Parse(arch_str);
    int rc = -1;
    if (!cJSON_IsObject(root)) snprintf(why, sizeof why, "not a JSON object");
    else rc = parse_anynet(root, &s, why, sizeof why);
    cJSON_Delete(root);
    if (rc != 0) {
        snprintf(err, errlen, "invalid NDS AnyNet architecture '%.300s': %s", arch_str, why);
        return NULL;
    }
    zc_space_builder b = {zc_net_new(batch, 3, image_hw, image_hw), 1};
    int x, r = -1, w0 = s.ws[0];
    if (s.ss[0] == 4) {
        x = conv_bn(&b, 0, w0, 7, 2, 1, "stem.conv", "stem.bn", -1, 0, 0);
        x = relu(&b, x, &r);
        x = zc_space_checked(&b, zc_net_maxpool(b.net, x, 3, 2, 1));
        r = -1; /* the first block reads the max pool */
    } else {
        x = conv_bn(&b, 0, w0 / 2, 3, 2, 1, "stem.a", "stem.a_bn", -1, 0, 0);
        x = relu(&b, x, &r);
        x = conv_bn(&b, x, w0, 3, 2, 1, "stem.b", "stem.b_bn", r, 0, 0);
        x = relu(&b, x, &r);
        x = conv_bn(&b, x, w0, 3, 2, 1, "stem.c", "stem.c_bn", r, 0, 0);
        x = relu(&b, x, &r);
    }
    if (b.ok) zc_net_mark_feature(b.net, x);
    int w_in = w0;
    for (int stage = 1; stage < s.n && b.ok; stage++)
        for (int j = 1; j <= s.ds[stage] && b.ok; j++) {
            x = anynet_block(&b, &s, x, w_in, stage, j, r, &r);
            w_in = s.ws[stage];
            if (b.ok) zc_net_mark_feature(b.net, x);
        }
    x = zc_space_checked(&b, zc_net_gap(b.net, x));
    x = zc_space_checked(&b, zc_net_linear(b.net, x, num_classes, "head.fc"));
    if (!b.ok) {
        zc_net_free(b.net);
        snprintf(err, errlen, "NDS AnyNet architecture '%.300s' does not fit %dx%d inputs",
                 arch_str, image_hw, image_hw);
        return NULL;
    }
    zc_net_set_output(b.net, x);
    return b.net;
}

/* ---- cell spaces ----------------------------------------------------------- */

enum {
    OP_NONE, OP_SKIP, OP_AVG3, OP_MAX3, OP_MAX5, OP_MAX7, OP_CONV1, OP_CONV3, OP_SEP3,
    OP_SEP5, OP_SEP7, OP_DIL3, OP_DIL5, OP_DILSEP3, OP_C31, OP_C71, NUM_CELL_OPS
};
static const char *const k_cell_ops[NUM_CELL_OPS] = {
    "none",         "skip_connect", "avg_pool_3x3", "max_pool_3x3",    "max_pool_5x5",
    "max_pool_7x7", "conv_1x1",     "conv_3x3",     "sep_conv_3x3",    "sep_conv_5x5",
    "sep_conv_7x7", "dil_conv_3x3", "dil_conv_5x5", "dil_sep_conv_3x3", "conv_3x1_1x3",
    "conv_7x1_1x7"};

#define CELL_MAX_OPS 16
#define CELL_MAX_STATES (2 + CELL_MAX_OPS / 2)

typedef struct {
    int n_ops;                     /* 2 per node */
    int op[CELL_MAX_OPS], input[CELL_MAX_OPS];
    int n_concat, concat[CELL_MAX_STATES];
} cell_genotype;

typedef struct {
    cell_genotype normal, reduce;
    int width, depth;
} cell_spec;

static int parse_cell_part(const cJSON *g, const char *ops_key, const char *concat_key,
                           cell_genotype *c, char *why, size_t whylen) {
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(g, ops_key);
    int n = cJSON_IsArray(ops) ? cJSON_GetArraySize(ops) : 0;
    if (n < 2 || n > CELL_MAX_OPS || n % 2) {
        snprintf(why, whylen, "'%s' must list 2..%d operations in pairs", ops_key, CELL_MAX_OPS);
        return -1;
    }
    c->n_ops = n;
    int i = 0;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, ops) {
        const cJSON *name = cJSON_GetArrayItem(pair, 0);
        const cJSON *in = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsString(name) ||
            !cJSON_IsNumber(in)) {
            snprintf(why, whylen, "'%s' entry %d is not [operation, input]", ops_key, i);
            return -1;
        }
        c->op[i] = -1;
        for (int o = 0; o < NUM_CELL_OPS; o++)
            if (strcmp(name->valuestring, k_cell_ops[o]) == 0) c->op[i] = o;
        if (c->op[i] < 0) {
            snprintf(why, whylen, "unknown operation '%.40s' in '%s'", name->valuestring,
                     ops_key);
            return -1;
        }
        c->input[i] = in->valueint;
        if (in->valueint < 0 || in->valueint >= 2 + i / 2) {
            snprintf(why, whylen, "'%s' entry %d reads state %d, which does not exist yet",
                     ops_key, i, in->valueint);
            return -1;
        }
        i++;
    }
    const cJSON *concat = cJSON_GetObjectItemCaseSensitive(g, concat_key);
    int nc = cJSON_IsArray(concat) ? cJSON_GetArraySize(concat) : 0;
    if (nc < 1 || nc > ZC_NET_MAX_IN || nc > 2 + n / 2) {
        snprintf(why, whylen, "'%s' must list 1..%d states", concat_key, ZC_NET_MAX_IN);
        return -1;
    }
    c->n_concat = nc;
    i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, concat) {
        if (!cJSON_IsNumber(item) || item->valueint < 0 || item->valueint >= 2 + n / 2) {
            snprintf(why, whylen, "'%s' entry %d is not a state of the cell", concat_key, i);
            return -1;
        }
        c->concat[i++] = item->valueint;
    }
    return 0;
}

static int parse_cell_spec(const cJSON *net, cell_spec *s, char *why, size_t whylen) {
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(net, "genotype");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(net, "width");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(net, "depth");
    if (!cJSON_IsObject(g) || !cJSON_IsNumber(w) || !cJSON_IsNumber(d)) {
        snprintf(why, whylen, "needs 'genotype' (object), 'width' and 'depth'");
        return -1;
    }
    s->width = w->valueint;
    s->depth = d->valueint;
    if (s->width < 2 || s->width % 2 || s->depth < 1 || s->depth > 1000) {
        snprintf(why, whylen, "width %d must be even and >= 2, depth %d in 1..1000", s->width,
                 s->depth);
        return -1;
    }
    if (parse_cell_part(g, "normal", "normal_concat", &s->normal, why, whylen) != 0) return -1;
    return parse_cell_part(g, "reduce", "reduce_concat", &s->reduce, why, whylen);
}

/* relu_conv_bn: ReLU, Conv(kh x kw, stride, pad, dilation, groups) named
 * "<p>.<conv_idx>", BN "<p>.<conv_idx+1>" (or after a second 1x1/kx1 conv);
 * marked as an RCB named after the conv. Used for the Sequential ops
 * (conv_1x1/conv_3x3: p = "<op>", idx 1; ReLUConvBN: p = "<op>.op", 1). */
static int relu_conv_bn(zc_space_builder *b, int x, int c_out, int k, int stride, const char *p,
                        int stage, int cell) {
    char conv_name[ZC_NAME_LEN], bn_name[ZC_NAME_LEN];
    snprintf(conv_name, sizeof conv_name, "%.80s.1", p);
    snprintf(bn_name, sizeof bn_name, "%.80s.2", p);
    int r;
    x = relu(b, x, &r);
    return conv_bn(b, x, c_out, k, stride, 1, conv_name, bn_name, r, stage, cell);
}

/* sep_pair: ReLU, dw Conv(k, stride, dilation) "<p>.<i0>", pw Conv1x1
 * "<p>.<i0+1>", BN "<p>.<i0+2>", marked as one RCB. */
static int sep_pair(zc_space_builder *b, int x, int c, int k, int stride, int dilation, const char *p,
                    int i0, int stage, int cell) {
    char dw[ZC_NAME_LEN], pw[ZC_NAME_LEN], bn[ZC_NAME_LEN];
    snprintf(dw, sizeof dw, "%.80s.%d", p, i0);
    snprintf(pw, sizeof pw, "%.80s.%d", p, i0 + 1);
    snprintf(bn, sizeof bn, "%.80s.%d", p, i0 + 2);
    int r;
    x = relu(b, x, &r);
    int pad = dilation * (k - 1) / 2;
    x = zc_space_checked(b, zc_net_conv(b->net, x, c, k, k, stride, pad, pad, dilation, c, dw));
    int first = zc_net_last_layer(b->net);
    x = zc_space_checked(b, zc_net_conv(b->net, x, c, 1, 1, 1, 0, 0, 1, 1, pw));
    int last = zc_net_last_layer(b->net);
    x = zc_space_checked(b, zc_net_bn(b->net, x, bn));
    if (b->ok) zc_net_mark_rcb(b->net, dw, r, first, last, zc_net_last_layer(b->net), stage, cell);
    return x;
}

/* factorized_reduce: ReLU, conv_1 (1x1 s2) on x, conv_2 (1x1 s2) on x
 * shifted by one pixel (pad right/bottom, crop left/top), concat, BN. */
static int factorized_reduce(zc_space_builder *b, int x, int c_out, const char *p, int stage, int cell) {
    char n1[ZC_NAME_LEN], n2[ZC_NAME_LEN], bn[ZC_NAME_LEN];
    snprintf(n1, sizeof n1, "%.80s.conv_1", p);
    snprintf(n2, sizeof n2, "%.80s.conv_2", p);
    snprintf(bn, sizeof bn, "%.80s.bn", p);
    int r;
    x = relu(b, x, &r);
    int parts[2];
    parts[0] = zc_space_checked(b, zc_net_conv(b->net, x, c_out / 2, 1, 1, 2, 0, 0, 1, 1, n1));
    int first = zc_net_last_layer(b->net);
    int shifted = zc_space_checked(b, zc_net_pad(b->net, x, -1, 1, -1, 1));
    parts[1] = zc_space_checked(b, zc_net_conv(b->net, shifted, c_out / 2, 1, 1, 2, 0, 0, 1, 1, n2));
    int last = zc_net_last_layer(b->net);
    int y = zc_space_checked(b, zc_net_concat(b->net, 2, parts));
    y = zc_space_checked(b, zc_net_bn(b->net, y, bn));
    if (b->ok) zc_net_mark_rcb(b->net, n1, r, first, last, zc_net_last_layer(b->net), stage, cell);
    return y;
}

static int cell_op(zc_space_builder *b, int op, int x, int c, int stride, const char *p, int stage,
                   int cell) {
    char sub[ZC_NAME_LEN];
    switch (op) {
    case OP_NONE:
        if (stride > 1) x = zc_space_checked(b, zc_net_avgpool(b->net, x, 1, stride, 0, 1));
        return zc_space_checked(b, zc_net_zero(b->net, x));
    case OP_SKIP:
        return stride == 1 ? x : factorized_reduce(b, x, c, p, stage, cell);
    case OP_AVG3:
        return zc_space_checked(b, zc_net_avgpool(b->net, x, 3, stride, 1, 0));
    case OP_MAX3:
        return zc_space_checked(b, zc_net_maxpool(b->net, x, 3, stride, 1));
    case OP_MAX5:
        return zc_space_checked(b, zc_net_maxpool(b->net, x, 5, stride, 2));
    case OP_MAX7:
        return zc_space_checked(b, zc_net_maxpool(b->net, x, 7, stride, 3));
    case OP_CONV1:
        return relu_conv_bn(b, x, c, 1, stride, p, stage, cell);
    case OP_CONV3:
        return relu_conv_bn(b, x, c, 3, stride, p, stage, cell);
    case OP_SEP3:
    case OP_SEP5:
    case OP_SEP7:
    case OP_DILSEP3: {
        int k = op == OP_SEP5 ? 5 : op == OP_SEP7 ? 7 : 3, dil = op == OP_DILSEP3 ? 2 : 1;
        snprintf(sub, sizeof sub, "%.80s.op", p);
        x = sep_pair(b, x, c, k, stride, dil, sub, 1, stage, cell);
        return sep_pair(b, x, c, k, 1, dil, sub, 5, stage, cell);
    }
    case OP_DIL3:
    case OP_DIL5:
        snprintf(sub, sizeof sub, "%.80s.op", p);
        return sep_pair(b, x, c, op == OP_DIL3 ? 3 : 5, stride, 2, sub, 1, stage, cell);
    case OP_C31:
    case OP_C71: {
        int k = op == OP_C31 ? 3 : 7;
        char c1[ZC_NAME_LEN], c2[ZC_NAME_LEN], bn[ZC_NAME_LEN];
        snprintf(c1, sizeof c1, "%.80s.1", p);
        snprintf(c2, sizeof c2, "%.80s.2", p);
        snprintf(bn, sizeof bn, "%.80s.3", p);
        int r;
        x = relu(b, x, &r);
        x = zc_space_checked(b, zc_net_conv(b->net, x, c, 1, k, 1, 0, k / 2, 1, 1, c1));
        int first = zc_net_last_layer(b->net);
        x = zc_space_checked(b, zc_net_conv(b->net, x, c, k, 1, stride, k / 2, 0, 1, 1, c2));
        int last = zc_net_last_layer(b->net);
        x = zc_space_checked(b, zc_net_bn(b->net, x, bn));
        if (b->ok)
            zc_net_mark_rcb(b->net, c1, r, first, last, zc_net_last_layer(b->net), stage, cell);
        return x;
    }
    }
    b->ok = 0;
    return 0;
}

/* nas_cell: one cell; returns the concat of its output states. */
static int nas_cell(zc_space_builder *b, const cell_genotype *g, int s0, int s1, int c, int reduction,
                    int reduction_prev, int index, int stage) {
    char p[ZC_NAME_LEN];
    snprintf(p, sizeof p, "cells.%d.preprocess0", index);
    if (reduction_prev) {
        s0 = factorized_reduce(b, s0, c, p, stage, index);
    } else {
        char q[ZC_NAME_LEN];
        snprintf(q, sizeof q, "%.80s.op", p);
        s0 = relu_conv_bn(b, s0, c, 1, 1, q, stage, index);
    }
    snprintf(p, sizeof p, "cells.%d.preprocess1.op", index);
    s1 = relu_conv_bn(b, s1, c, 1, 1, p, stage, index);
    int states[CELL_MAX_STATES] = {s0, s1};
    for (int i = 0; i < g->n_ops / 2 && b->ok; i++) {
        int h[2];
        for (int k = 0; k < 2; k++) {
            int j = 2 * i + k, in = g->input[j];
            snprintf(p, sizeof p, "cells.%d._ops.%d", index, j);
            h[k] = cell_op(b, g->op[j], states[in], c, reduction && in < 2 ? 2 : 1, p, stage,
                           index);
        }
        if (b->ok) states[2 + i] = zc_space_checked(b, zc_net_add(b->net, 2, h));
    }
    int parts[CELL_MAX_STATES];
    for (int i = 0; i < g->n_concat; i++) parts[i] = states[g->concat[i]];
    return b->ok ? zc_space_checked(b, zc_net_concat(b->net, g->n_concat, parts)) : 0;
}

zc_net *zc_nds_cell_build(const char *arch_str, int batch, int num_classes, int image_hw,
                          char *err, size_t errlen) {
    char why[200];
    cell_spec s;
    cJSON *root = cJSON_Parse(arch_str);
    int rc = -1;
    if (!cJSON_IsObject(root)) snprintf(why, sizeof why, "not a JSON object");
    else rc = parse_cell_spec(root, &s, why, sizeof why);
    cJSON_Delete(root);
    if (rc != 0) {
        snprintf(err, errlen, "invalid NDS cell architecture '%.300s': %s", arch_str, why);
        return NULL;
    }
    zc_space_builder b = {zc_net_new(batch, 3, image_hw, image_hw), 1};
    int C = s.width, r;
    int x = conv_bn(&b, 0, C / 2, 3, 2, 1, "stem0.0", "stem0.1", -1, 0, 0);
    x = relu(&b, x, &r);
    int s0 = conv_bn(&b, x, C, 3, 2, 1, "stem0.3", "stem0.4", r, 0, 0);
    x = relu(&b, s0, &r);
    int s1 = conv_bn(&b, x, C, 3, 2, 1, "stem1.1", "stem1.2", r, 0, 0);
    if (b.ok) {
        zc_net_mark_feature(b.net, s0);
        zc_net_mark_feature(b.net, s1);
    }
    int c_curr = C, reduction_prev = 1, stage = 0;
    for (int i = 0; i < s.depth && b.ok; i++) {
        int reduction = i == s.depth / 3 || i == 2 * s.depth / 3;
        if (reduction) {
            c_curr *= 2;
            stage++;
        }
        const cell_genotype *g = reduction ? &s.reduce : &s.normal;
        int out = nas_cell(&b, g, s0, s1, c_curr, reduction, reduction_prev, i, stage);
        s0 = s1;
        s1 = out;
        if (b.ok) zc_net_mark_feature(b.net, out);
        reduction_prev = reduction;
    }
    x = zc_space_checked(&b, zc_net_gap(b.net, s1));
    x = zc_space_checked(&b, zc_net_linear(b.net, x, num_classes, "classifier.classifier"));
    if (!b.ok) {
        zc_net_free(b.net);
        snprintf(err, errlen,
                 "NDS cell architecture '%.300s' has inconsistent shapes for %dx%d inputs",
                 arch_str, image_hw, image_hw);
        return NULL;
    }
    zc_net_set_output(b.net, x);
    return b.net;
}

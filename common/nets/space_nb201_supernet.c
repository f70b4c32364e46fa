/* space_nb201_supernet.c: the NAS-Bench-201 supernet of Zero-Cost-PT in
 * eval mode (see space_nb201_supernet.h): the search cells with weighted
 * operations, the ResNet reduction blocks, the folded BatchNorm scales and
 * the parameters drawn by name. */
#include "common/nets/space_nb201_supernet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nets/space_builder.h"
#include "common/util/util.h"

enum { OP_NONE, OP_SKIP, OP_CONV1, OP_CONV3, OP_AVGPOOL };

/* The edges' source nodes in the cell string's order. */
static const int k_edge_from[ZC_SUPERNET_EDGES] = {0, 0, 1, 0, 1, 2};
static const int k_edge_to[ZC_SUPERNET_EDGES] = {1, 2, 2, 3, 3, 3};

/* What the builder records per parameter (indexed by parameter id): drawn
 * and multiplied by factor, or the constant `constant` (scale layers). */
typedef struct {
    int drawn;
    double factor, constant;
} param_rule;

typedef struct {
    zc_space_builder b;
    const zc_supernet_state *st;
    int standalone;
    param_rule *rule;
    int cap_rule;
} supernet_builder;

void zc_supernet_state_init(zc_supernet_state *st) {
    for (int e = 0; e < ZC_SUPERNET_EDGES; e++) st->fixed[e] = st->removed[e] = -1;
}

/* set_rule: the rule of the parameter just added. */
static void set_rule(supernet_builder *sb, param_rule r) {
    int id = sb->b.net->n_params - 1;
    if (id >= sb->cap_rule) {
        sb->cap_rule = 2 * (id + 16);
        sb->rule = zc_realloc(sb->rule, sizeof(param_rule) * (size_t)sb->cap_rule);
    }
    sb->rule[id] = r;
}

/* conv: a convolution without bias whose drawn weight is multiplied by
 * factor (an eval-mode BN and an operation weight folded in). */
static int conv(supernet_builder *sb, int x, int c_out, int k, int stride, const char *name,
                double factor) {
    int y = zc_space_checked(&sb->b, zc_net_conv(sb->b.net, x, c_out, k, k, stride, k / 2, k / 2,
                                                 1, 1, name));
    if (sb->b.ok) set_rule(sb, (param_rule){1, factor, 0});
    return y;
}

/* scale: w * x as a depthwise 1x1 convolution of constant weight w. */
static int scale(supernet_builder *sb, int x, double w, const char *name) {
    int c = sb->b.net->vshape[x].c;
    int y = zc_space_checked(&sb->b, zc_net_conv(sb->b.net, x, c, 1, 1, 1, 0, 0, 1, c, name));
    if (sb->b.ok) set_rule(sb, (param_rule){0, 1, w});
    return y;
}

/* op_weight: w_o of edge e in the builder's state. */
static double op_weight(const zc_supernet_state *st, int e, int op) {
    if (st->fixed[e] >= 0) return op == st->fixed[e] ? 1.0 : 0.0;
    return op == st->removed[e] ? 0.0 : 1.0 / ZC_SUPERNET_OPS;
}

/* edge_op: operation op of an edge with weight w > 0 on x; returns its
 * weighted output. */
static int edge_op(supernet_builder *sb, int op, int x, double w, const char *name) {
    zc_net *net = sb->b.net;
    char sub[ZC_NAME_LEN];
    snprintf(sub, sizeof sub, "%.80s.%d", name, op);
    char sub_scale[ZC_NAME_LEN];
    snprintf(sub_scale, sizeof sub_scale, "%.80s.%d.scale", name, op);
    int c = net->vshape[x].c;
    switch (op) {
    case OP_SKIP:
        return w == 1.0 ? x : scale(sb, x, w, sub_scale);
    case OP_CONV1:
    case OP_CONV3: {
        int r = zc_space_checked(&sb->b, zc_net_relu(net, x));
        return conv(sb, r, c, op == OP_CONV1 ? 1 : 3, 1, sub, w * ZC_SUPERNET_BN_SCALE);
    }
    case OP_AVGPOOL: {
        int p = zc_space_checked(&sb->b, zc_net_avgpool(net, x, 3, 1, 1, 0));
        return w == 1.0 ? p : scale(sb, p, w, sub_scale);
    }
    }
    return -1; /* none: never built */
}

/* search_edge: the weighted sum of edge e's operations on x; -1 when every
 * operation contributes zeros. Weight-0 conv operations keep their ReLU on
 * a zeroed input unless standalone. */
static int search_edge(supernet_builder *sb, int e, int x, const char *cell_name) {
    zc_net *net = sb->b.net;
    char name[ZC_NAME_LEN];
    snprintf(name, sizeof name, "%.60s.edges.%d", cell_name, e);
    int parts[ZC_SUPERNET_OPS], n = 0, zero = -1;
    for (int op = OP_SKIP; op <= OP_AVGPOOL; op++) {
        double w = op_weight(sb->st, e, op);
        if (w > 0) {
            parts[n++] = edge_op(sb, op, x, w, name);
        } else if (!sb->standalone && (op == OP_CONV1 || op == OP_CONV3)) {
            if (zero < 0) zero = zc_space_checked(&sb->b, zc_net_zero(net, x));
            zc_space_checked(&sb->b, zc_net_relu(net, zero)); /* codes only */
        }
    }
    if (n == 0) return -1;
    return n == 1 ? parts[0] : zc_space_checked(&sb->b, zc_net_add(net, n, parts));
}

/* search_cell: node j = sum of its incoming edges (zeros when none
 * contributes); returns node 3. */
static int search_cell(supernet_builder *sb, int x, int index) {
    char cell_name[32];
    snprintf(cell_name, sizeof cell_name, "cells.%d", index);
    int nodes[4] = {x, -1, -1, -1};
    for (int to = 1; to <= 3; to++) {
        int parts[3], n = 0;
        for (int e = 0; e < ZC_SUPERNET_EDGES; e++)
            if (k_edge_to[e] == to) {
                int y = search_edge(sb, e, nodes[k_edge_from[e]], cell_name);
                if (y >= 0) parts[n++] = y;
            }
        if (n == 0) nodes[to] = zc_space_checked(&sb->b, zc_net_zero(sb->b.net, x));
        else nodes[to] = n == 1 ? parts[0] : zc_space_checked(&sb->b, zc_net_add(sb->b.net, n, parts));
    }
    return nodes[3];
}

/* resnet_block: xautodl's ResNetBasicblock (stride 2) in eval mode:
 * ReLU-Conv3x3/2-BN, ReLU-Conv3x3-BN, plus AvgPool2x2-Conv1x1. */
static int resnet_block(supernet_builder *sb, int x, int c_out, int index) {
    zc_net *net = sb->b.net;
    char name[ZC_NAME_LEN];
    snprintf(name, sizeof name, "cells.%d.conv_a", index);
    int a = zc_space_checked(&sb->b, zc_net_relu(net, x));
    a = conv(sb, a, c_out, 3, 2, name, ZC_SUPERNET_BN_SCALE);
    snprintf(name, sizeof name, "cells.%d.conv_b", index);
    int y = zc_space_checked(&sb->b, zc_net_relu(net, a));
    y = conv(sb, y, c_out, 3, 1, name, ZC_SUPERNET_BN_SCALE);
    int d = zc_space_checked(&sb->b, zc_net_avgpool(net, x, 2, 2, 0, 1));
    snprintf(name, sizeof name, "cells.%d.downsample", index);
    d = conv(sb, d, c_out, 1, 1, name, 1.0);
    int parts[2] = {d, y};
    return zc_space_checked(&sb->b, zc_net_add(net, 2, parts));
}

/* init_params: allocate and set every parameter by its rule. */
static void init_params(zc_net *net, const param_rule *rule, uint64_t seed) {
    for (int i = 0; i < net->n_params; i++) {
        zc_param *p = &net->params[i];
        p->data = zc_malloc(sizeof(float) * (size_t)p->numel);
        p->grad = zc_calloc((size_t)p->numel, sizeof(float));
        if (!rule[i].drawn) {
            for (int64_t j = 0; j < p->numel; j++) p->data[j] = (float)rule[i].constant;
            continue;
        }
        /* conv (k, c, kh, kw) and linear (out, in): fan_in = numel / rows;
         * the linear bias shares its weight's fan_in */
        int64_t fan_in = p->ndim > 1 ? p->numel / p->shape[0] : net->params[i - 1].shape[1];
        zc_supernet_draw_param(seed, p->name, fan_in, p->numel, p->data);
        for (int64_t j = 0; j < p->numel; j++) p->data[j] = (float)(p->data[j] * rule[i].factor);
    }
}

/* body: stem, the stages and the head; returns the logits value. */
static int body(supernet_builder *sb, const zc_supernet_shape *s) {
    zc_net *net = sb->b.net;
    int c = s->channels;
    int x = conv(sb, 0, c, 3, 1, "stem.0", ZC_SUPERNET_BN_SCALE);
    int index = 0;
    for (int stage = 0; stage < 3 && sb->b.ok; stage++) {
        if (stage > 0) x = resnet_block(sb, x, c <<= 1, index++);
        for (int i = 0; i < s->cells_per_stage && sb->b.ok; i++) x = search_cell(sb, x, index++);
    }
    x = zc_space_checked(&sb->b, zc_net_relu(net, x)); /* lastact: BN folded below */
    x = zc_space_checked(&sb->b, zc_net_gap(net, x));
    x = zc_space_checked(&sb->b, zc_net_linear(net, x, s->num_classes, "classifier"));
    if (sb->b.ok) { /* the lastact BN folded into the weight; the bias as drawn */
        set_rule(sb, (param_rule){1, 1.0, 0});
        sb->rule[net->n_params - 2] = (param_rule){1, ZC_SUPERNET_BN_SCALE, 0};
    }
    return x;
}

zc_net *zc_nb201_supernet_build(const zc_supernet_shape *shape, const zc_supernet_state *st,
                                int standalone, uint64_t seed, char *err, size_t errlen) {
    supernet_builder sb = {{zc_net_new(shape->batch, 3, shape->image_hw, shape->image_hw), 1},
                           st, standalone, NULL, 0};
    int logits = body(&sb, shape);
    if (!sb.b.ok) {
        zc_net_free(sb.b.net);
        free(sb.rule);
        zc_fail(err, errlen, "the NAS-Bench-201 supernet does not fit %dx%d inputs",
                shape->image_hw, shape->image_hw);
        return NULL;
    }
    zc_net_set_output(sb.b.net, logits);
    init_params(sb.b.net, sb.rule, seed);
    free(sb.rule);
    return sb.b.net;
}

void zc_supernet_draw_param(uint64_t seed, const char *name, int64_t fan_in, int64_t n,
                            float *out) {
    zc_rng rng = zc_rng_stream(seed, ZC_STREAM_PARAM_INIT, zc_hash64(name, strlen(name), 0));
    double bound = 1.0 / sqrt((double)fan_in);
    for (int64_t i = 0; i < n; i++) out[i] = (float)((2.0 * zc_rng_uniform(&rng) - 1.0) * bound);
}

/* space_nb201.c: NAS-Bench-201 (TinyNetwork) and NATS-Bench SSS
 * (DynamicShapeTinyNet) networks built by hand, with the module names of the
 * official xautodl code so parameters map onto its state_dict.
 *
 * TinyNetwork: stem Conv3x3(3->C)+BN; stages of N cells with C, 2C, 4C
 * channels separated by ResNet basic blocks (stride 2); lastact BN+ReLU;
 * global average pooling; linear classifier. A cell has 4 nodes; node i is
 * the sum of op(node j) over its edges j < i. Operations: none (x*0),
 * skip_connect (identity; a 1x1 conv + BN "FactorizedReduce" when the channel
 * count changes), nor_conv_1x1 / nor_conv_3x3 (ReLU-Conv-BN), avg_pool_3x3
 * (3x3 stride 1 pad 1, padding not counted; a ReLU-Conv1x1-BN preprocess
 * when the channel count changes).
 *
 * Block outputs (zc_net_mark_feature): the stem's BN output, then the
 * output of every cell and ResNet block (AZ-NAS's cell features).
 *
 * RCB blocks: every ReLU-Conv-BN module (cell convs, conv_a/conv_b of the
 * reduction blocks, pooling preprocess). Not: the stem, the downsample conv
 * (no BN), FactorizedReduce (no ReLU applied), lastact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nets/space.h"
#include "common/nets/space_builder.h"
#include "common/util/util.h"

enum { OP_NONE, OP_SKIP, OP_CONV1, OP_CONV3, OP_AVGPOOL, NUM_OPS };
static const char *const k_op_names[NUM_OPS] = {"none", "skip_connect", "nor_conv_1x1",
                                                "nor_conv_3x3", "avg_pool_3x3"};

/* A parsed cell: node i (1..3) has i edges; edge_op[i][j] is the op from
 * node j. */
typedef struct {
    int op[4][3];
} nb201_cell;

/* parse_cell: parse "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|". Each node must
 * list its inputs 0..i-1 in order, as the official strings do. */
static int parse_cell(const char *s, nb201_cell *cell, char *why, size_t whylen) {
    const char *p = s;
    for (int node = 1; node <= 3; node++) {
        if (node > 1) {
            if (*p != '+') {
                snprintf(why, whylen, "expected '+' before node %d", node);
                return -1;
            }
            p++;
        }
        if (*p != '|') {
            snprintf(why, whylen, "expected '|' at node %d", node);
            return -1;
        }
        p++;
        for (int j = 0; j < node; j++) {
            const char *tilde = strchr(p, '~');
            const char *bar = strchr(p, '|');
            if (!tilde || !bar || tilde > bar) {
                snprintf(why, whylen, "malformed edge %d of node %d", j, node);
                return -1;
            }
            int op = -1;
            for (int o = 0; o < NUM_OPS; o++)
                if ((size_t)(tilde - p) == strlen(k_op_names[o]) &&
                    strncmp(p, k_op_names[o], (size_t)(tilde - p)) == 0)
                    op = o;
            if (op < 0) {
                snprintf(why, whylen, "unknown operation '%.*s'", (int)(tilde - p), p);
                return -1;
            }
            char *end;
            long in = strtol(tilde + 1, &end, 10);
            if (end != bar || in != j) {
                snprintf(why, whylen, "node %d edge %d must read node %d", node, j, j);
                return -1;
            }
            cell->op[node][j] = op;
            p = bar + 1;
        }
    }
    if (*p) {
        snprintf(why, whylen, "trailing text '%s'", p);
        return -1;
    }
    return 0;
}


/* relu_conv_bn: ReLU -> Conv(k, stride, pad k/2) -> BN as module `name`
 * ("<name>.op.1" conv, "<name>.op.2" BN), marked as an RCB block. */
static int relu_conv_bn(zc_space_builder *b, int x, int c_out, int k, int stride, const char *name,
                        int stage, int cell) {
    char conv_name[ZC_NAME_LEN], bn_name[ZC_NAME_LEN];
    snprintf(conv_name, sizeof conv_name, "%s.op.1", name);
    snprintf(bn_name, sizeof bn_name, "%s.op.2", name);
    int r = zc_space_checked(b, zc_net_relu(b->net, x));
    int relu_layer = zc_net_last_layer(b->net);
    int c = zc_space_checked(b, zc_net_conv(b->net, r, c_out, k, k, stride, k / 2, k / 2, 1, 1,
                                   conv_name));
    int conv_layer = zc_net_last_layer(b->net);
    int y = zc_space_checked(b, zc_net_bn(b->net, c, bn_name));
    if (b->ok)
        zc_net_mark_rcb(b->net, name, relu_layer, conv_layer, conv_layer,
                        zc_net_last_layer(b->net), stage, cell);
    return y;
}

/* edge: apply one cell operation; returns the value of its output. */
static int edge(zc_space_builder *b, int op, int x, int c_in, int c_out, const char *name,
                int stage, int cell) {
    char sub[ZC_NAME_LEN];
    switch (op) {
    case OP_NONE:
        if (c_in != c_out) { /* zeros of another channel count: not in NB201 */
            b->ok = 0;
            return 0;
        }
        return zc_space_checked(b, zc_net_zero(b->net, x));
    case OP_SKIP:
        if (c_in == c_out) return x;
        snprintf(sub, sizeof sub, "%.80s.conv", name);
        x = zc_space_checked(b, zc_net_conv(b->net, x, c_out, 1, 1, 1, 0, 0, 1, 1, sub));
        snprintf(sub, sizeof sub, "%.80s.bn", name);
        return zc_space_checked(b, zc_net_bn(b->net, x, sub));
    case OP_CONV1:
        return relu_conv_bn(b, x, c_out, 1, 1, name, stage, cell);
    case OP_CONV3:
        return relu_conv_bn(b, x, c_out, 3, 1, name, stage, cell);
    case OP_AVGPOOL:
        if (c_in != c_out) {
            snprintf(sub, sizeof sub, "%.80s.preprocess", name);
            x = relu_conv_bn(b, x, c_out, 1, 1, sub, stage, cell);
        }
        return zc_space_checked(b, zc_net_avgpool(b->net, x, 3, 1, 1, 0));
    }
    b->ok = 0;
    return 0;
}

static int infer_cell(zc_space_builder *b, const nb201_cell *g, int x, int c_in, int c_out,
                      int index, int stage) {
    int nodes[4] = {x, 0, 0, 0};
    int layer = 0;
    for (int i = 1; i <= 3; i++) {
        int parts[3];
        for (int j = 0; j < i; j++) {
            char name[ZC_NAME_LEN];
            snprintf(name, sizeof name, "cells.%d.layers.%d", index, layer++);
            parts[j] = edge(b, g->op[i][j], nodes[j], j == 0 ? c_in : c_out, c_out, name,
                            stage, index);
        }
        nodes[i] = i == 1 ? parts[0] : zc_space_checked(b, zc_net_add(b->net, i, parts));
    }
    return nodes[3];
}

static int resnet_block(zc_space_builder *b, int x, int c_in, int c_out, int index, int stage) {
    char name[ZC_NAME_LEN];
    snprintf(name, sizeof name, "cells.%d.conv_a", index);
    int a = relu_conv_bn(b, x, c_out, 3, 2, name, stage, index);
    snprintf(name, sizeof name, "cells.%d.conv_b", index);
    int y = relu_conv_bn(b, a, c_out, 3, 1, name, stage, index);
    int d = zc_space_checked(b, zc_net_avgpool(b->net, x, 2, 2, 0, 1));
    snprintf(name, sizeof name, "cells.%d.downsample.1", index);
    d = zc_space_checked(b, zc_net_conv(b->net, d, c_out, 1, 1, 1, 0, 0, 1, 1, name));
    int parts[2] = {d, y};
    (void)c_in;
    return zc_space_checked(b, zc_net_add(b->net, 2, parts));
}

/* tiny_network: the shared body. channels[i] and reduction[i] per cell. */
static zc_net *tiny_network(const nb201_cell *g, int n_cells, const int *channels,
                            const int *reduction, int batch, int num_classes,
                            int image_hw) {
    zc_space_builder b = {zc_net_new(batch, 3, image_hw, image_hw), 1};
    int c_prev = channels[0];
    int x = zc_space_checked(&b, zc_net_conv(b.net, 0, c_prev, 3, 3, 1, 1, 1, 1, 1, "stem.0"));
    x = zc_space_checked(&b, zc_net_bn(b.net, x, "stem.1"));
    if (b.ok) zc_net_mark_feature(b.net, x);
    int stage = 0;
    for (int i = 0; i < n_cells && b.ok; i++) {
        if (reduction[i]) {
            stage++;
            x = resnet_block(&b, x, c_prev, channels[i], i, stage);
        } else {
            x = infer_cell(&b, g, x, c_prev, channels[i], i, stage);
        }
        if (b.ok) zc_net_mark_feature(b.net, x);
        c_prev = channels[i];
    }
    x = zc_space_checked(&b, zc_net_bn(b.net, x, "lastact.0"));
    x = zc_space_checked(&b, zc_net_relu(b.net, x));
    x = zc_space_checked(&b, zc_net_gap(b.net, x));
    x = zc_space_checked(&b, zc_net_linear(b.net, x, num_classes, "classifier"));
    if (!b.ok) {
        zc_net_free(b.net);
        return NULL;
    }
    zc_net_set_output(b.net, x);
    return b.net;
}

zc_net *zc_nb201_build(const char *arch_str, int batch, int num_classes, int image_hw,
                       char *err, size_t errlen) {
    nb201_cell g;
    char why[160];
    if (parse_cell(arch_str, &g, why, sizeof why) != 0) {
        snprintf(err, errlen, "invalid NAS-Bench-201 architecture '%s': %s", arch_str, why);
        return NULL;
    }
    enum { N = 5, CELLS = 3 * N + 2 };
    int channels[CELLS], reduction[CELLS];
    for (int i = 0; i < CELLS; i++) {
        int stage = i <= N ? (i == N ? 1 : 0) : (i <= 2 * N + 1 ? (i == 2 * N + 1 ? 2 : 1) : 2);
        channels[i] = 16 << stage;
        reduction[i] = (i == N || i == 2 * N + 1);
    }
    zc_net *net = tiny_network(&g, CELLS, channels, reduction, batch, num_classes, image_hw);
    if (!net)
        snprintf(err, errlen, "NAS-Bench-201 architecture '%s' does not fit %dx%d inputs",
                 arch_str, image_hw, image_hw);
    return net;
}

zc_net *zc_nats_sss_build(const char *arch_str, int batch, int num_classes,
                          int image_hw, char *err, size_t errlen) {
    int channels[5], n = 0;
    const char *p = arch_str;
    while (n < 5) {
        char *end;
        long c = strtol(p, &end, 10);
        if (end == p || c < 8 || c > 64 || c % 8 != 0) {
            snprintf(err, errlen,
                     "invalid NATS-Bench SSS architecture '%s': channel %d must be one of "
                     "8, 16, ..., 64",
                     arch_str, n + 1);
            return NULL;
        }
        channels[n++] = (int)c;
        p = end;
        if (n < 5 && *p++ != ':') break;
    }
    if (n != 5 || *p) {
        snprintf(err, errlen,
                 "invalid NATS-Bench SSS architecture '%s': expected c1:c2:c3:c4:c5", arch_str);
        return NULL;
    }
    nb201_cell g;
    char why[160];
    if (parse_cell(ZC_NATS_SSS_GENOTYPE, &g, why, sizeof why) != 0)
        zc_die("internal error: SSS genotype: %s", why);
    int reduction[5] = {0, 1, 0, 1, 0};
    zc_net *net = tiny_network(&g, 5, channels, reduction, batch, num_classes, image_hw);
    if (!net)
        snprintf(err, errlen, "NATS-Bench SSS architecture '%s' does not fit %dx%d inputs",
                 arch_str, image_hw, image_hw);
    return net;
}

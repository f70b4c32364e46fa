/* space_macro.c: NAS-Bench-Macro and Channel-Bench-Macro networks (Su et
 * al., xiusu/NAS-Bench-Macro train/model.py and xiusu/Channel-Bench-Macro
 * model.py), built by hand with the module names of those files so that
 * parameters map onto their state_dicts.
 *
 * nasbench_macro "d1..d8" (digits 0-2): Network(arch, stages [2,3,3],
 *   init_channels 32): stem Conv3x3(3->32, stride 1)+BN+ReLU; 8 layers, the
 *   first of each stage stride 2 and doubling the width; layer op 0 = id
 *   (Conv1x1+BN "downsample" when stride or width changes, else identity),
 *   1 = MobileNetV2 block k3 t3, 2 = MobileNetV2 block k5 t6 (pw Conv+BN+
 *   ReLU, dw Conv+BN+ReLU, pw-linear Conv+BN; residual when shape kept);
 *   out Conv1x1(->1280)+BN+ReLU, global pooling, Linear.
 * channel_mobilenet "d1..d7" (digits 1-4): channels c_i = d_i * oris_i / 4,
 *   oris = 2 x (64, 384, 384, 384, 128, 768, 512); stem Conv3x3 stride 2;
 *   four expansion blocks (k3) [c0,c1,c0], [c0,c2,c0], [c0,c3,c4] stride 2,
 *   [c4,c5,c4] (residual when in == out and stride 1); out Conv1x1(c4->c6)+
 *   BN+ReLU; pooling; Linear.
 * channel_resnet "d1..d7": oris = 2 x (128, 128, 128, 256, 256, 256, 256);
 *   stem Conv3x3 stride 2 +BN+ReLU; block_i = Conv3x3+BN+ReLU+Conv3x3+BN;
 *   x = relu(x + block1(x)), relu(x + block2(x)), relu(block3(x)) (stride
 *   2, no shortcut), relu(x + block4(x)), relu(x + block5(x)); pooling;
 *   Linear(c4).
 *
 * Block outputs (zc_net_mark_feature): the stem's ReLU output, then the
 * output of every layer / block (a NAS-Bench-Macro identity layer that
 * keeps its input is not a new one); not the out conv of the head.
 *
 * RCB blocks (eznas.md section 1, module order): a ReLU whose output feeds a
 * conv followed by a BN: the stem ReLU with the first conv of the first
 * layer; the dw and pw-linear convs of every MobileNetV2 block; both convs
 * of every ResNet block (the first one's ReLU is the stem's or the one after
 * the previous block's sum). A block is named after its conv module
 * ("features.3.conv.3", "block2.0"). Where the ReLU output also feeds a
 * residual sum, preact_grad is the total gradient of that ReLU output (what
 * a backward hook on that ReLU sees). Not RCB: the stem conv, pw convs fed
 * by a BN or a sum, the out conv.
 */
#include <stdio.h>
#include <string.h>

#include "common/nets/space.h"
#include "common/nets/space_builder.h"
#include "common/util/util.h"


/* conv_bn: Conv(k, stride, pad k/2, groups) named "<prefix>.<conv_idx>"
 * then BN "<prefix>.<conv_idx+1>". *conv_layer receives the conv's layer. */
static int conv_bn(zc_space_builder *b, int x, int c_out, int k, int stride, int groups,
                   const char *prefix, int conv_idx, int *conv_layer) {
    char name[ZC_NAME_LEN];
    snprintf(name, sizeof name, "%.80s.%d", prefix, conv_idx);
    x = zc_space_checked(b, zc_net_conv(b->net, x, c_out, k, k, stride, k / 2, k / 2, 1, groups, name));
    if (conv_layer) *conv_layer = zc_net_last_layer(b->net);
    snprintf(name, sizeof name, "%.80s.%d", prefix, conv_idx + 1);
    return zc_space_checked(b, zc_net_bn(b->net, x, name));
}

/* mark: declare the RCB (relu_layer, conv_layer, conv_layer, next layer =
 * BN) named after the conv's parameter (name without ".weight"). */
static void mark(zc_space_builder *b, int relu_layer, int conv_layer, int stage, int cell) {
    if (!b->ok || relu_layer < 0) return;
    const zc_layer *conv = &b->net->layers[conv_layer];
    char name[ZC_NAME_LEN];
    snprintf(name, sizeof name, "%s", b->net->params[conv->param[0]].name);
    char *dot = strrchr(name, '.');
    if (dot) *dot = '\0';
    zc_net_mark_rcb(b->net, name, relu_layer, conv_layer, conv_layer, conv_layer + 1, stage,
                    cell);
}

/* inverted_residual: pw(inp->hidden)+BN+ReLU, dw(k, stride)+BN+ReLU,
 * pw-linear(hidden->oup)+BN under "<prefix>.conv.<i>"; residual when
 * inp == oup and stride 1. in_relu_layer: layer of a ReLU producing x
 * (marks the pw conv as an RCB) or -1. */
static int inverted_residual(zc_space_builder *b, int x, int inp, int hidden, int oup, int k,
                             int stride, const char *prefix, int in_relu_layer, int stage,
                             int cell) {
    char conv_prefix[ZC_NAME_LEN];
    snprintf(conv_prefix, sizeof conv_prefix, "%.80s.conv", prefix);
    int conv_layer;
    int y = conv_bn(b, x, hidden, 1, 1, 1, conv_prefix, 0, &conv_layer);
    mark(b, in_relu_layer, conv_layer, stage, cell);
    y = zc_space_checked(b, zc_net_relu(b->net, y));
    int relu_layer = zc_net_last_layer(b->net);
    y = conv_bn(b, y, hidden, k, stride, hidden, conv_prefix, 3, &conv_layer);
    mark(b, relu_layer, conv_layer, stage, cell);
    y = zc_space_checked(b, zc_net_relu(b->net, y));
    relu_layer = zc_net_last_layer(b->net);
    y = conv_bn(b, y, oup, 1, 1, 1, conv_prefix, 6, &conv_layer);
    mark(b, relu_layer, conv_layer, stage, cell);
    if (inp == oup && stride == 1) {
        int parts[2] = {y, x};
        y = zc_space_checked(b, zc_net_add(b->net, 2, parts));
    }
    return y;
}

/* stem: Conv3x3(3->c, stride)+BN+ReLU as stem.0/1/2; *relu_layer set. */
static int stem(zc_space_builder *b, int c, int stride, int *relu_layer) {
    int x = conv_bn(b, 0, c, 3, stride, 1, "stem", 0, NULL);
    x = zc_space_checked(b, zc_net_relu(b->net, x));
    *relu_layer = zc_net_last_layer(b->net);
    return x;
}

/* head: [out Conv1x1(->c_out)+BN+ReLU] (when c_out > 0), pooling, Linear. */
static zc_net *head(zc_space_builder *b, int x, int c_out, int num_classes) {
    if (c_out > 0) {
        x = conv_bn(b, x, c_out, 1, 1, 1, "out", 0, NULL);
        x = zc_space_checked(b, zc_net_relu(b->net, x));
    }
    x = zc_space_checked(b, zc_net_gap(b->net, x));
    x = zc_space_checked(b, zc_net_linear(b->net, x, num_classes, "classifier"));
    if (!b->ok) {
        zc_net_free(b->net);
        return NULL;
    }
    zc_net_set_output(b->net, x);
    return b->net;
}

/* parse_digits: arch_str must be exactly n digits in [lo, hi]. */
static int parse_digits(const char *arch_str, int n, int lo, int hi, int *out) {
    if (strlen(arch_str) != (size_t)n) return -1;
    for (int i = 0; i < n; i++) {
        int d = arch_str[i] - '0';
        if (d < lo || d > hi) return -1;
        out[i] = d;
    }
    return 0;
}

zc_net *zc_nb_macro_build(const char *arch_str, int batch, int num_classes, int image_hw,
                          char *err, size_t errlen) {
    int ops[8];
    if (parse_digits(arch_str, 8, 0, 2, ops) != 0) {
        snprintf(err, errlen,
                 "invalid NAS-Bench-Macro architecture '%s': expected 8 digits 0-2 "
                 "(0 identity, 1 MB k3 t3, 2 MB k5 t6)",
                 arch_str);
        return NULL;
    }
    static const int stages[3] = {2, 3, 3};
    zc_space_builder b = {zc_net_new(batch, 3, image_hw, image_hw), 1};
    int relu_layer;
    int c = 32;
    int x = stem(&b, c, 1, &relu_layer);
    if (b.ok) zc_net_mark_feature(b.net, x);
    int layer = 0;
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < stages[s]; i++, layer++) {
            int stride = i == 0 ? 2 : 1;
            int inp = c, oup = i == 0 ? 2 * c : c;
            char prefix[ZC_NAME_LEN];
            snprintf(prefix, sizeof prefix, "features.%d", layer);
            int op = ops[layer];
            if (op == 0) {
                if (stride != 1 || inp != oup) {
                    char ds[ZC_NAME_LEN];
                    snprintf(ds, sizeof ds, "%.80s.downsample", prefix);
                    int conv_layer;
                    x = conv_bn(&b, x, oup, 1, stride, 1, ds, 0, &conv_layer);
                    mark(&b, relu_layer, conv_layer, s, layer);
                }
            } else {
                int t = op == 1 ? 3 : 6, k = op == 1 ? 3 : 5;
                x = inverted_residual(&b, x, inp, inp * t, oup, k, stride, prefix, relu_layer, s,
                                      layer);
            }
            relu_layer = -1; /* later layers read a BN or a sum */
            if (b.ok) zc_net_mark_feature(b.net, x); /* an identity layer adds nothing */
            c = oup;
        }
    zc_net *net = head(&b, x, 1280, num_classes);
    if (!net)
        snprintf(err, errlen, "NAS-Bench-Macro architecture '%s' does not fit %dx%d inputs",
                 arch_str, image_hw, image_hw);
    return net;
}

zc_net *zc_channel_mobilenet_build(const char *arch_str, int batch, int num_classes,
                                   int image_hw, char *err, size_t errlen) {
    int d[7];
    if (parse_digits(arch_str, 7, 1, 4, d) != 0) {
        snprintf(err, errlen,
                 "invalid Channel-Bench-Macro MobileNet architecture '%s': expected 7 digits "
                 "1-4 (width quarters)",
                 arch_str);
        return NULL;
    }
    static const int oris[7] = {128, 768, 768, 768, 256, 1536, 1024};
    int c[7];
    for (int i = 0; i < 7; i++) c[i] = d[i] * oris[i] / 4;
    zc_space_builder b = {zc_net_new(batch, 3, image_hw, image_hw), 1};
    int relu_layer;
    int x = stem(&b, c[0], 2, &relu_layer);
    if (b.ok) zc_net_mark_feature(b.net, x);
    const int blocks[4][4] = {/* inp, hidden, oup, stride */
                              {c[0], c[1], c[0], 1},
                              {c[0], c[2], c[0], 1},
                              {c[0], c[3], c[4], 2},
                              {c[4], c[5], c[4], 1}};
    for (int i = 0; i < 4; i++) {
        char prefix[ZC_NAME_LEN];
        snprintf(prefix, sizeof prefix, "features.%d", i);
        x = inverted_residual(&b, x, blocks[i][0], blocks[i][1], blocks[i][2], 3, blocks[i][3],
                              prefix, i == 0 ? relu_layer : -1, i < 2 ? 0 : 1, i);
        if (b.ok) zc_net_mark_feature(b.net, x);
    }
    zc_net *net = head(&b, x, c[6], num_classes);
    if (!net)
        snprintf(err, errlen,
                 "Channel-Bench-Macro MobileNet architecture '%s' does not fit %dx%d inputs",
                 arch_str, image_hw, image_hw);
    return net;
}

zc_net *zc_channel_resnet_build(const char *arch_str, int batch, int num_classes,
                                int image_hw, char *err, size_t errlen) {
    int d[7];
    if (parse_digits(arch_str, 7, 1, 4, d) != 0) {
        snprintf(err, errlen,
                 "invalid Channel-Bench-Macro ResNet architecture '%s': expected 7 digits 1-4 "
                 "(width quarters)",
                 arch_str);
        return NULL;
    }
    static const int oris[7] = {256, 256, 256, 512, 512, 512, 512};
    int c[7];
    for (int i = 0; i < 7; i++) c[i] = d[i] * oris[i] / 4;
    zc_space_builder b = {zc_net_new(batch, 3, image_hw, image_hw), 1};
    int relu_layer;
    int x = stem(&b, c[0], 2, &relu_layer);
    if (b.ok) zc_net_mark_feature(b.net, x);
    const int blocks[5][4] = {/* mid, out, stride, residual */
                              {c[1], c[0], 1, 1},
                              {c[2], c[0], 1, 1},
                              {c[3], c[4], 2, 0},
                              {c[5], c[4], 1, 1},
                              {c[6], c[4], 1, 1}};
    for (int i = 0; i < 5; i++) {
        char prefix[ZC_NAME_LEN];
        snprintf(prefix, sizeof prefix, "block%d", i + 1);
        int stage = i < 2 ? 0 : 1, conv_layer;
        int y = conv_bn(&b, x, blocks[i][0], 3, blocks[i][2], 1, prefix, 0, &conv_layer);
        mark(&b, relu_layer, conv_layer, stage, i + 1);
        y = zc_space_checked(&b, zc_net_relu(b.net, y));
        int mid_relu = zc_net_last_layer(b.net);
        y = conv_bn(&b, y, blocks[i][1], 3, 1, 1, prefix, 3, &conv_layer);
        mark(&b, mid_relu, conv_layer, stage, i + 1);
        if (blocks[i][3]) {
            int parts[2] = {x, y};
            y = zc_space_checked(&b, zc_net_add(b.net, 2, parts));
        }
        x = zc_space_checked(&b, zc_net_relu(b.net, y));
        relu_layer = zc_net_last_layer(b.net);
        if (b.ok) zc_net_mark_feature(b.net, x);
    }
    zc_net *net = head(&b, x, 0, num_classes);
    if (!net)
        snprintf(err, errlen,
                 "Channel-Bench-Macro ResNet architecture '%s' does not fit %dx%d inputs",
                 arch_str, image_hw, image_hw);
    return net;
}

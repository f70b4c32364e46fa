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
 * RCB blocks: every conv whose input is a ReLU output and whose output
 * goes into a BN (eznas.md section 1), named after the conv module: the
 * convs after f.a_relu / f.b_relu / a_relu, and the first convs (f.a and
 * proj, or a) of a block fed by the previous block's ReLU or by a stem
 * ReLU. Not: the stem's first conv, convs fed by the max pool.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/space.h"
#include "common/util.h"

zc_net *zc_nds_anynet_build(const char *arch_str, int batch, int num_classes, int image_hw,
                            char *err, size_t errlen);

typedef struct {
    zc_net *net;
    int ok;
} builder;

static int checked(builder *b, int v) {
    if (v < 0) b->ok = 0;
    return v < 0 ? 0 : v;
}

/* conv_bn: Conv(k, stride, pad k/2, groups) "<conv_name>" + BN
 * "<bn_name>"; when relu_layer >= 0 the pair is marked as an RCB with that
 * ReLU. */
static int conv_bn(builder *b, int x, int c_out, int k, int stride, int groups,
                   const char *conv_name, const char *bn_name, int relu_layer, int stage,
                   int cell) {
    x = checked(b, zc_net_conv(b->net, x, c_out, k, k, stride, k / 2, k / 2, 1, groups,
                               conv_name));
    int conv_layer = zc_net_last_layer(b->net);
    x = checked(b, zc_net_bn(b->net, x, bn_name));
    if (b->ok && relu_layer >= 0)
        zc_net_mark_rcb(b->net, conv_name, relu_layer, conv_layer, conv_layer,
                        zc_net_last_layer(b->net), stage, cell);
    return x;
}

static int relu(builder *b, int x, int *relu_layer) {
    x = checked(b, zc_net_relu(b->net, x));
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
static int anynet_block(builder *b, const anynet_spec *s, int x, int w_in, int stage, int j,
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
    y = checked(b, zc_net_add(b->net, 2, parts));
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
    builder b = {zc_net_new(batch, 3, image_hw, image_hw), 1};
    int x, r = -1, w0 = s.ws[0];
    if (s.ss[0] == 4) {
        x = conv_bn(&b, 0, w0, 7, 2, 1, "stem.conv", "stem.bn", -1, 0, 0);
        x = relu(&b, x, &r);
        x = checked(&b, zc_net_maxpool(b.net, x, 3, 2, 1));
        r = -1; /* the first block reads the max pool */
    } else {
        x = conv_bn(&b, 0, w0 / 2, 3, 2, 1, "stem.a", "stem.a_bn", -1, 0, 0);
        x = relu(&b, x, &r);
        x = conv_bn(&b, x, w0, 3, 2, 1, "stem.b", "stem.b_bn", r, 0, 0);
        x = relu(&b, x, &r);
        x = conv_bn(&b, x, w0, 3, 2, 1, "stem.c", "stem.c_bn", r, 0, 0);
        x = relu(&b, x, &r);
    }
    int w_in = w0;
    for (int stage = 1; stage < s.n && b.ok; stage++)
        for (int j = 1; j <= s.ds[stage] && b.ok; j++) {
            x = anynet_block(&b, &s, x, w_in, stage, j, r, &r);
            w_in = s.ws[stage];
        }
    x = checked(&b, zc_net_gap(b.net, x));
    x = checked(&b, zc_net_linear(b.net, x, num_classes, "head.fc"));
    if (!b.ok) {
        zc_net_free(b.net);
        snprintf(err, errlen, "NDS AnyNet architecture '%.300s' does not fit %dx%d inputs",
                 arch_str, image_hw, image_hw);
        return NULL;
    }
    zc_net_set_output(b.net, x);
    return b.net;
}

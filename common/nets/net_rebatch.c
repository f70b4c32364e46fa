/* net_rebatch.c: a copy of a network description at another batch size,
 * built by replaying its layers through the builders of net.h (see
 * net_rebatch.h). Used by proxies defined on fewer samples than the task's
 * minibatch (MeCo: one image; SWAP: 16), whose training-mode batch norm
 * must see only those samples. */
#include "common/nets/net_rebatch.h"

#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* module_name: the parameter's module path (its name without ".weight"). */
static void module_name(const zc_param *p, char *out, size_t len) {
    snprintf(out, len, "%s", p->name);
    char *dot = strrchr(out, '.');
    if (dot) *dot = '\0';
}

/* replay_layer: append a copy of src layer L to dst; returns its value id
 * or -1 when it does not fit. */
static int replay_layer(const zc_net *src, const zc_layer *L, zc_net *dst) {
    char name[ZC_NAME_LEN];
    switch (L->kind) {
    case ZC_L_CONV: {
        const zc_conv_desc *d = &L->conv;
        if (d->stride_h != d->stride_w || d->dil_h != d->dil_w) return -1;
        module_name(&src->params[L->param[0]], name, sizeof name);
        return zc_net_conv(dst, L->in[0], d->k, d->r, d->s, d->stride_h, d->pad_h, d->pad_w,
                           d->dil_h, d->groups, name);
    }
    case ZC_L_BN: {
        module_name(&src->params[L->param[0]], name, sizeof name);
        int v = zc_net_bn(dst, L->in[0], name);
        if (v >= 0) dst->layers[dst->n_layers - 1].eps = L->eps;
        return v;
    }
    case ZC_L_RELU:
        return zc_net_relu(dst, L->in[0]);
    case ZC_L_ZERO:
        return zc_net_zero(dst, L->in[0]);
    case ZC_L_AVGPOOL:
    case ZC_L_MAXPOOL: {
        const zc_pool_desc *d = &L->pool;
        if (d->kh != d->kw || d->stride_h != d->stride_w || d->pad_h != d->pad_w) return -1;
        return L->kind == ZC_L_AVGPOOL
                   ? zc_net_avgpool(dst, L->in[0], d->kh, d->stride_h, d->pad_h,
                                    d->count_include_pad)
                   : zc_net_maxpool(dst, L->in[0], d->kh, d->stride_h, d->pad_h);
    }
    case ZC_L_GAP:
        return zc_net_gap(dst, L->in[0]);
    case ZC_L_LINEAR:
        module_name(&src->params[L->param[0]], name, sizeof name);
        return zc_net_linear(dst, L->in[0], src->vshape[L->out].c, name);
    case ZC_L_ADD:
        return zc_net_add(dst, L->n_in, L->in);
    case ZC_L_PAD:
        return zc_net_pad(dst, L->in[0], L->pad[0], L->pad[1], L->pad[2], L->pad[3]);
    case ZC_L_CONCAT:
        return zc_net_concat(dst, L->n_in, L->in);
    }
    return -1;
}

zc_net *zc_net_rebatch(const zc_net *src, int batch) {
    const zc_vshape *in = &src->vshape[0];
    zc_net *dst = zc_net_new(batch, in->c, in->h, in->w);
    for (int l = 0; l < src->n_layers; l++) {
        int v = replay_layer(src, &src->layers[l], dst);
        if (v != src->layers[l].out) {
            zc_net_free(dst);
            return NULL;
        }
    }
    if (dst->n_params != src->n_params) {
        zc_net_free(dst);
        return NULL;
    }
    for (int r = 0; r < src->n_rcb; r++) {
        const zc_rcb *b = &src->rcb[r];
        zc_net_mark_rcb(dst, b->name, b->relu_layer, b->conv_first, b->conv_last, b->bn_layer,
                        b->stage, b->cell);
    }
    for (int f = 0; f < src->n_feat; f++) zc_net_mark_feature(dst, src->feat[f]);
    zc_net_set_output(dst, src->output);
    if (src->n_params > 0 && src->params[0].data) {
        for (int p = 0; p < dst->n_params; p++) {
            zc_param *q = &dst->params[p];
            q->data = zc_malloc(sizeof(float) * (size_t)q->numel);
            q->grad = zc_calloc((size_t)q->numel, sizeof(float));
            memcpy(q->data, src->params[p].data, sizeof(float) * (size_t)q->numel);
        }
    }
    return dst;
}

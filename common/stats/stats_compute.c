/* stats_compute.c: the three passes and terminal collection (see
 * stats_compute.h). */
#include "common/stats/stats_compute.h"

#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

zc_rcb_values zc_rcb_block_values(const zc_net *net, const zc_rcb *r) {
    zc_rcb_values v;
    v.inpact = net->layers[r->relu_layer].in[0];
    v.preact = net->layers[r->relu_layer].out;
    v.act = net->layers[r->bn_layer].out;
    v.weight_param = net->layers[r->conv_first].param[0];
    return v;
}

static void set_activation_shape(zc_tensor *t, const zc_vshape *s) {
    t->ndim = 4;
    t->shape[0] = s->n;
    t->shape[1] = s->c;
    t->shape[2] = s->h;
    t->shape[3] = s->w;
}

static void set_param_shape(zc_tensor *t, const zc_param *p) {
    t->ndim = p->ndim;
    for (int i = 0; i < p->ndim; i++) t->shape[i] = p->shape[i];
}

void zc_terminal_shape(const zc_net *net, const zc_rcb *r, int id, zc_tensor *t) {
    zc_rcb_values v = zc_rcb_block_values(net, r);
    if (id == ZC_TERMINAL_WT) {
        set_param_shape(t, &net->params[v.weight_param]);
        return;
    }
    int kind = id / ZC_NUM_PASSES;
    switch (kind) {
    case ZC_T_INPACT:
    case ZC_T_INPACT_GRAD:
        set_activation_shape(t, &net->vshape[v.inpact]);
        break;
    case ZC_T_PREACT:
    case ZC_T_PREACT_GRAD:
        set_activation_shape(t, &net->vshape[v.preact]);
        break;
    case ZC_T_ACT:
    case ZC_T_ACT_GRAD:
        set_activation_shape(t, &net->vshape[v.act]);
        break;
    case ZC_T_WT_GRAD:
        set_param_shape(t, &net->params[v.weight_param]);
        break;
    }
}

void zc_layer_stats_describe(const zc_net *net, const zc_rcb *r, zc_terminal_mask mask,
                             zc_layer_stats *ls) {
    const zc_conv_desc *cd = &net->layers[r->conv_first].conv;
    const zc_conv_desc *cl = &net->layers[r->conv_last].conv;
    snprintf(ls->name, sizeof ls->name, "%s", r->name);
    ls->c_in = cd->c;
    ls->c_out = cl->k;
    ls->kernel_h = cd->r;
    ls->kernel_w = cd->s;
    ls->stride = ZC_MAX(cd->stride_h, cl->stride_h);
    ls->dilation = cd->dil_h;
    ls->groups = cd->groups;
    ls->stage = r->stage;
    ls->cell = r->cell;
    for (int id = 0; id < ZC_NUM_TERMINALS; id++)
        if (mask & (1u << id)) zc_terminal_shape(net, r, id, &ls->t[id]);
}

int64_t zc_stats_bytes_for_net(const zc_net *net, zc_terminal_mask mask) {
    int64_t bytes = 0;
    for (int b = 0; b < net->n_rcb; b++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if (mask & (1u << id)) {
                zc_tensor t = {0};
                zc_terminal_shape(net, &net->rcb[b], id, &t);
                bytes += (int64_t)sizeof(float) * zc_tensor_numel(&t);
            }
    return bytes;
}

/* copy_value_or_grad: dst = value v (grad=0) or its gradient (grad=1;
 * zeros where no gradient reached it). */
static void copy_tensor(const zc_net *net, int v, int grad, float *dst) {
    size_t n = (size_t)zc_net_value_numel(net, v);
    if (!grad) memcpy(dst, net->val[v], n * sizeof(float));
    else if (net->grad_set[v]) memcpy(dst, net->grad[v], n * sizeof(float));
    else memset(dst, 0, n * sizeof(float));
}

/* collect: the current pass's value of tensor kind for block r into dst. */
static void collect(const zc_net *net, const zc_rcb *r, int kind, float *dst) {
    zc_rcb_values v = zc_rcb_block_values(net, r);
    switch (kind) {
    case ZC_T_INPACT: copy_tensor(net, v.inpact, 0, dst); break;
    case ZC_T_PREACT: copy_tensor(net, v.preact, 0, dst); break;
    case ZC_T_ACT: copy_tensor(net, v.act, 0, dst); break;
    case ZC_T_PREACT_GRAD: copy_tensor(net, v.preact, 1, dst); break;
    case ZC_T_ACT_GRAD: copy_tensor(net, v.act, 1, dst); break;
    case ZC_T_INPACT_GRAD: {
        /* Gradient through this block only: preact_grad masked by inpact>0,
         * what the ReLU module's backward hook sees. */
        long n = (long)zc_net_value_numel(net, v.inpact);
        if (net->grad_set[v.preact])
            zc_relu_backward(n, net->val[v.inpact], net->grad[v.preact], dst);
        else memset(dst, 0, sizeof(float) * n);
        break;
    }
    case ZC_T_WT_GRAD: {
        const zc_param *p = &net->params[v.weight_param];
        memcpy(dst, p->grad, sizeof(float) * p->numel);
        break;
    }
    }
}

/* pass_needed: 1 when a terminal of mask reads pass `pass` (the perturb
 * terminals read the data pass too: they hold perturb minus data). */
static int pass_needed(zc_terminal_mask mask, int pass) {
    zc_terminal_mask of_pass[ZC_NUM_PASSES] = {0, 0, 0};
    for (int kind = 0; kind < ZC_NUM_TENSOR_KINDS; kind++)
        for (int p = 0; p < ZC_NUM_PASSES; p++) of_pass[p] |= 1u << ZC_TERMINAL_ID(kind, p);
    if (pass == ZC_PASS_DATA) return (mask & (of_pass[ZC_PASS_DATA] | of_pass[ZC_PASS_PERTURB])) != 0;
    return (mask & of_pass[pass]) != 0;
}

void zc_compute_stats(zc_net *net, const float *const inputs[3], zc_terminal_mask mask,
                      zc_arch_stats *out) {
    for (int l = 0; l < out->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) free(out->layers[l].t[t].data);
    free(out->layers);
    out->n_layers = net->n_rcb;
    out->layers = zc_calloc((size_t)net->n_rcb, sizeof *out->layers);

    for (int b = 0; b < net->n_rcb; b++) {
        const zc_rcb *r = &net->rcb[b];
        zc_layer_stats *ls = &out->layers[b];
        zc_layer_stats_describe(net, r, mask, ls);
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if (mask & (1u << id))
                ls->t[id].data = zc_malloc(sizeof(float) * zc_tensor_numel(&ls->t[id]));
        if (mask & (1u << ZC_TERMINAL_WT)) {
            const zc_param *p = &net->params[zc_rcb_block_values(net, r).weight_param];
            memcpy(ls->t[ZC_TERMINAL_WT].data, p->data, sizeof(float) * p->numel);
        }
    }

    int64_t max_numel = 1;
    for (int b = 0; b < net->n_rcb; b++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            max_numel = ZC_MAX(max_numel, zc_tensor_numel(&out->layers[b].t[id]));
    float *cur = zc_malloc(sizeof(float) * (size_t)max_numel);

    for (int pass = 0; pass < ZC_NUM_PASSES; pass++) {
        if (!pass_needed(mask, pass)) continue; /* no terminal of the mask reads it */
        zc_net_forward(net, inputs[pass]);
        zc_net_backward(net);
        for (int b = 0; b < net->n_rcb; b++) {
            zc_layer_stats *ls = &out->layers[b];
            for (int kind = 0; kind < ZC_NUM_TENSOR_KINDS; kind++) {
                int id_pass = ZC_TERMINAL_ID(kind, pass);
                int id_pert = ZC_TERMINAL_ID(kind, ZC_PASS_PERTURB);
                int keep_pass = (mask >> id_pass) & 1u;
                int keep_pert = (mask >> id_pert) & 1u;
                if (pass == ZC_PASS_NOISE) {
                    if (keep_pass) collect(net, &net->rcb[b], kind, ls->t[id_pass].data);
                } else if (pass == ZC_PASS_DATA) {
                    if (keep_pass) collect(net, &net->rcb[b], kind, ls->t[id_pass].data);
                    /* the perturb slot first holds the data-pass value */
                    if (keep_pert) {
                        if (keep_pass)
                            memcpy(ls->t[id_pert].data, ls->t[id_pass].data,
                                   sizeof(float) * zc_tensor_numel(&ls->t[id_pass]));
                        else collect(net, &net->rcb[b], kind, ls->t[id_pert].data);
                    }
                } else if (keep_pert) {
                    zc_tensor *t = &ls->t[id_pert];
                    int64_t n = zc_tensor_numel(t);
                    collect(net, &net->rcb[b], kind, cur);
                    for (int64_t i = 0; i < n; i++) t->data[i] = cur[i] - t->data[i];
                }
            }
        }
    }
    free(cur);
}

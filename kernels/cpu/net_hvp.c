/* net_hvp.c: Hessian-vector products by the R-operator (see net_hvp.h).
 *
 * Notation: for a value a, R{a} is its directional derivative along the
 * parameter direction v; for its gradient g = dL/da, R{g} likewise. Each
 * layer kind contributes its R-forward rule (R{y} from R{x} and v) and its
 * R-backward rule (R{dx}, R{dw} from R{dy}, dy, R{x}, x, v). Linear layers
 * (pooling, padding, concatenation, addition) apply themselves to R{.};
 * conv and linear add the product-rule terms of their weight direction;
 * ReLU keeps its mask; batch norm differentiates through its statistics. */
#include "kernels/cpu/net_hvp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

typedef struct {
    zc_net *net;
    float *const *v;   /* parameter directions                              */
    float **rval;      /* R{value}                                          */
    float **rgrad;     /* R{gradient}                                       */
    uint8_t *rset;     /* rgrad written                                     */
    float *tmp, *tmp2; /* one value's worth each                            */
    float *ptmp;       /* one parameter's worth                             */
} hvp_state;

static int64_t numel(const zc_net *net, int v) { return zc_net_value_numel(net, v); }

/* ---- R-forward --------------------------------------------------------- */

/* bn_rxhat: per channel, R{xhat} = s (r - mean r - xhat mean(xhat r)). */
static void bn_rxhat(int n, int c, int hw, const float *x, const float *r, const float *mean,
                     const float *invstd, float *out) {
    double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double s = invstd[ch], mu = mean[ch], sr = 0, sxr = 0;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw, *rp = r + ((size_t)i * c + ch) * hw;
            for (int k = 0; k < hw; k++) {
                sr += rp[k];
                sxr += (xp[k] - mu) * s * rp[k];
            }
        }
        double rbar = sr / m, xr = sxr / m;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw, *rp = r + ((size_t)i * c + ch) * hw;
            float *op = out + ((size_t)i * c + ch) * hw;
            for (int k = 0; k < hw; k++)
                op[k] = (float)(s * (rp[k] - rbar - (xp[k] - mu) * s * xr));
        }
    }
}

static void r_forward(hvp_state *st, const zc_layer *L) {
    zc_net *net = st->net;
    float *ry = st->rval[L->out];
    if (zc_net_linear_layer(net, L, st->rval, ry)) return; /* R{f(x)} = f(R{x}) */
    const float *rx = st->rval[L->in[0]], *x = net->val[L->in[0]];
    zc_vshape s = net->vshape[L->in[0]];
    long count = (long)numel(net, L->out);
    switch (L->kind) {
    case ZC_L_CONV: {
        zc_conv2d_forward(&L->conv, rx, net->params[L->param[0]].data, ry, net->workspace);
        const float *vw = st->v[L->param[0]];
        if (vw) {
            zc_conv2d_forward(&L->conv, x, vw, st->tmp, net->workspace);
            zc_accumulate(count, st->tmp, ry);
        }
        break;
    }
    case ZC_L_LINEAR: {
        int out = net->vshape[L->out].c;
        zc_linear_forward(s.n, s.c, out, rx, net->params[L->param[0]].data, NULL, ry);
        const float *vw = st->v[L->param[0]];
        if (vw) {
            zc_linear_forward(s.n, s.c, out, x, vw, NULL, st->tmp);
            zc_accumulate(count, st->tmp, ry);
        }
        break;
    }
    case ZC_L_BN: {
        const float *gamma = net->params[L->param[0]].data;
        bn_rxhat(s.n, s.c, s.h * s.w, x, rx, L->save_mean, L->save_invstd, ry);
        int hw = s.h * s.w;
        for (int i = 0; i < s.n; i++)
            for (int ch = 0; ch < s.c; ch++) {
                float *p = ry + ((size_t)i * s.c + ch) * hw;
                for (int k = 0; k < hw; k++) p[k] *= gamma[ch];
            }
        break;
    }
    case ZC_L_RELU: zc_relu_backward(count, x, rx, ry); break; /* R{x} masked by x > 0 */
    case ZC_L_MAXPOOL: {
        const zc_pool_desc *d = &L->pool;
        long planes = (long)d->n * d->c, pq = (long)d->p * d->q, hw = (long)d->h * d->w;
        for (long pl = 0; pl < planes; pl++)
            for (long i = 0; i < pq; i++) ry[pl * pq + i] = rx[pl * hw + L->argmax[pl * pq + i]];
        break;
    }
    case ZC_L_ZERO: memset(ry, 0, sizeof(float) * count); break;
    default: break; /* handled by zc_net_linear_layer above */
    }
}

/* ---- R-backward -------------------------------------------------------- */

/* rgrad_add: R{grad of v} += src (the first contribution is copied). */
static void rgrad_add(hvp_state *st, int v, const float *src) {
    long n = (long)numel(st->net, v);
    if (st->rset[v]) zc_accumulate(n, src, st->rgrad[v]);
    else {
        memcpy(st->rgrad[v], src, sizeof(float) * n);
        st->rset[v] = 1;
    }
}

/* bn_r_backward: R{dx} of training-mode batch norm (see the file comment
 * of net_hvp.h): with s = invstd, xh = (x - mu) s, c1 = mean(xh g):
 *   dx  = gamma s (g - mean g - xh c1)
 *   R{dx} = gamma R{s} (g - mean g - xh c1)
 *         + gamma s (Rg - mean Rg - R{xh} c1 - xh R{c1}),
 * R{s} = -s^2 mean(xh r), R{xh} = s (r - mean r - xh mean(xh r)),
 * R{c1} = mean(R{xh} g + xh Rg). g or Rg may be NULL (zero). */
static void bn_r_backward(int n, int c, int hw, const float *x, const float *r, const float *g,
                          const float *rg, const float *gamma, const float *mean,
                          const float *invstd, float *out) {
    double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double s = invstd[ch], mu = mean[ch];
        double sr = 0, sxr = 0, sg = 0, sxg = 0, srg = 0;
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            for (int k = 0; k < hw; k++) {
                double xh = (x[o + k] - mu) * s;
                sr += r[o + k];
                sxr += xh * r[o + k];
                if (g) {
                    sg += g[o + k];
                    sxg += xh * g[o + k];
                }
                if (rg) srg += rg[o + k];
            }
        }
        double rbar = sr / m, xr = sxr / m, gbar = sg / m, c1 = sxg / m, rgbar = srg / m;
        double Rs = -s * s * xr;
        double rc1 = 0; /* R{c1} = mean(R{xh} g + xh Rg) */
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            for (int k = 0; k < hw; k++) {
                double xh = (x[o + k] - mu) * s;
                double rxh = s * (r[o + k] - rbar - xh * xr);
                rc1 += (g ? rxh * g[o + k] : 0) + (rg ? xh * rg[o + k] : 0);
            }
        }
        rc1 /= m;
        double gm = gamma[ch];
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            for (int k = 0; k < hw; k++) {
                double xh = (x[o + k] - mu) * s;
                double rxh = s * (r[o + k] - rbar - xh * xr);
                double gk = g ? g[o + k] : 0, rgk = rg ? rg[o + k] : 0;
                out[o + k] = (float)(gm * Rs * (gk - gbar - xh * c1) +
                                     gm * s * (rgk - rgbar - rxh * c1 - xh * rc1));
            }
        }
    }
}

/* r_backward_weight_layer: the R-backward of a conv or linear layer given
 * its output's dy and R{dy}: R{dx} into the input's R{gradient}, and R{dW}
 * into hv when the weight's product is asked for. */
static void r_backward_weight_layer(hvp_state *st, const zc_layer *L, const float *dy,
                                    const float *rdy, float *const *hv) {
    zc_net *net = st->net;
    int in = L->in[0];
    const float *x = net->val[in], *rx = st->rval[in];
    zc_vshape s = net->vshape[in];
    long count_in = (long)numel(net, in);
    zc_param *w = &net->params[L->param[0]];
    const float *vw = st->v[L->param[0]];
    int is_conv = L->kind == ZC_L_CONV;
    int o = net->vshape[L->out].c;
    /* R{dx} = bwd_data(R{dy}, W) + bwd_data(dy, V) */
    if (is_conv) zc_conv2d_backward_data(&L->conv, rdy, w->data, st->tmp, net->workspace);
    else zc_linear_backward(s.n, s.c, o, x, w->data, rdy, st->tmp, NULL, NULL);
    if (vw) {
        if (is_conv) zc_conv2d_backward_data(&L->conv, dy, vw, st->tmp2, net->workspace);
        else zc_linear_backward(s.n, s.c, o, x, vw, dy, st->tmp2, NULL, NULL);
        zc_accumulate(count_in, st->tmp2, st->tmp);
    }
    rgrad_add(st, in, st->tmp);
    /* R{dW} = bwd_filter(R{x}, dy) + bwd_filter(x, R{dy}) */
    if (hv[L->param[0]]) {
        float *h = hv[L->param[0]];
        if (is_conv) {
            zc_conv2d_backward_filter(&L->conv, rx, dy, h, net->workspace);
            zc_conv2d_backward_filter(&L->conv, x, rdy, st->ptmp, net->workspace);
        } else {
            zc_linear_backward(s.n, s.c, o, rx, w->data, dy, NULL, h, NULL);
            zc_linear_backward(s.n, s.c, o, x, w->data, rdy, NULL, st->ptmp, NULL);
        }
        zc_accumulate((long)w->numel, st->ptmp, h);
    }
}

static void r_backward(hvp_state *st, const zc_layer *L, float *const *hv) {
    zc_net *net = st->net;
    int out = L->out, in = L->in[0];
    const float *dy = net->grad_set[out] ? net->grad[out] : NULL;
    const float *rdy = st->rset[out] ? st->rgrad[out] : NULL;
    if (!dy && !rdy) return;
    const float *x = net->val[in], *rx = st->rval[in];
    zc_vshape s = net->vshape[in];
    long count_out = (long)numel(net, out);
    /* zero stand-in for a missing dy or R{dy} */
    float *zero = NULL;
    if (!dy || !rdy) {
        zero = zc_calloc((size_t)count_out, sizeof(float));
        if (!dy) dy = zero;
        if (!rdy) rdy = zero;
    }
    switch (L->kind) {
    case ZC_L_CONV:
    case ZC_L_LINEAR: r_backward_weight_layer(st, L, dy, rdy, hv); break;
    case ZC_L_BN:
        bn_r_backward(s.n, s.c, s.h * s.w, x, rx, zero == dy ? NULL : dy,
                      zero == rdy ? NULL : rdy, net->params[L->param[0]].data, L->save_mean,
                      L->save_invstd, st->tmp);
        rgrad_add(st, in, st->tmp);
        break;
    case ZC_L_RELU:
        zc_relu_backward(count_out, x, rdy, st->tmp);
        rgrad_add(st, in, st->tmp);
        break;
    case ZC_L_AVGPOOL:
        zc_avgpool_backward(&L->pool, rdy, st->tmp);
        rgrad_add(st, in, st->tmp);
        break;
    case ZC_L_MAXPOOL:
        zc_maxpool_backward(&L->pool, rdy, L->argmax, st->tmp);
        rgrad_add(st, in, st->tmp);
        break;
    case ZC_L_GAP:
        zc_gap_backward(s.n, s.c, s.h * s.w, rdy, st->tmp);
        rgrad_add(st, in, st->tmp);
        break;
    case ZC_L_ADD:
        for (int i = 0; i < L->n_in; i++) rgrad_add(st, L->in[i], rdy);
        break;
    case ZC_L_ZERO: break;
    case ZC_L_PAD:
        zc_pad2d_backward(s.n, s.c, s.h, s.w, L->pad[0], L->pad[1], L->pad[2], L->pad[3], rdy,
                          st->tmp);
        rgrad_add(st, in, st->tmp);
        break;
    case ZC_L_CONCAT: {
        int off = 0, hw = s.h * s.w, ctot = net->vshape[out].c;
        for (int i = 0; i < L->n_in; i++) {
            int v = L->in[i], ci = net->vshape[v].c;
            for (int b = 0; b < s.n; b++)
                memcpy(st->tmp + (size_t)b * ci * hw, rdy + ((size_t)b * ctot + off) * hw,
                       sizeof(float) * (size_t)ci * hw);
            rgrad_add(st, v, st->tmp);
            off += ci;
        }
        break;
    }
    }
    free(zero);
}

/* ---- driver ---------------------------------------------------------------- */

/* directions_are_weights: 1 when every non-NULL direction v[p] belongs to
 * a conv or linear weight, else 0. */
static int directions_are_weights(const zc_net *net, float *const *v) {
    for (int p = 0; p < net->n_params; p++)
        if (v[p]) {
            int ok = 0;
            for (int l = 0; l < net->n_layers; l++)
                ok |= (net->layers[l].kind == ZC_L_CONV || net->layers[l].kind == ZC_L_LINEAR) &&
                      net->layers[l].param[0] == p;
            if (!ok) return 0;
        }
    return 1;
}

/* hvp_state_init: R{values} zero (R{input} = 0), R{gradients} unset, and
 * the scratch buffers. */
static void hvp_state_init(hvp_state *st, zc_net *net, float *const *v) {
    *st = (hvp_state){.net = net, .v = v};
    int64_t maxv = 1, maxp = 1;
    for (int i = 0; i < net->n_values; i++) maxv = ZC_MAX(maxv, numel(net, i));
    for (int p = 0; p < net->n_params; p++) maxp = ZC_MAX(maxp, net->params[p].numel);
    st->rval = zc_calloc((size_t)net->n_values, sizeof(float *));
    st->rgrad = zc_calloc((size_t)net->n_values, sizeof(float *));
    st->rset = zc_calloc((size_t)net->n_values, 1);
    for (int i = 0; i < net->n_values; i++) {
        st->rval[i] = zc_calloc((size_t)numel(net, i), sizeof(float));
        st->rgrad[i] = zc_malloc(sizeof(float) * (size_t)numel(net, i));
    }
    st->tmp = zc_malloc(sizeof(float) * (size_t)maxv);
    st->tmp2 = zc_malloc(sizeof(float) * (size_t)maxv);
    st->ptmp = zc_malloc(sizeof(float) * (size_t)maxp);
}

static void hvp_state_free(hvp_state *st) {
    for (int i = 0; i < st->net->n_values; i++) {
        free(st->rval[i]);
        free(st->rgrad[i]);
    }
    free(st->rval);
    free(st->rgrad);
    free(st->rset);
    free(st->tmp);
    free(st->tmp2);
    free(st->ptmp);
}

int zc_net_hvp(zc_net *net, float *const *v, zc_hvp_loss_fn loss, void *loss_ctx,
               float *const *hv) {
    if (!directions_are_weights(net, v)) return -1;
    hvp_state st;
    hvp_state_init(&st, net, v);
    for (int l = 0; l < net->n_layers; l++) r_forward(&st, &net->layers[l]);
    for (int p = 0; p < net->n_params; p++)
        if (hv[p]) memset(hv[p], 0, sizeof(float) * net->params[p].numel);
    loss(loss_ctx, net, st.rval[net->output], st.rgrad[net->output]);
    st.rset[net->output] = 1;
    for (int l = net->n_layers - 1; l >= 0; l--) r_backward(&st, &net->layers[l], hv);
    hvp_state_free(&st);
    return 0;
}

void zc_hvp_cross_entropy(void *ctx, const zc_net *net, const float *rout, float *rdout) {
    (void)ctx;
    int n = net->vshape[net->output].n;
    int c = (int)(zc_net_value_numel(net, net->output) / n);
    const float *z = net->val[net->output];
    double *p = zc_malloc(sizeof(double) * (size_t)c);
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, sum = 0, prz = 0;
        for (int k = 0; k < c; k++) mx = fmax(mx, z[i * c + k]);
        for (int k = 0; k < c; k++) sum += (p[k] = exp(z[i * c + k] - mx));
        for (int k = 0; k < c; k++) {
            p[k] /= sum;
            prz += p[k] * rout[i * c + k];
        }
        for (int k = 0; k < c; k++)
            rdout[i * c + k] = (float)(p[k] * (rout[i * c + k] - prz) / n);
    }
    free(p);
}

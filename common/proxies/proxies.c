/* proxies.c: the hand-crafted zero-cost proxies on the CPU executor
 * (definitions in proxies.h; synflow in proxies_synflow.c). */
#include "common/proxies/proxies.h"

#include "kernels/cpu/net_hvp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/evaluator.h"
#include "common/proxies/modern.h"
#include "common/program/program.h"
#include "common/stats/stats.h"
#include "common/stats/stats_compute.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

static const char *const k_proxy_names[ZC_PX_COUNT] = {
    "grad_norm", "snip",   "grasp",  "fisher", "synflow",   "plain",        "l2_norm",
    "jacov",     "nwot",   "epe_nas", "zen",   "params",    "flops",        "tcet_snip",
    "tcet_synflow", "eznas_a", "az_expressivity", "az_progressivity", "az_trainability",
    "az_complexity", "az_nas", "zico", "meco", "meco_opt", "swap", "swap_reg"};


const char *zc_proxy_name(int id) {
    return id >= 0 && id < ZC_PX_COUNT ? k_proxy_names[id] : "?";
}

int zc_proxy_lookup(const char *name) {
    for (int i = 0; i < ZC_PX_COUNT; i++)
        if (strcmp(name, k_proxy_names[i]) == 0) return i;
    return -1;
}

int zc_proxy_parse_list(const char *list, zc_proxy_mask *mask, char *bad, size_t badlen) {
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)ZC_MIN(n, sizeof name - 1), p);
        int id = zc_proxy_lookup(name);
        if (strcmp(name, "all") == 0) *mask |= ZC_ALL_PROXIES;
        else if (strcmp(name, "modern") == 0) *mask |= ZC_MODERN_PROXIES;
        else if (id < 0) {
            snprintf(bad, badlen, "%s", name);
            return -1;
        } else *mask |= 1u << id;
        p += n;
        if (*p == ',') p++;
    }
    if (!*mask) {
        snprintf(bad, badlen, "%s", list);
        return -1;
    }
    if (*mask & (1u << ZC_PX_AZ_NAS))
        *mask |= (1u << ZC_PX_AZ_EXPRESSIVITY) | (1u << ZC_PX_AZ_PROGRESSIVITY) |
                 (1u << ZC_PX_AZ_TRAINABILITY) | (1u << ZC_PX_AZ_COMPLEXITY);
    return 0;
}

/* ---- small linear algebra ------------------------------------------------ */

double zc_slogdet(double *a, int n) {
    double logdet = 0;
    for (int k = 0; k < n; k++) {
        int piv = k;
        double best = fabs(a[(size_t)k * n + k]);
        for (int i = k + 1; i < n; i++)
            if (fabs(a[(size_t)i * n + k]) > best) {
                best = fabs(a[(size_t)i * n + k]);
                piv = i;
            }
        if (best == 0 || isnan(best)) return best == 0 ? -INFINITY : NAN;
        if (piv != k)
            for (int j = 0; j < n; j++) {
                double t = a[(size_t)k * n + j];
                a[(size_t)k * n + j] = a[(size_t)piv * n + j];
                a[(size_t)piv * n + j] = t;
            }
        double d = a[(size_t)k * n + k];
        logdet += log(fabs(d));
        for (int i = k + 1; i < n; i++) {
            double f = a[(size_t)i * n + k] / d;
            if (f == 0) continue;
            for (int j = k + 1; j < n; j++) a[(size_t)i * n + j] -= f * a[(size_t)k * n + j];
        }
    }
    return logdet;
}

void zc_sym_eigenvalues(double *a, int n, double *ev) {
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double v = a[(size_t)i * n + j] * a[(size_t)i * n + j];
                if (i == j) diag += v;
                else off += v;
            }
        if (isnan(off) || isnan(diag)) {
            for (int i = 0; i < n; i++) ev[i] = NAN;
            return;
        }
        if (off <= 1e-30 * (diag > 0 ? diag : 1)) break;
        for (int p = 0; p < n - 1; p++)
            for (int q = p + 1; q < n; q++) {
                double apq = a[(size_t)p * n + q];
                if (apq == 0) continue;
                double app = a[(size_t)p * n + p], aqq = a[(size_t)q * n + q];
                double theta = (aqq - app) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[(size_t)k * n + p], akq = a[(size_t)k * n + q];
                    a[(size_t)k * n + p] = c * akp - s * akq;
                    a[(size_t)k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[(size_t)p * n + k], aqk = a[(size_t)q * n + k];
                    a[(size_t)p * n + k] = c * apk - s * aqk;
                    a[(size_t)q * n + k] = s * apk + c * aqk;
                }
            }
    }
    for (int i = 0; i < n; i++) ev[i] = a[(size_t)i * n + i];
}

/* corrcoef: the n x n correlation matrix of the rows of x (n x d floats,
 * row stride d), as numpy.corrcoef (NaN for a constant row). */
static void corrcoef(const float *x, const int *rows, int n, int64_t d, double *out) {
    double *mean = zc_malloc(sizeof(double) * (size_t)n);
    double *cen = zc_malloc(sizeof(double) * (size_t)n * (size_t)d);
    for (int i = 0; i < n; i++) {
        const float *r = x + (size_t)rows[i] * d;
        double s = 0;
        for (int64_t k = 0; k < d; k++) s += r[k];
        mean[i] = s / (double)d;
        for (int64_t k = 0; k < d; k++) cen[(size_t)i * d + k] = r[k] - mean[i];
    }
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            double s = 0;
            const double *a = cen + (size_t)i * d, *b = cen + (size_t)j * d;
            for (int64_t k = 0; k < d; k++) s += a[k] * b[k];
            out[(size_t)i * n + j] = out[(size_t)j * n + i] = s;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j) {
                double den = sqrt(out[(size_t)i * n + i] * out[(size_t)j * n + j]);
                out[(size_t)i * n + j] /= den;
                if (out[(size_t)i * n + j] > 1) out[(size_t)i * n + j] = 1;
                if (out[(size_t)i * n + j] < -1) out[(size_t)i * n + j] = -1;
            }
    for (int i = 0; i < n; i++) {
        double v = out[(size_t)i * n + i];
        out[(size_t)i * n + i] = v > 0 ? 1.0 : NAN; /* numpy: x/x, NaN for 0 */
        if (!(v > 0))
            for (int j = 0; j < n; j++) out[(size_t)i * n + j] = out[(size_t)j * n + i] = NAN;
    }
    free(mean);
    free(cen);
}

/* ---- binary codes (nwot, T-CET) ------------------------------------------ */

/* add_code_kernel: K[i][j] += number of positions where the signs (x > 0)
 * of samples i and j agree, for value v of net (batch n x d per sample). */
static void add_code_kernel(const zc_net *net, int v, double *K) {
    int n = net->vshape[v].n;
    int64_t d = zc_net_value_numel(net, v) / n;
    int64_t words = (d + 63) / 64;
    uint64_t *bits = zc_calloc((size_t)(n * words), sizeof(uint64_t));
    const float *x = net->val[v];
    for (int i = 0; i < n; i++)
        for (int64_t k = 0; k < d; k++)
            if (x[(size_t)i * d + k] > 0) bits[i * words + k / 64] |= 1ull << (k % 64);
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++) {
            int64_t diff = 0;
            for (int64_t w = 0; w < words; w++)
                diff += __builtin_popcountll(bits[i * words + w] ^ bits[j * words + w]);
            double agree = (double)(d - diff);
            K[(size_t)i * n + j] += agree;
            if (j != i) K[(size_t)j * n + i] += agree;
        }
    free(bits);
}

/* ---- helpers ------------------------------------------------------------- */

static int is_weight_layer(const zc_layer *L) {
    return L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR;
}

static double dot_f(const float *a, const float *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* ce_backward_seed: dlogits = (softmax - onehot) / batch of the mean cross
 * entropy of the net's output (after a forward). Returns -1 on bad labels. */
static int ce_seed(const zc_net *net, const int *labels, float *dlogits, char *err,
                   size_t errlen) {
    int n = net->vshape[net->output].n;
    int c = (int)(zc_net_value_numel(net, net->output) / n);
    const float *z = net->val[net->output];
    for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= c) {
            snprintf(err, errlen, "label %d of sample %d is outside [0, %d)", labels[i], i, c);
            return -1;
        }
        double mx = -INFINITY, s = 0;
        for (int k = 0; k < c; k++) mx = fmax(mx, z[i * c + k]);
        for (int k = 0; k < c; k++) s += exp(z[i * c + k] - mx);
        for (int k = 0; k < c; k++) {
            double p = exp(z[i * c + k] - mx) / s;
            dlogits[i * c + k] = (float)((p - (k == labels[i])) / n);
        }
    }
    return 0;
}

/* fisher_layer: NASLib's fisher of one conv/linear layer (needs forward
 * values and the CE gradients). */
static double fisher_layer(const zc_net *net, const zc_layer *L) {
    int v = L->out;
    if (!net->grad_set[v]) return 0;
    const zc_vshape *s = &net->vshape[v];
    int hw = s->h * s->w;
    const zc_param *w = &net->params[L->param[0]];
    double fan_in = (double)(w->numel / w->shape[0]);
    double total = 0;
    for (int k = 0; k < s->c; k++) {
        double acc = 0;
        for (int i = 0; i < s->n; i++) {
            const float *a = net->val[v] + ((size_t)i * s->c + k) * hw;
            const float *g = net->grad[v] + ((size_t)i * s->c + k) * hw;
            double gnk = dot_f(a, g, hw);
            acc += gnk * gnk;
        }
        total += fabs(0.5 * acc / s->n);
    }
    return total * fan_in;
}

/* log_snr_abs: log(sum(s)/std(s)), s = |w * g| (unbiased std; the sum when
 * std = 0); 0 when every s is 0. */
static double log_snr_abs(const float *w, const float *g, int64_t n) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        double s = fabs((double)w[i] * g[i]);
        sum += s;
    }
    if (sum == 0) return 0;
    double mean = sum / (double)n;
    for (int64_t i = 0; i < n; i++) {
        double s = fabs((double)w[i] * g[i]) - mean;
        sq += s * s;
    }
    double sd = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
    return log(sd > 0 ? sum / sd : sum);
}

/* epe_nas_score: NASLib's eval_score_perclass on the input Jacobian rows. */
static double epe_nas_score(const float *jac, const int *labels, int n, int64_t d,
                            int n_classes) {
    const double k = 1e-5;
    int *seen = zc_calloc((size_t)n, sizeof(int));
    int *rows = zc_malloc(sizeof(int) * (size_t)n);
    double *sc = zc_malloc(sizeof(double) * (size_t)n);
    int n_seen = 0;
    double *corr = zc_malloc(sizeof(double) * (size_t)n * n);
    for (int i = 0; i < n; i++) {
        if (seen[i]) continue;
        int m = 0;
        for (int j = i; j < n; j++)
            if (labels[j] == labels[i]) {
                seen[j] = 1;
                rows[m++] = j;
            }
        double s;
        if (m == 1) {
            /* numpy: corrcoef of one vector is 1.0 (0-d); len() of it raises,
             * so the class is skipped when the score divides by len */
            if (n_classes > 100) continue;
            s = log(1.0 + k);
        } else {
            corrcoef(jac, rows, m, d, corr);
            s = 0;
            for (int a = 0; a < m * m; a++) s += log(fabs(corr[a]) + k);
            if (n_classes > 100) s /= m;
        }
        sc[n_seen++] = s;
    }
    double score = 0;
    if (n_classes <= 100) {
        for (int c = 0; c < n_seen; c++) score += fabs(sc[c]);
    } else {
        for (int c = 0; c < n_seen; c++)
            for (int c2 = 0; c2 < n_seen; c2++) score += fabs(sc[c] - sc[c2]);
        if (n_seen > 0) score /= n_seen;
    }
    free(seen);
    free(rows);
    free(sc);
    free(corr);
    return score;
}

void zc_proxy_zen_init(zc_net *net, zc_rng *rng) {
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR) {
            zc_param *w = &net->params[L->param[0]];
            zc_rng_fill_normal(rng, w->data, (long)w->numel, 0.0, 1.0);
            if (L->param[1] >= 0)
                memset(net->params[L->param[1]].data, 0,
                       sizeof(float) * net->params[L->param[1]].numel);
        } else if (L->kind == ZC_L_BN) {
            zc_param *g = &net->params[L->param[0]], *b = &net->params[L->param[1]];
            for (int64_t i = 0; i < g->numel; i++) g->data[i] = 1.0f;
            memset(b->data, 0, sizeof(float) * b->numel);
        }
    }
}

void zc_proxy_torch_init(zc_net *net, zc_rng *rng) {
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (L->kind == ZC_L_CONV || L->kind == ZC_L_LINEAR) {
            zc_param *w = &net->params[L->param[0]];
            double bound = 1.0 / sqrt((double)(w->numel / w->shape[0]));
            for (int64_t i = 0; i < w->numel; i++)
                w->data[i] = (float)((2 * zc_rng_uniform(rng) - 1) * bound);
            if (L->param[1] >= 0) {
                zc_param *b = &net->params[L->param[1]];
                for (int64_t i = 0; i < b->numel; i++)
                    b->data[i] = (float)((2 * zc_rng_uniform(rng) - 1) * bound);
            }
        } else if (L->kind == ZC_L_BN) {
            zc_param *g = &net->params[L->param[0]], *b = &net->params[L->param[1]];
            for (int64_t i = 0; i < g->numel; i++) g->data[i] = 1.0f;
            memset(b->data, 0, sizeof(float) * b->numel);
        }
    }
}

/* zen_bn_var: unbiased per-channel variance of value v, averaged over
 * channels after the running update rv = 0.9 rv + 0.1 var (into rv). */
static void zen_bn_update(const zc_net *net, int v, double *rv) {
    const zc_vshape *s = &net->vshape[v];
    int hw = s->h * s->w;
    double m = (double)s->n * hw;
    for (int c = 0; c < s->c; c++) {
        double sum = 0, sq = 0;
        for (int i = 0; i < s->n; i++) {
            const float *x = net->val[v] + ((size_t)i * s->c + c) * hw;
            for (int j = 0; j < hw; j++) sum += x[j];
        }
        double mean = sum / m;
        for (int i = 0; i < s->n; i++) {
            const float *x = net->val[v] + ((size_t)i * s->c + c) * hw;
            for (int j = 0; j < hw; j++) sq += (x[j] - mean) * (x[j] - mean);
        }
        double var = m > 1 ? sq / (m - 1) : NAN;
        rv[c] = 0.9 * rv[c] + 0.1 * var;
    }
}

static double zen_score(zc_net *net, const zc_proxy_inputs *in) {
    int gap = -1;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_GAP) gap = l;
    if (gap < 0) return NAN;
    int fv = net->layers[gap].in[0];
    int64_t nf = zc_net_value_numel(net, fv), nx = zc_net_value_numel(net, 0);
    float *f1 = zc_malloc(sizeof(float) * (size_t)nf);
    float *mix = zc_malloc(sizeof(float) * (size_t)nx);
    for (int64_t i = 0; i < nx; i++) mix[i] = in->zen_x1[i] + 0.01f * in->zen_x2[i];
    /* running variances of every BN, from 1 */
    int64_t nrv = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_BN) nrv += net->vshape[net->layers[l].in[0]].c;
    double *rv = zc_malloc(sizeof(double) * (size_t)(nrv + 1));
    for (int64_t i = 0; i < nrv; i++) rv[i] = 1.0;
    for (int pass = 0; pass < 2; pass++) {
        zc_net_forward(net, pass == 0 ? in->zen_x1 : mix);
        if (pass == 0) memcpy(f1, net->val[fv], sizeof(float) * (size_t)nf);
        int64_t off = 0;
        for (int l = 0; l < net->n_layers; l++)
            if (net->layers[l].kind == ZC_L_BN) {
                zen_bn_update(net, net->layers[l].in[0], rv + off);
                off += net->vshape[net->layers[l].in[0]].c;
            }
    }
    const float *f2 = net->val[fv];
    int n = net->vshape[fv].n;
    int64_t per = nf / n;
    double nas = 0;
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int64_t k = 0; k < per; k++)
            s += fabs((double)f1[(size_t)i * per + k] - f2[(size_t)i * per + k]);
        nas += s;
    }
    nas /= n;
    double log_bn = 0;
    int64_t off = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_BN) {
            int c = net->vshape[net->layers[l].in[0]].c;
            double m = 0;
            for (int k = 0; k < c; k++) m += rv[off + k];
            log_bn += log(sqrt(m / c));
            off += c;
        }
    free(f1);
    free(mix);
    free(rv);
    return log(nas) + log_bn;
}

static double eznas_a_score(zc_net *net, const float *const *inputs) {
    const char *text = zc_program_named("eznas-a");
    if (!text) return NAN;
    zc_program prog;
    char err[256];
    if (zc_program_parse(text, &prog, err, sizeof err) != 0) return NAN;
    zc_arch_stats rec;
    memset(&rec, 0, sizeof rec);
    zc_compute_stats(net, inputs, zc_program_terminals(&prog), &rec);
    zc_eval_ctx *ctx = zc_eval_ctx_new();
    double score = NAN;
    if (zc_eval_network(ctx, &prog, &rec, &score) != 0) score = NAN;
    zc_eval_ctx_free(ctx);
    zc_arch_stats_free(&rec);
    return score;
}

/* ---- the driver ---------------------------------------------------------- */

#define WANT(id) (mask & (1u << (id)))

int zc_proxies_compute(zc_net *net, const zc_proxy_inputs *in, zc_proxy_mask mask,
                       double *out, char *err, size_t errlen) {
    if (net->output < 0) {
        snprintf(err, errlen, "network has no output value");
        return -1;
    }
    zc_net_alloc(net);
    int n = net->batch;
    int64_t nout = zc_net_value_numel(net, net->output);
    int n_classes = (int)(nout / n);
    float *dl = zc_malloc(sizeof(float) * (size_t)nout);
    double *lnwot = zc_calloc((size_t)net->n_layers, sizeof(double));
    int rc = 0;

    /* data-independent */
    if (WANT(ZC_PX_PARAMS)) out[ZC_PX_PARAMS] = (double)zc_net_param_count(net) / 1e6;
    if (WANT(ZC_PX_FLOPS)) {
        double macs = 0;
        for (int l = 0; l < net->n_layers; l++) {
            const zc_layer *L = &net->layers[l];
            if (L->kind == ZC_L_CONV)
                macs += (double)L->conv.k * (L->conv.c / L->conv.groups) * L->conv.r *
                        L->conv.s * L->conv.p * L->conv.q;
            else if (L->kind == ZC_L_LINEAR)
                macs += (double)net->params[L->param[0]].numel;
        }
        out[ZC_PX_FLOPS] = macs / 1e6;
    }
    if (WANT(ZC_PX_L2_NORM)) {
        double s = 0;
        for (int l = 0; l < net->n_layers; l++) {
            const zc_layer *L = &net->layers[l];
            if (!is_weight_layer(L)) continue;
            const zc_param *p = &net->params[L->param[0]];
            s += sqrt(dot_f(p->data, p->data, p->numel));
        }
        out[ZC_PX_L2_NORM] = s;
    }

    const zc_proxy_mask data_mask =
        (1u << ZC_PX_GRAD_NORM) | (1u << ZC_PX_SNIP) | (1u << ZC_PX_PLAIN) |
        (1u << ZC_PX_FISHER) | (1u << ZC_PX_GRASP) | (1u << ZC_PX_NWOT) |
        (1u << ZC_PX_JACOV) | (1u << ZC_PX_EPE_NAS) | (1u << ZC_PX_TCET_SNIP) |
        (1u << ZC_PX_TCET_SYNFLOW);
    float **gsave = zc_calloc((size_t)net->n_layers, sizeof(float *));
    if (mask & data_mask) {
        zc_net_forward(net, in->x);
        if (WANT(ZC_PX_NWOT)) {
            double *K = zc_calloc((size_t)n * n, sizeof(double));
            for (int l = 0; l < net->n_layers; l++)
                if (net->layers[l].kind == ZC_L_RELU) add_code_kernel(net, net->layers[l].in[0], K);
            out[ZC_PX_NWOT] = zc_slogdet(K, n);
            free(K);
        }
        if (WANT(ZC_PX_TCET_SNIP) || WANT(ZC_PX_TCET_SYNFLOW)) {
            double *K = zc_malloc(sizeof(double) * (size_t)n * n);
            for (int l = 0; l < net->n_layers; l++) {
                if (!is_weight_layer(&net->layers[l])) continue;
                memset(K, 0, sizeof(double) * (size_t)n * n);
                add_code_kernel(net, net->layers[l].out, K);
                double ld = zc_slogdet(K, n);
                lnwot[l] = isfinite(ld) ? ld : 0;
            }
            free(K);
        }
        if (ce_seed(net, in->labels, dl, err, errlen) != 0) {
            rc = -1;
            goto done;
        }
        zc_net_backward_seeded(net, dl);
        double gn = 0, snip = 0, plain = 0, fisher = 0, tcet = 0;
        for (int l = 0; l < net->n_layers; l++) {
            const zc_layer *L = &net->layers[l];
            if (!is_weight_layer(L)) continue;
            const zc_param *p = &net->params[L->param[0]];
            gn += sqrt(dot_f(p->grad, p->grad, p->numel));
            for (int64_t i = 0; i < p->numel; i++) {
                double wg = (double)p->data[i] * p->grad[i];
                snip += fabs(wg);
                plain += wg;
            }
            if (WANT(ZC_PX_FISHER)) fisher += fisher_layer(net, L);
            if (WANT(ZC_PX_TCET_SNIP) && lnwot[l] != 0)
                tcet += lnwot[l] * log_snr_abs(p->data, p->grad, p->numel);
            if (WANT(ZC_PX_GRASP)) {
                gsave[l] = zc_malloc(sizeof(float) * (size_t)p->numel);
                memcpy(gsave[l], p->grad, sizeof(float) * (size_t)p->numel);
            }
        }
        if (WANT(ZC_PX_GRAD_NORM)) out[ZC_PX_GRAD_NORM] = gn;
        if (WANT(ZC_PX_SNIP)) out[ZC_PX_SNIP] = snip;
        if (WANT(ZC_PX_PLAIN)) out[ZC_PX_PLAIN] = plain;
        if (WANT(ZC_PX_FISHER)) out[ZC_PX_FISHER] = fisher;
        if (WANT(ZC_PX_TCET_SNIP)) out[ZC_PX_TCET_SNIP] = tcet;

        if (WANT(ZC_PX_GRASP)) {
            /* NASLib's GraSP: -sum W . (H g), g = dL/dW of the CE loss, H the
             * Hessian of the loss in the conv/linear weights: an exact
             * Hessian-vector product by the R-operator (net_hvp.h), as
             * PyTorch's double backward. */
            float **v = zc_calloc((size_t)net->n_params, sizeof(float *));
            float **hv = zc_calloc((size_t)net->n_params, sizeof(float *));
            for (int l = 0; l < net->n_layers; l++) {
                if (!gsave[l]) continue;
                int p = net->layers[l].param[0];
                v[p] = gsave[l];
                hv[p] = zc_malloc(sizeof(float) * (size_t)net->params[p].numel);
            }
            /* the net still holds the state of the CE backward */
            zc_net_hvp(net, v, zc_hvp_cross_entropy, NULL, hv);
            double g = 0;
            for (int p = 0; p < net->n_params; p++)
                if (hv[p]) g -= dot_f(net->params[p].data, hv[p], net->params[p].numel);
            out[ZC_PX_GRASP] = g;
            for (int p = 0; p < net->n_params; p++) free(hv[p]);
            free(v);
            free(hv);
        }

        if (WANT(ZC_PX_JACOV) || WANT(ZC_PX_EPE_NAS)) {
            zc_net_backward_seeded(net, NULL); /* d(sum of logits)/d input */
            int64_t d = zc_net_value_numel(net, 0) / n;
            float *jac = net->grad[0];
            if (!net->grad_set[0]) memset(jac, 0, sizeof(float) * (size_t)(n * d));
            if (WANT(ZC_PX_JACOV)) {
                int *rows = zc_malloc(sizeof(int) * (size_t)n);
                for (int i = 0; i < n; i++) rows[i] = i;
                double *C = zc_malloc(sizeof(double) * (size_t)n * n);
                double *ev = zc_malloc(sizeof(double) * (size_t)n);
                corrcoef(jac, rows, n, d, C);
                zc_sym_eigenvalues(C, n, ev);
                double s = 0;
                for (int i = 0; i < n; i++) s += log(ev[i] + 1e-5) + 1.0 / (ev[i] + 1e-5);
                out[ZC_PX_JACOV] = -s;
                free(rows);
                free(C);
                free(ev);
            }
            if (WANT(ZC_PX_EPE_NAS))
                out[ZC_PX_EPE_NAS] = epe_nas_score(jac, in->labels, n, d, n_classes);
        }

    }

    if (WANT(ZC_PX_SYNFLOW) || WANT(ZC_PX_TCET_SYNFLOW)) {
        double t = NAN;
        double s = zc_proxy_synflow(net, WANT(ZC_PX_TCET_SYNFLOW) ? lnwot : NULL, &t);
        if (WANT(ZC_PX_SYNFLOW)) out[ZC_PX_SYNFLOW] = s;
        if (WANT(ZC_PX_TCET_SYNFLOW)) out[ZC_PX_TCET_SYNFLOW] = t;
    }

    if (WANT(ZC_PX_ZEN)) {
        if (!in->zen_x1 || !in->zen_x2 || !in->zen_rng) out[ZC_PX_ZEN] = NAN;
        else {
            float **saved = zc_malloc(sizeof(float *) * (size_t)(net->n_params + 1));
            for (int p = 0; p < net->n_params; p++) {
                saved[p] = zc_malloc(sizeof(float) * (size_t)net->params[p].numel);
                memcpy(saved[p], net->params[p].data, sizeof(float) * net->params[p].numel);
            }
            zc_proxy_zen_init(net, in->zen_rng);
            out[ZC_PX_ZEN] = zen_score(net, in);
            for (int p = 0; p < net->n_params; p++) {
                memcpy(net->params[p].data, saved[p], sizeof(float) * net->params[p].numel);
                free(saved[p]);
            }
            free(saved);
        }
    }

    if (WANT(ZC_PX_EZNAS_A))
        out[ZC_PX_EZNAS_A] = in->stats_inputs ? eznas_a_score(net, in->stats_inputs) : NAN;

    if ((mask & ZC_MODERN_PROXIES) &&
        zc_modern_proxies_compute(net, in, mask, out, err, errlen) != 0)
        rc = -1;

done:
    for (int l = 0; l < net->n_layers; l++) free(gsave[l]);
    free(gsave);
    free(dl);
    free(lnwot);
    return rc;
}

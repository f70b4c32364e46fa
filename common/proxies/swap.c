/* swap.c: SWAP-Score (Peng et al., ICLR 2024; code pym1024/SWAP,
 * src/metrics/swap.py and correlation.py): the sample-wise activation
 * pattern of a neuron is the vector of signs of its ReLU output over the S
 * input images (S = 16); the score is the number of distinct patterns over
 * every neuron of every ReLU, averaged over 32 draws of N(0,1) conv and
 * linear weights (BN weight 1, bias 0). The regularised form multiplies it
 * by exp(-(P - mu)^2 / sigma), P the parameter count in millions. */
#include "common/proxies/modern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"

/* SWAP regularisation constants (parameters in millions); see
 * docs/proxies.md for where they come from. */
static const double k_swap_mu = 1.5, k_swap_sigma = 1.5;

/* pattern_set: distinct 64-bit patterns, a bitmap when patterns have at
 * most 20 bits, else an open-addressing hash set. */
typedef struct {
    int bits;
    uint8_t *bitmap;
    uint64_t *slots; /* pattern + 1, 0 = empty */
    uint8_t *used;
    int64_t cap, count;
} pattern_set;

static void set_init(pattern_set *s, int bits, int64_t max_items) {
    memset(s, 0, sizeof *s);
    s->bits = bits;
    if (bits <= 20) {
        s->bitmap = zc_calloc((size_t)1 << (bits > 3 ? bits - 3 : 0), 1);
        return;
    }
    s->cap = 1024;
    while (s->cap < 2 * max_items) s->cap *= 2;
    s->slots = zc_calloc((size_t)s->cap, sizeof(uint64_t));
    s->used = zc_calloc((size_t)s->cap, 1);
}

static void set_add(pattern_set *s, uint64_t code) {
    if (s->bitmap) {
        uint8_t bit = (uint8_t)(1u << (code & 7));
        if (!(s->bitmap[code >> 3] & bit)) {
            s->bitmap[code >> 3] |= bit;
            s->count++;
        }
        return;
    }
    uint64_t h = code * 0x9E3779B97F4A7C15ull;
    for (int64_t i = (int64_t)(h >> 17) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->used[i]) {
            s->used[i] = 1;
            s->slots[i] = code;
            s->count++;
            return;
        }
        if (s->slots[i] == code) return;
    }
}

static void set_free(pattern_set *s) {
    free(s->bitmap);
    free(s->slots);
    free(s->used);
}

/* distinct_patterns: the number of distinct sign patterns over the batch
 * of every ReLU output neuron of net (after a forward). */
static int64_t distinct_patterns(const zc_net *net) {
    int n = net->batch;
    int64_t neurons = 0;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind == ZC_L_RELU)
            neurons += zc_net_value_numel(net, net->layers[l].out) / n;
    pattern_set set;
    set_init(&set, n, neurons);
    for (int l = 0; l < net->n_layers; l++) {
        if (net->layers[l].kind != ZC_L_RELU) continue;
        int v = net->layers[l].out;
        int64_t d = zc_net_value_numel(net, v) / n;
        const float *y = net->val[v];
        for (int64_t k = 0; k < d; k++) {
            uint64_t code = 0;
            for (int i = 0; i < n; i++) code |= (uint64_t)(y[(int64_t)i * d + k] > 0) << i;
            set_add(&set, code);
        }
    }
    int64_t count = set.count;
    set_free(&set);
    return count;
}

double zc_swap(zc_net *net_s, const float *x, int repeats, zc_rng *rng) {
    if (net_s->batch > 64 || repeats < 1) return NAN;
    float **saved = zc_px_save_params(net_s);
    double total = 0;
    for (int r = 0; r < repeats; r++) {
        zc_proxy_zen_init(net_s, rng); /* N(0,1) conv/linear weights, BN 1 / 0 */
        zc_net_forward(net_s, x);
        total += (double)distinct_patterns(net_s);
    }
    zc_px_restore_params(net_s, saved);
    return total / repeats;
}

double zc_swap_regularised(double swap, int64_t params) {
    double p = (double)params / 1e6;
    return swap * exp(-(p - k_swap_mu) * (p - k_swap_mu) / k_swap_sigma);
}

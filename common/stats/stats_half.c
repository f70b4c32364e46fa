/* stats_half.c: statistics records in half precision with a power-of-two
 * scale per tensor (see stats_half.h). */
#include "common/stats/stats_half.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* ---- one value ---------------------------------------------------------- */

/* half_bits: the IEEE binary16 bits of a float already scaled into the half
 * range (|f| < 2^15), rounded to nearest even, subnormals included; a
 * non-zero value too small for the smallest subnormal keeps its sign as
 * +-2^-24 instead of rounding to zero. */
static uint16_t half_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t absx = x & 0x7fffffffu;
    if (absx < 0x38800000u) { /* below 2^-14: a subnormal half (or zero) */
        float a;
        memcpy(&a, &absx, sizeof a);
        uint16_t m = (uint16_t)nearbyintf(a * 16777216.0f); /* a * 2^24 */
        return (uint16_t)(sign | (m == 0 && absx != 0 ? 1u : m));
    }
    uint32_t h = (((absx >> 23) - 127u + 15u) << 10) | ((absx & 0x7fffffu) >> 13);
    uint32_t rest = absx & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

static float g_half_table[65536];
static pthread_once_t g_half_once = PTHREAD_ONCE_INIT;

/* build_table: the float value of every half bit pattern. */
static void build_table(void) {
    for (uint32_t h = 0; h < 65536u; h++) {
        uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
        float v;
        if (exp == 0) v = ldexpf((float)mant, -24); /* subnormal or zero */
        else if (exp == 31) v = mant ? NAN : INFINITY;
        else {
            uint32_t bits = ((exp - 15u + 127u) << 23) | (mant << 13);
            memcpy(&v, &bits, sizeof v);
        }
        uint32_t vb;
        memcpy(&vb, &v, sizeof vb);
        vb |= sign;
        memcpy(&g_half_table[h], &vb, sizeof vb);
    }
}

uint16_t zc_float_to_half_scaled(float x, int e) {
    return half_bits((float)((double)x * ldexp(1.0, -e)));
}

float zc_half_to_float_scaled(uint16_t h, int e) {
    pthread_once(&g_half_once, build_table);
    return (float)((double)g_half_table[h] * ldexp(1.0, e));
}

/* ---- tensors ------------------------------------------------------------- */

/* scale_exponent: e such that max|x| * 2^-e lies in [2^14, 2^15) (0 for an
 * all-zero tensor). */
static int scale_exponent(const float *x, int64_t n) {
    float m = 0;
    for (int64_t i = 0; i < n; i++) m = fmaxf(m, fabsf(x[i]));
    if (m == 0) return 0;
    int k;
    frexpf(m, &k); /* m in [2^(k-1), 2^k) */
    return k - 15;
}

static void compress(const float *x, int64_t n, uint16_t *out, int16_t *exponent) {
    int e = scale_exponent(x, n);
    double s = ldexp(1.0, -e);
    for (int64_t i = 0; i < n; i++) out[i] = half_bits((float)((double)x[i] * s));
    *exponent = (int16_t)e;
}

static void expand(const uint16_t *h, int64_t n, int e, float *out) {
    pthread_once(&g_half_once, build_table);
    double s = ldexp(1.0, e);
    for (int64_t i = 0; i < n; i++) out[i] = (float)((double)g_half_table[h[i]] * s);
}

/* ---- records ------------------------------------------------------------- */

void zc_half_from_arch(zc_arch_stats *a, zc_half_arch *h) {
    memset(h, 0, sizeof *h);
    h->n_layers = a->n_layers;
    h->bits = zc_calloc((size_t)(a->n_layers ? a->n_layers : 1), sizeof *h->bits);
    h->exponent = zc_calloc((size_t)(a->n_layers ? a->n_layers : 1), sizeof *h->exponent);
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            zc_tensor *x = &a->layers[l].t[t];
            if (!x->data) continue;
            int64_t n = zc_tensor_numel(x);
            h->bits[l][t] = zc_malloc(sizeof(uint16_t) * (size_t)n);
            compress(x->data, n, h->bits[l][t], &h->exponent[l][t]);
            free(x->data);
            x->data = NULL;
        }
}

const zc_arch_stats *zc_half_expand(const zc_arch_stats *a, const zc_half_arch *h,
                                    zc_terminal_mask need, zc_half_scratch *scratch) {
    int64_t total = 0;
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++)
            if (h->bits[l][t] && (need & (1u << t))) total += zc_tensor_numel(&a->layers[l].t[t]);
    if (scratch->pool_cap < total) {
        free(scratch->pool);
        scratch->pool_cap = total + total / 8;
        scratch->pool = zc_malloc(sizeof(float) * (size_t)scratch->pool_cap);
    }
    if (scratch->layer_cap < a->n_layers) {
        scratch->layer_cap = a->n_layers;
        scratch->rec.layers =
            zc_realloc(scratch->rec.layers, sizeof *scratch->rec.layers * (size_t)a->n_layers);
    }
    zc_layer_stats *layers = scratch->rec.layers;
    scratch->rec = *a;
    scratch->rec.layers = layers;
    float *next = scratch->pool;
    for (int l = 0; l < a->n_layers; l++) {
        layers[l] = a->layers[l];
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            if (!h->bits[l][t] || !(need & (1u << t))) continue;
            int64_t n = zc_tensor_numel(&a->layers[l].t[t]);
            expand(h->bits[l][t], n, h->exponent[l][t], next);
            layers[l].t[t].data = next;
            next += n;
        }
    }
    return &scratch->rec;
}

void zc_half_scratch_free(zc_half_scratch *scratch) {
    free(scratch->rec.layers);
    free(scratch->pool);
    memset(scratch, 0, sizeof *scratch);
}

void zc_half_round_trip(zc_arch_stats *a) {
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            zc_tensor *x = &a->layers[l].t[t];
            if (!x->data) continue;
            int64_t n = zc_tensor_numel(x);
            uint16_t *bits = zc_malloc(sizeof(uint16_t) * (size_t)(n ? n : 1));
            int16_t e;
            compress(x->data, n, bits, &e);
            expand(bits, n, e, x->data);
            free(bits);
        }
}

void zc_half_free(zc_half_arch *h) {
    for (int l = 0; l < h->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) free(h->bits[l][t]);
    free(h->bits);
    free(h->exponent);
    memset(h, 0, sizeof *h);
}

int64_t zc_half_bytes(const zc_arch_stats *a, const zc_half_arch *h) {
    int64_t b = 0;
    for (int l = 0; l < h->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++)
            if (h->bits[l][t]) b += (int64_t)sizeof(uint16_t) * zc_tensor_numel(&a->layers[l].t[t]);
    return b;
}

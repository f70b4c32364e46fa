/* primitives.c: implementations of the 38 proxy primitives on float32
 * tensors (see primitives.h and docs/primitives.md for the semantics).
 * Inner loops are tight loops chosen by a switch outside them; reductions
 * and linear algebra accumulate in double. */
#include "common/program/primitives.h"

#include "common/util/fastmath.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/program.h"
#include "common/util/util.h"

void zc_prim_work_free(zc_prim_work *w) {
    free(w->dbl);
    free(w->flt);
    memset(w, 0, sizeof *w);
}

static double *work_dbl(zc_prim_work *w, size_t n) {
    if (w->dbl_cap < n) {
        size_t cap = n + n / 4 + 64;
        w->dbl = zc_realloc(w->dbl, cap * sizeof(double));
        w->dbl_cap = cap;
    }
    return w->dbl;
}

static float *work_flt(zc_prim_work *w, size_t n) {
    if (w->flt_cap < n) {
        size_t cap = n + n / 4 + 64;
        w->flt = zc_realloc(w->flt, cap * sizeof(float));
        w->flt_cap = cap;
    }
    return w->flt;
}

char *zc_prim_format_shape(const zc_tensor *t, char *buf, size_t buflen) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, n < buflen ? buflen - n : 0, "(");
    for (int i = 0; i < t->ndim; i++)
        n += (size_t)snprintf(buf + n, n < buflen ? buflen - n : 0, "%s%lld", i ? ", " : "",
                              (long long)t->shape[i]);
    snprintf(buf + n, n < buflen ? buflen - n : 0, ")");
    return buf;
}

static int same_shape(const zc_tensor *a, const zc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

int zc_prim_broadcast_shape(const zc_tensor *a, const zc_tensor *b, zc_tensor *out) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t shape[ZC_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da == db || db == 1) shape[i] = da;
        else if (da == 1) shape[i] = db;
        else return -1;
    }
    out->ndim = nd;
    for (int i = 0; i < nd; i++) out->shape[i] = shape[i];
    return 0;
}

/* ---- shapes -------------------------------------------------------------- */

/* matmul geometry: batch dims (broadcast, up to 2), m, k, n and which
 * operands were vectors */
typedef struct {
    int batch_nd;
    int64_t batch[2];
    int64_t a_bstride[2], b_bstride[2]; /* element strides of the batch dims  */
    int64_t m, k, n;
    int a_vec, b_vec;
} mm_geom;

static int matmul_geom(const zc_tensor *a, const zc_tensor *b, mm_geom *g, zc_tensor *out,
                       char *err, size_t errlen) {
    char sa[64], sb[64];
    memset(g, 0, sizeof *g);
    g->a_vec = a->ndim == 1;
    g->b_vec = b->ndim == 1;
    int64_t ak = a->shape[a->ndim - 1];
    int64_t bk = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2];
    g->m = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
    g->n = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    g->k = ak;
    if (ak != bk)
        return zc_fail(err, errlen, "matmul: shapes %s and %s do not fit",
                          zc_prim_format_shape(a, sa, sizeof sa),
                          zc_prim_format_shape(b, sb, sizeof sb));
    zc_tensor ba = {0, {0}, NULL}, bb = {0, {0}, NULL}, bo;
    ba.ndim = a->ndim > 2 ? a->ndim - 2 : 0;
    bb.ndim = b->ndim > 2 ? b->ndim - 2 : 0;
    for (int i = 0; i < ba.ndim; i++) ba.shape[i] = a->shape[i];
    for (int i = 0; i < bb.ndim; i++) bb.shape[i] = b->shape[i];
    if (zc_prim_broadcast_shape(&ba, &bb, &bo))
        return zc_fail(err, errlen, "matmul: batch dims of %s and %s do not broadcast",
                          zc_prim_format_shape(a, sa, sizeof sa),
                          zc_prim_format_shape(b, sb, sizeof sb));
    g->batch_nd = bo.ndim;
    /* pad batch to 2 dims; element strides of a and b batches */
    int64_t a_mat = g->m * g->k, b_mat = g->k * g->n;
    for (int i = 0; i < 2; i++) {
        int oi = bo.ndim - 2 + i;
        g->batch[i] = oi >= 0 ? bo.shape[oi] : 1;
    }
    {
        int64_t sa_ = a_mat, sb_ = b_mat;
        for (int i = 1; i >= 0; i--) {
            int ia = ba.ndim - 2 + i, ib = bb.ndim - 2 + i;
            int64_t da = ia >= 0 ? ba.shape[ia] : 1, db = ib >= 0 ? bb.shape[ib] : 1;
            g->a_bstride[i] = da == 1 ? 0 : sa_;
            g->b_bstride[i] = db == 1 ? 0 : sb_;
            sa_ *= da;
            sb_ *= db;
        }
    }
    out->ndim = 0;
    for (int i = 0; i < bo.ndim; i++) out->shape[out->ndim++] = bo.shape[i];
    if (!g->a_vec) out->shape[out->ndim++] = g->m;
    if (!g->b_vec) out->shape[out->ndim++] = g->n;
    int64_t flops = g->batch[0] * g->batch[1] * g->m * g->n * g->k;
    if (flops > ZC_PRIM_MAX_FLOPS)
        return zc_fail(err, errlen, "matmul: %lld multiply-adds over the limit",
                          (long long)flops);
    return 0;
}

int zc_prim_shape(int op, const zc_tensor *a, const zc_tensor *b, zc_tensor *out,
                  char *err, size_t errlen) {
    char sa[64], sb[64];
    const char *name = zc_op_name(op);
    if (err && errlen) err[0] = 0;
    out->ndim = 0;
    switch (op) {
    case ZC_OP_ADD: case ZC_OP_SUB: case ZC_OP_MUL: case ZC_OP_LT: case ZC_OP_GT:
    case ZC_OP_EQ: case ZC_OP_PDIV:
        if (zc_prim_broadcast_shape(a, b, out))
            return zc_fail(err, errlen, "%s: shapes %s and %s do not broadcast", name,
                              zc_prim_format_shape(a, sa, sizeof sa),
                              zc_prim_format_shape(b, sb, sizeof sb));
        break;
    case ZC_OP_KL_DIV: {
        zc_tensor bc;
        if (zc_prim_broadcast_shape(a, b, &bc))
            return zc_fail(err, errlen, "%s: shapes %s and %s do not broadcast", name,
                              zc_prim_format_shape(a, sa, sizeof sa),
                              zc_prim_format_shape(b, sb, sizeof sb));
        if (zc_tensor_numel(&bc) > ZC_PRIM_MAX_NUMEL)
            return zc_fail(err, errlen, "kl_div: broadcast result too large");
        break;
    }
    case ZC_OP_MATMUL:
        if (a->ndim == 0 || b->ndim == 0) { /* 0-d promoted: multiplication */
            if (zc_prim_broadcast_shape(a, b, out)) return -1;
        } else {
            mm_geom g;
            if (matmul_geom(a, b, &g, out, err, errlen)) return -1;
        }
        break;
    case ZC_OP_HAMMING:
        if (zc_tensor_numel(a) != zc_tensor_numel(b))
            return zc_fail(err, errlen, "hamming: sizes of %s and %s differ",
                              zc_prim_format_shape(a, sa, sizeof sa),
                              zc_prim_format_shape(b, sb, sizeof sb));
        break;
    case ZC_OP_COSINE:
        if (a->ndim < 1 || !same_shape(a, b))
            return zc_fail(err, errlen, "cosine: needs equal shapes of >= 1 dim, got %s and %s",
                              zc_prim_format_shape(a, sa, sizeof sa),
                              zc_prim_format_shape(b, sb, sizeof sb));
        break;
    case ZC_OP_FROBENIUS: case ZC_OP_MEAN: case ZC_OP_MEAN_ABS: case ZC_OP_NUMEL:
        break;
    case ZC_OP_EIG_RATIO:
        if (a->ndim < 1)
            return zc_fail(err, errlen, "eig_ratio: needs >= 1 dim, got ()");
        break;
    case ZC_OP_DET: case ZC_OP_LOGDET:
        if (a->ndim < 2 || a->shape[a->ndim - 1] != a->shape[a->ndim - 2])
            return zc_fail(err, errlen, "%s: needs square last two dims, got %s", name,
                              zc_prim_format_shape(a, sa, sizeof sa));
        out->ndim = a->ndim - 2;
        for (int i = 0; i < out->ndim; i++) out->shape[i] = a->shape[i];
        break;
    default:
        if (op < ZC_OP_BASE || op >= ZC_OP_END)
            return zc_fail(err, errlen, "unknown opcode %d", op);
        /* unary shape-preserving */
        *out = *a;
        break;
    }
    out->data = NULL;
    if (zc_tensor_numel(out) > ZC_PRIM_MAX_NUMEL)
        return zc_fail(err, errlen, "%s: result %s too large", name,
                          zc_prim_format_shape(out, sa, sizeof sa));
    return 0;
}

/* ---- pointwise kernels --------------------------------------------------- */

void zc_prim_unary_block(int op, const float *in, float *out, int64_t n) {
    int64_t i;
    switch (op) {
    case ZC_OP_LOG:
        for (i = 0; i < n; i++) {
            float l = zc_fast_logf(in[i]);
            out[i] = in[i] <= 0.0f ? 0.0f : l;
        }
        break;
    case ZC_OP_ABSLOG:
        for (i = 0; i < n; i++) {
            float l = fabsf(zc_fast_logf(fabsf(in[i])));
            out[i] = in[i] == 0.0f ? 0.0f : l;
        }
        break;
    case ZC_OP_ABS:
        for (i = 0; i < n; i++) out[i] = fabsf(in[i]);
        break;
    case ZC_OP_SQUARE:
        for (i = 0; i < n; i++) out[i] = in[i] * in[i];
        break;
    case ZC_OP_EXP:
        for (i = 0; i < n; i++) out[i] = zc_fast_expf(in[i]);
        break;
    case ZC_OP_RELU: /* NaN propagates, as torch.relu */
        for (i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 0.0f : in[i];
        break;
    case ZC_OP_SIGN: /* sign(0) = 0, sign(NaN) = NaN? no: torch gives 0 */
        for (i = 0; i < n; i++)
            out[i] = (float)((in[i] > 0.0f) - (in[i] < 0.0f));
        break;
    case ZC_OP_HEAVISIDE: case ZC_OP_POS_MASK:
        for (i = 0; i < n; i++) out[i] = in[i] > 0.0f ? 1.0f : 0.0f;
        break;
    case ZC_OP_NEG_MASK:
        for (i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 1.0f : 0.0f;
        break;
    case ZC_OP_RECIPROCAL:
        for (i = 0; i < n; i++) out[i] = 1.0f / in[i];
        break;
    case ZC_OP_SIGMOID:
        for (i = 0; i < n; i++) out[i] = 1.0f / (1.0f + zc_fast_expf(-in[i]));
        break;
    case ZC_OP_ONES_LIKE:
        for (i = 0; i < n; i++) out[i] = 1.0f;
        break;
    case ZC_OP_ZEROS_LIKE:
        for (i = 0; i < n; i++) out[i] = 0.0f;
        break;
    case ZC_OP_NEG:
        for (i = 0; i < n; i++) out[i] = -in[i];
        break;
    case ZC_OP_PLOG: /* |x| <= 0.001 (or NaN) -> 0, else ln|x| */
        for (i = 0; i < n; i++) {
            float l = zc_fast_logf(fabsf(in[i]));
            out[i] = fabsf(in[i]) > ZC_PROTECT_EPS ? l : 0.0f;
        }
        break;
    case ZC_OP_PSQRT:
        for (i = 0; i < n; i++) out[i] = sqrtf(fabsf(in[i]));
        break;
    default:
        zc_die("internal error: zc_prim_unary_block on non-pointwise op %s", zc_op_name(op));
    }
}

/* BIN_LOOP: out[i] = EXPR(x, y) with x from a (stride sa), y from b (sb) */
#define BIN_CASES(LOOP)                                                          \
    case ZC_OP_ADD: LOOP(x + y); break;                                          \
    case ZC_OP_SUB: LOOP(x - y); break;                                          \
    case ZC_OP_MUL: LOOP(x * y); break;                                          \
    case ZC_OP_LT: LOOP(x < y ? 1.0f : 0.0f); break;                             \
    case ZC_OP_GT: LOOP(x > y ? 1.0f : 0.0f); break;                             \
    case ZC_OP_EQ: LOOP(x == y ? 1.0f : 0.0f); break;                            \
    case ZC_OP_PDIV: LOOP(fabsf(y) > ZC_PROTECT_EPS ? x / y : 1.0f); break;

void zc_prim_scalar_block(int op, const float *xs, float s, int scalar_on_left, float *out,
                          int64_t n) {
    int64_t i;
#define LOOP_R(E) for (i = 0; i < n; i++) { float x = xs[i], y = s; out[i] = (E); }
#define LOOP_L(E) for (i = 0; i < n; i++) { float x = s, y = xs[i]; out[i] = (E); }
    if (scalar_on_left) {
        switch (op) {
            BIN_CASES(LOOP_L)
        default: zc_die("internal error: zc_prim_scalar_block on %s", zc_op_name(op));
        }
    } else {
        switch (op) {
            BIN_CASES(LOOP_R)
        default: zc_die("internal error: zc_prim_scalar_block on %s", zc_op_name(op));
        }
    }
#undef LOOP_R
#undef LOOP_L
}

/* one row of a broadcast binary op: strides 0 or 1 */
static void bin_row(int op, const float *a, int sa, const float *b, int sb, float *out,
                    int64_t n) {
    int64_t i;
    if (sa == 1 && sb == 1) {
#define LOOP_11(E) for (i = 0; i < n; i++) { float x = a[i], y = b[i]; out[i] = (E); }
        switch (op) { BIN_CASES(LOOP_11) default: break; }
#undef LOOP_11
    } else if (sa == 1) {
        zc_prim_scalar_block(op, a, b[0], 0, out, n);
    } else if (sb == 1) {
        zc_prim_scalar_block(op, b, a[0], 1, out, n);
    } else {
        float x = a[0], y = b[0], v = 0;
        switch (op) {
        case ZC_OP_ADD: v = x + y; break;
        case ZC_OP_SUB: v = x - y; break;
        case ZC_OP_MUL: v = x * y; break;
        case ZC_OP_LT: v = x < y ? 1.0f : 0.0f; break;
        case ZC_OP_GT: v = x > y ? 1.0f : 0.0f; break;
        case ZC_OP_EQ: v = x == y ? 1.0f : 0.0f; break;
        case ZC_OP_PDIV: v = fabsf(y) > ZC_PROTECT_EPS ? x / y : 1.0f; break;
        default: break;
        }
        for (i = 0; i < n; i++) out[i] = v;
    }
}

/* padded 4-d element strides of t broadcast to out (0 on broadcast dims) */
static void broadcast_strides(const zc_tensor *t, int64_t st[4]) {
    int64_t s = 1;
    for (int i = 3; i >= 0; i--) {
        int ti = t->ndim - 4 + i;
        int64_t d = ti >= 0 ? t->shape[ti] : 1;
        st[i] = d == 1 ? 0 : s;
        s *= d;
    }
}

static void pad_shape(const zc_tensor *t, int64_t sh[4]) {
    for (int i = 0; i < 4; i++) {
        int ti = t->ndim - 4 + i;
        sh[i] = ti >= 0 ? t->shape[ti] : 1;
    }
}

static void binary_broadcast(int op, const zc_tensor *a, const zc_tensor *b, zc_tensor *out) {
    int64_t n = zc_tensor_numel(out);
    if (same_shape(a, b)) {
        bin_row(op, a->data, 1, b->data, 1, out->data, n);
        return;
    }
    if (zc_tensor_numel(b) == 1 && zc_tensor_numel(a) == n) {
        zc_prim_scalar_block(op, a->data, b->data[0], 0, out->data, n);
        return;
    }
    if (zc_tensor_numel(a) == 1 && zc_tensor_numel(b) == n) {
        zc_prim_scalar_block(op, b->data, a->data[0], 1, out->data, n);
        return;
    }
    int64_t sa[4], sb[4], os[4];
    broadcast_strides(a, sa);
    broadcast_strides(b, sb);
    pad_shape(out, os);
    float *o = out->data;
    for (int64_t i0 = 0; i0 < os[0]; i0++)
        for (int64_t i1 = 0; i1 < os[1]; i1++)
            for (int64_t i2 = 0; i2 < os[2]; i2++) {
                const float *pa = a->data + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                const float *pb = b->data + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
                bin_row(op, pa, (int)sa[3], pb, (int)sb[3], o, os[3]);
                o += os[3];
            }
}

/* ---- whole-tensor ops ---------------------------------------------------- */

/* double -> float with float overflow giving +-inf (C leaves it undefined) */
static float to_float(double v) {
    if (v > FLT_MAX) return INFINITY;
    if (v < -FLT_MAX) return -INFINITY;
    return (float)v;
}

static void normalize(const zc_tensor *a, zc_tensor *out) {
    int64_t n = zc_tensor_numel(a);
    double mean = zc_sum_f32(a->data, n) / (double)n;
    double ss = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = a->data[i] - mean;
        ss += d * d;
    }
    double var = n > 1 ? ss / (double)(n - 1) : NAN;
    float meanf = to_float(mean), stdf = to_float(sqrt(var));
    for (int64_t i = 0; i < n; i++) {
        float v = (a->data[i] - meanf) / stdf;
        out->data[i] = v != v ? 0.0f : v;
    }
}

static void softmax(const zc_tensor *a, zc_tensor *out, zc_prim_work *w) {
    int nd = a->ndim;
    int dim = (nd == 0 || nd == 1 || nd == 3) ? 0 : 1;
    if (nd == 0) {
        float x = a->data[0];
        out->data[0] = expf(x - x);
        return;
    }
    int64_t outer = 1, len = a->shape[dim], inner = 1;
    for (int i = 0; i < dim; i++) outer *= a->shape[i];
    for (int i = dim + 1; i < nd; i++) inner *= a->shape[i];
    float *mx = work_flt(w, (size_t)(2 * inner));
    float *sum = mx + inner;
    for (int64_t o = 0; o < outer; o++) {
        const float *x = a->data + o * len * inner;
        float *y = out->data + o * len * inner;
        for (int64_t j = 0; j < inner; j++) mx[j] = x[j];
        for (int64_t l = 1; l < len; l++) {
            const float *xr = x + l * inner;
            for (int64_t j = 0; j < inner; j++)
                if (!(xr[j] <= mx[j])) mx[j] = (xr[j] > mx[j] || xr[j] != xr[j]) ? xr[j] : mx[j];
        }
        for (int64_t j = 0; j < inner; j++) sum[j] = 0.0f;
        for (int64_t l = 0; l < len; l++) {
            const float *xr = x + l * inner;
            float *yr = y + l * inner;
            for (int64_t j = 0; j < inner; j++) {
                yr[j] = expf(xr[j] - mx[j]);
                sum[j] += yr[j];
            }
        }
        for (int64_t l = 0; l < len; l++) {
            float *yr = y + l * inner;
            for (int64_t j = 0; j < inner; j++) yr[j] /= sum[j];
        }
    }
}

/* LU with partial pivoting of the n x n matrix m (double, row-major, in
 * place). Returns the sign of the permutation times the signs of the pivots
 * (+1/-1) and writes sum log|pivot| to *logabs; returns 0 when a pivot is
 * exactly zero (singular), NaN propagates through *logabs. */
static int lu_logabs(double *m, int64_t n, double *logabs) {
    int sign = 1;
    double la = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t p = k;
        double best = fabs(m[k * n + k]);
        for (int64_t i = k + 1; i < n; i++) {
            double v = fabs(m[i * n + k]);
            if (v > best) { best = v; p = i; }
        }
        if (p != k) {
            for (int64_t j = 0; j < n; j++) {
                double t = m[k * n + j];
                m[k * n + j] = m[p * n + j];
                m[p * n + j] = t;
            }
            sign = -sign;
        }
        double piv = m[k * n + k];
        if (piv == 0.0) { *logabs = -INFINITY; return 0; }
        if (piv < 0) sign = -sign;
        la += log(fabs(piv));
        double *rk = m + k * n;
        for (int64_t i = k + 1; i < n; i++) {
            double *ri = m + i * n;
            double f = ri[k] / piv;
            if (f == 0.0) continue;
            for (int64_t j = k + 1; j < n; j++) ri[j] -= f * rk[j];
        }
    }
    *logabs = la;
    return sign;
}

static void det_logdet(int op, const zc_tensor *a, zc_tensor *out, zc_prim_work *w) {
    int64_t n = a->shape[a->ndim - 1];
    int64_t batch = zc_tensor_numel(a) / (n * n);
    double *m = work_dbl(w, (size_t)(n * n));
    for (int64_t b = 0; b < batch; b++) {
        const float *src = a->data + b * n * n;
        int finite = 1;
        for (int64_t i = 0; i < n * n; i++) {
            m[i] = src[i];
            if (!isfinite(src[i])) finite = 0;
        }
        double la;
        int sign = lu_logabs(m, n, &la);
        float r;
        if (op == ZC_OP_DET) {
            if (!finite || la != la) {
                /* non-finite input: recompute the product directly so that
                 * inf/NaN follow IEEE arithmetic of the elimination */
                r = NAN;
            } else if (sign == 0) r = 0.0f;
            else r = to_float(sign * exp(la));
        } else {
            if (la != la || !finite) r = 0.0f;    /* NaN -> 0 (reference) */
            else if (sign == 0) r = -INFINITY;     /* zero determinant     */
            else if (sign < 0) r = 0.0f;           /* NaN -> 0 (reference) */
            else r = to_float(la);
        }
        out->data[b] = r;
    }
}

/* eigenvalues of the symmetric n x n matrix a (destroyed) into d; e is n
 * scratch. Householder tridiagonalisation then implicit QL. Returns 0, or
 * -1 if QL does not converge. */
static int sym_eigenvalues(double *a, int n, double *d, double *e) {
    for (int i = n - 1; i > 0; i--) {
        int l = i - 1;
        double h = 0.0, scale = 0.0;
        if (l > 0) {
            for (int k = 0; k <= l; k++) scale += fabs(a[i * n + k]);
            if (scale == 0.0) {
                e[i] = a[i * n + l];
            } else {
                for (int k = 0; k <= l; k++) {
                    a[i * n + k] /= scale;
                    h += a[i * n + k] * a[i * n + k];
                }
                double f = a[i * n + l];
                double g = f >= 0.0 ? -sqrt(h) : sqrt(h);
                e[i] = scale * g;
                h -= f * g;
                a[i * n + l] = f - g;
                f = 0.0;
                for (int j = 0; j <= l; j++) {
                    g = 0.0;
                    for (int k = 0; k <= j; k++) g += a[j * n + k] * a[i * n + k];
                    for (int k = j + 1; k <= l; k++) g += a[k * n + j] * a[i * n + k];
                    e[j] = g / h;
                    f += e[j] * a[i * n + j];
                }
                double hh = f / (h + h);
                for (int j = 0; j <= l; j++) {
                    f = a[i * n + j];
                    e[j] = g = e[j] - hh * f;
                    for (int k = 0; k <= j; k++) a[j * n + k] -= (f * e[k] + g * a[i * n + k]);
                }
            }
        } else {
            e[i] = a[i * n + l];
        }
        (void)h;
    }
    for (int i = 0; i < n; i++) d[i] = a[i * n + i];
    /* implicit QL on the tridiagonal (d, e) */
    for (int i = 1; i < n; i++) e[i - 1] = e[i];
    e[n - 1] = 0.0;
    for (int l = 0; l < n; l++) {
        int iter = 0, m;
        do {
            for (m = l; m < n - 1; m++) {
                double dd = fabs(d[m]) + fabs(d[m + 1]);
                if (fabs(e[m]) <= DBL_EPSILON * dd) break;
            }
            if (m != l) {
                if (iter++ == 60) return -1;
                double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
                double r = hypot(g, 1.0);
                g = d[m] - d[l] + e[l] / (g + copysign(r, g));
                double s = 1.0, c = 1.0, p = 0.0;
                int i;
                for (i = m - 1; i >= l; i--) {
                    double f = s * e[i], b = c * e[i];
                    e[i + 1] = (r = hypot(f, g));
                    if (r == 0.0) {
                        d[i + 1] -= p;
                        e[m] = 0.0;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = (d[i] - g) * s + 2.0 * c * b;
                    d[i + 1] = g + (p = s * r);
                    g = c * r - b;
                }
                if (r == 0.0 && i >= l) continue;
                d[l] -= p;
                e[l] = g;
                e[m] = 0.0;
            }
        } while (m != l);
    }
    return 0;
}

static float eig_ratio(const zc_tensor *a, zc_prim_work *w) {
    int64_t numel = zc_tensor_numel(a);
    int64_t rows = a->shape[0], cols = numel / rows;
    int any_nonzero = 0;
    for (int64_t i = 0; i < numel; i++) {
        if (!isfinite(a->data[i])) return NAN;
        if (a->data[i] != 0.0f) any_nonzero = 1;
    }
    if (!any_nonzero) return NAN;          /* 0 / 0 */
    if (rows > cols) return INFINITY;      /* A A^T singular: smallest eig 0 */
    if (rows == 1) return 1.0f;
    int n = (int)rows;
    size_t need = (size_t)numel + (size_t)n * (size_t)n + 2 * (size_t)n;
    double *ad = work_dbl(w, need);
    double *m = ad + numel, *d = m + (size_t)n * n, *e = d + n;
    for (int64_t i = 0; i < numel; i++) ad[i] = a->data[i];
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, (int)cols, 1.0, ad, (int)cols, 0.0,
                m, n);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) m[i * n + j] = m[j * n + i];
    if (sym_eigenvalues(m, n, d, e)) return NAN;
    double lo = d[0], hi = d[0];
    for (int i = 1; i < n; i++) {
        if (d[i] < lo) lo = d[i];
        if (d[i] > hi) hi = d[i];
    }
    if (lo <= 0.0) return INFINITY; /* PSD: a non-positive computed value is 0 */
    return to_float(hi / lo);
}

static void matmul(const zc_tensor *a, const zc_tensor *b, zc_tensor *out) {
    mm_geom g;
    zc_tensor shape;
    matmul_geom(a, b, &g, &shape, NULL, 0);
    int64_t m = g.m, n = g.n, k = g.k;
    float *o = out->data;
    for (int64_t i0 = 0; i0 < g.batch[0]; i0++)
        for (int64_t i1 = 0; i1 < g.batch[1]; i1++) {
            const float *pa = a->data + i0 * g.a_bstride[0] + i1 * g.a_bstride[1];
            const float *pb = b->data + i0 * g.b_bstride[0] + i1 * g.b_bstride[1];
            if (m == 1 && n == 1) {
                double s = 0;
                for (int64_t j = 0; j < k; j++) s += (double)pa[j] * pb[j];
                o[0] = to_float(s);
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k,
                            1.0f, pa, (int)k, pb, (int)n, 0.0f, o, (int)n);
            }
            o += m * n;
        }
}

static float kl_div(const zc_tensor *a, const zc_tensor *b) {
    zc_tensor bc;
    zc_prim_broadcast_shape(a, b, &bc);
    int64_t sa[4], sb[4], os[4];
    broadcast_strides(a, sa);
    broadcast_strides(b, sb);
    pad_shape(&bc, os);
    double sum = 0;
    for (int64_t i0 = 0; i0 < os[0]; i0++)
        for (int64_t i1 = 0; i1 < os[1]; i1++)
            for (int64_t i2 = 0; i2 < os[2]; i2++) {
                const float *pa = a->data + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                const float *pb = b->data + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
                for (int64_t i3 = 0; i3 < os[3]; i3++) {
                    double x = pa[i3 * sa[3]], t = pb[i3 * sb[3]];
                    double xlogy = (t == 0.0) ? 0.0 : t * log(t); /* NaN for t < 0 */
                    sum += xlogy - t * x;
                }
            }
    if (a->ndim > 0) sum /= (double)a->shape[0];
    return to_float(sum);
}

static float cosine(const zc_tensor *a, const zc_tensor *b) {
    int64_t rows = a->shape[0], cols = zc_tensor_numel(a) / rows;
    const double eps = 1e-8;
    double total = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *x = a->data + r * cols, *y = b->data + r * cols;
        double xy = 0, xx = 0, yy = 0;
        for (int64_t j = 0; j < cols; j++) {
            xy += (double)x[j] * y[j];
            xx += (double)x[j] * x[j];
            yy += (double)y[j] * y[j];
        }
        double nx = sqrt(xx), ny = sqrt(yy);
        if (nx < eps) nx = eps;
        if (ny < eps) ny = eps;
        total += xy / (nx * ny);
    }
    return to_float(total);
}

int zc_prim_apply(int op, const zc_tensor *a, const zc_tensor *b, zc_tensor *out,
                  zc_prim_work *w, zc_rng *rng) {
    int64_t n = zc_tensor_numel(a);
    switch (op) {
    case ZC_OP_ADD: case ZC_OP_SUB: case ZC_OP_MUL: case ZC_OP_LT: case ZC_OP_GT:
    case ZC_OP_EQ: case ZC_OP_PDIV:
        binary_broadcast(op, a, b, out);
        return 0;
    case ZC_OP_MATMUL:
        if (a->ndim == 0 || b->ndim == 0) binary_broadcast(ZC_OP_MUL, a, b, out);
        else matmul(a, b, out);
        return 0;
    case ZC_OP_HAMMING: {
        int64_t count = 0;
        for (int64_t i = 0; i < n; i++) count += (a->data[i] > 0.0f) != (b->data[i] > 0.0f);
        out->data[0] = (float)count;
        return 0;
    }
    case ZC_OP_KL_DIV: out->data[0] = kl_div(a, b); return 0;
    case ZC_OP_COSINE: out->data[0] = cosine(a, b); return 0;
    case ZC_OP_NORMALIZE: normalize(a, out); return 0;
    case ZC_OP_SOFTMAX: softmax(a, out, w); return 0;
    case ZC_OP_ADD_NOISE: {
        if (!rng) return -1;
        const double sd = sqrt(0.1);
        for (int64_t i = 0; i < n; i++)
            out->data[i] = a->data[i] + (float)(sd * zc_rng_normal(rng));
        return 0;
    }
    case ZC_OP_FROBENIUS: {
        out->data[0] = to_float(sqrt(zc_sum_sq_f32(a->data, n)));
        return 0;
    }
    case ZC_OP_MEAN: {
        out->data[0] = to_float(zc_sum_f32(a->data, n) / (double)n);
        return 0;
    }
    case ZC_OP_MEAN_ABS: {
        out->data[0] = to_float(zc_sum_abs_f32(a->data, n) / (double)n);
        return 0;
    }
    case ZC_OP_NUMEL: out->data[0] = (float)n; return 0;
    case ZC_OP_DET: case ZC_OP_LOGDET: det_logdet(op, a, out, w); return 0;
    case ZC_OP_EIG_RATIO: out->data[0] = eig_ratio(a, w); return 0;
    default:
        zc_prim_unary_block(op, a->data, out->data, n);
        return 0;
    }
}

/* test_primitives.c: every proxy primitive against PyTorch-computed fixtures
 * (tests/gen_primitive_fixtures.py writes them; format documented there):
 * shapes accepted/rejected as torch does, values within the per-case
 * tolerance, inputs never modified, in-place (out == input) results equal
 * to out-of-place ones. Plus add_noise (seeded, not in the fixtures).
 * Usage: test_primitives FIXTURE_FILE */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/primitives.h"
#include "common/program/program.h"
#include "common/util/rng.h"
#include "tests/test_util.h"

static FILE *g_f;

static void rd(void *p, size_t n) {
    if (fread(p, 1, n, g_f) != n) {
        fprintf(stderr, "fixture file truncated\n");
        exit(1);
    }
}

static void read_tensor(zc_tensor *t) {
    uint8_t nd;
    rd(&nd, 1);
    t->ndim = nd;
    for (int i = 0; i < nd; i++) rd(&t->shape[i], 8);
    int64_t n = zc_tensor_numel(t);
    t->data = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    rd(t->data, (size_t)n * sizeof(float));
}

static void read_str(char *buf, size_t cap) {
    uint16_t n;
    rd(&n, 2);
    if (n >= cap) {
        fprintf(stderr, "fixture string too long\n");
        exit(1);
    }
    rd(buf, n);
    buf[n] = 0;
}

/* elementwise match: NaN with NaN, inf with the same inf, else tolerance */
static int values_match(float got, float want, double atol, double rtol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    if (!isfinite(got)) return 0;
    return fabs((double)got - (double)want) <= atol + rtol * fabs((double)want);
}

static int g_cases_per_op[ZC_OP_END];

static void run_case(const char *opname, const char *label, double atol, double rtol, int nin,
                     zc_tensor *in, int valid, const zc_tensor *want, zc_prim_work *w) {
    int op = zc_op_lookup(opname);
    CHECK_MSG(op >= 0, "unknown op %s", opname);
    if (op < 0) return;
    g_cases_per_op[op]++;
    CHECK_MSG(zc_op_arity(op) == nin, "%s arity", opname);
    zc_tensor *a = &in[0], *b = nin > 1 ? &in[1] : NULL;
    zc_tensor out;
    char err[160];
    int rc = zc_prim_shape(op, a, b, &out, err, sizeof err);
    if (!valid) {
        CHECK_MSG(rc == -1, "%s [%s]: torch rejects these shapes, we accepted", opname, label);
        if (rc == -1) CHECK_MSG(err[0] != 0, "%s [%s]: no reason given", opname, label);
        return;
    }
    CHECK_MSG(rc == 0, "%s [%s]: rejected: %s", opname, label, err);
    if (rc) return;
    int shape_ok = out.ndim == want->ndim;
    for (int i = 0; shape_ok && i < out.ndim; i++) shape_ok = out.shape[i] == want->shape[i];
    char s1[64], s2[64];
    CHECK_MSG(shape_ok, "%s [%s]: shape %s, torch %s", opname, label,
              zc_prim_format_shape(&out, s1, sizeof s1), zc_prim_format_shape(want, s2, sizeof s2));
    if (!shape_ok) return;
    int64_t n = zc_tensor_numel(&out);
    out.data = malloc((size_t)n * sizeof(float));
    /* copies of the inputs to check they are not modified */
    float *copy[2];
    for (int k = 0; k < nin; k++) {
        int64_t m = zc_tensor_numel(&in[k]);
        copy[k] = malloc((size_t)m * sizeof(float));
        memcpy(copy[k], in[k].data, (size_t)m * sizeof(float));
    }
    zc_rng rng;
    zc_rng_seed(&rng, 1);
    CHECK(zc_prim_apply(op, a, b, &out, w, &rng) == 0);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!values_match(out.data[i], want->data[i], atol, rtol)) {
            if (bad < 3)
                fprintf(stderr, "  %s [%s] element %lld: got %.9g want %.9g\n", opname, label,
                        (long long)i, out.data[i], want->data[i]);
            bad++;
        }
    }
    CHECK_MSG(bad == 0, "%s [%s]: %d of %lld elements differ", opname, label, bad, (long long)n);
    for (int k = 0; k < nin; k++) {
        int64_t m = zc_tensor_numel(&in[k]);
        CHECK_MSG(memcmp(copy[k], in[k].data, (size_t)m * sizeof(float)) == 0,
                  "%s [%s]: input %d modified", opname, label, k);
    }
    /* in place on a copy of the first input, where the contract allows it */
    int inplace = (nin == 1 && n == zc_tensor_numel(a) && out.ndim == a->ndim &&
                   !zc_op_is_reduction(op) && op != ZC_OP_DET && op != ZC_OP_LOGDET) ||
                  (nin == 2 && zc_op_is_elementwise(op) && n == zc_tensor_numel(a) &&
                   out.ndim == a->ndim);
    if (inplace) {
        zc_tensor ia = *a;
        ia.data = malloc((size_t)n * sizeof(float));
        memcpy(ia.data, a->data, (size_t)n * sizeof(float));
        zc_tensor io = out;
        io.data = ia.data;
        zc_prim_apply(op, &ia, b, &io, w, &rng);
        int same = 1;
        for (int64_t i = 0; i < n; i++)
            if (!(io.data[i] == out.data[i] || (isnan(io.data[i]) && isnan(out.data[i])))) same = 0;
        CHECK_MSG(same, "%s [%s]: in-place result differs", opname, label);
        free(ia.data);
    }
    for (int k = 0; k < nin; k++) free(copy[k]);
    free(out.data);
}

static void test_add_noise(zc_prim_work *w) {
    zc_tensor a = {2, {100, 1000}, NULL}, o1 = a, o2 = a;
    int64_t n = zc_tensor_numel(&a);
    a.data = malloc((size_t)n * sizeof(float));
    o1.data = malloc((size_t)n * sizeof(float));
    o2.data = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) a.data[i] = (float)(i % 7) - 3.0f;
    zc_rng r1, r2;
    zc_rng_seed(&r1, 42);
    zc_rng_seed(&r2, 42);
    zc_tensor shape;
    CHECK(zc_prim_shape(ZC_OP_ADD_NOISE, &a, NULL, &shape, NULL, 0) == 0);
    CHECK(zc_prim_apply(ZC_OP_ADD_NOISE, &a, NULL, &o1, w, &r1) == 0);
    CHECK(zc_prim_apply(ZC_OP_ADD_NOISE, &a, NULL, &o2, w, &r2) == 0);
    CHECK(memcmp(o1.data, o2.data, (size_t)n * sizeof(float)) == 0); /* seeded */
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)o1.data[i] - a.data[i];
        s += d;
        ss += d * d;
    }
    double mean = s / n, var = ss / n - mean * mean;
    CHECK_CLOSE(mean, 0.0, 0.005, 0); /* 5 sigma of sqrt(0.1/1e5) = 0.001 */
    CHECK_CLOSE(var, 0.1, 0.0025, 0);  /* var of sample var ~ 2 sigma^4/n */
    CHECK(zc_prim_apply(ZC_OP_ADD_NOISE, &a, NULL, &o1, w, NULL) == -1);
    free(a.data);
    free(o1.data);
    free(o2.data);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_primitives FIXTURE_FILE\n");
        return 2;
    }
    g_f = fopen(argv[1], "rb");
    if (!g_f) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }
    char magic[4];
    uint32_t version, count;
    rd(magic, 4);
    rd(&version, 4);
    rd(&count, 4);
    CHECK(memcmp(magic, "ZCPF", 4) == 0 && version == 1 && count > 300);
    zc_prim_work w = {0};
    for (uint32_t c = 0; c < count; c++) {
        char op[64], label[128];
        read_str(op, sizeof op);
        read_str(label, sizeof label);
        double tol[2];
        rd(tol, 16);
        uint8_t nin, valid;
        rd(&nin, 1);
        zc_tensor in[2], want = {0, {0}, NULL};
        for (int k = 0; k < nin; k++) read_tensor(&in[k]);
        rd(&valid, 1);
        if (valid) read_tensor(&want);
        run_case(op, label, tol[0], tol[1], nin, in, valid, &want, &w);
        for (int k = 0; k < nin; k++) free(in[k].data);
        free(want.data);
    }
    fclose(g_f);
    /* every primitive but add_noise has fixtures */
    for (int op = ZC_OP_BASE; op < ZC_OP_END; op++)
        if (op != ZC_OP_ADD_NOISE)
            CHECK_MSG(g_cases_per_op[op] >= 5, "%s has %d fixture cases", zc_op_name(op),
                      g_cases_per_op[op]);
    test_add_noise(&w);
    zc_prim_work_free(&w);
    TEST_EXIT();
}

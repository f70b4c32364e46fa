/* test_proxies.c: tests of the hand-crafted zero-cost proxies (proxies.h).
 *
 *   test_proxies                 closed-form checks: synflow of deep chains
 *                                (float32 and float64 overflow cases),
 *                                slogdet, Jacobi eigenvalues, nwot of a
 *                                known code kernel, name parsing
 *   test_proxies --dump FILE --arch A [--batch B] [--hw H] [--classes C]
 *                                build the NB201 network A, compute every
 *                                proxy and write parameters, inputs and
 *                                values to FILE for tests/torch_proxies_ref.py
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/proxies/proxies.h"
#include "common/nets/space.h"
#include "common/util/util.h"
#include "tests/test_util.h"

/* chain: input (1, d, 1, 1) -> L linear layers d -> d with every weight a
 * (bias 0), optionally a BN (removed by synflow) between them. */
static zc_net *linear_chain(int d, int layers, float a, int with_bn) {
    zc_net *net = zc_net_new(1, d, 1, 1);
    int v = 0;
    char name[64];
    for (int l = 0; l < layers; l++) {
        snprintf(name, sizeof name, "fc%d", l);
        v = zc_net_linear(net, v, d, name);
        if (with_bn) {
            snprintf(name, sizeof name, "bn%d", l);
            v = zc_net_bn(net, v, name);
            v = zc_net_relu(net, v);
        }
    }
    zc_net_set_output(net, v);
    zc_rng rng = zc_rng_stream(1, 99, 0);
    zc_net_init_params(net, &rng);
    for (int p = 0; p < net->n_params; p++)
        if (strstr(net->params[p].name, "fc") && strstr(net->params[p].name, "weight"))
            for (int64_t i = 0; i < net->params[p].numel; i++)
                net->params[p].data[i] = (i % 2 ? -a : a); /* signs vanish */
    return net;
}

static void test_synflow_chains(void) {
    /* log(synflow) = log(L) + log(d) + L log(a d): every layer's sum of
     * w dR/dw equals R = d (a d)^L (R is linear in each layer's weights). */
    struct { int d, layers; float a; int bn; } cases[] = {
        {16, 3, 0.5f, 0},    /* small                                       */
        {16, 20, 100.0f, 1}, /* R ~ 1e64: overflows float32                 */
        {16, 150, 100.0f, 0} /* R ~ 1e481: overflows float64 too            */
    };
    for (size_t c = 0; c < ZC_ARRAY_LEN(cases); c++) {
        zc_net *net = linear_chain(cases[c].d, cases[c].layers, cases[c].a, cases[c].bn);
        double expect = log((double)cases[c].layers) + log((double)cases[c].d) +
                        cases[c].layers * log((double)cases[c].a * cases[c].d);
        double got = zc_proxy_synflow(net, NULL, NULL);
        CHECK(isfinite(got));
        CHECK_CLOSE(got, expect, 1e-9, 1e-12);
        zc_net_free(net);
    }
}

static void test_linear_algebra(void) {
    /* det [[4,2,0],[2,5,1],[0,1,3]] = 4*14 - 2*6 = 44 */
    double a[9] = {4, 2, 0, 2, 5, 1, 0, 1, 3};
    double b[9];
    memcpy(b, a, sizeof a);
    CHECK_CLOSE(zc_slogdet(b, 3), log(44.0), 1e-12, 1e-12);
    double s[4] = {1, 2, 2, 4}; /* singular */
    CHECK(zc_slogdet(s, 2) == -INFINITY);
    double neg[4] = {0, 1, 1, 0}; /* det -1: log|det| = 0 */
    CHECK_CLOSE(zc_slogdet(neg, 2), 0.0, 1e-15, 0);
    /* eigenvalues of [[2,1],[1,2]] are 1 and 3 */
    double e[4] = {2, 1, 1, 2}, ev[2];
    zc_sym_eigenvalues(e, 2, ev);
    double lo = fmin(ev[0], ev[1]), hi = fmax(ev[0], ev[1]);
    CHECK_CLOSE(lo, 1.0, 1e-12, 0);
    CHECK_CLOSE(hi, 3.0, 1e-12, 0);
    /* trace and determinant of the 3x3 above are kept */
    double f[9], ev3[3];
    memcpy(f, a, sizeof a);
    zc_sym_eigenvalues(f, 3, ev3);
    CHECK_CLOSE(ev3[0] + ev3[1] + ev3[2], 12.0, 1e-10, 0);
    CHECK_CLOSE(ev3[0] * ev3[1] * ev3[2], 44.0, 1e-9, 0);
}

static void test_names(void) {
    zc_proxy_mask m;
    char bad[64];
    CHECK(zc_proxy_parse_list("all", &m, bad, sizeof bad) == 0 && m == ZC_ALL_PROXIES);
    CHECK(zc_proxy_parse_list("snip,synflow", &m, bad, sizeof bad) == 0 &&
          m == ((1u << ZC_PX_SNIP) | (1u << ZC_PX_SYNFLOW)));
    CHECK(zc_proxy_parse_list("snip,bogus", &m, bad, sizeof bad) == -1 &&
          strcmp(bad, "bogus") == 0);
    for (int i = 0; i < ZC_PX_COUNT; i++) CHECK(zc_proxy_lookup(zc_proxy_name(i)) == i);
}

/* nwot of a network whose only ReLU sees known codes: input (4,2,1,1)
 * -> ReLU -> GAP -> linear. Codes: (1,1) (1,0) (0,1) (0,0):
 * K_ij = number of agreeing positions = 2 - hamming. */
static void test_nwot_closed_form(void) {
    zc_net *net = zc_net_new(4, 2, 1, 1);
    int v = zc_net_relu(net, 0);
    v = zc_net_gap(net, v);
    v = zc_net_linear(net, v, 3, "fc");
    zc_net_set_output(net, v);
    zc_rng rng = zc_rng_stream(3, 99, 0);
    zc_net_init_params(net, &rng);
    float x[8] = {1, 1, 1, -1, -1, 1, -1, -1};
    int labels[4] = {0, 1, 2, 0};
    zc_proxy_inputs in = {.x = x, .labels = labels};
    double out[ZC_PX_COUNT];
    char err[128];
    CHECK(zc_proxies_compute(net, &in, 1u << ZC_PX_NWOT, out, err, sizeof err) == 0);
    double K[16];
    int codes[4][2] = {{1, 1}, {1, 0}, {0, 1}, {0, 0}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            K[i * 4 + j] = (codes[i][0] == codes[j][0]) + (codes[i][1] == codes[j][1]);
    CHECK_CLOSE(out[ZC_PX_NWOT], zc_slogdet(K, 4), 1e-12, 0); /* singular: -inf */
    int bad_labels[4] = {0, 1, 5, 0};
    in.labels = bad_labels;
    CHECK(zc_proxies_compute(net, &in, 1u << ZC_PX_SNIP, out, err, sizeof err) == -1 &&
          strstr(err, "label 5"));
    zc_net_free(net);
}

/* ---- dump for the PyTorch reference ------------------------------------- */

static void put_tensor(FILE *f, const char *name, int ndim, const int64_t *shape,
                       const double *data) {
    uint32_t len = (uint32_t)strlen(name), nd = (uint32_t)ndim;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    fwrite(&len, 4, 1, f);
    fwrite(name, 1, len, f);
    fwrite(&nd, 4, 1, f);
    if (ndim > 0) fwrite(shape, 8, (size_t)ndim, f);
    fwrite(data, 8, (size_t)n, f);
}

static void put_floats(FILE *f, const char *name, int ndim, const int64_t *shape,
                       const float *x) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    double *d = zc_malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) d[i] = x[i];
    put_tensor(f, name, ndim, shape, d);
    free(d);
}

static void put_params(FILE *f, const zc_net *net, const char *prefix) {
    for (int p = 0; p < net->n_params; p++) {
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, net->params[p].name);
        int64_t shape[4];
        for (int d = 0; d < net->params[p].ndim; d++) shape[d] = net->params[p].shape[d];
        put_floats(f, name, net->params[p].ndim, shape, net->params[p].data);
    }
}

static int dump(const char *path, const char *arch, int batch, int hw, int classes) {
    char err[512];
    zc_net *net = zc_space_build("nb201", arch, batch, classes, hw, err, sizeof err);
    if (!net) zc_die("%s", err);
    zc_rng rng = zc_rng_stream(11, ZC_STREAM_PARAM_INIT, 0);
    zc_net_init_params(net, &rng);
    int64_t nx = (int64_t)batch * 3 * hw * hw;
    float *x = zc_malloc(sizeof(float) * (size_t)nx), *z1 = zc_malloc(sizeof(float) * nx),
          *z2 = zc_malloc(sizeof(float) * nx);
    zc_rng drng = zc_rng_stream(11, ZC_STREAM_NOISE, 5);
    zc_rng_fill_normal(&drng, x, (long)nx, 0.0, 1.0);
    zc_rng_fill_normal(&drng, z1, (long)nx, 0.0, 1.0);
    zc_rng_fill_normal(&drng, z2, (long)nx, 0.0, 1.0);
    int *labels = zc_malloc(sizeof(int) * (size_t)batch);
    for (int i = 0; i < batch; i++) labels[i] = (int)zc_rng_below(&drng, (uint64_t)(classes < 4 ? classes : 4));
    zc_rng zen_rng = zc_rng_stream(11, 77, 0);
    zc_proxy_inputs in = {.x = x, .labels = labels, .zen_x1 = z1, .zen_x2 = z2,
                          .zen_rng = &zen_rng};
    double out[ZC_PX_COUNT];
    zc_proxy_mask mask = ZC_ALL_PROXIES & ~(1u << ZC_PX_EZNAS_A);
    if (zc_proxies_compute(net, &in, mask, out, err, sizeof err) != 0) zc_die("%s", err);
    FILE *f = fopen(path, "wb");
    if (!f) zc_die("cannot write '%s'", path);
    int64_t xs[4] = {batch, 3, hw, hw}, ls[1] = {batch};
    put_floats(f, "x", 4, xs, x);
    put_floats(f, "zen_x1", 4, xs, z1);
    put_floats(f, "zen_x2", 4, xs, z2);
    double *ld = zc_malloc(sizeof(double) * (size_t)batch);
    for (int i = 0; i < batch; i++) ld[i] = labels[i];
    put_tensor(f, "labels", 1, ls, ld);
    put_params(f, net, "param:");
    zc_rng zen_again = zc_rng_stream(11, 77, 0);
    zc_proxy_zen_init(net, &zen_again);
    put_params(f, net, "zenparam:");
    for (int i = 0; i < ZC_PX_COUNT; i++) {
        if (!(mask & (1u << i))) continue;
        char name[64];
        snprintf(name, sizeof name, "proxy:%s", zc_proxy_name(i));
        put_tensor(f, name, 0, NULL, &out[i]);
    }
    fclose(f);
    printf("wrote %s\n", path);
    free(x);
    free(z1);
    free(z2);
    free(ld);
    free(labels);
    zc_net_free(net);
    return 0;
}

int main(int argc, char **argv) {
    const char *dump_path = NULL, *arch = NULL;
    int batch = 8, hw = 16, classes = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dump") == 0) dump_path = argv[i + 1];
        else if (strcmp(argv[i], "--arch") == 0) arch = argv[i + 1];
        else if (strcmp(argv[i], "--batch") == 0) batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--hw") == 0) hw = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--classes") == 0) classes = atoi(argv[i + 1]);
    }
    if (dump_path) return dump(dump_path, arch, batch, hw, classes);
    test_synflow_chains();
    test_linear_algebra();
    test_names();
    test_nwot_closed_form();
    TEST_EXIT();
}

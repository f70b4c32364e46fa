/* test_modern_proxies.c: tests of the proxies of 2023-2024 (AZ-NAS, ZiCo,
 * MeCo, SWAP; common/proxies/modern.h) and what they rely on.
 *
 *   test_modern_proxies          closed forms: AZ-NAS's rank aggregate (ties,
 *                                NaN, -inf), SWAP's pattern count, MeCo of
 *                                known correlations, rebatched networks, the
 *                                block vector-Jacobian product, block outputs
 *                                of every space, proxy-list groups
 *   test_modern_proxies --dump FILE --arch A [--batch B] [--hw H] [--classes C]
 *                                build the NB201 network A, compute the new
 *                                proxies and write parameters, inputs, random
 *                                draws and values to FILE for
 *                                tests/torch_modern_proxies_ref.py
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nets/net_rebatch.h"
#include "common/nets/space.h"
#include "common/proxies/modern.h"
#include "common/util/util.h"
#include "kernels/cpu/net_exec.h"
#include "tests/test_util.h"

static const char *k_arch =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";

/* ---- closed forms ------------------------------------------------------------ */

static void set_row(double *values, int row, double e, double p, double t, double c) {
    double *v = values + (size_t)row * ZC_PX_COUNT;
    v[ZC_PX_AZ_EXPRESSIVITY] = e;
    v[ZC_PX_AZ_PROGRESSIVITY] = p;
    v[ZC_PX_AZ_TRAINABILITY] = t;
    v[ZC_PX_AZ_COMPLEXITY] = c;
}

/* ranks by hand: scipy.stats.rankdata(method='average'), NaN as -inf */
static void test_aggregate(void) {
    double values[4 * ZC_PX_COUNT];
    for (int i = 0; i < 4 * ZC_PX_COUNT; i++) values[i] = NAN;
    set_row(values, 0, 1.0, NAN, 5.0, 10);      /* P: NaN ~ -inf, rank 1.5 */
    set_row(values, 1, 2.0, 0.5, -INFINITY, 10); /* T: rank 1             */
    set_row(values, 2, 2.0, -INFINITY, 7.0, 20); /* E: tie 2,3 -> 2.5    */
    set_row(values, 3, 4.0, 0.7, 6.0, 30);
    double expect[4] = {
        log(1 / 4.0) + log(1.5 / 4) + log(2 / 4.0) + log(1.5 / 4),
        log(2.5 / 4) + log(3 / 4.0) + log(1 / 4.0) + log(1.5 / 4),
        log(2.5 / 4) + log(1.5 / 4) + log(4 / 4.0) + log(3 / 4.0),
        log(4 / 4.0) + log(4 / 4.0) + log(3 / 4.0) + log(4 / 4.0)};
    zc_proxies_fill_set_dependent(1u << ZC_PX_AZ_NAS, values, 4);
    for (int i = 0; i < 4; i++)
        CHECK_CLOSE(values[(size_t)i * ZC_PX_COUNT + ZC_PX_AZ_NAS], expect[i], 1e-12, 0);
    /* not requested: untouched */
    double untouched[ZC_PX_COUNT];
    for (int i = 0; i < ZC_PX_COUNT; i++) untouched[i] = NAN;
    zc_proxies_fill_set_dependent(1u << ZC_PX_SNIP, untouched, 1);
    CHECK(isnan(untouched[ZC_PX_AZ_NAS]));
}

/* SWAP on input (n, 3, 1, 1) -> ReLU -> GAP -> linear: the patterns are the
 * sign columns of the input itself (weights do not reach the ReLU). */
static void test_swap_patterns(void) {
    zc_net *net = zc_net_new(4, 3, 1, 1);
    int v = zc_net_relu(net, 0);
    v = zc_net_gap(net, v);
    v = zc_net_linear(net, v, 2, "fc");
    zc_net_set_output(net, v);
    zc_rng rng = zc_rng_stream(5, 99, 0);
    zc_net_init_params(net, &rng);
    /* samples x channels: channel 0 = (+,+,-,-), 1 = (+,+,-,-), 2 = (-,+,+,-) */
    float x[12] = {1, 2, -1, 3, 1, 2, -1, -2, 1, -1, -1, -1};
    CHECK_CLOSE(zc_swap(net, x, 3, &rng), 2.0, 0, 0);
    CHECK_CLOSE(zc_swap_regularised(2.0, 1500000), 2.0, 1e-15, 0);
    CHECK_CLOSE(zc_swap_regularised(2.0, 0), 2.0 * exp(-1.5), 1e-15, 0);
    zc_net_free(net);
}

/* MeCo: one layer whose output is the input (n=1, c=2, 1x3 positions):
 * identical rows -> correlation [[1,1],[1,1]], lambda_min 0; opposite rows
 * -> [[1,-1],[-1,1]], 0; independent-ish rows give 1 - |r|. */
static void test_meco_closed_form(void) {
    zc_net *net = zc_net_new(1, 2, 1, 3);
    int v = zc_net_relu(net, 0); /* inputs > 0: the ReLU is the identity */
    zc_net_set_output(net, v);
    float x[6] = {1, 2, 4, 3, 1, 2};
    /* r = cov / sqrt(var var): means 7/3 and 2; centred (-4/3,-1/3,5/3),
     * (1,-1,0): cov = -4/3 + 1/3 = -1, var 42/9 and 2 */
    double r = -1.0 / sqrt(42.0 / 9 * 2);
    /* one layer (the ReLU; the input is not a layer output) */
    CHECK_CLOSE(zc_meco(net, x, NULL), 1 - fabs(r), 1e-12, 0);
    zc_net_free(net);
}

/* a batch-1 copy computes exactly what a network built at batch 1 does */
static void test_rebatch(void) {
    char err[256];
    zc_net *big = zc_space_build("nb201", k_arch, 4, 10, 16, err, sizeof err);
    zc_net *one = zc_space_build("nb201", k_arch, 1, 10, 16, err, sizeof err);
    CHECK(big && one);
    zc_rng rng = zc_rng_stream(3, ZC_STREAM_PARAM_INIT, 1);
    zc_net_init_params(big, &rng);
    zc_net *copy = zc_net_rebatch(big, 1);
    CHECK(copy && copy->n_layers == one->n_layers && copy->n_feat == big->n_feat &&
          copy->n_rcb == big->n_rcb && copy->batch == 1);
    for (int p = 0; p < one->n_params; p++) {
        one->params[p].data = zc_malloc(sizeof(float) * (size_t)one->params[p].numel);
        one->params[p].grad = zc_calloc((size_t)one->params[p].numel, sizeof(float));
        memcpy(one->params[p].data, big->params[p].data, sizeof(float) * one->params[p].numel);
    }
    int64_t nx = 3 * 16 * 16;
    float *x = zc_malloc(sizeof(float) * (size_t)nx);
    zc_rng_fill_normal(&rng, x, (long)nx, 0, 1);
    zc_net_forward(copy, x);
    zc_net_forward(one, x);
    int64_t no = zc_net_value_numel(one, one->output);
    CHECK(memcmp(copy->val[copy->output], one->val[one->output], sizeof(float) * no) == 0);
    free(x);
    zc_net_free(big);
    zc_net_free(one);
    zc_net_free(copy);
}

/* zc_net_backward_from over the whole network equals the seeded backward */
static void test_backward_from(void) {
    char err[256];
    zc_net *net = zc_space_build("nb201", k_arch, 2, 10, 8, err, sizeof err);
    zc_rng rng = zc_rng_stream(4, ZC_STREAM_PARAM_INIT, 1);
    zc_net_init_params(net, &rng);
    int64_t nx = 2 * 3 * 8 * 8, no = 2 * 10;
    float *x = zc_malloc(sizeof(float) * nx), *dout = zc_malloc(sizeof(float) * no);
    zc_rng_fill_normal(&rng, x, (long)nx, 0, 1);
    zc_rng_fill_normal(&rng, dout, (long)no, 0, 1);
    zc_net_forward(net, x);
    zc_net_backward_seeded(net, dout);
    int v = net->feat[3]; /* a cell output */
    int64_t nv = zc_net_value_numel(net, v);
    float *want = zc_malloc(sizeof(float) * nv);
    memcpy(want, net->grad[v], sizeof(float) * nv);
    float *gx = zc_malloc(sizeof(float) * nx);
    memcpy(gx, net->grad[0], sizeof(float) * nx);
    zc_net_backward_from(net, net->output, dout, -1);
    CHECK(memcmp(net->grad[v], want, sizeof(float) * nv) == 0);
    CHECK(memcmp(net->grad[0], gx, sizeof(float) * nx) == 0);
    /* from a block output down to the previous one only: layers before it
     * do not run, so the input gets no gradient */
    zc_net_backward_from(net, net->feat[3], want, zc_px_layer_producing(net, net->feat[2]));
    CHECK(net->grad_set[net->feat[2]] && !net->grad_set[0]);
    free(x);
    free(dout);
    free(want);
    free(gx);
    zc_net_free(net);
}

/* every space declares its stem and block outputs */
static void test_block_outputs(void) {
    struct { const char *space, *arch; int hw, expect; } cases[] = {
        {"nb201", k_arch, 16, 18},
        {"nats_sss", "8:16:24:32:40", 16, 6},
        {"nasbench_macro", "12001200", 32, 6}, /* 3 identity layers keep their input */
        {"channel_resnet", "1111111", 32, 6},
        {"channel_mobilenet", "1111111", 32, 5},
    };
    char err[256];
    for (size_t i = 0; i < ZC_ARRAY_LEN(cases); i++) {
        zc_net *net = zc_space_build(cases[i].space, cases[i].arch, 1, 10, cases[i].hw, err,
                                     sizeof err);
        CHECK_MSG(net && net->n_feat == cases[i].expect, "%s: %d block outputs", cases[i].space,
                  net ? net->n_feat : -1);
        for (int f = 1; net && f < net->n_feat; f++) CHECK(net->feat[f] > net->feat[f - 1]);
        zc_net_free(net);
    }
}

static void test_lists(void) {
    zc_proxy_mask m;
    char bad[64];
    CHECK(zc_proxy_parse_list("all,modern", &m, bad, sizeof bad) == 0 &&
          m == (ZC_ALL_PROXIES | ZC_MODERN_PROXIES));
    CHECK(zc_proxy_parse_list("az_nas", &m, bad, sizeof bad) == 0 &&
          m == ((1u << ZC_PX_AZ_NAS) | (1u << ZC_PX_AZ_EXPRESSIVITY) |
                (1u << ZC_PX_AZ_PROGRESSIVITY) | (1u << ZC_PX_AZ_TRAINABILITY) |
                (1u << ZC_PX_AZ_COMPLEXITY)));
    CHECK(zc_proxy_parse_list("zico,nonsense", &m, bad, sizeof bad) == -1 &&
          strcmp(bad, "nonsense") == 0);
    CHECK((ZC_ALL_PROXIES & ZC_MODERN_PROXIES) == 0 && !(ZC_ALL_PROXIES & (1u << ZC_PX_ZICO)));
}

/* ---- dump for the PyTorch reference ------------------------------------------ */

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

static void put_floats(FILE *f, const char *name, int64_t n, const float *x) {
    double *d = zc_malloc(sizeof(double) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) d[i] = x[i];
    put_tensor(f, name, 1, &n, d);
    free(d);
}

static void put_ints(FILE *f, const char *name, int64_t n, const int *x) {
    double *d = zc_malloc(sizeof(double) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) d[i] = x[i];
    put_tensor(f, name, 1, &n, d);
    free(d);
}

static void put_scalar(FILE *f, const char *name, double v) { put_tensor(f, name, 0, NULL, &v); }

static void put_params(FILE *f, const zc_net *net, const char *prefix) {
    for (int p = 0; p < net->n_params; p++) {
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, net->params[p].name);
        put_floats(f, name, net->params[p].numel, net->params[p].data);
    }
}

/* dump_az: AZ-NAS's parameters, signs and components (as zc_modern_proxies
 * draws them from base). */
static void dump_az(FILE *f, zc_net *net, const float *gauss, const zc_rng *base) {
    zc_proxy_inputs in = {.gauss_x = gauss, .modern_rng = base};
    double out[ZC_PX_COUNT];
    char err[256];
    zc_proxy_mask az = (1u << ZC_PX_AZ_EXPRESSIVITY) | (1u << ZC_PX_AZ_PROGRESSIVITY) |
                       (1u << ZC_PX_AZ_TRAINABILITY) | (1u << ZC_PX_AZ_COMPLEXITY);
    if (zc_modern_proxies_compute(net, &in, az, out, err, sizeof err) != 0) zc_die("%s", err);
    put_scalar(f, "proxy:az_expressivity", out[ZC_PX_AZ_EXPRESSIVITY]);
    put_scalar(f, "proxy:az_progressivity", out[ZC_PX_AZ_PROGRESSIVITY]);
    put_scalar(f, "proxy:az_trainability", out[ZC_PX_AZ_TRAINABILITY]);
    put_scalar(f, "proxy:az_complexity", out[ZC_PX_AZ_COMPLEXITY]);
    float **saved = zc_px_save_params(net);
    zc_rng init_rng = zc_px_derive_rng(base, 1), sign_rng = zc_px_derive_rng(base, 4);
    zc_az_init(net, &init_rng);
    put_params(f, net, "azparam:");
    float **signs = zc_az_signs(net, &sign_rng);
    for (int b = 1; b < net->n_feat; b++) {
        char name[64];
        snprintf(name, sizeof name, "azsign:%d", b);
        put_floats(f, name, zc_net_value_numel(net, net->feat[b]), signs[b - 1]);
    }
    zc_az_signs_free(net, signs);
    zc_px_restore_params(net, saved);
    put_scalar(f, "feat_count", net->n_feat);
}

/* dump_meco: MeCo, MeCo_opt and the channels MeCo_opt samples per layer. */
static void dump_meco(FILE *f, const zc_net *net, const float *x, const zc_rng *base) {
    zc_net *one = zc_net_rebatch(net, 1);
    put_scalar(f, "proxy:meco", zc_meco(one, x, NULL));
    zc_rng rng = zc_px_derive_rng(base, 3);
    put_scalar(f, "proxy:meco_opt", zc_meco(one, x, &rng));
    put_scalar(f, "layer_count", one->n_layers);
    rng = zc_px_derive_rng(base, 3);
    for (int l = 0; l < one->n_layers; l++) {
        int c = one->vshape[one->layers[l].out].c, m;
        int *chan = zc_malloc(sizeof(int) * (size_t)c);
        zc_meco_sample_channels(&rng, c, chan, &m);
        char name[64];
        snprintf(name, sizeof name, "mecochan:%d", l);
        put_ints(f, name, m, chan);
        free(chan);
    }
    zc_net_free(one);
}

/* dump_swap: SWAP with 2 weight draws, and those draws. */
static void dump_swap(FILE *f, zc_net *net, const float *x, const zc_rng *base) {
    zc_rng rng = zc_px_derive_rng(base, 2);
    put_scalar(f, "proxy:swap2", zc_swap(net, x, 2, &rng));
    float **saved = zc_px_save_params(net);
    rng = zc_px_derive_rng(base, 2);
    for (int r = 0; r < 2; r++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "swapparam%d:", r);
        zc_proxy_zen_init(net, &rng);
        put_params(f, net, prefix);
    }
    zc_px_restore_params(net, saved);
}

/* dump_zico: ZiCo and the two minibatches' weight gradients it uses. */
static void dump_zico(FILE *f, zc_net *net, const float *x, const float *x2, const int *labels,
                      const int *labels2) {
    const float *const xs[2] = {x, x2};
    const int *const ls[2] = {labels, labels2};
    double zico;
    char err[256];
    if (zc_zico(net, xs, ls, &zico, err, sizeof err) != 0) zc_die("%s", err);
    put_scalar(f, "proxy:zico", zico);
    for (int b = 0; b < 2; b++) {
        float **g = zc_calloc((size_t)net->n_layers, sizeof(float *));
        if (zc_zico_grads(net, xs[b], ls[b], g, err, sizeof err) != 0) zc_die("%s", err);
        for (int l = 0; l < net->n_layers; l++) {
            if (!g[l]) continue;
            const zc_param *w = &net->params[net->layers[l].param[0]];
            char name[160];
            snprintf(name, sizeof name, "zicograd%d:%s", b, w->name);
            put_floats(f, name, w->numel, g[l]);
            free(g[l]);
        }
        free(g);
    }
}

static int dump(const char *path, const char *arch, int batch, int hw, int classes) {
    char err[512];
    zc_net *net = zc_space_build("nb201", arch, batch, classes, hw, err, sizeof err);
    if (!net) zc_die("%s", err);
    zc_rng rng = zc_rng_stream(11, ZC_STREAM_PARAM_INIT, 0);
    zc_net_init_params(net, &rng);
    zc_net_alloc(net);
    int64_t nx = (int64_t)batch * 3 * hw * hw;
    float *x = zc_malloc(sizeof(float) * nx), *x2 = zc_malloc(sizeof(float) * nx),
          *gauss = zc_malloc(sizeof(float) * nx);
    int *labels = zc_malloc(sizeof(int) * batch), *labels2 = zc_malloc(sizeof(int) * batch);
    zc_rng drng = zc_rng_stream(11, ZC_STREAM_NOISE, 5);
    zc_rng_fill_normal(&drng, x, (long)nx, 0.0, 1.0);
    zc_rng_fill_normal(&drng, x2, (long)nx, 0.0, 1.0);
    zc_rng_fill_normal(&drng, gauss, (long)nx, 0.0, 1.0);
    for (int i = 0; i < batch; i++) {
        labels[i] = (int)zc_rng_below(&drng, (uint64_t)classes);
        labels2[i] = (int)zc_rng_below(&drng, (uint64_t)classes);
    }
    zc_rng base = zc_rng_stream(11, ZC_STREAM_PARAM_INIT, 2ull << 40);
    FILE *f = fopen(path, "wb");
    if (!f) zc_die("cannot write '%s'", path);
    put_floats(f, "x", nx, x);
    put_floats(f, "x2", nx, x2);
    put_floats(f, "gauss", nx, gauss);
    put_ints(f, "labels", batch, labels);
    put_ints(f, "labels2", batch, labels2);
    put_params(f, net, "param:");
    dump_az(f, net, gauss, &base);
    dump_zico(f, net, x, x2, labels, labels2);
    dump_meco(f, net, x, &base);
    if (batch <= 16) dump_swap(f, net, x, &base);
    fclose(f);
    printf("wrote %s\n", path);
    free(x);
    free(x2);
    free(gauss);
    free(labels);
    free(labels2);
    zc_net_free(net);
    return 0;
}

int main(int argc, char **argv) {
    const char *dump_path = NULL, *arch = k_arch;
    int batch = 8, hw = 16, classes = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dump") == 0) dump_path = argv[i + 1];
        else if (strcmp(argv[i], "--arch") == 0) arch = argv[i + 1];
        else if (strcmp(argv[i], "--batch") == 0) batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--hw") == 0) hw = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--classes") == 0) classes = atoi(argv[i + 1]);
    }
    if (dump_path) return dump(dump_path, arch, batch, hw, classes);
    test_aggregate();
    test_swap_patterns();
    test_meco_closed_form();
    test_rebatch();
    test_backward_from();
    test_block_outputs();
    test_lists();
    TEST_EXIT();
}

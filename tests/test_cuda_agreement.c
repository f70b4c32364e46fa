/* test_cuda_agreement.c: the CUDA backend against the CPU reference.
 * Exits 77 (CTest: skipped) when no CUDA device is present.
 *
 *  1. networks: NAS-Bench-201 cells (several, every operation kind) and
 *     NATS-Bench SSS channel configurations at batch 2: logits, every value
 *     gradient, every parameter gradient and every one of the 22 terminals
 *     of every RCB block, GPU vs CPU, relative error < 1e-3 (perturb
 *     terminals relative to the reconstructed perturb pass), never NaN;
 *     metadata and shapes identical; two GPU runs bit-identical.
 *  2. primitives: every primitive with a GPU path on random inputs (one-op
 *     programs and fused chains), the whole output tensor GPU vs CPU, and
 *     programs that fall back to the CPU give the CPU's value.
 *  3. Kendall tau of several programs over 20 NB201 architectures (GPU
 *     statistics + GPU evaluation vs CPU statistics + CPU evaluation)
 *     equal within 1e-6. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/correlation.h"
#include "common/program/evaluator.h"
#include "common/nets/net.h"
#include "common/program/program.h"
#include "common/util/rng.h"
#include "common/nets/space.h"
#include "common/stats/gpu_stats.h"
#include "common/stats/stats.h"
#include "common/stats/stats_compute.h"
#include "common/util/util.h"
#include "kernels/cuda/cuda_backend.h"
#include "common/program/gpu_eval.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_net.h"
#include "tests/test_util.h"
#include "kernels/cpu/net_exec.h"

#define BATCH 2
#define HW 32
#define CLASSES 10

static const char *k_ops[5] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                               "avg_pool_3x3"};

static void random_nb201(zc_rng *r, char *buf, size_t len) {
    const char *o[6];
    for (int i = 0; i < 6; i++) o[i] = k_ops[zc_rng_below(r, 5)];
    snprintf(buf, len, "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|", o[0], o[1], o[2], o[3], o[4], o[5]);
}

static int has_nan(const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (x[i] != x[i]) return 1;
    return 0;
}

static void make_inputs(uint64_t seed, int64_t n, float *in[3]) {
    zc_rng r = zc_rng_stream(seed, ZC_STREAM_NOISE, 0);
    for (int p = 0; p < 3; p++) {
        in[p] = zc_malloc(sizeof(float) * (size_t)n);
        zc_rng_fill_normal(&r, in[p], n, 0.0, 1.0);
    }
    /* perturb = data + small noise, as EZNAS */
    for (int64_t i = 0; i < n; i++) in[2][i] = in[0][i] + 0.01f * in[1][i];
}

/* terminal_error: relative error of GPU terminal t of a block (gpu) against
 * the CPU's (cpu). Perturb terminals are stored as perturb pass minus data
 * pass, about 1% of the values, so a float32 rounding difference of 1e-5
 * between cuDNN and the CPU becomes about 1e-3 on the difference: they are
 * judged on the reconstructed perturb pass, ||gpu - cpu|| / ||cpu + cpu's
 * data-pass terminal||. This changes the tolerance rule of this test on
 * purpose: item 7 of the CUDA backend review (2026-12-05) found the old
 * rule, relative to the difference itself, failing on rounding alone.
 * Every other terminal keeps rel_error. */
static double terminal_error(const zc_layer_stats *gpu, const zc_layer_stats *cpu, int t,
                             int64_t n) {
    if (t == ZC_TERMINAL_WT || t % ZC_NUM_PASSES != ZC_PASS_PERTURB)
        return rel_error(gpu->t[t].data, cpu->t[t].data, (long)n);
    const float *data = cpu->t[t - ZC_PASS_PERTURB + ZC_PASS_DATA].data;
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        if (gpu->t[t].data[i] != gpu->t[t].data[i]) return INFINITY;
        double d = (double)gpu->t[t].data[i] - cpu->t[t].data[i];
        double pass = (double)cpu->t[t].data[i] + data[i];
        num += d * d;
        den += pass * pass;
    }
    return sqrt(num) / (den > 1e-300 ? sqrt(den) : 1e-150);
}

/* compare one network: values, gradients, parameter gradients, terminals */
static void check_network(zc_gpu_ctx *g, const char *space, const char *arch, uint64_t seed) {
    char err[256];
    zc_net *net = zc_space_build(space, arch, BATCH, CLASSES, HW, err, sizeof err);
    CHECK_MSG(net != NULL, "%s", err);
    if (!net) return;
    zc_rng r = zc_rng_stream(seed, ZC_STREAM_PARAM_INIT, 0);
    zc_net_init_params(net, &r);
    int64_t nin = zc_net_value_numel(net, 0);
    float *in[3];
    make_inputs(seed, nin, in);

    /* forward/backward, every value and gradient */
    zc_net_forward(net, in[0]);
    zc_net_backward(net);
    int rc = zc_gpu_net_load(g, net);
    CHECK_MSG(rc == 0, "load %s: %s", arch, zc_gpu_last_error(g));
    if (rc) goto done;
    rc = zc_gpu_net_forward(g, in[0]) || zc_gpu_net_backward(g);
    CHECK_MSG(rc == 0, "run %s: %s", arch, zc_gpu_last_error(g));
    if (rc) goto done;
    {
        int bad_values = 0;
        double worst = 0;
        for (int v = 0; v < net->n_values; v++) {
            int64_t n = zc_net_value_numel(net, v);
            float *h = zc_malloc(sizeof(float) * (size_t)n);
            for (int gr = 0; gr < 2; gr++) {
                const float *cpu = gr ? net->grad[v] : net->val[v];
                if (gr && !net->grad_set[v]) continue;
                if (zc_gpu_net_download(g, v, gr, h)) bad_values++;
                double e = rel_error(h, cpu, (long)n);
                /* values of exactly zero (none edges) compare absolutely */
                if (e > worst) worst = e;
                if (!(e < 1e-3) || has_nan(h, n)) {
                    bad_values++;
                    fprintf(stderr, "  %s value %d %s rel error %.3g\n", arch, v, gr ? "grad" : "", e);
                }
            }
            free(h);
        }
        for (int p = 0; p < net->n_params; p++) {
            float *h = zc_malloc(sizeof(float) * (size_t)net->params[p].numel);
            zc_gpu_net_download_param(g, p, 1, h);
            double e = rel_error(h, net->params[p].grad, (long)net->params[p].numel);
            if (e > worst) worst = e;
            if (!(e < 1e-3)) {
                bad_values++;
                fprintf(stderr, "  %s param %s grad rel error %.3g\n", arch, net->params[p].name, e);
            }
            free(h);
        }
        CHECK_MSG(bad_values == 0, "%s %s: %d values/gradients disagree", space, arch, bad_values);
        printf("  %-8s %-60s values+grads worst rel error %.2e\n", space, arch, worst);
    }

    /* the 22 terminals of every block */
    {
        zc_arch_stats cpu = {0}, gpu = {0}, gpu2 = {0};
        const float *const inputs[3] = {in[0], in[1], in[2]};
        zc_compute_stats(net, inputs, ZC_ALL_TERMINALS, &cpu);
        rc = zc_gpu_compute_stats(g, inputs, ZC_ALL_TERMINALS) || zc_gpu_stats_download(g, &gpu);
        CHECK_MSG(rc == 0, "stats %s: %s", arch, zc_gpu_last_error(g));
        rc = rc || zc_gpu_compute_stats(g, inputs, ZC_ALL_TERMINALS) || zc_gpu_stats_download(g, &gpu2);
        if (rc == 0) {
            CHECK(gpu.n_layers == cpu.n_layers && gpu.n_layers == net->n_rcb);
            int bad = 0, nondet = 0;
            double worst = 0;
            for (int l = 0; l < cpu.n_layers && l < gpu.n_layers; l++) {
                zc_layer_stats *a = &gpu.layers[l], *b = &cpu.layers[l];
                if (strcmp(a->name, b->name) || a->c_in != b->c_in || a->c_out != b->c_out ||
                    a->stride != b->stride || a->stage != b->stage || a->cell != b->cell)
                    bad++;
                for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
                    int64_t n = zc_tensor_numel(&b->t[t]);
                    if (a->t[t].ndim != b->t[t].ndim || zc_tensor_numel(&a->t[t]) != n) {
                        bad++;
                        continue;
                    }
                    double e = terminal_error(a, b, t, n);
                    /* an all-zero reference (unreached gradient) must be all zero */
                    if (e > worst) worst = e;
                    if (!(e < 1e-3) || has_nan(a->t[t].data, n)) {
                        bad++;
                        fprintf(stderr, "  %s layer %s %s rel error %.3g\n", arch, b->name,
                                zc_terminal_name(t), e);
                    }
                    if (memcmp(a->t[t].data, gpu2.layers[l].t[t].data, sizeof(float) * (size_t)n))
                        nondet++;
                }
            }
            CHECK_MSG(bad == 0, "%s %s: %d terminals disagree", space, arch, bad);
            CHECK_MSG(nondet == 0, "%s %s: %d terminals differ between two GPU runs", space, arch,
                      nondet);
            printf("  %-8s %-60s 22 terminals x %d blocks worst rel error %.2e\n", space, arch,
                   cpu.n_layers, worst);
        }
        zc_arch_stats_free(&cpu);
        zc_arch_stats_free(&gpu);
        zc_arch_stats_free(&gpu2);
    }
done:
    for (int p = 0; p < 3; p++) free(in[p]);
    zc_net_free(net);
}

/* ---- primitives --------------------------------------------------------- */

static void fill_layer(zc_rng *r, zc_layer_stats *ls) {
    /* shapes that make every primitive meaningful: 4-d activations,
     * square matrices for det, a (c, c) and a per-channel tensor */
    static const int64_t shapes[ZC_NUM_TERMINALS][4] = {
        {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5},
        {1, 3, 1, 1}, {1, 3, 1, 1}, {1, 3, 1, 1}, {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5},
        {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5}, {2, 3, 5, 5},
        {3, 3, 3, 3}, {3, 3, 3, 3}, {3, 3, 3, 3}, {3, 3, 3, 3}};
    memset(ls, 0, sizeof *ls);
    snprintf(ls->name, sizeof ls->name, "synthetic");
    for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
        ls->t[t].ndim = 4;
        for (int d = 0; d < 4; d++) ls->t[t].shape[d] = shapes[t][d];
        int64_t n = zc_tensor_numel(&ls->t[t]);
        ls->t[t].data = zc_malloc(sizeof(float) * (size_t)n);
        zc_rng_fill_normal(r, ls->t[t].data, n, 0.0, 1.0);
    }
    /* a few exact zeros and ties for sign / eq / heaviside */
    ls->t[0].data[0] = 0.0f;
    ls->t[1].data[1] = ls->t[0].data[1];
}

static void check_primitives(zc_gpu_ctx *g) {
    zc_rng r = zc_rng_stream(7, ZC_STREAM_NOISE, 99);
    zc_arch_stats host = {0};
    host.n_layers = 2;
    host.layers = zc_calloc(2, sizeof(zc_layer_stats));
    fill_layer(&r, &host.layers[0]);
    fill_layer(&r, &host.layers[1]);
    zc_gpu_eval *ev = zc_gpu_eval_new(g);
    zc_gpu_stats dev;
    int rc = zc_gpu_stats_upload(g, &host, &dev);
    CHECK_MSG(rc == 0, "upload: %s", zc_gpu_last_error(g));
    if (rc) {
        zc_gpu_eval_free(ev);
        zc_arch_stats_free(&host);
        return;
    }
    zc_eval_ctx *cpu = zc_eval_ctx_new();
    char text[512], err[256];
    int n_checked = 0, n_bad = 0;
    /* every op as a one-op program, fused and node by node */
    for (int op = ZC_OP_BASE; op < ZC_OP_END; op++) {
        zc_program prog;
        if (zc_op_arity(op) == 1)
            snprintf(text, sizeof text, "%s(inpact_data)", zc_op_name(op));
        else
            snprintf(text, sizeof text, "%s(inpact_data, %s)", zc_op_name(op),
                     op == ZC_OP_MATMUL ? "preact_data" : "inpact_noise");
        if (op == ZC_OP_DET || op == ZC_OP_LOGDET)
            snprintf(text, sizeof text, "%s(wt)", zc_op_name(op));
        if (zc_program_parse(text, &prog, err, sizeof err)) continue;
        if (!zc_gpu_program_supported(&prog)) {
            printf("  primitive %-12s CPU fallback\n", zc_op_name(op));
            continue;
        }
        for (int fusion = 0; fusion < 2; fusion++) {
            zc_gpu_eval_set_fusion(ev, fusion);
            zc_tensor tc, tg;
            int rcpu = zc_eval_layer_tensor(cpu, &prog, &host.layers[0], &tc);
            int rgpu = zc_gpu_eval_layer_tensor(ev, &prog, &dev.layers[0], &tg);
            n_checked++;
            if (rcpu != rgpu) {
                n_bad++;
                fprintf(stderr, "  %s: cpu rc %d gpu rc %d (%s)\n", text, rcpu, rgpu,
                        zc_gpu_eval_last_error(ev));
                if (rgpu == 0) free(tg.data);
                continue;
            }
            if (rcpu) continue;
            int64_t n = zc_tensor_numel(&tc);
            int same_nan = zc_tensor_numel(&tg) == n;
            double num = 0, den = 0;
            for (int64_t i = 0; same_nan && i < n; i++) {
                float a = tg.data[i], b = tc.data[i];
                if ((a != a) != (b != b) || (isinf(a) != isinf(b))) same_nan = 0;
                else if (a == a && !isinf(a)) {
                    num += ((double)a - b) * ((double)a - b);
                    den += (double)b * b;
                }
            }
            double e = sqrt(num) / (den > 0 ? sqrt(den) : 1.0);
            if (!same_nan || !(e < 1e-5)) {
                n_bad++;
                fprintf(stderr, "  %s (fusion %d): rel error %.3g, NaN/inf pattern %s\n", text,
                        fusion, e, same_nan ? "same" : "differs");
            }
            free(tg.data);
        }
    }
    CHECK_MSG(n_bad == 0, "%d of %d primitive checks disagree", n_bad, n_checked);
    printf("  primitives: %d one-op checks, %d disagree\n", n_checked, n_bad);

    /* whole programs through zc_gpu_eval_programs (fused chains, scalars
     * from reductions, fallback), scores vs zc_eval_programs */
    static const char *progs_text[] = {
        "mean(sigmoid(add(inpact_data, mean(preact_data))))",
        "frobenius(sigmoid(logdet(sign(wt))))",
        "mul(abs(inpact_grad_data), frobenius(preact_grad_noise))",
        "sub(exp(sigmoid(act_data)), mean_abs(inpact_perturb))",
        "normalize(add(inpact_data, inpact_noise))",
        "matmul(wt, wt)",
        "hamming(inpact_data, preact_data)",
        "gt(square(inpact_data), numel(act_data))",
        "det(wt_grad_data)",
        "abslog(reciprocal(relu(inpact_data)))",
        "eig_ratio(wt)",
        "softmax(inpact_data)",
        "cosine(inpact_data, preact_data)",
        "kl_div(act_data, act_noise)",
        "lt(log(mul(act_data, act_noise)), act_perturb)"};
    int np = (int)(sizeof progs_text / sizeof progs_text[0]);
    zc_program progs[32];
    for (int k = 0; k < np; k++) {
        int prc = zc_program_parse(progs_text[k], &progs[k], err, sizeof err);
        CHECK_MSG(prc == 0, "%s: %s", progs_text[k], err);
    }
    double sc[32], sg[32];
    zc_gpu_eval_set_fusion(ev, 1);
    zc_eval_programs(cpu, progs, np, &host, sc);
    int ng = 0, nc = 0;
    rc = zc_gpu_eval_programs(ev, progs, np, &dev, NULL, sg, &ng, &nc);
    CHECK_MSG(rc == 0, "gpu programs: %s", zc_gpu_eval_last_error(ev));
    for (int k = 0; k < np; k++) {
        int both_nan = sc[k] != sc[k] && sg[k] != sg[k];
        CHECK_MSG(both_nan || fabs(sg[k] - sc[k]) <= 1e-5 * fabs(sc[k]) + 1e-9,
                  "%s: gpu %.9g cpu %.9g", progs_text[k], sg[k], sc[k]);
    }
    printf("  programs: %d on GPU, %d on CPU fallback\n", ng, nc);
    /* determinism: same scores bit for bit */
    double sg2[32];
    zc_gpu_eval_programs(ev, progs, np, &dev, NULL, sg2, NULL, NULL);
    CHECK(memcmp(sg, sg2, sizeof(double) * (size_t)np) == 0);

    zc_eval_ctx_free(cpu);
    zc_gpu_stats_release(&dev);
    zc_gpu_eval_free(ev);
    zc_arch_stats_free(&host);
}

/* ---- Kendall tau over 20 architectures ---------------------------------- */

static void check_tau(zc_gpu_ctx *g) {
    enum { N_ARCH = 20 };
    static const char *progs_text[] = {
        "frobenius(sigmoid(logdet(sign(inpact_grad_data))))",
        "mean(abs(wt_grad_data))",
        "mean_abs(mul(act_data, act_grad_data))",
        "frobenius(sub(preact_noise, preact_data))",
        "mean(heaviside(inpact_data))",
        "logdet(matmul(wt, wt))"};
    int np = (int)(sizeof progs_text / sizeof progs_text[0]);
    zc_program progs[8];
    char err[256];
    for (int k = 0; k < np; k++) zc_program_parse(progs_text[k], &progs[k], err, sizeof err);
    double sc[8][N_ARCH], sg[8][N_ARCH], acc[N_ARCH];
    zc_rng r = zc_rng_stream(11, ZC_STREAM_ARCH_SAMPLE, 0);
    zc_eval_ctx *cpu = zc_eval_ctx_new();
    zc_gpu_eval *ev = zc_gpu_eval_new(g);
    int failures = 0;
    for (int a = 0; a < N_ARCH; a++) {
        char arch[256];
        random_nb201(&r, arch, sizeof arch);
        acc[a] = zc_rng_uniform(&r);
        zc_net *net = zc_space_build("nb201", arch, BATCH, CLASSES, HW, err, sizeof err);
        if (!net) {
            failures++;
            continue;
        }
        zc_rng pr = zc_rng_stream(3, ZC_STREAM_PARAM_INIT, (uint64_t)a);
        zc_net_init_params(net, &pr);
        float *in[3];
        make_inputs(100 + (uint64_t)a, zc_net_value_numel(net, 0), in);
        const float *const inputs[3] = {in[0], in[1], in[2]};
        zc_arch_stats cs = {0};
        zc_compute_stats(net, inputs, ZC_ALL_TERMINALS, &cs);
        double s1[8], s2[8];
        zc_eval_programs(cpu, progs, np, &cs, s1);
        if (zc_gpu_net_load(g, net) || zc_gpu_compute_stats(g, inputs, ZC_ALL_TERMINALS) ||
            zc_gpu_eval_programs(ev, progs, np, zc_gpu_stats_view(g), NULL, s2, NULL, NULL)) {
            failures++;
            fprintf(stderr, "  tau arch %d: %s / %s\n", a, zc_gpu_last_error(g),
                    zc_gpu_eval_last_error(ev));
        }
        for (int k = 0; k < np; k++) {
            sc[k][a] = s1[k];
            sg[k][a] = s2[k];
        }
        zc_arch_stats_free(&cs);
        for (int p = 0; p < 3; p++) free(in[p]);
        zc_net_free(net);
    }
    CHECK_MSG(failures == 0, "%d architectures failed", failures);
    for (int k = 0; k < np; k++) {
        double tc = zc_kendall_tau_b(sc[k], acc, N_ARCH), tg = zc_kendall_tau_b(sg[k], acc, N_ARCH);
        int both_nan = tc != tc && tg != tg;
        CHECK_MSG(both_nan || fabs(tc - tg) <= 1e-6, "%s: tau gpu %.9f cpu %.9f", progs_text[k], tg,
                  tc);
        printf("  tau %-52s cpu %+.6f gpu %+.6f\n", progs_text[k], tc, tg);
    }
    zc_gpu_eval_free(ev);
    zc_eval_ctx_free(cpu);
}

int main(void) {
    if (zc_cuda_device_count() == 0) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    char desc[256], err[256];
    zc_cuda_describe(0, desc, sizeof desc);
    printf("device 0: %s\n", desc);
    zc_gpu_ctx *g = zc_gpu_ctx_new(0, err, sizeof err);
    CHECK_MSG(g != NULL, "%s", err);
    if (!g) TEST_EXIT();

    static const char *nb201[] = {
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
        "|none~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|",
        "|nor_conv_1x1~0|+|none~0|none~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|"};
    static const char *sss[] = {"8:16:24:32:64", "64:64:64:64:64", "8:8:8:8:8"};
    printf("networks:\n");
    for (int i = 0; i < 4; i++) check_network(g, "nb201", nb201[i], 1 + (uint64_t)i);
    for (int i = 0; i < 3; i++) check_network(g, "nats_sss", sss[i], 10 + (uint64_t)i);
    printf("primitives:\n");
    check_primitives(g);
    printf("kendall tau:\n");
    check_tau(g);
    zc_gpu_ctx_free(g);
    TEST_EXIT();
}

/* test_cuda_bench.c: benchmarks of the CUDA backend for scripts/gpu_check.sh
 * (built as cuda_bench; not a test). Each mode prints one JSON line.
 *
 *   cuda_bench stats SPACE ARCH_FILE BATCH CLASSES HW
 *       statistics per second (22 terminals, three passes) over the
 *       architectures of ARCH_FILE (one string a line): end to end (build,
 *       CPU parameter draw, upload, passes) and GPU passes alone.
 *   cuda_bench eval BATCH
 *       program evaluation on device-resident NB201 statistics: bytes/s of
 *       elementwise-and-reduce programs against the measured device copy
 *       bandwidth, and GPops/s (output elements per second) of a mix.
 *   cuda_bench search BATCH NB201_FILE SSS_FILE [ARCHS] [POP] [GENS]
 *       EZNAS-scale search time: statistics of ARCHS networks for each of
 *       four tasks (NB201 CIFAR-10, CIFAR-100, ImageNet16-120, NATS-SSS
 *       CIFAR-10), kept on the device, then GENS generations of POP random
 *       programs scored on every network (stand-ins for GP offspring). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/program/evaluator.h"
#include "common/stats/gpu_stats.h"
#include "common/nets/net.h"
#include "common/program/program.h"
#include "common/util/rng.h"
#include "common/nets/space.h"
#include "common/util/util.h"
#include "kernels/cuda/cuda_backend.h"
#include "common/program/gpu_eval.h"
#include "kernels/cuda/gpu_net.h"

static char **read_lines(const char *path, int *n) {
    FILE *f = fopen(path, "r");
    if (!f) zc_die("cannot open %s", path);
    char line[512];
    char **out = NULL;
    int cap = 0;
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            out = zc_realloc(out, sizeof(char *) * (size_t)cap);
        }
        out[(*n)++] = zc_strdup(line);
    }
    fclose(f);
    return out;
}

static void random_inputs(int64_t n, float *in[3], uint64_t seed) {
    zc_rng r = zc_rng_stream(seed, ZC_STREAM_NOISE, 0);
    for (int p = 0; p < 3; p++) {
        in[p] = zc_malloc(sizeof(float) * (size_t)n);
        zc_rng_fill_normal(&r, in[p], n, 0.0, 1.0);
    }
}

/* statistics of one architecture on g; kept on device in *keep if not NULL */
static double one_arch(zc_gpu_ctx *g, const char *space, const char *arch, int batch, int classes,
                       int hw, uint64_t seed, zc_gpu_stats *keep, double *gpu_seconds) {
    char err[256];
    zc_net *net = zc_space_build(space, arch, batch, classes, hw, err, sizeof err);
    if (!net) zc_die("%s", err);
    zc_rng r = zc_rng_stream(1, ZC_STREAM_PARAM_INIT, seed);
    zc_net_init_params(net, &r);
    float *in[3];
    random_inputs(zc_net_value_numel(net, 0), in, seed);
    const float *const inputs[3] = {in[0], in[1], in[2]};
    double t0 = zc_now();
    if (zc_gpu_net_load(g, net) || zc_gpu_compute_stats(g, inputs, ZC_ALL_TERMINALS) ||
        (keep && zc_gpu_stats_keep(g, keep)) || zc_gpu_synchronize(g))
        zc_die("%s: %s", arch, zc_gpu_last_error(g));
    if (gpu_seconds) *gpu_seconds += zc_now() - t0;
    for (int p = 0; p < 3; p++) free(in[p]);
    zc_net_free(net);
    return 0;
}

static int bench_stats(int argc, char **argv) {
    if (argc < 7) zc_die("usage: cuda_bench stats SPACE ARCH_FILE BATCH CLASSES HW");
    int n;
    char **archs = read_lines(argv[3], &n);
    int batch = atoi(argv[4]), classes = atoi(argv[5]), hw = atoi(argv[6]);
    char err[256];
    zc_gpu_ctx *g = zc_gpu_ctx_new(0, err, sizeof err);
    if (!g) zc_die("%s", err);
    double gpu_s = 0;
    one_arch(g, argv[2], archs[0], batch, classes, hw, 0, NULL, &gpu_s); /* warm-up */
    gpu_s = 0;
    double t0 = zc_now();
    for (int i = 0; i < n; i++)
        one_arch(g, argv[2], archs[i], batch, classes, hw, (uint64_t)i, NULL, &gpu_s);
    double total = zc_now() - t0;
    printf("{\"mode\": \"stats\", \"space\": \"%s\", \"batch\": %d, \"archs\": %d, "
           "\"archs_per_s\": %.3f, \"gpu_passes_archs_per_s\": %.3f}\n",
           argv[2], batch, n, n / total, n / gpu_s);
    zc_gpu_ctx_free(g);
    return 0;
}

static const char *k_reduce_progs[] = {
    "mean(abs(inpact_grad_data))", "frobenius(sigmoid(preact_data))",
    "mean_abs(sub(act_noise, mean(act_data)))", "mean(heaviside(inpact_noise))",
    "frobenius(mul(abs(preact_grad_data), frobenius(wt)))", "mean(exp(sigmoid(act_grad_noise)))"};
static const char *k_mix_progs[] = {
    "frobenius(sigmoid(logdet(sign(inpact_grad_data))))", "logdet(matmul(wt, wt))",
    "normalize(add(inpact_data, inpact_noise))", "hamming(preact_data, preact_noise)",
    "mean(mul(act_data, act_grad_data))", "det(wt_grad_data)", "gt(square(inpact_data), numel(wt))",
    "abslog(reciprocal(relu(preact_perturb)))"};

static zc_program *parse_all(const char *const *texts, int n) {
    zc_program *p = zc_malloc(sizeof(zc_program) * (size_t)n);
    char err[256];
    for (int i = 0; i < n; i++)
        if (zc_program_parse(texts[i], &p[i], err, sizeof err)) zc_die("%s: %s", texts[i], err);
    return p;
}

static int bench_eval(int argc, char **argv) {
    int batch = argc > 2 ? atoi(argv[2]) : 64;
    char err[256];
    zc_gpu_ctx *g = zc_gpu_ctx_new(0, err, sizeof err);
    if (!g) zc_die("%s", err);
    double copy_bw = zc_cuda_copy_bandwidth(0, (int64_t)1 << 30);
    one_arch(g, "nb201", ZC_NATS_SSS_GENOTYPE, batch, 10, 32, 0, NULL, NULL);
    const zc_gpu_stats *dev = zc_gpu_stats_view(g);
    zc_gpu_eval *ev = zc_gpu_eval_new(g);
    int nr = (int)(sizeof k_reduce_progs / sizeof *k_reduce_progs);
    int nm = (int)(sizeof k_mix_progs / sizeof *k_mix_progs);
    zc_program *pr = parse_all(k_reduce_progs, nr), *pm = parse_all(k_mix_progs, nm);
    double *scores = zc_malloc(sizeof(double) * 64);
    zc_gpu_eval_programs(ev, pr, nr, dev, NULL, scores, NULL, NULL); /* warm-up */
    zc_gpu_eval_counters_reset(ev);
    int reps = 20;
    double t0 = zc_now();
    for (int r = 0; r < reps; r++) zc_gpu_eval_programs(ev, pr, nr, dev, NULL, scores, NULL, NULL);
    double t_reduce = zc_now() - t0;
    zc_eval_counters c = zc_gpu_eval_counters_get(ev);
    double bw = (double)c.terminal_bytes / t_reduce;
    zc_gpu_eval_programs(ev, pm, nm, dev, NULL, scores, NULL, NULL);
    zc_gpu_eval_counters_reset(ev);
    t0 = zc_now();
    for (int r = 0; r < reps; r++) zc_gpu_eval_programs(ev, pm, nm, dev, NULL, scores, NULL, NULL);
    double t_mix = zc_now() - t0;
    zc_eval_counters cm = zc_gpu_eval_counters_get(ev);
    /* the same mix on the CPU evaluator, for scale */
    zc_arch_stats host = {0};
    zc_gpu_stats_download(g, &host);
    zc_eval_ctx *cpu = zc_eval_ctx_new();
    t0 = zc_now();
    zc_eval_programs(cpu, pm, nm, &host, scores);
    double t_cpu = zc_now() - t0;
    zc_eval_counters cc = zc_eval_counters_get(cpu);
    printf("{\"mode\": \"eval\", \"batch\": %d, \"copy_bytes_per_s\": %.4g, "
           "\"reduce_bytes_per_s\": %.4g, \"reduce_fraction_of_copy\": %.3f, "
           "\"gpops_per_s\": %.4f, \"cpu_gpops_per_s\": %.4f, \"layers\": %d}\n",
           batch, copy_bw, bw, bw / copy_bw, (double)cm.elements / t_mix / 1e9,
           (double)cc.elements / t_cpu / 1e9, dev->n_layers);
    zc_arch_stats_free(&host);
    zc_eval_ctx_free(cpu);
    zc_gpu_eval_free(ev);
    zc_gpu_ctx_free(g);
    return 0;
}

static const char *k_terms[] = {"inpact_data", "preact_data", "act_data", "inpact_grad_data",
                                "preact_grad_noise", "act_grad_data", "inpact_noise", "act_perturb"};
static const char *k_unary[] = {"abs", "square", "sigmoid", "sign", "heaviside", "relu", "exp",
                                "abslog", "normalize", "neg_mask"};
static const char *k_binary[] = {"add", "sub", "mul", "gt"};
static const char *k_reduce[] = {"mean", "frobenius", "mean_abs"};

static void random_program(zc_rng *r, zc_program *p) {
    char text[512], err[256];
    char inner[400];
    snprintf(inner, sizeof inner, "%s", k_terms[zc_rng_below(r, 8)]);
    if (zc_rng_below(r, 2)) {
        char tmp[420];
        snprintf(tmp, sizeof tmp, "%s(%s, %s)", k_binary[zc_rng_below(r, 4)], inner,
                 k_terms[zc_rng_below(r, 3)]);
        memcpy(inner, tmp, strlen(tmp) + 1 < sizeof inner ? strlen(tmp) + 1 : sizeof inner);
        inner[sizeof inner - 1] = 0;
    }
    int depth = 1 + (int)zc_rng_below(r, 4);
    for (int d = 0; d < depth; d++) {
        char tmp[420];
        snprintf(tmp, sizeof tmp, "%s(%s)", k_unary[zc_rng_below(r, 10)], inner);
        memcpy(inner, tmp, strlen(tmp) + 1 < sizeof inner ? strlen(tmp) + 1 : sizeof inner);
        inner[sizeof inner - 1] = 0;
    }
    snprintf(text, sizeof text, "%s(%s)", k_reduce[zc_rng_below(r, 3)], inner);
    if (zc_program_parse(text, p, err, sizeof err)) zc_die("%s: %s", text, err);
}

static int bench_search(int argc, char **argv) {
    if (argc < 5) zc_die("usage: cuda_bench search BATCH NB201_FILE SSS_FILE [ARCHS] [POP] [GENS]");
    int batch = atoi(argv[2]);
    int n201, nsss;
    char **a201 = read_lines(argv[3], &n201), **asss = read_lines(argv[4], &nsss);
    int archs = argc > 5 ? atoi(argv[5]) : 80, pop = argc > 6 ? atoi(argv[6]) : 50,
        gens = argc > 7 ? atoi(argv[7]) : 15;
    if (n201 < archs || nsss < archs) zc_die("need %d architectures per file", archs);
    struct { const char *space; int classes, hw; char **list; } tasks[4] = {
        {"nb201", 10, 32, a201}, {"nb201", 100, 32, a201}, {"nb201", 120, 16, a201},
        {"nats_sss", 10, 32, asss}};
    char err[256];
    zc_gpu_ctx *g = zc_gpu_ctx_new(0, err, sizeof err);
    if (!g) zc_die("%s", err);
    int total = 4 * archs;
    zc_gpu_stats *kept = zc_calloc((size_t)total, sizeof(zc_gpu_stats));
    double t0 = zc_now();
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < archs; i++)
            one_arch(g, tasks[t].space, tasks[t].list[i], batch, tasks[t].classes, tasks[t].hw,
                     (uint64_t)i, &kept[t * archs + i], NULL);
    double t_stats = zc_now() - t0;
    zc_gpu_eval *ev = zc_gpu_eval_new(g);
    zc_program *progs = zc_malloc(sizeof(zc_program) * (size_t)pop);
    double *scores = zc_malloc(sizeof(double) * (size_t)pop);
    zc_rng r = zc_rng_stream(1, ZC_STREAM_GP, 0);
    int64_t evaluations = 0;
    t0 = zc_now();
    for (int gen = 0; gen < gens; gen++) {
        for (int k = 0; k < pop; k++) random_program(&r, &progs[k]);
        for (int a = 0; a < total; a++) {
            if (zc_gpu_eval_programs(ev, progs, pop, &kept[a], NULL, scores, NULL, NULL))
                zc_die("%s", zc_gpu_eval_last_error(ev));
            evaluations += pop;
        }
    }
    double t_eval = zc_now() - t0;
    printf("{\"mode\": \"search\", \"batch\": %d, \"networks\": %d, \"population\": %d, "
           "\"generations\": %d, \"stats_s\": %.2f, \"evolution_s\": %.2f, \"total_s\": %.2f, "
           "\"program_network_evals\": %lld}\n",
           batch, total, pop, gens, t_stats, t_eval, t_stats + t_eval, (long long)evaluations);
    for (int a = 0; a < total; a++) zc_gpu_stats_release(&kept[a]);
    free(kept);
    zc_gpu_eval_free(ev);
    zc_gpu_ctx_free(g);
    return 0;
}

int main(int argc, char **argv) {
    if (zc_cuda_device_count() == 0) {
        printf("{\"error\": \"no CUDA device\"}\n");
        return 77;
    }
    if (argc >= 2 && strcmp(argv[1], "stats") == 0) return bench_stats(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "eval") == 0) return bench_eval(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "search") == 0) return bench_search(argc, argv);
    fprintf(stderr, "usage: cuda_bench stats|eval|search ...\n");
    return 2;
}

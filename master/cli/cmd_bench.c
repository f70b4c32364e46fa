/* cmd_bench.c: `zcevo bench eval`: program-evaluation throughput on cached
 * statistics (evaluations/s, bytes of statistics read/s, GPops/s = node
 * elements/s), beside this machine's measured memory read bandwidth. It
 * writes the programs it timed so scripts/bench_eval.py can time a PyTorch
 * evaluator of the same programs over the same HDF5 tensors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/args.h"
#include "common/util/outputs.h"
#include "common/program/evaluator.h"
#include "common/program/program.h"
#include "common/util/rng.h"
#include "common/util/parallel.h"
#include "common/util/util.h"
#include "master/cli/commands.h"
#include "master/gp/gp.h"
#include "common/stats/task_data.h"
#include "common/program/local_eval.h"

static void bench_help(void) {
    printf("usage: zcevo bench eval --stats FILE.h5 [--programs 100] [--kind random|elementwise]\n"
           "                       [--seed S] [--threads T] [--repeat R] [--write-programs F]\n\n"
           "Time program evaluation over the architectures of a statistics file: R passes of\n"
           "N random programs that are valid on every architecture (random: GP half-and-half\n"
           "trees of depth 2..6; elementwise: chains of pointwise operations over terminals\n"
           "ending in mean, mean_abs or frobenius). Prints evaluations/s (program x\n"
           "architecture), bytes of statistics read/s, GPops/s, and the memory read bandwidth\n"
           "measured here with the same threads. --write-programs F writes the programs timed,\n"
           "one a line (whole or not at all; an existing F must be such a list, never --stats).\n");
}

/* ---- memory bandwidth: T threads summing a 512 MiB array ---------------- */

typedef struct {
    const float *a;
    size_t chunk;          /* floats per thread                              */
    double sum[64];        /* per chunk, so the sums are not optimised away  */
} bw_job;

/* sum_chunk: a parallel-for body: sum chunk i of the array. */
static int sum_chunk(void *ctx, int i, int worker) {
    (void)worker;
    bw_job *b = ctx;
    const float *a = b->a + b->chunk * (size_t)i;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (size_t k = 0; k + 8 <= b->chunk; k += 8) {
        s0 += a[k];
        s1 += a[k + 1];
        s2 += a[k + 2];
        s3 += a[k + 3];
        s4 += a[k + 4];
        s5 += a[k + 5];
        s6 += a[k + 6];
        s7 += a[k + 7];
    }
    b->sum[i] = (double)s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    return 0;
}

/* read_bandwidth: the best of 3 read rates (bytes/s) of `threads` threads
 * (at most 64) summing their share of a 512 MiB array. */
static double read_bandwidth(int threads) {
    size_t n = (size_t)128 << 20; /* 512 MiB of floats */
    float *a = zc_malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) a[i] = (float)(i & 1023);
    int t = threads > 64 ? 64 : threads;
    bw_job job = {a, n / t, {0}};
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = zc_now();
        zc_parallel_for(t, t, sum_chunk, &job);
        double bw = sizeof(float) * (double)n / (zc_now() - t0);
        if (bw > best) best = bw;
    }
    free(a);
    return best;
}

/* ---- program sets ---------------------------------------------------------- */

static const int k_pointwise[] = {ZC_OP_ABS, ZC_OP_SQUARE, ZC_OP_EXP, ZC_OP_RELU, ZC_OP_SIGN,
                                  ZC_OP_SIGMOID, ZC_OP_LOG, ZC_OP_ABSLOG, ZC_OP_HEAVISIDE,
                                  ZC_OP_POS_MASK, ZC_OP_NEG_MASK};
static const int k_roots[] = {ZC_OP_MEAN, ZC_OP_MEAN_ABS, ZC_OP_FROBENIUS};

/* elementwise_program: root(u_k(...u_1(terminal))) or root(binary(u(t1), t2))
 * with a same-shape terminal pair (same tensor kind, other pass). */
static void elementwise_program(zc_rng *rng, zc_program *p) {
    p->len = 0;
    int kind = (int)zc_rng_below(rng, ZC_NUM_TENSOR_KINDS);
    int pass = (int)zc_rng_below(rng, ZC_NUM_PASSES);
    p->code[p->len++] = (uint8_t)ZC_TERMINAL_ID(kind, pass);
    int chain = 1 + (int)zc_rng_below(rng, 4);
    for (int i = 0; i < chain; i++)
        p->code[p->len++] = (uint8_t)k_pointwise[zc_rng_below(rng, ZC_ARRAY_LEN(k_pointwise))];
    if (zc_rng_below(rng, 2)) {
        p->code[p->len++] = (uint8_t)ZC_TERMINAL_ID(kind, (pass + 1) % ZC_NUM_PASSES);
        static const int bin[] = {ZC_OP_ADD, ZC_OP_SUB, ZC_OP_MUL};
        p->code[p->len++] = (uint8_t)bin[zc_rng_below(rng, 3)];
    }
    p->code[p->len++] = (uint8_t)k_roots[zc_rng_below(rng, ZC_ARRAY_LEN(k_roots))];
}

typedef struct {
    const char *stats, *write_programs;
    int n_programs, threads, repeat, elementwise;
    uint64_t seed;
} bench_opts;

/* parse_options: bench eval's options into o. Returns 0, or 1 after
 * printing --help; dies with a usage error on a bad option. */
static int parse_options(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){NULL, NULL, 100, zc_default_threads(), 1, 0, 1};
    static const char *const kinds[] = {"random", "elementwise", NULL};
    zc_args a = zc_args_begin("bench", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help")) {
            bench_help();
            return 1;
        } else if (zc_args_opt(&a, "--stats")) o->stats = a.value;
        else if (zc_args_opt(&a, "--programs")) o->n_programs = (int)zc_args_int(&a, 1, 100000);
        else if (zc_args_opt(&a, "--kind")) o->elementwise = zc_args_choice(&a, kinds) == 1;
        else if (zc_args_opt(&a, "--seed")) o->seed = zc_args_u64(&a);
        else if (zc_args_opt(&a, "--threads")) o->threads = (int)zc_args_int(&a, 1, 1024);
        else if (zc_args_opt(&a, "--repeat")) o->repeat = (int)zc_args_int(&a, 1, 1000);
        else if (zc_args_opt(&a, "--write-programs")) o->write_programs = a.value;
        else zc_args_unknown(&a);
    }
    if (!o->stats) zc_usage_error("bench", "eval needs --stats FILE.h5");
    return 0;
}

/* draw_programs: o->n_programs programs of o's kind drawn from o->seed that
 * evaluate on every architecture of d (malloc'd). Dies after 10^6 draws. */
static zc_program *draw_programs(const bench_opts *o, const zc_task_data *d) {
    zc_program *progs = zc_malloc(sizeof(zc_program) * (size_t)o->n_programs);
    zc_gp_config cfg = zc_gp_config_default();
    zc_rng rng = zc_rng_stream(o->seed, ZC_STREAM_GP, 99);
    zc_eval_ctx *ctx = zc_eval_ctx_new();
    int n = 0, tries = 0;
    while (n < o->n_programs) {
        if (++tries > 1000000) zc_die("could not draw %d valid programs", o->n_programs);
        zc_program p;
        if (o->elementwise) elementwise_program(&rng, &p);
        else if (zc_gp_gen_half_and_half(&cfg, &rng, 2, 6, &p) != 0) continue;
        int ok = 1;
        for (int i = 0; i < d->n_archs && ok; i++) {
            double s;
            ok = zc_eval_network(ctx, &p, &d->archs[i], &s) == 0;
        }
        if (ok) progs[n++] = p;
    }
    zc_eval_ctx_free(ctx);
    return progs;
}

/* write_programs: one program a line into path (a temporary file renamed
 * once complete, every write checked); dies when it cannot. */
static void write_programs(const char *path, const zc_program *progs, int n) {
    char err[1200];
    zc_text_output out;
    if (zc_text_output_open(&out, path, err, sizeof err) != 0) zc_die("%s", err);
    for (int i = 0; i < n; i++) {
        char text[4096];
        zc_program_print(&progs[i], text, sizeof text);
        fprintf(out.f, "%s\n", text);
    }
    if (zc_text_output_commit(&out, err, sizeof err) != 0) zc_die("%s", err);
}

/* check_programs_file: a zc_output_check_fn for --write-programs: every
 * line of the existing file is a program (what this option writes). */
static int check_programs_file(const char *path, void *ctx, char *why, size_t n) {
    (void)ctx;
    FILE *f = fopen(path, "r");
    if (!f) return zc_fail(why, n, "cannot be read");
    char *line = NULL, perr[256];
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    for (int no = 1; rc == 0 && (len = getline(&line, &cap, f)) > 0; no++) {
        zc_program p;
        size_t text_len = (size_t)len;
        if (line[text_len - 1] == '\n') line[--text_len] = 0;
        if (strlen(line) != text_len)
            rc = zc_fail(why, n, "is not a list of programs (line %d holds a NUL byte)", no);
        else if (zc_program_parse(line, &p, perr, sizeof perr) != 0)
            rc = zc_fail(why, n, "is not a list of programs (line %d: %s)", no, perr);
    }
    free(line);
    fclose(f);
    return rc;
}

/* print_report: the figures of `secs` seconds of o->repeat passes over d
 * (counters c, score checksum) beside the memory read bandwidth. */
static void print_report(const bench_opts *o, const zc_task_data *d, int n, double secs,
                         zc_eval_counters c, double checksum) {
    double evals = (double)n * d->n_archs * o->repeat;
    double bw = read_bandwidth(o->threads);
    char b1[32], b2[32];
    printf("bench eval: %s, %d architectures, %d %s programs x %d passes, %d threads\n",
           o->stats, d->n_archs, n, o->elementwise ? "elementwise" : "random", o->repeat,
           o->threads);
    printf("  time               %.3f s\n", secs);
    printf("  evaluations/s      %.1f (program x architecture)\n", evals / secs);
    printf("  programs/s         %.2f (each on all %d architectures)\n", n * o->repeat / secs,
           d->n_archs);
    printf("  statistics read/s  %s/s (%s read in all)\n",
           zc_format_bytes((double)c.terminal_bytes / secs, b1),
           zc_format_bytes((double)c.terminal_bytes, b2));
    printf("  GPops/s            %.3f (node output elements per second)\n",
           (double)c.elements / secs * 1e-9);
    printf("  memory read bandwidth (this machine, %d threads): %s/s; achieved %.0f%%\n",
           o->threads, zc_format_bytes(bw, b1), 100.0 * (double)c.terminal_bytes / secs / bw);
    printf("  checksum           %.9g\n", checksum);
}

static int bench_eval(int argc, char **argv) {
    bench_opts o;
    if (parse_options(argc, argv, &o)) return ZC_EXIT_OK;
    char err[1024];
    zc_outputs outs;
    zc_outputs_init(&outs, "bench");
    zc_outputs_read(&outs, o.stats);
    if (o.write_programs)
        zc_outputs_write(&outs, "--write-programs", o.write_programs, check_programs_file, NULL);
    zc_outputs_claim(&outs);
    zc_task_data d;
    if (zc_task_data_load(&d, o.stats, ZC_ALL_TERMINALS, 0, err, sizeof err) != 0)
        zc_die("%s", err);
    int n = o.n_programs;
    zc_program *progs = draw_programs(&o, &d);
    if (o.write_programs) write_programs(o.write_programs, progs, n);

    zc_local_eval *e = zc_local_eval_new(&d, 1, o.threads, NULL);
    double *scores = zc_malloc(sizeof(double) * (size_t)n * d.n_archs);
    double *const sp[1] = {scores};
    zc_local_eval_counters(e); /* reset */
    double t0 = zc_now();
    for (int r = 0; r < o.repeat; r++) zc_local_eval_score(e, progs, n, sp, err, sizeof err);
    double secs = zc_now() - t0;
    zc_eval_counters c = zc_local_eval_counters(e);
    double checksum = 0;
    for (int i = 0; i < n * d.n_archs; i++) checksum += scores[i];
    print_report(&o, &d, n, secs, c, checksum);
    free(scores);
    free(progs);
    zc_local_eval_free(e);
    zc_task_data_free(&d);
    zc_outputs_release(&outs);
    return ZC_EXIT_OK;
}

int zc_cmd_bench(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "eval") == 0) return bench_eval(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        bench_help();
        return ZC_EXIT_OK;
    }
    zc_usage_error("bench", "expected a benchmark name: eval (statistics: "
                   "scripts/bench_stats.py)");
}

/* cmd_stats.c: `zcevo stats`: compute EZNAS statistics of architectures
 * into an HDF5 cache, after printing the size the file will have and the
 * peak memory the process will reach. Under mpirun/srun rank 0 writes and
 * the other ranks compute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/args.h"
#include "common/util/outputs.h"
#include "master/cli/task_options.h"
#include "common/stats/stats_compute.h"
#include "common/stats/stats_h5.h"
#include "common/data/task.h"
#include "common/stats/task_stats.h"
#include "common/util/util.h"
#include "common/mpi/mpi_util.h"
#include "master/cli/commands.h"
#include "master/dispatch/stats_dispatch.h"
#include "worker/stats_worker.h"
#include "common/stats/device.h"
#include "common/stats/stats_job.h"
#include "kernels/cpu/net_exec.h"

static void stats_help(void) {
    printf(
        "usage: zcevo stats [options]\n\n"
        "Compute the 22 EZNAS per-layer statistics (7 tensors x 3 passes + the conv\n"
        "weight, for every ReLU-Conv-BN block) of architectures of a design space on\n"
        "real images, into one HDF5 file (schema: docs/stats_schema.md).\n\n"
        "  --data DIR          benchmark data folder (else $ZCEVO_DATA, else ../shared/data)\n"
        "  --space S           nb201 (default), nats_sss, nasbench_macro, channel_resnet,\n"
        "                      channel_mobilenet, nds_*_in (see zcevo spaces)\n"
        "  --dataset D         cifar10 | cifar100 | imagenet16 (default cifar10).\n"
        "                      imagenet16: there are no ImageNet16-120 images here; CIFAR-100\n"
        "                      train images resized 32x32->16x16 stand in (recorded in the\n"
        "                      file's image_source attribute), with 120 classes\n"
        "  --archs N|all       a seeded random sample of N architectures (default 10)\n"
        "  --arch A            an architecture by index or string (repeatable; replaces --archs)\n"
        "  --arch-file F       architectures, one index or string per line\n"
        "  --exclude-stats F   draw the sample from the architectures that statistics\n"
        "                      file F does not hold (repeatable): a test set disjoint\n"
        "                      from the architectures a proxy was evolved on\n"
        "  --batch B           minibatch size (default 1, as the EZNAS evolution stores)\n"
        "  --image-size N      network input size; CIFAR images are resized to it\n"
        "                      (default: the space's, 224 for nds_*_in, else the dataset's)\n"
        "  --seed S            seed of images, noise, parameters and the sample (default 1)\n"
        "  --terminals LIST    comma-separated terminal names or 'all' (default all)\n"
        "  --acc-column NAME   accuracy column of the table (default: nb201 cifar10 ->\n"
        "                      cifar10valid_valid; otherwise the dataset's test column)\n"
        "  --out FILE.h5       output (default stats_<space>_<dataset>_b<batch>.h5). Re-running\n"
        "                      with the same file skips complete architectures; the file is\n"
        "                      written as FILE.h5.partial and renamed when complete, while\n"
        "                      FILE.h5.lock keeps other runs off it. A file of another\n"
        "                      configuration, of format 1 or not a stats file is refused;\n"
        "                      so is an output inside the data folder or equal to --arch-file\n"
        "  --store-params      also store every initial parameter (PyTorch state_dict names)\n"
        "  --threads T         architectures computed at once (default: number of cores)\n"
        "  --device D          cpu | cuda | auto (default auto: the GPU of this rank's local\n"
        "                      rank when this build has CUDA and a GPU is present)\n"
        "  --discard           compute but write nothing (benchmarking)\n"
        "  --quiet             no progress lines\n\n"
        "Before computing, it prints the size the file will have and the peak memory of\n"
        "the process (with several threads, the largest architectures at once); both\n"
        "shrink with --terminals and --batch, the peak memory also with --threads. At\n"
        "the end it prints the peak memory reached.\n");
}

static const zc_task_option_rules k_stats_rules = {
    .command = "stats", .space = "nb201", .archs = 10, .archs_min = 1, .batch = 1,
    .batch_min = 1, .arch_file = 1, .device = 1, .check_space = 1, .unique_archs = 1};

/* The command line. */
typedef struct {
    zc_task_options task;
    const char *terminals, *out;
    int store_params, discard;
    zc_terminal_mask mask; /* of terminals, set by check_options */
    char default_out[256];
} stats_options;

/* read_options: the command line into *o; 1 when --help was printed. */
static int read_options(stats_options *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    zc_task_options_init(&o->task, &k_stats_rules);
    o->terminals = "all";
    zc_args a = zc_args_begin("stats", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            stats_help();
            return 1;
        } else if (zc_task_options_read(&o->task, &a)) continue;
        else if (zc_args_opt(&a, "--terminals")) o->terminals = a.value;
        else if (zc_args_opt(&a, "--out")) o->out = a.value;
        else if (zc_args_flag(&a, "--store-params")) o->store_params = 1;
        else if (zc_args_flag(&a, "--discard")) o->discard = 1;
        else zc_args_unknown(&a);
    }
    return 0;
}

/* check_options: the terminal list, the space, the architecture file,
 * --store-params on one rank (usage errors, or zc_die for the file); the
 * default output name. */
static void check_options(stats_options *o, int mpi_size) {
    char bad[64];
    if (zc_terminal_parse_list(o->terminals, &o->mask, bad) != 0)
        zc_usage_error("stats", "unknown terminal '%s' in --terminals", bad);
    zc_task_options_check(&o->task);
    if (o->store_params && mpi_size > 1)
        zc_usage_error("stats", "--store-params needs a single rank (run without mpirun)");
    if (!o->out) {
        snprintf(o->default_out, sizeof o->default_out, "stats_%s_%s_b%d.h5", o->task.space,
                 o->task.dataset, o->task.batch);
        o->out = o->default_out;
    }
}

/* claim_output: rank 0, before any work: --out is a file name, not the
 * --arch-file nor inside the data folder (the writer then takes its lock
 * and checks an existing file). Errors end the program. */
static void claim_output(stats_options *o, zc_outputs *outs) {
    zc_outputs_init(outs, "stats");
    if (o->discard) return;
    zc_task_options_inputs(&o->task, outs);
    zc_outputs_write_unlocked(outs, "--out", o->out, NULL, NULL);
    zc_outputs_claim(outs);
}

/* compute_worker_share: a worker rank: its share of rank 0's list of rows
 * still to do, sent to rank 0 record by record. */
static void compute_worker_share(const stats_options *o, zc_task_choice *c, int mpi_rank,
                                 int mpi_size) {
    zc_mpi_restore_stderr();
    int todo = 0;
    zc_mpi_bcast_ints(&todo, &c->rows);
    int *mine = zc_malloc(sizeof(int) * (size_t)(todo + 1));
    int n_mine = zc_dispatch_rows_of(c->rows, todo, mpi_rank - 1, mpi_size - 1, mine);
    zc_worker_records(&c->task, o->mask, mine, n_mine, o->task.threads);
    free(mine);
}

/* abandon_and_die: remove the unfinished output (if any), report err. */
static void abandon_and_die(zc_stats_writer *writer, const char *err) {
    if (writer) zc_stats_writer_abandon(writer);
    zc_die("%s", err);
}

/* open_output: the statistics file with the task's inputs written; NULL
 * with --discard. Errors end the program. */
static zc_stats_writer *open_output(const stats_options *o, const zc_task *task) {
    char err[1024];
    if (o->discard) return NULL;
    zc_stats_config cfg;
    zc_task_stats_config(task, o->mask, o->store_params, &cfg);
    zc_stats_writer *writer = zc_stats_writer_open(o->out, &cfg, err, sizeof err);
    if (!writer) zc_die("%s", err);
    if (zc_stats_writer_put_inputs(writer, task->inputs[0], task->inputs[1], task->inputs[2],
                                   task->labels, err, sizeof err) != 0)
        abandon_and_die(writer, err);
    return writer;
}

/* The architectures still to compute and what they will take. */
typedef struct {
    int todo, skipped;    /* rows to compute; rows the file already completes */
    double bytes;         /* expected size of the tensors written             */
    double net_peak;      /* the largest working memory of one network        */
    int workers;          /* architectures computed at once                   */
    double resident_now;  /* host memory held before computing                */
    double concurrent;    /* host memory the busiest moment adds              */
    double peak_estimate; /* resident_now + concurrent                        */
} stats_plan;

/* plan_rows: drop the rows the file already completes (c->rows keeps the
 * others, in order: p->todo); build each remaining network once to check
 * it fits the device and to add up the bytes of its records; held[k]: the
 * host bytes one worker holds while computing the k-th. */
static void plan_rows(const stats_options *o, zc_task_choice *c, zc_stats_writer *writer,
                      stats_plan *p, double *held) {
    char err[1024];
    for (int i = 0; i < c->n_rows; i++) {
        int row = c->rows[i];
        if (writer && zc_stats_writer_is_complete(writer, c->task.table.arch_index[row])) {
            p->skipped++;
            continue;
        }
        zc_net *net = zc_task_build(&c->task, row, err, sizeof err);
        if (!net) abandon_and_die(writer, err);
        if (zc_device_check_memory(c->cuda_device, net, o->mask, err, sizeof err) != 0)
            abandon_and_die(writer, err);
        double record = (double)zc_stats_bytes_for_net(net, o->mask);
        if (o->store_params) record += 4.0 * (double)zc_net_param_count(net);
        p->bytes += record;
        double m = (double)zc_net_memory_bytes(net);
        if (m > p->net_peak) p->net_peak = m;
        held[p->todo] = record + (c->cuda_device >= 0 ? 0.0 : m);
        zc_net_free(net);
        c->rows[p->todo++] = row;
    }
    /* a new file also holds the three input batches (floats) and the labels */
    const zc_task *t = &c->task;
    if (writer && p->skipped == 0)
        p->bytes += 3.0 * 4.0 * t->batch * 3.0 * t->image_hw * t->image_hw + 4.0 * t->batch;
}

/* qsort order: largest first */
static int compare_descending(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a < b) - (a > b);
}

/* estimate_peak_memory: peak host memory of this process: what it holds now
 * (tables, images) plus what the busiest moment adds: each worker holds one
 * network's working memory (on the GPU with CUDA) and one architecture's
 * statistics until they are written; at worst the largest ones at once
 * (held[0..p->todo), reordered). */
static void estimate_peak_memory(int threads, int cuda_device, double *held, stats_plan *p) {
    p->workers = cuda_device >= 0 ? 1 : threads;
    qsort(held, (size_t)p->todo, sizeof(double), compare_descending);
    p->concurrent = 0.0;
    for (int i = 0; i < p->todo && i < p->workers; i++) p->concurrent += held[i];
}

/* plan_run: plan_rows then estimate_peak_memory. */
static void plan_run(const stats_options *o, zc_task_choice *c, zc_stats_writer *writer,
                     stats_plan *p) {
    memset(p, 0, sizeof *p);
    double *held = zc_calloc((size_t)(c->n_rows > 0 ? c->n_rows : 1), sizeof(double));
    plan_rows(o, c, writer, p, held);
    estimate_peak_memory(o->task.threads, c->cuda_device, held, p);
    free(held);
    p->resident_now = zc_resident_bytes();
    p->peak_estimate = p->resident_now + p->concurrent;
}

/* print_plan: the task, the expected file size and the memory estimate. */
static void print_plan(const stats_options *o, const zc_task_choice *c, const stats_plan *p,
                       int mpi_size) {
    char b1[32], b2[32], b3[320], b4[32];
    fprintf(stderr,
            "stats: %s/%s, batch %d, seed %llu, %d architectures to compute (%d already "
            "complete), %s, accuracy column %s\n",
            o->task.space, o->task.dataset, o->task.batch, (unsigned long long)o->task.seed,
            p->todo, p->skipped, c->task.image_source, c->task.acc_column);
    fprintf(stderr,
            "stats: expected cache size %s of tensors in '%s'; working memory about %s "
            "per thread, %d threads, device %s\n",
            zc_format_bytes(p->bytes, b1), o->out, zc_format_bytes(p->net_peak, b2), p->workers,
            zc_device_name(c->cuda_device, b3, sizeof b3));
    if (mpi_size <= 1)
        fprintf(stderr,
                "stats: peak memory about %s (%s now + %s for the networks and "
                "statistics of %d architectures at once); lower with --terminals, "
                "--batch or --threads\n",
                zc_format_bytes(p->peak_estimate, b1), zc_format_bytes(p->resident_now, b2),
                zc_format_bytes(p->concurrent, b4), p->workers < p->todo ? p->workers : p->todo);
}

typedef struct {
    zc_stats_writer *writer;
    int store_params;
} writer_sink;

static int write_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                        size_t errlen) {
    (void)i;
    writer_sink *w = ctx;
    zc_named_tensor *params = NULL;
    int n_params = 0;
    if (w->store_params) {
        n_params = net->n_params;
        params = zc_calloc((size_t)n_params, sizeof *params);
        for (int p = 0; p < n_params; p++) {
            params[p].name = net->params[p].name;
            params[p].tensor.ndim = net->params[p].ndim;
            for (int d = 0; d < net->params[p].ndim; d++)
                params[p].tensor.shape[d] = net->params[p].shape[d];
            params[p].tensor.data = net->params[p].data;
        }
    }
    int rc = zc_stats_writer_put_arch(w->writer, rec, params, n_params, err, errlen);
    free(params);
    return rc;
}

/* put_received: rank 0 of a distributed run: a record from a worker rank. */
static int put_received(void *ctx, zc_arch_stats *rec, char *err, size_t errlen) {
    writer_sink *w = ctx;
    return w->writer ? zc_stats_writer_put_arch(w->writer, rec, NULL, 0, err, errlen) : 0;
}

static int discard_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                          size_t errlen) {
    (void)ctx, (void)i, (void)rec, (void)net, (void)err, (void)errlen;
    return 0;
}

/* compute_rows: the planned rows (c->rows[0..todo)) into the writer: in
 * this process, or handed to the worker ranks. Errors end the program
 * (the unfinished output removed). */
static void compute_rows(const stats_options *o, zc_task_choice *c, int todo,
                         zc_stats_writer *writer, int mpi_size) {
    char err[1024];
    const int quiet = o->task.quiet;
    writer_sink sink = {writer, o->store_params};
    if (mpi_size > 1) {
        zc_mpi_bcast_ints(&todo, &c->rows);
        if (!quiet)
            fprintf(stderr, "stats: %d ranks compute, rank 0 writes\n", mpi_size - 1);
        if (zc_dispatch_records(mpi_size, todo, !quiet, put_received, &sink, err,
                                sizeof err) != 0)
            abandon_and_die(writer, err);
        return;
    }
    zc_stats_job job = {.task = &c->task, .mask = o->mask, .n_rows = todo, .rows = c->rows,
                        .threads = o->task.threads, .progress = !quiet, .label = "stats",
                        .sink = o->discard ? discard_record : write_record,
                        .sink_ctx = &sink, .use_cuda = c->cuda_device >= 0,
                        .cuda_device = c->cuda_device};
    if (zc_stats_job_run(&job, err, sizeof err) != 0) abandon_and_die(writer, err);
}

/* print_summary: what was written, how fast, and the peak memory reached. */
static void print_summary(const stats_options *o, const stats_plan *p, double seconds,
                          int mpi_size) {
    char b1[32], b2[32];
    fprintf(stderr, "stats: %s %d architectures%s%s in %.2f s (%.2f arch/s)\n",
            o->discard ? "computed" : "wrote", p->todo, o->discard ? "" : " to ",
            o->discard ? "" : o->out, seconds, p->todo / (seconds > 0 ? seconds : 1e-9));
    if (mpi_size <= 1)
        fprintf(stderr, "stats: peak memory %s (estimated %s)\n",
                zc_format_bytes(zc_peak_resident_bytes(), b1),
                zc_format_bytes(p->peak_estimate, b2));
}

/* write_statistics: rank 0 (or the only process): open the output, plan,
 * compute and finish the file. */
static void write_statistics(const stats_options *o, zc_task_choice *c, int mpi_size) {
    char err[1024];
    zc_stats_writer *writer = open_output(o, &c->task);
    stats_plan plan;
    plan_run(o, c, writer, &plan);
    if (!o->task.quiet) print_plan(o, c, &plan, mpi_size);
    double t0 = zc_now();
    compute_rows(o, c, plan.todo, writer, mpi_size);
    double seconds = zc_now() - t0;
    if (writer && zc_stats_writer_finish(writer, err, sizeof err) != 0) zc_die("%s", err);
    if (!o->task.quiet) print_summary(o, &plan, seconds, mpi_size);
}

int zc_cmd_stats(int argc, char **argv) {
    /* under mpirun/srun: rank 0 writes, the other ranks compute (they parse
     * the same command line; rank 0 alone reports its errors) */
    int mpi_rank, mpi_size;
    zc_mpi_begin(NULL, NULL, &mpi_rank, &mpi_size);
    if (mpi_rank != 0) zc_mpi_mute_stderr();
    stats_options o;
    if (read_options(&o, argc, argv) == 0) {
        check_options(&o, mpi_size);
        zc_outputs outs;
        if (mpi_rank == 0) claim_output(&o, &outs);
        zc_task_choice c;
        zc_task_choose(&o.task, &c);
        if (mpi_rank != 0) compute_worker_share(&o, &c, mpi_rank, mpi_size);
        else write_statistics(&o, &c, mpi_size);
        zc_task_choice_free(&c);
    }
    zc_task_options_free(&o.task);
    zc_mpi_end();
    return ZC_EXIT_OK;
}

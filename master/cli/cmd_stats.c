/* cmd_stats.c: `zcevo stats` (compute EZNAS statistics of architectures
 * into an HDF5 cache) and `zcevo spaces` (list the design spaces). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/args.h"
#include "common/nets/space.h"
#include "common/stats/stats_compute.h"
#include "common/stats/stats_h5.h"
#include "common/data/task.h"
#include "common/stats/task_stats.h"
#include "common/util/parallel.h"
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
        "  --batch B           minibatch size (default 1, as the EZNAS evolution stores)\n"
        "  --image-size N      network input size; CIFAR images are resized to it\n"
        "                      (default: the space's, 224 for nds_*_in, else the dataset's)\n"
        "  --seed S            seed of images, noise, parameters and the sample (default 1)\n"
        "  --terminals LIST    comma-separated terminal names or 'all' (default all)\n"
        "  --acc-column NAME   accuracy column of the table (default: nb201 cifar10 ->\n"
        "                      cifar10valid_valid; otherwise the dataset's test column)\n"
        "  --out FILE.h5       output (default stats_<space>_<dataset>_b<batch>.h5). Re-running\n"
        "                      with the same file skips complete architectures; the file is\n"
        "                      written as FILE.h5.partial and renamed when complete\n"
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

/* Collects --arch values. */
typedef struct {
    int n, cap;
    char **items;
} string_list;

static void list_push(string_list *l, const char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = zc_realloc(l->items, sizeof(char *) * (size_t)l->cap);
    }
    l->items[l->n++] = zc_strdup(s);
}

static void list_free(string_list *l) {
    for (int i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
}

static void read_arch_file(const char *path, string_list *l) {
    FILE *f = fopen(path, "r");
    if (!f) zc_die("cannot read architecture file '%s'", path);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        list_push(l, s);
    }
    fclose(f);
    if (l->n == 0) zc_die("architecture file '%s' lists no architecture", path);
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

/* qsort order: largest first */
static int compare_descending(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a < b) - (a > b);
}

static int discard_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                          size_t errlen) {
    (void)ctx, (void)i, (void)rec, (void)net, (void)err, (void)errlen;
    return 0;
}

int zc_cmd_stats(int argc, char **argv) {
    const char *data_flag = NULL, *space = "nb201", *dataset = "cifar10", *out = NULL;
    const char *terminals = "all", *acc_column = NULL, *arch_file = NULL;
    int archs = 10, batch = 1, store_params = 0, quiet = 0, discard = 0;
    int threads = zc_default_threads();
    uint64_t seed = 1;
    int image_size = 0;
    const char *device_flag = "auto";
    string_list arch_list = {0};
    /* under mpirun/srun: rank 0 writes, the other ranks compute (they parse
     * the same command line; rank 0 alone reports its errors) */
    int mpi_rank, mpi_size;
    zc_mpi_begin(NULL, NULL, &mpi_rank, &mpi_size);
    if (mpi_rank != 0) zc_mpi_mute_stderr();
    zc_args a = zc_args_begin("stats", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            stats_help();
            zc_mpi_end();
            return ZC_EXIT_OK;
        } else if (zc_args_opt(&a, "--data")) data_flag = a.value;
        else if (zc_args_opt(&a, "--space")) space = a.value;
        else if (zc_args_opt(&a, "--dataset")) dataset = a.value;
        else if (zc_args_opt(&a, "--archs"))
            archs = strcmp(a.value, "all") == 0 ? -1 : (int)zc_args_int(&a, 1, 1 << 30);
        else if (zc_args_opt(&a, "--arch")) list_push(&arch_list, a.value);
        else if (zc_args_opt(&a, "--arch-file")) arch_file = a.value;
        else if (zc_args_opt(&a, "--batch")) batch = (int)zc_args_int(&a, 1, 100000);
        else if (zc_args_opt(&a, "--seed")) seed = zc_args_u64(&a);
        else if (zc_args_opt(&a, "--image-size")) image_size = (int)zc_args_int(&a, 8, 1024);
        else if (zc_args_opt(&a, "--device")) device_flag = a.value;
        else if (zc_args_opt(&a, "--terminals")) terminals = a.value;
        else if (zc_args_opt(&a, "--acc-column")) acc_column = a.value;
        else if (zc_args_opt(&a, "--out")) out = a.value;
        else if (zc_args_flag(&a, "--store-params")) store_params = 1;
        else if (zc_args_opt(&a, "--threads")) threads = (int)zc_args_int(&a, 1, 1024);
        else if (zc_args_flag(&a, "--quiet")) quiet = 1;
        else if (zc_args_flag(&a, "--discard")) discard = 1;
        else zc_args_unknown(&a);
    }
    zc_terminal_mask mask;
    char bad[64], err[1024];
    if (zc_terminal_parse_list(terminals, &mask, bad) != 0)
        zc_usage_error("stats", "unknown terminal '%s' in --terminals", bad);
    if (!zc_space_find(space)) zc_usage_error("stats", "unknown space '%s'", space);
    if (arch_file) read_arch_file(arch_file, &arch_list);
    if (store_params && mpi_size > 1)
        zc_usage_error("stats", "--store-params needs a single rank (run without mpirun)");

    char *data_dir = zc_data_dir(data_flag);
    zc_task task;
    if (zc_task_setup_sized(&task, data_dir, space, dataset, batch, seed, acc_column,
                            image_size, err, sizeof err) != 0)
        zc_die("%s", err);
    int cuda_device;
    if (zc_device_resolve(device_flag, &cuda_device, err, sizeof err) != 0) zc_die("%s", err);

    /* the architectures */
    int *rows = zc_malloc(sizeof(int) * (size_t)task.table.n_rows);
    int n_rows;
    if (arch_list.n) {
        n_rows = 0;
        for (int i = 0; i < arch_list.n; i++) {
            int row;
            if (zc_task_resolve_arch(&task, arch_list.items[i], &row, err, sizeof err) != 0)
                zc_die("%s", err);
            int dup = 0;
            for (int j = 0; j < n_rows; j++) dup |= rows[j] == row;
            if (!dup) rows[n_rows++] = row;
        }
    } else {
        n_rows = zc_task_sample_rows(&task, archs, seed, rows);
    }

    char default_out[256];
    if (!out) {
        snprintf(default_out, sizeof default_out, "stats_%s_%s_b%d.h5", space, dataset, batch);
        out = default_out;
    }
    if (mpi_rank != 0) {
        /* a worker rank: its share of rank 0's list of rows still to do */
        zc_mpi_restore_stderr();
        int todo = 0;
        zc_mpi_bcast_ints(&todo, &rows);
        int *mine = zc_malloc(sizeof(int) * (size_t)(todo + 1));
        int n_mine = zc_dispatch_rows_of(rows, todo, mpi_rank - 1, mpi_size - 1, mine);
        zc_worker_records(&task, mask, mine, n_mine, threads);
        free(mine);
        zc_task_free(&task);
        list_free(&arch_list);
        free(rows);
        free(data_dir);
        zc_mpi_end();
        return ZC_EXIT_OK;
    }
    zc_stats_config cfg;
    zc_task_stats_config(&task, mask, store_params, &cfg);
    zc_stats_writer *writer = NULL;
    if (!discard && !(writer = zc_stats_writer_open(out, &cfg, err, sizeof err)))
        zc_die("%s", err);
    if (writer && zc_stats_writer_put_inputs(writer, task.inputs[0], task.inputs[1],
                                             task.inputs[2], task.labels, err,
                                             sizeof err) != 0) {
        zc_stats_writer_abandon(writer);
        zc_die("%s", err);
    }

    /* skip complete architectures; estimate the size of the rest exactly */
    int todo = 0, skipped = 0;
    double bytes = 0, peak = 0;
    /* per architecture: host bytes one worker holds while computing it */
    double *held = zc_calloc((size_t)(n_rows > 0 ? n_rows : 1), sizeof(double));
    for (int i = 0; i < n_rows; i++) {
        if (writer && zc_stats_writer_is_complete(writer, task.table.arch_index[rows[i]])) {
            skipped++;
            continue;
        }
        zc_net *net = zc_task_build(&task, rows[i], err, sizeof err);
        if (!net) {
            if (writer) zc_stats_writer_abandon(writer);
            zc_die("%s", err);
        }
        if (zc_device_check_memory(cuda_device, net, mask, err, sizeof err) != 0) {
            if (writer) zc_stats_writer_abandon(writer);
            zc_die("%s", err);
        }
        double record = (double)zc_stats_bytes_for_net(net, mask);
        if (store_params) record += 4.0 * (double)zc_net_param_count(net);
        bytes += record;
        double m = (double)zc_net_memory_bytes(net);
        if (m > peak) peak = m;
        held[todo] = record + (cuda_device >= 0 ? 0.0 : m);
        zc_net_free(net);
        rows[todo++] = rows[i];
    }
    /* a new file also holds the three input batches (floats) and the labels */
    if (writer && skipped == 0)
        bytes += 3.0 * 4.0 * task.batch * 3.0 * task.image_hw * task.image_hw + 4.0 * task.batch;
    /* Peak host memory of this process: what it holds now (tables, images)
     * plus what the busiest moment adds: each worker holds one network's
     * working memory (on the GPU with CUDA) and one architecture's
     * statistics until they are written; at worst the largest ones at once. */
    const int workers = cuda_device >= 0 ? 1 : threads;
    qsort(held, (size_t)todo, sizeof(double), compare_descending);
    double concurrent = 0.0;
    for (int i = 0; i < todo && i < workers; i++) concurrent += held[i];
    free(held);
    const double resident_now = zc_resident_bytes();
    const double peak_estimate = resident_now + concurrent;
    char b1[32], b2[32], b3[320], b4[32];
    if (!quiet) {
        fprintf(stderr,
                "stats: %s/%s, batch %d, seed %llu, %d architectures to compute (%d already "
                "complete), %s, accuracy column %s\n",
                space, dataset, batch, (unsigned long long)seed, todo, skipped,
                task.image_source, task.acc_column);
        fprintf(stderr,
                "stats: expected cache size %s of tensors in '%s'; working memory about %s "
                "per thread, %d threads, device %s\n",
                zc_format_bytes(bytes, b1), out, zc_format_bytes(peak, b2), workers,
                zc_device_name(cuda_device, b3, sizeof b3));
        if (mpi_size <= 1)
            fprintf(stderr,
                    "stats: peak memory about %s (%s now + %s for the networks and "
                    "statistics of %d architectures at once); lower with --terminals, "
                    "--batch or --threads\n",
                    zc_format_bytes(peak_estimate, b1), zc_format_bytes(resident_now, b2),
                    zc_format_bytes(concurrent, b4), workers < todo ? workers : todo);
    }

    writer_sink sink = {writer, store_params};
    zc_stats_job job = {.task = &task, .mask = mask, .n_rows = todo, .rows = rows,
                        .threads = threads, .progress = !quiet, .label = "stats",
                        .sink = discard ? discard_record : write_record,
                        .sink_ctx = &sink, .use_cuda = cuda_device >= 0,
                        .cuda_device = cuda_device};
    double t0 = zc_now();
    if (mpi_size > 1) {
        zc_mpi_bcast_ints(&todo, &rows);
        if (!quiet)
            fprintf(stderr, "stats: %d ranks compute, rank 0 writes\n", mpi_size - 1);
        if (zc_dispatch_records(mpi_size, todo, !quiet, put_received, &sink, err,
                                sizeof err) != 0) {
            if (writer) zc_stats_writer_abandon(writer);
            zc_die("%s", err);
        }
    } else if (zc_stats_job_run(&job, err, sizeof err) != 0) {
        if (writer) zc_stats_writer_abandon(writer);
        zc_die("%s", err);
    }
    double seconds = zc_now() - t0;
    if (writer && zc_stats_writer_finish(writer, err, sizeof err) != 0) zc_die("%s", err);
    if (!quiet)
        fprintf(stderr, "stats: %s %d architectures%s%s in %.2f s (%.2f arch/s)\n",
                discard ? "computed" : "wrote", todo, discard ? "" : " to ",
                discard ? "" : out, seconds, todo / (seconds > 0 ? seconds : 1e-9));
    if (!quiet && mpi_size <= 1)
        fprintf(stderr, "stats: peak memory %s (estimated %s)\n",
                zc_format_bytes(zc_peak_resident_bytes(), b1), zc_format_bytes(peak_estimate, b2));
    zc_task_free(&task);
    list_free(&arch_list);
    free(rows);
    free(data_dir);
    zc_mpi_end();
    return ZC_EXIT_OK;
}

int zc_cmd_spaces(int argc, char **argv) {
    const char *data_flag = NULL;
    zc_args a = zc_args_begin("spaces", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help")) {
            printf("usage: zcevo spaces [--data DIR]\n\nList the design spaces, their number "
                   "of architectures and where their accuracies come from.\n");
            return ZC_EXIT_OK;
        } else if (zc_args_opt(&a, "--data")) data_flag = a.value;
        else zc_args_unknown(&a);
    }
    char *data_dir = zc_data_dir(data_flag);
    int n;
    const zc_space_info *spaces = zc_space_list(&n);
    printf("%-22s %8s  %s\n", "space", "archs", "description");
    for (int i = 0; i < n; i++) {
        zc_bench_table t;
        char err[512];
        int rows = -1;
        if (zc_bench_table_load(data_dir, spaces[i].table, &t, err, sizeof err) == 0) {
            rows = t.n_rows;
            zc_bench_table_free(&t);
        }
        printf("%-22s %8d  %s\n", spaces[i].name, rows, spaces[i].description);
    }
    free(data_dir);
    return ZC_EXIT_OK;
}

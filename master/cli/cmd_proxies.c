/* cmd_proxies.c: `zcevo proxies`: compute the hand-crafted zero-cost
 * proxies (common/proxies.h) of architectures of one task, several
 * architectures at once (threads; under mpirun/srun also ranks, rank 0
 * handing out architectures: worker/proxies_job.h), into a CSV and an HDF5
 * file (both written to a temporary name and renamed when complete), and
 * print their rank correlation with the accuracy as a Markdown table. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/args.h"
#include "common/util/correlation.h"
#include "common/mpi/mpi_util.h"
#include "common/proxies/proxies.h"
#include "common/nets/space.h"
#include "common/data/task.h"
#include "common/util/parallel.h"
#include "common/util/util.h"
#include "master/cli/commands.h"
#include "master/cli/proxies_journal.h"
#include "common/proxies/proxies_job.h"
#include "common/stats/stats_job.h"

static void proxies_help(void) {
    printf(
        "usage: zcevo proxies [options]\n\n"
        "Compute hand-crafted zero-cost proxies (NASLib definitions; docs/proxies.md) of\n"
        "architectures on one minibatch of real images, with their accuracies.\n\n"
        "  --data DIR          benchmark data folder (else $ZCEVO_DATA, else ../shared/data)\n"
        "  --space S           nb201 (default), nats_sss, nasbench_macro, channel_resnet,\n"
        "                      channel_mobilenet, nds_*_in (see zcevo spaces)\n"
        "  --dataset D         cifar10 | cifar100 | imagenet16 (default cifar10)\n"
        "  --image-size N      network input size; CIFAR images are resized to it\n"
        "                      (default: the space's, 224 for nds_*_in, else the dataset's)\n"
        "  --archs N|all       seeded random sample of N architectures (default 100)\n"
        "  --arch A            an architecture by index or string (repeatable)\n"
        "  --batch B           minibatch size (default 64, as NAS-Bench-Suite-Zero)\n"
        "  --seed S            seed of the minibatch, parameters and sample (default 1)\n"
        "  --proxies LIST      comma-separated names and groups (default all):\n"
        "                      all = grad_norm snip grasp fisher synflow plain l2_norm jacov\n"
        "                      nwot epe_nas zen params flops tcet_snip tcet_synflow eznas_a;\n"
        "                      modern = az_expressivity az_progressivity az_trainability\n"
        "                      az_complexity az_nas zico meco meco_opt swap swap_reg\n"
        "                      (e.g. all,modern). az_nas is SET-DEPENDENT: the sum of the log\n"
        "                      ranks of its four az_* components among the architectures of\n"
        "                      this run, so it changes with the set scored together; the\n"
        "                      az_* columns are per architecture (always written with it) so\n"
        "                      any set can be re-ranked. AZ-NAS and SWAP draw their own\n"
        "                      weights (--init does not apply to them); zico reads a second\n"
        "                      minibatch drawn like the first\n"
        "  --init I            xautodl (default: the space's own init) | torch (PyTorch's\n"
        "                      default init, as NASLib's reference scores)\n"
        "  --acc-column NAME   accuracy column (default as zcevo stats)\n"
        "  --out-csv F         per-architecture CSV (default proxies_<space>_<dataset>.csv;\n"
        "                      with az_nas also F.notes naming the set-dependent column);\n"
        "                      F.journal holds finished architectures while the run goes\n"
        "                      on: run the same command again after a kill to resume\n"
        "  --out-h5 F          the same values as HDF5 datasets (optional)\n"
        "  --out-corr F        the correlation table as CSV (optional)\n"
        "  --threads T         architectures computed at once per process (default: number\n"
        "                      of cores)\n"
        "  --quiet             no progress lines\n\n"
        "Under mpirun or srun, rank 0 hands out architectures one at a time to the other\n"
        "ranks (each with --threads threads) and writes the outputs; the values do not\n"
        "depend on the number of ranks or threads.\n");
}

static void write_csv(const char *path, const zc_task *t, const int *rows, int n,
                      zc_proxy_mask mask, const double *values) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    FILE *f = fopen(tmp, "w");
    if (!f) zc_die("cannot write '%s'", tmp);
    fprintf(f, "arch_index,arch_str,accuracy");
    for (int p = 0; p < ZC_PX_COUNT; p++)
        if (mask & (1u << p)) fprintf(f, ",%s", zc_proxy_name(p));
    fprintf(f, "\n");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%ld,", (long)t->table.arch_index[rows[i]]);
        zc_fput_csv_field(f, t->table.arch_str[rows[i]]);
        fprintf(f, ",%.10g", zc_bench_table_value(&t->table, rows[i], t->acc_col));
        for (int p = 0; p < ZC_PX_COUNT; p++)
            if (mask & (1u << p)) fprintf(f, ",%.17g", values[(size_t)i * ZC_PX_COUNT + p]);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0 || zc_fsync_rename(tmp, path) != 0)
        zc_die("cannot write '%s'", path);
}

/* write_set_notes: "<csv>.notes" naming the set-dependent columns of the
 * CSV (az_nas), when there are any. */
static void write_set_notes(const char *csv_path, int n, zc_proxy_mask mask) {
    if (!(mask & (1u << ZC_PX_AZ_NAS))) return;
    char path[1100], tmp[1120];
    snprintf(path, sizeof path, "%s.notes", csv_path);
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    FILE *f = fopen(tmp, "w");
    if (!f) zc_die("cannot write '%s'", tmp);
    fprintf(f, "set-dependent columns: az_nas = sum of log(rank / %d) of az_expressivity, "
               "az_progressivity, az_trainability and az_complexity among the %d "
               "architectures of this file (average ranks of ties, NaN as -inf); every "
               "other column is per architecture\n", n, n);
    if (fclose(f) != 0 || zc_fsync_rename(tmp, path) != 0) zc_die("cannot write '%s'", path);
}

static void h5_attr_str(hid_t obj, const char *name, const char *value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, value);
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
}

/* write_h5: /values (n x P float64, columns named by the attribute
 * proxy_names, comma-separated), /arch_index (int64), /accuracy
 * (float64), attributes space, dataset, batch, seed, init. */
static void write_h5(const char *path, const zc_task *t, const int *rows, int n,
                     zc_proxy_mask mask, const double *values, const char *init) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) zc_die("cannot create HDF5 file '%s'", tmp);
    int np = 0;
    char names[1024] = "";
    for (int p = 0; p < ZC_PX_COUNT; p++)
        if (mask & (1u << p)) {
            if (np++) strcat(names, ",");
            strcat(names, zc_proxy_name(p));
        }
    double *v = zc_malloc(sizeof(double) * (size_t)(n * np + 1));
    double *acc = zc_malloc(sizeof(double) * (size_t)(n + 1));
    long long *idx = zc_malloc(sizeof(long long) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        int c = 0;
        for (int p = 0; p < ZC_PX_COUNT; p++)
            if (mask & (1u << p)) v[(size_t)i * np + c++] = values[(size_t)i * ZC_PX_COUNT + p];
        acc[i] = zc_bench_table_value(&t->table, rows[i], t->acc_col);
        idx[i] = (long long)t->table.arch_index[rows[i]];
    }
    hsize_t d2[2] = {(hsize_t)n, (hsize_t)np}, d1[1] = {(hsize_t)n};
    hid_t s2 = H5Screate_simple(2, d2, NULL), s1 = H5Screate_simple(1, d1, NULL);
    hid_t ds = H5Dcreate2(f, "values", H5T_IEEE_F64LE, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    h5_attr_str(ds, "proxy_names", names);
    H5Dclose(ds);
    ds = H5Dcreate2(f, "accuracy", H5T_IEEE_F64LE, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc |= H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, acc);
    h5_attr_str(ds, "column", t->acc_column);
    H5Dclose(ds);
    ds = H5Dcreate2(f, "arch_index", H5T_STD_I64LE, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc |= H5Dwrite(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx);
    H5Dclose(ds);
    char buf[64];
    h5_attr_str(f, "space", t->space);
    h5_attr_str(f, "dataset", t->dataset);
    snprintf(buf, sizeof buf, "%d", t->batch);
    h5_attr_str(f, "batch", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)t->seed);
    h5_attr_str(f, "seed", buf);
    h5_attr_str(f, "init", init);
    h5_attr_str(f, "image_source", t->image_source);
    if (mask & (1u << ZC_PX_AZ_NAS)) { /* which columns depend on the set */
        h5_attr_str(f, "set_dependent", "az_nas");
        snprintf(buf, sizeof buf, "%d", n);
        h5_attr_str(f, "set_size", buf);
    }
    H5Sclose(s1);
    H5Sclose(s2);
    if (H5Fclose(f) < 0 || rc < 0 || zc_fsync_rename(tmp, path) != 0)
        zc_die("cannot write HDF5 file '%s'", path);
    free(v);
    free(acc);
    free(idx);
}

/* print_table: Markdown correlation table on stdout (and CSV if path). */
static void print_table(const zc_task *t, const int *rows, int n, zc_proxy_mask mask,
                        const double *values, const char *csv_path) {
    double *x = zc_malloc(sizeof(double) * (size_t)(n + 1));
    double *y = zc_malloc(sizeof(double) * (size_t)(n + 1));
    FILE *csv = NULL;
    char tmp[1100];
    if (csv_path) {
        snprintf(tmp, sizeof tmp, "%s.partial", csv_path);
        csv = fopen(tmp, "w");
        if (!csv) zc_die("cannot write '%s'", tmp);
        fprintf(csv, "space,dataset,proxy,kendall_tau,spearman_rho,n,invalid\n");
    }
    printf("\n### %s / %s: %d architectures, batch %d, accuracy column %s\n\n", t->space,
           t->dataset, n, t->batch, t->acc_column);
    if (mask & (1u << ZC_PX_AZ_NAS))
        printf("az_nas ranks its components among these %d architectures (set-dependent).\n\n",
               n);
    printf("| proxy | Kendall tau | Spearman rho | n | invalid |\n");
    printf("|---|---:|---:|---:|---:|\n");
    for (int p = 0; p < ZC_PX_COUNT; p++) {
        if (!(mask & (1u << p))) continue;
        int m = 0;
        for (int i = 0; i < n; i++) {
            double v = values[(size_t)i * ZC_PX_COUNT + p];
            double a = zc_bench_table_value(&t->table, rows[i], t->acc_col);
            if (isfinite(v) && isfinite(a)) {
                x[m] = v;
                y[m++] = a;
            }
        }
        double tau = zc_kendall_tau_b(x, y, m), rho = zc_spearman_rho(x, y, m);
        int constant = m > 0;
        for (int i = 1; i < m; i++) constant &= x[i] == x[0];
        if (constant) /* every architecture scores the same: no ranking at all */
            printf("| %s | constant | constant | %d | %d |\n", zc_proxy_name(p), m, n - m);
        else
            printf("| %s | %.4f | %.4f | %d | %d |\n", zc_proxy_name(p), tau, rho, m, n - m);
        if (csv)
            fprintf(csv, "%s,%s,%s,%.6f,%.6f,%d,%d\n", t->space, t->dataset, zc_proxy_name(p),
                    tau, rho, m, n - m);
    }
    if (csv && (fclose(csv) != 0 || zc_fsync_rename(tmp, csv_path) != 0))
        zc_die("cannot write '%s'", csv_path);
    free(x);
    free(y);
}

int zc_cmd_proxies(int argc, char **argv) {
    const char *data_flag = NULL, *space = "nb201", *dataset = "cifar10", *list = "all";
    const char *out_csv = NULL, *out_h5 = NULL, *out_corr = NULL, *acc_column = NULL;
    const char *init = "xautodl";
    int archs = 100, batch = 64, quiet = 0, threads = zc_default_threads(), image_size = 0;
    uint64_t seed = 1;
    int n_arch_args = 0;
    /* under mpirun/srun every rank parses the same command line; rank 0
     * alone reports errors and writes */
    int mpi_rank, mpi_size;
    zc_mpi_begin(NULL, NULL, &mpi_rank, &mpi_size);
    if (mpi_rank != 0) zc_mpi_mute_stderr();
    const char **arch_args = zc_malloc(sizeof(char *) * (size_t)(argc + 1));
    zc_args a = zc_args_begin("proxies", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            proxies_help();
            free(arch_args);
            zc_mpi_end();
            return ZC_EXIT_OK;
        } else if (zc_args_opt(&a, "--data")) data_flag = a.value;
        else if (zc_args_opt(&a, "--space")) space = a.value;
        else if (zc_args_opt(&a, "--dataset")) dataset = a.value;
        else if (zc_args_opt(&a, "--archs"))
            archs = strcmp(a.value, "all") == 0 ? -1 : (int)zc_args_int(&a, 1, 1 << 30);
        else if (zc_args_opt(&a, "--arch")) arch_args[n_arch_args++] = a.value;
        else if (zc_args_opt(&a, "--batch")) batch = (int)zc_args_int(&a, 2, 100000);
        else if (zc_args_opt(&a, "--image-size")) image_size = (int)zc_args_int(&a, 8, 1024);
        else if (zc_args_opt(&a, "--seed")) seed = zc_args_u64(&a);
        else if (zc_args_opt(&a, "--proxies")) list = a.value;
        else if (zc_args_opt(&a, "--init")) {
            static const char *const inits[] = {"xautodl", "torch", NULL};
            init = inits[zc_args_choice(&a, inits)];
        } else if (zc_args_opt(&a, "--acc-column")) acc_column = a.value;
        else if (zc_args_opt(&a, "--out-csv")) out_csv = a.value;
        else if (zc_args_opt(&a, "--out-h5")) out_h5 = a.value;
        else if (zc_args_opt(&a, "--out-corr")) out_corr = a.value;
        else if (zc_args_opt(&a, "--threads")) threads = (int)zc_args_int(&a, 1, 1024);
        else if (zc_args_flag(&a, "--quiet")) quiet = 1;
        else zc_args_unknown(&a);
    }
    zc_proxy_mask mask;
    char bad[64], err[1024];
    if (zc_proxy_parse_list(list, &mask, bad, sizeof bad) != 0)
        zc_usage_error("proxies", "unknown proxy '%s' in --proxies", bad);
    if (!zc_space_find(space)) zc_usage_error("proxies", "unknown space '%s'", space);

    char *data_dir = zc_data_dir(data_flag);
    zc_task task;
    if (zc_task_setup_sized(&task, data_dir, space, dataset, batch, seed, acc_column,
                            image_size, err, sizeof err) != 0)
        zc_die("%s", err);
    if ((mask & (1u << ZC_PX_ZICO)) &&
        zc_task_add_second_batch(&task, data_dir, err, sizeof err) != 0)
        zc_die("%s", err);
    int *rows = zc_malloc(sizeof(int) * (size_t)task.table.n_rows);
    int n_rows = 0;
    if (n_arch_args) {
        for (int i = 0; i < n_arch_args; i++) {
            int row;
            if (zc_task_resolve_arch(&task, arch_args[i], &row, err, sizeof err) != 0)
                zc_die("%s", err);
            rows[n_rows++] = row;
        }
    } else n_rows = zc_task_sample_rows(&task, archs, seed, rows);

    zc_proxies_job job = {.task = &task, .rows = rows, .n_rows = n_rows, .mask = mask,
                          .torch_init = strcmp(init, "torch") == 0};
    float *z1, *z2;
    zc_proxies_job_zen_inputs(&task, &z1, &z2);
    job.zen_x1 = z1;
    job.zen_x2 = z2;
    /* every position is filled: from the journal or by zc_proxies_arch */
    double *values = zc_malloc(sizeof(double) * (size_t)n_rows * ZC_PX_COUNT + 1);
    int rc = 0;
    if (mpi_rank != 0) {
        zc_mpi_restore_stderr();
        rc = zc_proxies_run_worker(&job, threads);
    } else {
        char default_csv[256];
        if (!out_csv) {
            snprintf(default_csv, sizeof default_csv, "proxies_%s_%s.csv", space, dataset);
            out_csv = default_csv;
        }
        /* the resume journal: architectures a killed run already finished */
        char journal_path[1100], signature[1024];
        snprintf(journal_path, sizeof journal_path, "%s.journal", out_csv);
        snprintf(signature, sizeof signature,
                 "space=%s dataset=%s batch=%d seed=%llu image=%d init=%s accuracy=%s "
                 "proxies=0x%x", space, dataset, batch, (unsigned long long)seed,
                 task.image_hw, init, task.acc_column, (unsigned)mask);
        int64_t *arch_index = zc_malloc(sizeof(int64_t) * (size_t)(n_rows + 1));
        for (int i = 0; i < n_rows; i++) arch_index[i] = task.table.arch_index[rows[i]];
        unsigned char *done = zc_calloc((size_t)n_rows + 1, 1);
        int n_done = 0;
        zc_proxies_journal *journal =
            zc_proxies_journal_open(journal_path, signature, arch_index, n_rows, ZC_PX_COUNT,
                                    values, done, &n_done, err, sizeof err);
        if (!journal) zc_die("%s", err);
        int *todo = zc_malloc(sizeof(int) * (size_t)(n_rows + 1));
        int n_todo = 0;
        for (int i = 0; i < n_rows; i++)
            if (!done[i]) todo[n_todo++] = i;
        if (!quiet)
            fprintf(stderr, "proxies: %s/%s, batch %d, seed %llu, init %s, %d architectures "
                    "(%d already in '%s'), %d %s, %s\n", space, dataset, batch,
                    (unsigned long long)seed, init, n_rows, n_done, journal_path,
                    mpi_size > 1 ? mpi_size - 1 : threads,
                    mpi_size > 1 ? "worker ranks" : "threads", task.image_source);
        double t0 = zc_now();
        rc = mpi_size > 1
                 ? zc_proxies_dispatch(n_rows, todo, n_todo, mpi_size, !quiet, values,
                                       zc_proxies_journal_put, journal, err, sizeof err)
                 : zc_proxies_run_local(&job, todo, n_todo, threads, !quiet, values,
                                        zc_proxies_journal_put, journal, err, sizeof err);
        if (rc != 0) zc_die("%s", err);
        zc_proxies_fill_set_dependent(mask, values, n_rows); /* az_nas over these rows */
        write_csv(out_csv, &task, rows, n_rows, mask, values);
        write_set_notes(out_csv, n_rows, mask);
        if (out_h5) write_h5(out_h5, &task, rows, n_rows, mask, values, init);
        print_table(&task, rows, n_rows, mask, values, out_corr);
        zc_proxies_journal_close(journal, 1); /* the outputs are complete */
        if (!quiet)
            fprintf(stderr, "proxies: wrote '%s'%s%s in %.1f s\n", out_csv,
                    out_h5 ? " and " : "", out_h5 ? out_h5 : "", zc_now() - t0);
        free(todo);
        free(done);
        free(arch_index);
    }
    free(values);
    free(z1);
    free(z2);
    free(rows);
    free(arch_args);
    free(data_dir);
    zc_task_free(&task);
    zc_mpi_end();
    return rc ? ZC_EXIT_ERROR : ZC_EXIT_OK;
}

/* cmd_proxies.c: `zcevo proxies`: compute the hand-crafted zero-cost
 * proxies (common/proxies.h) of architectures of one task, several
 * architectures at once (threads; under mpirun/srun also ranks, rank 0
 * handing out architectures: worker/proxies_job.h), into a CSV and an HDF5
 * file (both written to a temporary name and renamed when complete), and
 * print their rank correlation with the accuracy as a Markdown table. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/args.h"
#include "common/util/outputs.h"
#include "master/cli/task_options.h"
#include "common/util/correlation.h"
#include "common/mpi/mpi_util.h"
#include "common/proxies/proxies.h"
#include "common/data/task.h"
#include "common/util/util.h"
#include "master/cli/commands.h"
#include "master/cli/proxies_journal.h"
#include "master/dispatch/proxies_dispatch.h"
#include "common/proxies/proxies_job.h"
#include "worker/proxies_worker.h"
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
        "  --exclude-stats F   draw the sample from the architectures that statistics\n"
        "                      file F does not hold (repeatable): a test set disjoint\n"
        "                      from the architectures a proxy was evolved on\n"
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
        "                      minibatch drawn like the first; zcevo_a (by name only): the\n"
        "                      program zcevo-a found by zcevo's searches (docs/discovery.md)\n"
        "  --init I            xautodl (default: the space's own init) | torch (PyTorch's\n"
        "                      default init, as NASLib's reference scores)\n"
        "  --acc-column NAME   accuracy column (default as zcevo stats)\n"
        "  --out-csv F         per-architecture CSV (default proxies_<space>_<dataset>.csv;\n"
        "                      with az_nas also F.notes naming the set-dependent column);\n"
        "                      F.journal holds finished architectures while the run goes\n"
        "                      on: run the same command again after a kill to resume\n"
        "  --out-h5 F          the same values as HDF5 datasets (optional)\n"
        "  --out-corr F        the correlation table as CSV (optional)\n"
        "                      Outputs are claimed before any work (F.lock), written whole or\n"
        "                      not at all, never over an input or each other; an existing\n"
        "                      one is replaced only when it is an output of this kind with\n"
        "                      the same proxies and architectures (CSV), configuration (HDF5)\n"
        "                      or space and dataset (correlations)\n"
        "  --threads T         architectures computed at once per process (default: number\n"
        "                      of cores)\n"
        "  --quiet             no progress lines\n\n"
        "Under mpirun or srun, rank 0 hands out architectures one at a time to the other\n"
        "ranks (each with --threads threads) and writes the outputs; the values do not\n"
        "depend on the number of ranks or threads.\n");
}

/* write_csv: per architecture: arch_index, arch_str, accuracy and the
 * proxies of mask (a temporary file renamed once complete, every write
 * checked). Errors end the program. */
static void write_csv(const char *path, const zc_task *t, const int *rows, int n,
                      zc_proxy_mask mask, const double *values) {
    char err[1200];
    zc_text_output out;
    if (zc_text_output_open(&out, path, err, sizeof err) != 0) zc_die("%s", err);
    FILE *f = out.f;
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
    if (zc_text_output_commit(&out, err, sizeof err) != 0) zc_die("%s", err);
}

/* h5_attr_str: a fixed-length ASCII string attribute of obj; < 0 on
 * failure. */
static herr_t h5_attr_str(hid_t obj, const char *name, const char *value) {
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), a = -1;
    herr_t r = -1;
    if (type >= 0 && space >= 0 && H5Tset_size(type, strlen(value) + 1) >= 0 &&
        (a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        r = H5Awrite(a, type, value);
    if (a >= 0 && H5Aclose(a) < 0) r = -1;
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    return r;
}

/* proxy_columns: the comma-separated names of the proxies in mask into
 * names (1024 bytes); returns their count. */
static int proxy_columns(zc_proxy_mask mask, char names[1024]) {
    int np = 0;
    names[0] = 0;
    for (int p = 0; p < ZC_PX_COUNT; p++)
        if (mask & (1u << p)) {
            if (np++) strcat(names, ",");
            strcat(names, zc_proxy_name(p));
        }
    return np;
}

/* h5_task_attributes: space, dataset, batch, seed, init and image_source
 * as string attributes of the file; < 0 on failure. */
static herr_t h5_task_attributes(hid_t f, const zc_task *t, const char *init) {
    char batch[32], seed[32];
    snprintf(batch, sizeof batch, "%d", t->batch);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)t->seed);
    herr_t r = h5_attr_str(f, "space", t->space);
    r |= h5_attr_str(f, "dataset", t->dataset);
    r |= h5_attr_str(f, "batch", batch);
    r |= h5_attr_str(f, "seed", seed);
    r |= h5_attr_str(f, "init", init);
    r |= h5_attr_str(f, "image_source", t->image_source);
    return r < 0 ? -1 : 0;
}

/* h5_dataset: a dataset of rank nd (dims) written from values, with the
 * string attribute attr=value when attr is not NULL; < 0 on failure. */
static herr_t h5_dataset(hid_t f, const char *name, hid_t ftype, hid_t mtype, int nd,
                         const hsize_t *dims, const void *values, const char *attr,
                         const char *value) {
    hid_t space = H5Screate_simple(nd, dims, NULL), d = -1;
    herr_t r = -1;
    if (space >= 0 &&
        (d = H5Dcreate2(f, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        r = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    if (r >= 0 && attr) r = h5_attr_str(d, attr, value);
    if (d >= 0 && H5Dclose(d) < 0) r = -1;
    if (space >= 0) H5Sclose(space);
    return r;
}

/* write_h5: /values (n x P float64, columns named by the attribute
 * proxy_names, comma-separated), /arch_index (int64), /accuracy
 * (float64, attribute column), attributes space, dataset, batch, seed,
 * init, image_source (written to path.tmp.<pid>, then renamed; HDF5's own
 * error printing off). Errors end the program with one line. */
static void write_h5(const char *path, const zc_task *t, const int *rows, int n,
                     zc_proxy_mask mask, const double *values, const char *init) {
    char tmp[1100], names[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int np = proxy_columns(mask, names);
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
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = f < 0 ? -1 : 0;
    if (rc >= 0)
        rc = h5_dataset(f, "values", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, v, "proxy_names",
                        names) |
             h5_dataset(f, "accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1, acc, "column",
                        t->acc_column) |
             h5_dataset(f, "arch_index", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, d1, idx, NULL,
                        NULL) |
             h5_task_attributes(f, t, init);
    if (rc >= 0 && (mask & (1u << ZC_PX_AZ_NAS))) { /* which columns depend on the set */
        char set_size[32];
        snprintf(set_size, sizeof set_size, "%d", n);
        rc = h5_attr_str(f, "set_dependent", "az_nas") | h5_attr_str(f, "set_size", set_size);
    }
    if (f >= 0 && H5Fclose(f) < 0) rc = -1;
    if (rc < 0 || zc_fsync_rename(tmp, path) != 0) {
        unlink(tmp);
        zc_die("cannot write HDF5 file '%s' (%s); '%s' is left as it was", path,
               rc < 0 ? "HDF5 write failed: disk full or I/O error" : strerror(errno), path);
    }
    free(v);
    free(acc);
    free(idx);
}

/* The correlation of one proxy with the accuracy. */
typedef struct {
    double tau, rho;
    int n_valid;  /* architectures where both are finite */
    int constant; /* every valid architecture has the same value */
} proxy_correlation;

/* correlate_proxy: proxy p's values against the accuracies; x, y hold n. */
static proxy_correlation correlate_proxy(const zc_task *t, const int *rows, int n, int p,
                                         const double *values, double *x, double *y) {
    int m = 0;
    for (int i = 0; i < n; i++) {
        double v = values[(size_t)i * ZC_PX_COUNT + p];
        double a = zc_bench_table_value(&t->table, rows[i], t->acc_col);
        if (isfinite(v) && isfinite(a)) {
            x[m] = v;
            y[m++] = a;
        }
    }
    proxy_correlation c = {zc_kendall_tau_b(x, y, m), zc_spearman_rho(x, y, m), m, m > 0};
    for (int i = 1; i < m; i++) c.constant &= x[i] == x[0];
    return c;
}

static const char k_corr_header[] = "space,dataset,proxy,kendall_tau,spearman_rho,n,invalid";

/* print_table: Markdown correlation table on stdout (and CSV if path). */
static void print_table(const zc_task *t, const int *rows, int n, zc_proxy_mask mask,
                        const double *values, const char *csv_path) {
    double *x = zc_malloc(sizeof(double) * (size_t)(n + 1));
    double *y = zc_malloc(sizeof(double) * (size_t)(n + 1));
    FILE *csv = NULL;
    char err[1200];
    zc_text_output out;
    if (csv_path) {
        if (zc_text_output_open(&out, csv_path, err, sizeof err) != 0) zc_die("%s", err);
        csv = out.f;
        fprintf(csv, "%s\n", k_corr_header);
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
        proxy_correlation c = correlate_proxy(t, rows, n, p, values, x, y);
        const int m = c.n_valid;
        if (c.constant) /* every architecture scores the same: no ranking at all */
            printf("| %s | constant | constant | %d | %d |\n", zc_proxy_name(p), m, n - m);
        else
            printf("| %s | %.4f | %.4f | %d | %d |\n", zc_proxy_name(p), c.tau, c.rho, m, n - m);
        if (csv)
            fprintf(csv, "%s,%s,%s,%.6f,%.6f,%d,%d\n", t->space, t->dataset, zc_proxy_name(p),
                    c.tau, c.rho, m, n - m);
    }
    if (csv && zc_text_output_commit(&out, err, sizeof err) != 0) zc_die("%s", err);
    free(x);
    free(y);
}

static const zc_task_option_rules k_proxies_rules = {
    .command = "proxies", .space = "nb201", .archs = 100, .archs_min = 1, .batch = 64,
    .batch_min = 2, .check_space = 1};

/* The command line. */
typedef struct {
    zc_task_options task;
    const char *list, *init, *out_csv, *out_h5, *out_corr;
    zc_proxy_mask mask; /* of list, set by check_options */
    char default_csv[256];
} proxies_options;

/* read_options: the command line into *o; 1 when --help was printed. */
static int read_options(proxies_options *o, int argc, char **argv) {
    static const char *const inits[] = {"xautodl", "torch", NULL};
    memset(o, 0, sizeof *o);
    zc_task_options_init(&o->task, &k_proxies_rules);
    o->list = "all";
    o->init = "xautodl";
    zc_args a = zc_args_begin("proxies", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            proxies_help();
            return 1;
        } else if (zc_task_options_read(&o->task, &a)) continue;
        else if (zc_args_opt(&a, "--proxies")) o->list = a.value;
        else if (zc_args_opt(&a, "--init")) o->init = inits[zc_args_choice(&a, inits)];
        else if (zc_args_opt(&a, "--out-csv")) o->out_csv = a.value;
        else if (zc_args_opt(&a, "--out-h5")) o->out_h5 = a.value;
        else if (zc_args_opt(&a, "--out-corr")) o->out_corr = a.value;
        else zc_args_unknown(&a);
    }
    return 0;
}

/* check_options: the proxy list and the space (usage errors); the default
 * CSV name. */
static void check_options(proxies_options *o) {
    char bad[64];
    if (zc_proxy_parse_list(o->list, &o->mask, bad, sizeof bad) != 0)
        zc_usage_error("proxies", "unknown proxy '%s' in --proxies", bad);
    zc_task_options_check(&o->task);
    if (!o->out_csv) {
        snprintf(o->default_csv, sizeof o->default_csv, "proxies_%s_%s.csv", o->task.space,
                 o->task.dataset);
        o->out_csv = o->default_csv;
    }
}

/* journal_signature: the configuration line of this run's journal. */
static void journal_signature(const proxies_options *o, const zc_task_choice *c, char *buf,
                              size_t n) {
    const zc_task_options *to = &o->task;
    snprintf(buf, n,
             "space=%s dataset=%s batch=%d seed=%llu image=%d init=%s accuracy=%s "
             "proxies=0x%x", to->space, to->dataset, to->batch, (unsigned long long)to->seed,
             c->task.image_hw, o->init, c->task.acc_column, (unsigned)o->mask);
}

/* ---- the outputs a run may replace ---------------------------------------- */

/* What existing outputs must be for this run to replace them: a proxies
 * CSV of the same proxies and architectures in the same order; an HDF5
 * file of the same configuration attributes; a correlation CSV of the same
 * space and dataset. */
typedef struct {
    const proxies_options *o;
    const zc_task_choice *c;
    char csv_header[2048];
    char names[1024];
    char journal[1100];
} proxies_identity;

/* check_proxies_csv: a zc_output_check_fn for --out-csv. */
static int check_proxies_csv(const char *path, void *ctx, char *why, size_t n) {
    const proxies_identity *id = ctx;
    char first[2048];
    if (zc_output_first_line(path, first, sizeof first) < 0 ||
        strncmp(first, "arch_index,arch_str,accuracy", 28) != 0)
        return zc_fail(why, n, "is not a zcevo proxies CSV (its first line is not "
                       "'arch_index,arch_str,accuracy,...')");
    if (strcmp(first, id->csv_header) != 0)
        return zc_fail(why, n, "holds other proxies (its header is '%.300s')", first);
    FILE *f = fopen(path, "r");
    if (!f) return zc_fail(why, n, "cannot be read");
    char *line = NULL;
    size_t cap = 0;
    int line_no = 0, row = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        if (line_no++ == 0) continue; /* the header */
        long long index = strtoll(line, NULL, 10);
        if (row >= id->c->n_rows ||
            index != (long long)id->c->task.table.arch_index[id->c->rows[row]])
            rc = zc_fail(why, n, "holds other architectures (row %d is arch %lld): another "
                         "space, sample or seed", row + 1, index);
        row++;
    }
    if (rc == 0 && row != id->c->n_rows)
        rc = zc_fail(why, n, "holds %d architectures, this run %d", row, id->c->n_rows);
    free(line);
    fclose(f);
    return rc;
}

/* h5_attr_text: the string attribute obj/name (fixed length) into buf;
 * "" when absent or not a string. */
static void h5_attr_text(hid_t obj, const char *name, char *buf, size_t n) {
    buf[0] = 0;
    hid_t a = H5Aexists(obj, name) > 0 ? H5Aopen(obj, name, H5P_DEFAULT) : -1;
    hid_t ft = a >= 0 ? H5Aget_type(a) : -1, mt = H5Tcopy(H5T_C_S1);
    size_t size = ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0
                      ? H5Tget_size(ft) : 0;
    if (size > 0 && size < n && H5Tset_size(mt, size) >= 0 && H5Aread(a, mt, buf) >= 0)
        buf[size] = 0;
    else buf[0] = 0;
    H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
}

/* check_proxies_h5: a zc_output_check_fn for --out-h5: the attributes of
 * write_h5 equal this run's. */
static int check_proxies_h5(const char *path, void *ctx, char *why, size_t n) {
    const proxies_identity *id = ctx;
    const zc_task *t = &id->c->task;
    char batch[32], seed[32], have[1024];
    snprintf(batch, sizeof batch, "%d", t->batch);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)t->seed);
    const char *keys[8] = {"space", "dataset", "batch", "seed", "init", "image_source",
                           "values/proxy_names", "accuracy/column"};
    const char *want[8] = {t->space, t->dataset, batch, seed, id->o->init, t->image_source,
                           id->names, t->acc_column};
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0) return zc_fail(why, n, "is not an HDF5 file");
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return zc_fail(why, n, "cannot be opened as HDF5");
    int rc = 0;
    for (int k = 0; k < 8 && rc == 0; k++) {
        const char *slash = strchr(keys[k], '/');
        char obj[32] = ".";
        if (slash) snprintf(obj, sizeof obj, "%.*s", (int)(slash - keys[k]), keys[k]);
        hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
        if (o >= 0) h5_attr_text(o, slash ? slash + 1 : keys[k], have, sizeof have);
        else have[0] = 0;
        if (o >= 0) H5Oclose(o);
        if (strcmp(have, want[k]) != 0)
            rc = zc_fail(why, n, "%s: %s='%.200s', this run has '%.200s'",
                         have[0] ? "was written by another configuration"
                                 : "is not a zcevo proxies file",
                         keys[k], have, want[k]);
    }
    H5Fclose(f);
    return rc;
}

/* check_corr_csv: a zc_output_check_fn for --out-corr. */
static int check_corr_csv(const char *path, void *ctx, char *why, size_t n) {
    const zc_task *t = &((const proxies_identity *)ctx)->c->task;
    char first[256], prefix[128];
    if (zc_output_first_line(path, first, sizeof first) < 0 || strcmp(first, k_corr_header) != 0)
        return zc_fail(why, n, "is not a zcevo correlation CSV (its first line is not '%s')",
                       k_corr_header);
    snprintf(prefix, sizeof prefix, "%s,%s,", t->space, t->dataset);
    FILE *f = fopen(path, "r");
    if (!f) return zc_fail(why, n, "cannot be read");
    char *line = NULL;
    size_t cap = 0;
    int row = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) > 0)
        if (row++ > 0 && strncmp(line, prefix, strlen(prefix)) != 0)
            rc = zc_fail(why, n, "holds the correlations of another task (row %d: '%.60s')", row,
                         line);
    free(line);
    fclose(f);
    return rc;
}

/* claim_outputs: rank 0, once the task is set up and before any work:
 * the outputs (and the journal) are no input and not inside the data
 * folder, existing ones are this run's kind and configuration, and their
 * locks are taken. Errors end the program. */
static void claim_outputs(proxies_options *o, const zc_task_choice *c, proxies_identity *id,
                          zc_outputs *outs) {
    memset(id, 0, sizeof *id);
    id->o = o;
    id->c = c;
    proxy_columns(o->mask, id->names);
    snprintf(id->csv_header, sizeof id->csv_header, "arch_index,arch_str,accuracy");
    for (int p = 0; p < ZC_PX_COUNT; p++)
        if (o->mask & (1u << p))
            snprintf(id->csv_header + strlen(id->csv_header),
                     sizeof id->csv_header - strlen(id->csv_header), ",%s", zc_proxy_name(p));
    snprintf(id->journal, sizeof id->journal, "%s.journal", o->out_csv);
    char signature[1024], err[2400];
    journal_signature(o, c, signature, sizeof signature);
    if (zc_proxies_journal_check(id->journal, signature, err, sizeof err) != 0) zc_die("%s", err);
    zc_outputs_init(outs, "proxies");
    zc_task_options_inputs(&o->task, outs);
    zc_outputs_write(outs, "--out-csv", o->out_csv, check_proxies_csv, id);
    zc_outputs_write_unlocked(outs, "--out-csv's journal", id->journal, NULL, NULL);
    if (o->out_h5) zc_outputs_write(outs, "--out-h5", o->out_h5, check_proxies_h5, id);
    if (o->out_corr) zc_outputs_write(outs, "--out-corr", o->out_corr, check_corr_csv, id);
    zc_outputs_claim(outs);
}

/* The architectures a run still has to compute. */
typedef struct {
    zc_proxies_journal *journal;
    char path[1100];
    int64_t *arch_index; /* per position (the journal refers to it) */
    unsigned char *done; /* per position: found in the journal */
    int n_done;
    int *todo; /* the other positions */
    int n_todo;
} proxies_resume;

/* open_resume_journal: the journal <out-csv>.journal of this configuration:
 * the values of the architectures a killed run already finished go into
 * values; r->todo lists the others. Errors end the program. */
static void open_resume_journal(const proxies_options *o, const zc_task_choice *c,
                                double *values, proxies_resume *r) {
    char signature[1024], err[1024];
    snprintf(r->path, sizeof r->path, "%s.journal", o->out_csv);
    journal_signature(o, c, signature, sizeof signature);
    int n_rows = c->n_rows;
    r->arch_index = zc_malloc(sizeof(int64_t) * (size_t)(n_rows + 1));
    for (int i = 0; i < n_rows; i++) r->arch_index[i] = c->task.table.arch_index[c->rows[i]];
    r->done = zc_calloc((size_t)n_rows + 1, 1);
    r->n_done = 0;
    r->journal = zc_proxies_journal_open(r->path, signature, r->arch_index, n_rows,
                                         ZC_PX_COUNT, values, r->done, &r->n_done, err,
                                         sizeof err);
    if (!r->journal) zc_die("%s", err);
    r->todo = zc_malloc(sizeof(int) * (size_t)(n_rows + 1));
    r->n_todo = 0;
    for (int i = 0; i < n_rows; i++)
        if (!r->done[i]) r->todo[r->n_todo++] = i;
}

/* close_resume_journal: close (and remove: the outputs are complete). */
static void close_resume_journal(proxies_resume *r) {
    zc_proxies_journal_close(r->journal, 1);
    free(r->todo);
    free(r->done);
    free(r->arch_index);
}

/* write_set_notes: "<csv>.notes" naming the set-dependent columns of the
 * CSV (az_nas), when there are any. Errors end the program. */
static void write_set_notes(const char *csv_path, int n, zc_proxy_mask mask) {
    if (!(mask & (1u << ZC_PX_AZ_NAS))) return;
    char path[1100], err[1200];
    snprintf(path, sizeof path, "%s.notes", csv_path);
    zc_text_output out;
    if (zc_text_output_open(&out, path, err, sizeof err) != 0) zc_die("%s", err);
    fprintf(out.f, "set-dependent columns: az_nas = sum of log(rank / %d) of az_expressivity, "
                   "az_progressivity, az_trainability and az_complexity among the %d "
                   "architectures of this file (average ranks of ties, NaN as -inf); every "
                   "other column is per architecture\n", n, n);
    if (zc_text_output_commit(&out, err, sizeof err) != 0) zc_die("%s", err);
}

/* write_outputs: the set-dependent columns filled over these rows, then
 * the CSV (and its notes), the HDF5 file (with --out-h5), the correlation
 * table on stdout (and as CSV with --out-corr). */
static void write_outputs(const proxies_options *o, const zc_task_choice *c, double *values) {
    zc_proxies_fill_set_dependent(o->mask, values, c->n_rows); /* az_nas over these rows */
    write_csv(o->out_csv, &c->task, c->rows, c->n_rows, o->mask, values);
    write_set_notes(o->out_csv, c->n_rows, o->mask);
    if (o->out_h5) write_h5(o->out_h5, &c->task, c->rows, c->n_rows, o->mask, values, o->init);
    print_table(&c->task, c->rows, c->n_rows, o->mask, values, o->out_corr);
}

/* compute_and_write: rank 0 (or the only process): resume from the
 * journal, compute the remaining architectures (threads, or the worker
 * ranks), write the outputs. Errors end the program. */
static void compute_and_write(const proxies_options *o, const zc_task_choice *c,
                              const zc_proxies_job *job, int mpi_size, double *values) {
    const zc_task_options *to = &o->task;
    char err[1024];
    proxies_resume r;
    open_resume_journal(o, c, values, &r);
    if (!to->quiet)
        fprintf(stderr, "proxies: %s/%s, batch %d, seed %llu, init %s, %d architectures "
                "(%d already in '%s'), %d %s, %s\n", to->space, to->dataset, to->batch,
                (unsigned long long)to->seed, o->init, c->n_rows, r.n_done, r.path,
                mpi_size > 1 ? mpi_size - 1 : to->threads,
                mpi_size > 1 ? "worker ranks" : "threads", c->task.image_source);
    double t0 = zc_now();
    int rc = mpi_size > 1
                 ? zc_proxies_dispatch(c->n_rows, r.todo, r.n_todo, mpi_size, !to->quiet, values,
                                       zc_proxies_journal_put, r.journal, err, sizeof err)
                 : zc_proxies_run_local(job, r.todo, r.n_todo, to->threads, !to->quiet, values,
                                        zc_proxies_journal_put, r.journal, err, sizeof err);
    if (rc != 0) zc_die("%s", err);
    write_outputs(o, c, values);
    close_resume_journal(&r);
    if (!to->quiet)
        fprintf(stderr, "proxies: wrote '%s'%s%s in %.1f s\n", o->out_csv,
                o->out_h5 ? " and " : "", o->out_h5 ? o->out_h5 : "", zc_now() - t0);
}

/* run_proxies: set up the task and its architectures, then compute (a
 * worker rank) or compute and write (rank 0). Returns a worker rank's
 * status (0 on rank 0, which ends the program on errors). */
static int run_proxies(proxies_options *o, int mpi_rank, int mpi_size) {
    zc_task_choice c;
    zc_task_choose(&o->task, &c);
    char err[1024];
    if ((o->mask & (1u << ZC_PX_ZICO)) &&
        zc_task_add_second_batch(&c.task, c.data_dir, err, sizeof err) != 0)
        zc_die("%s", err);
    zc_outputs outs;
    proxies_identity id;
    if (mpi_rank == 0) claim_outputs(o, &c, &id, &outs);
    zc_proxies_job job = {.task = &c.task, .rows = c.rows, .n_rows = c.n_rows,
                          .mask = o->mask, .torch_init = strcmp(o->init, "torch") == 0};
    float *z1, *z2;
    zc_proxies_job_zen_inputs(&c.task, &z1, &z2);
    job.zen_x1 = z1;
    job.zen_x2 = z2;
    /* every position is filled: from the journal or by zc_proxies_arch */
    double *values = zc_malloc(sizeof(double) * (size_t)c.n_rows * ZC_PX_COUNT + 1);
    int rc = 0;
    if (mpi_rank != 0) {
        zc_mpi_restore_stderr();
        rc = zc_proxies_run_worker(&job, o->task.threads);
    } else {
        compute_and_write(o, &c, &job, mpi_size, values);
    }
    if (mpi_rank == 0) zc_outputs_release(&outs);
    free(values);
    free(z1);
    free(z2);
    zc_task_choice_free(&c);
    return rc;
}

int zc_cmd_proxies(int argc, char **argv) {
    /* under mpirun/srun every rank parses the same command line; rank 0
     * alone reports errors and writes */
    int mpi_rank, mpi_size;
    zc_mpi_begin(NULL, NULL, &mpi_rank, &mpi_size);
    if (mpi_rank != 0) zc_mpi_mute_stderr();
    proxies_options o;
    int rc = 0;
    if (read_options(&o, argc, argv) == 0) {
        check_options(&o);
        rc = run_proxies(&o, mpi_rank, mpi_size);
    }
    zc_task_options_free(&o.task);
    zc_mpi_end();
    return rc ? ZC_EXIT_ERROR : ZC_EXIT_OK;
}

/* proxies_h5.c: proxies files read as tasks of network-level values (see
 * proxies_h5.h). HDF5's own error printing is off while reading; every
 * failure becomes one message naming the file. */
#include "common/stats/proxies_h5.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* An open proxies file and what was read of it. */
typedef struct {
    hid_t file;
    int n_archs, n_cols;
    zc_term_names names;
} px_file;

/* read_str_attr: the string attribute `name` of obj into buf (fixed or
 * variable length). Returns 0, or -1 when it is absent or not a string. */
static int read_str_attr(hid_t obj, const char *name, char *buf, size_t buflen) {
    buf[0] = 0;
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int rc = -1;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                snprintf(buf, buflen, "%s", v);
                H5free_memory(v);
                rc = 0;
            }
            H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(t);
            char *v = zc_calloc(n + 1, 1);
            if (H5Aread(a, t, v) >= 0) {
                snprintf(buf, buflen, "%s", v);
                rc = 0;
            }
            free(v);
        }
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* dataset_dims: rank and dims of dataset `name`, or -1 when absent */
static int dataset_dims(hid_t file, const char *name, hsize_t dims[2]) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t sp = H5Dget_space(ds);
    int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(ds);
    return rank;
}

/* px_open: open path and read its shape and column names into *f. Returns
 * 0, or -1 with err (f->file closed). */
static int px_open(const char *path, px_file *f, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    f->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f->file < 0) return zc_fail(err, errlen, "proxies file '%s': cannot open it as HDF5", path);
    hsize_t dims[2] = {0, 0};
    char names[ZC_MAX_TERM_CODES * (ZC_TERM_NAME_LEN + 1) + 64];
    hid_t values = -1;
    int rc = -1;
    if (dataset_dims(f->file, "values", dims) != 2)
        zc_fail(err, errlen, "proxies file '%s': no 2-d /values (is it a zcevo proxies "
                "--out-h5 file?)", path);
    else if ((values = H5Dopen2(f->file, "values", H5P_DEFAULT)) < 0 ||
             read_str_attr(values, "proxy_names", names, sizeof names) != 0)
        zc_fail(err, errlen, "proxies file '%s': /values has no proxy_names attribute", path);
    else if (zc_term_names_parse(names, &f->names, err, errlen) != 0) {
        char inner[512];
        snprintf(inner, sizeof inner, "%s", err);
        zc_fail(err, errlen, "proxies file '%s': proxy_names: %s", path, inner);
    } else if ((hsize_t)f->names.n != dims[1])
        zc_fail(err, errlen, "proxies file '%s': %d proxy_names for %llu columns of /values",
                path, f->names.n, (unsigned long long)dims[1]);
    else if (dims[0] < 1)
        zc_fail(err, errlen, "proxies file '%s': no architecture", path);
    else
        rc = 0;
    if (values >= 0) H5Dclose(values);
    f->n_archs = (int)dims[0];
    f->n_cols = (int)dims[1];
    if (rc != 0) {
        H5Fclose(f->file);
        f->file = -1;
    }
    return rc;
}

int zc_proxies_h5_names(const char *path, zc_term_names *names, char *err, size_t errlen) {
    H5E_auto2_t func;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    px_file f;
    int rc = px_open(path, &f, err, errlen);
    if (rc == 0) {
        *names = f.names;
        H5Fclose(f.file);
    }
    H5Eset_auto2(H5E_DEFAULT, func, data);
    return rc;
}

/* read_1d: the n-element dataset `name` as mem_type into out. Returns 0, or
 * -1 with err. */
static int read_1d(const px_file *f, const char *path, const char *name, hid_t mem_type,
                   void *out, char *err, size_t errlen) {
    hsize_t dims[2] = {0, 0};
    if (dataset_dims(f->file, name, dims) != 1 || dims[0] != (hsize_t)f->n_archs)
        return zc_fail(err, errlen, "proxies file '%s': /%s is missing or not %d long", path,
                       name, f->n_archs);
    hid_t ds = H5Dopen2(f->file, name, H5P_DEFAULT);
    herr_t r = ds < 0 ? -1 : H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    if (ds >= 0) H5Dclose(ds);
    return r < 0 ? zc_fail(err, errlen, "proxies file '%s': cannot read /%s", path, name) : 0;
}

/* task_config: the file's root attributes into d->cfg (absent ones stay
 * empty) */
static void task_config(const px_file *f, zc_task_data *d) {
    char buf[256];
    read_str_attr(f->file, "space", d->cfg.space, sizeof d->cfg.space);
    read_str_attr(f->file, "dataset", d->cfg.dataset, sizeof d->cfg.dataset);
    if (read_str_attr(f->file, "batch", buf, sizeof buf) == 0) d->cfg.batch = atoi(buf);
    if (read_str_attr(f->file, "seed", buf, sizeof buf) == 0)
        d->cfg.seed = strtoull(buf, NULL, 10);
    read_str_attr(f->file, "image_source", d->cfg.image_source, sizeof d->cfg.image_source);
}

/* fill_records: the architectures of f from values (n x P) and the index
 * and accuracy arrays into d; -1 with err on a non-finite accuracy */
static int fill_records(const px_file *f, const char *path, const double *values,
                        const long long *index, zc_task_data *d, char *err, size_t errlen) {
    d->n_archs = f->n_archs;
    d->archs = zc_calloc((size_t)f->n_archs, sizeof *d->archs);
    for (int i = 0; i < f->n_archs; i++) {
        if (!isfinite(d->acc[i]))
            return zc_fail(err, errlen, "proxies file '%s': the accuracy of architecture %lld "
                           "(row %d) is %g", path, index[i], i, d->acc[i]);
        zc_arch_stats *a = &d->archs[i];
        a->arch_index = (int)index[i];
        a->accuracy = d->acc[i];
        a->n_values = f->n_cols;
        a->values = zc_malloc(sizeof(double) * (size_t)f->n_cols);
        for (int c = 0; c < f->n_cols; c++) {
            double v = values[(size_t)i * f->n_cols + c];
            a->values[c] = isfinite(v) ? v : NAN;
        }
    }
    return 0;
}

/* load_open: the records of the open file f into d (see zc_proxies_h5_load) */
static int load_open(const px_file *f, const char *path, zc_task_data *d, char *err,
                     size_t errlen) {
    snprintf(d->name, sizeof d->name, "%.127s", path);
    task_config(f, d);
    d->acc = zc_malloc(sizeof(double) * (size_t)f->n_archs);
    double *values = zc_malloc(sizeof(double) * (size_t)f->n_archs * f->n_cols);
    long long *index = zc_malloc(sizeof(long long) * (size_t)f->n_archs);
    hid_t ds = H5Dopen2(f->file, "values", H5P_DEFAULT);
    int rc = ds >= 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0
                 ? 0
                 : zc_fail(err, errlen, "proxies file '%s': cannot read /values", path);
    if (ds >= 0) H5Dclose(ds);
    if (rc == 0) rc = read_1d(f, path, "accuracy", H5T_NATIVE_DOUBLE, d->acc, err, errlen);
    if (rc == 0) rc = read_1d(f, path, "arch_index", H5T_NATIVE_LLONG, index, err, errlen);
    if (rc == 0) rc = fill_records(f, path, values, index, d, err, errlen);
    free(values);
    free(index);
    return rc;
}

/* columns_match: 0 when f's columns are expect's, else -1 with err */
static int columns_match(const px_file *f, const char *path, const zc_term_names *expect,
                         char *err, size_t errlen) {
    char have[ZC_MAX_TERM_CODES * (ZC_TERM_NAME_LEN + 1)], want[sizeof have];
    zc_term_names_join(&f->names, have, sizeof have);
    zc_term_names_join(expect, want, sizeof want);
    if (strcmp(have, want) == 0) return 0;
    return zc_fail(err, errlen, "proxies file '%s' has the columns %.400s, the first proxies "
                   "file %.400s: every proxies file of a run needs the same columns in the "
                   "same order (zcevo proxies with the same --proxies list)", path, have, want);
}

int zc_proxies_h5_load(const char *path, const zc_term_names *expect, zc_task_data *d, char *err,
                       size_t errlen) {
    memset(d, 0, sizeof *d);
    H5E_auto2_t func;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    px_file f;
    int rc = px_open(path, &f, err, errlen);
    if (rc == 0 && expect) rc = columns_match(&f, path, expect, err, errlen);
    if (rc == 0) rc = load_open(&f, path, d, err, errlen);
    if (f.file >= 0) H5Fclose(f.file);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    if (rc != 0) zc_task_data_free(d);
    return rc;
}

/* checkpoint.c: evolve checkpoints in HDF5 (see checkpoint.h). */
#include "master/gp/checkpoint.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/h5check.h"
#include "common/util/util.h"

#define CKPT_FORMAT "zcevo-checkpoint"

static int write_string_attr(hid_t loc, const char *name, const char *value) {
    hid_t type = -1, space = -1, attr = -1;
    int rc = -1;
    H5_CHECK(type = H5Tcopy(H5T_C_S1));
    H5_CHECK(H5Tset_size(type, strlen(value) + 1));
    H5_CHECK(H5Tset_cset(type, H5T_CSET_UTF8));
    H5_CHECK(space = H5Screate(H5S_SCALAR));
    H5_CHECK(attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
    H5_CHECK(H5Awrite(attr, type, value));
    rc = 0;
fail:
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    return rc;
}

static char *read_string_attr(hid_t loc, const char *name) {
    hid_t attr = -1, type = -1;
    char *value = NULL;
    H5_CHECK(attr = H5Aopen(loc, name, H5P_DEFAULT));
    H5_CHECK(type = H5Aget_type(attr));
    if (H5Tis_variable_str(type) > 0) goto fail;
    size_t n = H5Tget_size(type);
    value = zc_calloc(n + 1, 1);
    if (H5Aread(attr, type, value) < 0) {
        free(value);
        value = NULL;
    }
fail:
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
    return value;
}

static int write_bytes(hid_t file, const char *name, const void *data, size_t n) {
    hid_t space = -1, dset = -1;
    int rc = -1;
    hsize_t dims[1] = {n};
    H5_CHECK(space = H5Screate_simple(1, dims, NULL));
    H5_CHECK(dset = H5Dcreate2(file, name, H5T_NATIVE_UCHAR, space, H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT));
    if (n) H5_CHECK(H5Dwrite(dset, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
    rc = 0;
fail:
    if (dset >= 0) H5Dclose(dset);
    if (space >= 0) H5Sclose(space);
    return rc;
}

static void *read_bytes(hid_t file, const char *name, size_t *n) {
    hid_t dset = -1, space = -1;
    unsigned char *buf = NULL;
    H5_CHECK(dset = H5Dopen2(file, name, H5P_DEFAULT));
    H5_CHECK(space = H5Dget_space(dset));
    hssize_t count = H5Sget_simple_extent_npoints(space);
    if (count < 0) goto fail;
    *n = (size_t)count;
    buf = zc_malloc((size_t)count + 1);
    if (count && H5Dread(dset, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        buf = NULL;
        goto fail;
    }
    buf[count] = 0;
fail:
    if (space >= 0) H5Sclose(space);
    if (dset >= 0) H5Dclose(dset);
    return buf;
}

/* list_checkpoints: generations of checkpoint files in run_dir, descending. */
static int list_checkpoints(const char *run_dir, int *gens, int cap) {
    DIR *d = opendir(run_dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int g;
        char tail[8];
        if (sscanf(e->d_name, "checkpoint_%6d.h5%7s", &g, tail) == 1 && n < cap &&
            strlen(e->d_name) == strlen("checkpoint_000000.h5"))
            gens[n++] = g;
    }
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && gens[j] > gens[j - 1]; j--) {
            int t = gens[j];
            gens[j] = gens[j - 1];
            gens[j - 1] = t;
        }
    return n;
}

static char *checkpoint_path(const char *run_dir, int gen) {
    char name[64];
    snprintf(name, sizeof name, "checkpoint_%06d.h5", gen);
    return zc_path_join(run_dir, name);
}

int zc_checkpoint_write(const char *run_dir, const zc_gp_state *state, const char *config,
                        const char *log_text, int keep, char *err, size_t errlen) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char *path = checkpoint_path(run_dir, state->generation);
    char *tmp = zc_malloc(strlen(path) + 8);
    sprintf(tmp, "%s.tmp", path);
    size_t nbytes = zc_gp_state_bytes(state);
    void *blob = zc_malloc(nbytes);
    zc_gp_state_save(state, blob, nbytes);
    int rc = -1;
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        snprintf(err, errlen, "cannot create checkpoint '%s'", tmp);
        goto out;
    }
    char gen[32];
    snprintf(gen, sizeof gen, "%d", state->generation);
    int ok = write_string_attr(file, "format", CKPT_FORMAT) == 0 &&
             write_string_attr(file, "format_version", "1") == 0 &&
             write_string_attr(file, "generation", gen) == 0 &&
             write_string_attr(file, "config", config) == 0 &&
             write_bytes(file, "gp_state", blob, nbytes) == 0 &&
             write_bytes(file, "log", log_text, strlen(log_text)) == 0;
    if (H5Fclose(file) < 0) ok = 0;
    if (!ok || zc_fsync_rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write checkpoint '%s'", path);
        unlink(tmp);
        goto out;
    }
    rc = 0;
    int gens[4096];
    int n = list_checkpoints(run_dir, gens, 4096);
    for (int i = keep < 1 ? 1 : keep; i < n; i++) {
        char *old = checkpoint_path(run_dir, gens[i]);
        unlink(old);
        free(old);
    }
out:
    free(blob);
    free(tmp);
    free(path);
    return rc;
}

int zc_checkpoint_read(const char *path, zc_gp_state *state, char **config, char **log_text,
                       char *err, size_t errlen) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    *config = *log_text = NULL;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        snprintf(err, errlen, "checkpoint '%s' is not a readable HDF5 file", path);
        return -1;
    }
    char *format = read_string_attr(file, "format");
    size_t nbytes = 0, nlog = 0;
    void *blob = NULL;
    int rc = -1;
    if (!format || strcmp(format, CKPT_FORMAT) != 0) {
        snprintf(err, errlen, "'%s' is not a zcevo checkpoint", path);
        goto out;
    }
    *config = read_string_attr(file, "config");
    blob = read_bytes(file, "gp_state", &nbytes);
    *log_text = read_bytes(file, "log", &nlog);
    if (!*config || !blob || !*log_text) {
        snprintf(err, errlen, "checkpoint '%s' is incomplete or corrupt", path);
        goto out;
    }
    char why[256];
    if (zc_gp_state_load(state, blob, nbytes, why, sizeof why) != 0) {
        snprintf(err, errlen, "checkpoint '%s' is corrupt: %s", path, why);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) {
        free(*config);
        free(*log_text);
        *config = *log_text = NULL;
    }
    free(format);
    free(blob);
    H5Fclose(file);
    return rc;
}

char *zc_checkpoint_latest(const char *run_dir) {
    int gens[4096];
    int n = list_checkpoints(run_dir, gens, 4096);
    for (int i = 0; i < n; i++) {
        char *path = checkpoint_path(run_dir, gens[i]);
        zc_gp_state st;
        char *cfg, *log, err[512];
        if (zc_checkpoint_read(path, &st, &cfg, &log, err, sizeof err) == 0) {
            zc_gp_free(&st);
            free(cfg);
            free(log);
            return path;
        }
        zc_warn("%s; trying an older checkpoint", err);
        free(path);
    }
    return NULL;
}

/* stats_h5_check.c: the schema rules of statistics records shared by the
 * writer and the reader (see stats_h5_check.h). */
#include "common/stats/stats_h5_check.h"

#include <stdio.h>
#include <string.h>

#include "common/util/util.h"

#define MAX_CHANNELS 65536
#define MAX_KERNEL 64
#define MAX_SIDE 65536

/* in_range: lo <= v <= hi, else why = "field=v is out of range lo..hi". */
static int in_range(const char *field, long v, long lo, long hi, char *why, size_t n) {
    if (v >= lo && v <= hi) return 1;
    snprintf(why, n, "%s=%ld is out of range (expected %ld..%ld)", field, v, lo, hi);
    return 0;
}

int zc_stats_check_layer(const zc_layer_stats *ls, char *why, size_t n) {
    if (!ls->name[0]) return zc_fail(why, n, "the block name is empty");
    if (!in_range("c_in", ls->c_in, 1, MAX_CHANNELS, why, n) ||
        !in_range("c_out", ls->c_out, 1, MAX_CHANNELS, why, n) ||
        !in_range("kernel_h", ls->kernel_h, 1, MAX_KERNEL, why, n) ||
        !in_range("kernel_w", ls->kernel_w, 1, MAX_KERNEL, why, n) ||
        !in_range("stride", ls->stride, 1, MAX_KERNEL, why, n) ||
        !in_range("dilation", ls->dilation, 1, MAX_KERNEL, why, n) ||
        !in_range("groups", ls->groups, 1, MAX_CHANNELS, why, n) ||
        !in_range("stage", ls->stage, 0, 63, why, n) ||
        !in_range("cell", ls->cell, -1, 1000000, why, n))
        return -1;
    if (ls->c_in % ls->groups || ls->c_out % ls->groups)
        return zc_fail(why, n, "groups=%d does not divide c_in=%d and c_out=%d", ls->groups,
                       ls->c_in, ls->c_out);
    return 0;
}

/* shape_text: "(2, 16, 8, 8)" of ndim dims. */
static void shape_text(int ndim, const int64_t *dims, char *buf, size_t n) {
    size_t used = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < ndim && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? ", " : "",
                                 (long long)dims[i]);
    if (used < n) snprintf(buf + used, n - used, ")");
}

/* same_sides: (H, W) = dims[2..3] agrees with the layer's earlier ones. */
static int same_sides(int64_t hw[2], const int64_t *dims) {
    if (dims[2] < 1 || dims[2] > MAX_SIDE || dims[3] < 1 || dims[3] > MAX_SIDE) return 0;
    if (!hw[0]) {
        hw[0] = dims[2];
        hw[1] = dims[3];
    }
    return hw[0] == dims[2] && hw[1] == dims[3];
}

int zc_stats_check_shape(const zc_stats_config *cfg, const zc_layer_stats *ls, int id, int ndim,
                         const int64_t *dims, zc_stats_layer_hw *hw, char *why, size_t n) {
    int kind = id == ZC_TERMINAL_WT ? ZC_T_WT_GRAD : id / ZC_NUM_PASSES;
    int output = kind == ZC_T_ACT || kind == ZC_T_ACT_GRAD;
    char have[160], want[200];
    int64_t w[4];
    int ok = ndim == 4;
    if (kind == ZC_T_WT_GRAD) {
        w[0] = ls->c_out, w[1] = ls->c_in / ls->groups, w[2] = ls->kernel_h, w[3] = ls->kernel_w;
        for (int i = 0; i < 4 && ok; i++) ok = dims[i] == w[i];
        shape_text(4, w, want, sizeof want);
    } else if (output) { /* a block of k convs concatenated (FactorizedReduce): k * c_out */
        ok = ok && dims[0] == cfg->batch && dims[1] >= ls->c_out && dims[1] % ls->c_out == 0 &&
             same_sides(hw->out_hw, dims);
        snprintf(want, sizeof want, "(%d, a multiple of c_out, H', W' as the block's other "
                 "outputs)", cfg->batch);
    } else {
        ok = ok && dims[0] == cfg->batch && dims[1] == ls->c_in && same_sides(hw->in_hw, dims);
        snprintf(want, sizeof want, "(%d, %d, H, W as the block's other inputs)", cfg->batch,
                 ls->c_in);
    }
    if (ok) return 0;
    shape_text(ndim > 0 && ndim <= 8 ? ndim : 0, dims, have, sizeof have);
    if (ndim > 8) snprintf(have, sizeof have, "rank %d", ndim);
    return zc_fail(why, n, "terminal '%s' has shape %s, expected %s (batch=%d, c_in=%d, "
                   "c_out=%d, groups=%d)", zc_terminal_name(id), have, want, cfg->batch,
                   ls->c_in, ls->c_out, ls->groups);
}

/* fletcher_only: 1 when dcpl's only filter is Fletcher32. */
static int fletcher_only(hid_t dcpl) {
    if (H5Pget_nfilters(dcpl) != 1) return 0;
    unsigned flags, values[4];
    size_t nv = 4;
    char name[32];
    unsigned config;
    return H5Pget_filter2(dcpl, 0, &flags, &nv, values, sizeof name, name, &config) ==
           H5Z_FILTER_FLETCHER32;
}

/* expected_bytes: the bytes a dataset of `count` elements of `size` bytes
 * stores under layout dcpl; -1 when any amount is plausible (compact, or
 * chunks with other filters than Fletcher32). */
static int64_t expected_bytes(hid_t d, hid_t dcpl, int64_t count, size_t size) {
    H5D_layout_t layout = H5Pget_layout(dcpl);
    if (layout == H5D_CONTIGUOUS) return count * (int64_t)size;
    if (layout != H5D_CHUNKED || !fletcher_only(dcpl)) return -1;
    hsize_t chunk[32], dims[32];
    int rank = H5Pget_chunk(dcpl, 32, chunk);
    hid_t space = H5Dget_space(d);
    int ok = rank > 0 && space >= 0 && H5Sget_simple_extent_dims(space, dims, NULL) == rank;
    if (space >= 0) H5Sclose(space);
    if (!ok) return -2;
    int64_t chunks = 1, per_chunk = (int64_t)size;
    for (int i = 0; i < rank; i++) {
        chunks *= (int64_t)((dims[i] + chunk[i] - 1) / chunk[i]);
        per_chunk *= (int64_t)chunk[i];
    }
    return chunks * (per_chunk + 4);
}

int zc_stats_check_dataset(hid_t d, H5T_class_t cls, size_t size, int64_t count, char *why,
                           size_t n) {
    hid_t type = H5Dget_type(d), dcpl = H5Dget_create_plist(d);
    int rc = -1;
    if (type < 0 || dcpl < 0) {
        zc_fail(why, n, "unreadable type or layout");
    } else if (H5Tget_class(type) != cls || H5Tget_size(type) != size) {
        zc_fail(why, n, "holds %zu-byte %s values, expected %zu-byte %s", H5Tget_size(type),
                H5Tget_class(type) == H5T_FLOAT     ? "real"
                : H5Tget_class(type) == H5T_INTEGER ? "integer"
                                                    : "non-numeric",
                size, cls == H5T_FLOAT ? "reals (float32)" : "integers (int32)");
    } else {
        int64_t want = count > 0 ? expected_bytes(d, dcpl, count, size) : -1;
        int64_t have = (int64_t)H5Dget_storage_size(d);
        if (want == -2) zc_fail(why, n, "unreadable chunk layout");
        else if (want >= 0 && have != want)
            zc_fail(why, n, "stores %lld bytes, its shape needs %lld (the file is damaged)",
                    (long long)have, (long long)want);
        else rc = 0;
    }
    if (type >= 0) H5Tclose(type);
    if (dcpl >= 0) H5Pclose(dcpl);
    return rc;
}

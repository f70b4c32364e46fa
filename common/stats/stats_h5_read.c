/* stats_h5_read.c: the reader of the HDF5 statistics cache (contract:
 * stats_h5.h, schema: docs/stats_schema.md). Every value is checked before
 * it is used (stats_h5_check.h): a file that does not follow the schema,
 * or whose checksums fail, is refused with one line naming the file, the
 * architecture, the layer and the field. Reading iterates /archs by name,
 * opens layers by name and reads only the wanted terminals; the result is
 * sorted by arch_index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats/stats_h5.h"
#include "common/stats/stats_h5_check.h"
#include "common/stats/stats_h5_file.h"
#include "common/util/util.h"

#define MAX_ARCH_STR (1 << 20)

typedef struct {
    const zc_stats_file *file;
    const zc_stats_config *cfg;
    zc_terminal_mask want;
    zc_arch_stats *archs;
    int n, cap;
    char problem[768];
} read_state;

/* ---- one dataset ---------------------------------------------------------- */

/* dataset_dims: rank and dims of d (at most max_rank, else the rank is
 * returned and dims left unset); -1 on failure. */
static int dataset_dims(hid_t d, int64_t *dims, int max_rank) {
    hsize_t h[32];
    hid_t space = H5Dget_space(d);
    int nd = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (nd >= 0 && nd <= 32 && H5Sget_simple_extent_dims(space, h, NULL) >= 0)
        for (int i = 0; i < nd && i < max_rank; i++) dims[i] = (int64_t)h[i];
    else nd = -1;
    zc_h5_close_id(space);
    return nd;
}

/* read_terminal: terminal id of layer ls from group g into ls->t[id],
 * its shape checked against the layer (hw: the layer's spatial sizes), its
 * type and stored size checked, then read (checksum verified by HDF5).
 * 0, or -1 with why. */
static int read_terminal(hid_t g, const zc_stats_config *cfg, zc_layer_stats *ls, int id,
                         zc_stats_layer_hw *hw, char *why, size_t n) {
    const char *name = zc_terminal_name(id);
    int64_t dims[ZC_MAX_DIMS] = {0};
    zc_tensor *t = &ls->t[id];
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0)
        return zc_fail(why, n, "terminal '%s' is missing", name);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        zc_h5_capture("H5Dopen2");
        return zc_fail(why, n, "terminal '%s': %.400s", name, zc_h5_problem);
    }
    int nd = dataset_dims(d, dims, ZC_MAX_DIMS);
    char inner[400];
    int rc = zc_stats_check_shape(cfg, ls, id, nd, dims, hw, why, n);
    t->ndim = nd;
    for (int i = 0; i < ZC_MAX_DIMS; i++) t->shape[i] = dims[i];
    if (rc == 0 && zc_stats_check_dataset(d, H5T_FLOAT, 4, zc_tensor_numel(t), inner,
                                          sizeof inner) != 0)
        rc = zc_fail(why, n, "terminal '%s' %s", name, inner);
    if (rc == 0) {
        t->data = zc_malloc(sizeof(float) * (size_t)zc_tensor_numel(t));
        if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) < 0) {
            zc_h5_capture("H5Dread");
            free(t->data);
            t->data = NULL;
            rc = zc_fail(why, n, "terminal '%s' cannot be read (the file is damaged): %.400s",
                         name, zc_h5_problem);
        }
    }
    H5Dclose(d);
    return rc;
}

/* ---- one layer, one architecture -------------------------------------------- */

/* read_layer_meta: the attributes of layer group g, checked. */
static int read_layer_meta(hid_t g, int vlen, zc_layer_stats *ls, char *why, size_t n) {
    if (zc_h5_attr_read_str(g, "name", ls->name, sizeof ls->name, vlen) < 0 ||
        zc_h5_attr_read_int(g, "c_in", &ls->c_in) < 0 ||
        zc_h5_attr_read_int(g, "c_out", &ls->c_out) < 0 ||
        zc_h5_attr_read_int(g, "kernel_h", &ls->kernel_h) < 0 ||
        zc_h5_attr_read_int(g, "kernel_w", &ls->kernel_w) < 0 ||
        zc_h5_attr_read_int(g, "stride", &ls->stride) < 0 ||
        zc_h5_attr_read_int(g, "dilation", &ls->dilation) < 0 ||
        zc_h5_attr_read_int(g, "groups", &ls->groups) < 0 ||
        zc_h5_attr_read_int(g, "stage", &ls->stage) < 0 ||
        zc_h5_attr_read_int(g, "cell", &ls->cell) < 0)
        return zc_fail(why, n, "%.400s", zc_h5_problem);
    return zc_stats_check_layer(ls, why, n);
}

/* read_layer: layer l of layers into ls (its wanted terminals). 0, or -1
 * with problem "layer LLL (name): why". */
static int read_layer(const read_state *s, hid_t layers, int l, zc_layer_stats *ls,
                      char *problem, size_t plen) {
    char name[16], why[600];
    snprintf(name, sizeof name, "%03d", l);
    hid_t g = H5Gopen2(layers, name, H5P_DEFAULT);
    if (g < 0) {
        zc_h5_capture("H5Gopen2");
        return zc_fail(problem, plen, "layer %s: %.480s", name, zc_h5_problem);
    }
    int rc = read_layer_meta(g, s->file->version == ZC_STATS_LEGACY_VERSION, ls, why, sizeof why);
    zc_stats_layer_hw hw = {{0, 0}, {0, 0}};
    for (int id = 0; id < ZC_NUM_TERMINALS && rc == 0; id++)
        if (s->want & (1u << id)) rc = read_terminal(g, s->cfg, ls, id, &hw, why, sizeof why);
    H5Gclose(g);
    if (rc != 0)
        zc_fail(problem, plen, "layer %s%s%s%s: %s", name, ls->name[0] ? " (" : "", ls->name,
                ls->name[0] ? ")" : "", why);
    return rc;
}

static herr_t acc_attr_cb(hid_t g, const char *name, const H5A_info_t *info, void *data) {
    (void)info;
    zc_arch_stats *a = data;
    if (strncmp(name, "acc_", 4) != 0) return 0;
    if (a->n_acc >= ZC_MAX_ACC_COLUMNS || strlen(name + 4) >= sizeof a->acc_name[0]) return 0;
    if (zc_h5_attr_read_double(g, name, &a->acc[a->n_acc]) < 0) return -1;
    snprintf(a->acc_name[a->n_acc], sizeof a->acc_name[0], "%s", name + 4);
    a->n_acc++;
    return 0;
}

/* read_arch_attrs: index (= the group name's), string, accuracies and the
 * layer count (= the number of layer groups) of group g. */
static int read_arch_attrs(const read_state *s, hid_t g, int name_index, zc_arch_stats *a) {
    const int vlen = s->file->version == ZC_STATS_LEGACY_VERSION;
    int n_layers = 0;
    H5G_info_t info;
    hid_t layers = -1;
    H5_TRY(zc_h5_attr_read_int(g, "arch_index", &a->arch_index));
    if (a->arch_index != name_index)
        FAIL_WITH("arch_index=%d differs from the group name", a->arch_index);
    if (!(a->arch_str = zc_h5_attr_read_str_dup(g, "arch_str", MAX_ARCH_STR, vlen))) goto fail;
    H5_TRY(zc_h5_attr_read_double(g, "accuracy", &a->accuracy));
    if (H5Aiterate2(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL, acc_attr_cb, a) < 0) {
        a->n_acc = 0;
        H5_TRY(H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, NULL, acc_attr_cb, a));
    }
    H5_TRY(zc_h5_attr_read_int(g, "n_layers", &n_layers));
    if (n_layers < 0 || n_layers >= ZC_STATS_MAX_LAYERS)
        FAIL_WITH("n_layers=%d is out of range (expected 0..%d)", n_layers,
                  ZC_STATS_MAX_LAYERS - 1);
    H5_TRY(layers = H5Gopen2(g, "layers", H5P_DEFAULT));
    H5_TRY(H5Gget_info(layers, &info));
    H5Gclose(layers);
    if (info.nlinks != (hsize_t)n_layers)
        FAIL_WITH("n_layers=%d but 'layers' holds %llu groups", n_layers,
                  (unsigned long long)info.nlinks);
    a->n_layers = n_layers;
    return 0;
fail:
    if (layers >= 0) H5Gclose(layers);
    return -1;
}

/* keep_arch: append a to s->archs. */
static void keep_arch(read_state *s, const zc_arch_stats *a) {
    if (s->n == s->cap) {
        s->cap = 2 * s->cap + 64;
        s->archs = zc_realloc(s->archs, (size_t)s->cap * sizeof *s->archs);
    }
    s->archs[s->n++] = *a;
}

static herr_t read_arch_cb(hid_t archs, const char *name, const H5L_info_t *info, void *data) {
    (void)info;
    read_state *s = data;
    int index = zc_stats_parse_arch_name(name);
    if (index < 0) return 0;
    zc_arch_stats a;
    memset(&a, 0, sizeof a);
    hid_t g = -1, layers = -1;
    char layer_problem[700];
    H5_TRY(g = H5Gopen2(archs, name, H5P_DEFAULT));
    if (!zc_stats_group_complete(g)) {
        H5Gclose(g);
        return 0;
    }
    if (read_arch_attrs(s, g, index, &a) != 0) goto fail;
    a.layers = zc_calloc((size_t)(a.n_layers ? a.n_layers : 1), sizeof *a.layers);
    H5_TRY(layers = H5Gopen2(g, "layers", H5P_DEFAULT));
    for (int l = 0; l < a.n_layers; l++)
        if (read_layer(s, layers, l, &a.layers[l], layer_problem, sizeof layer_problem) < 0)
            FAIL_WITH("%s", layer_problem);
    H5Gclose(layers);
    H5Gclose(g);
    keep_arch(s, &a);
    return 0;
fail:
    snprintf(s->problem, sizeof s->problem, "arch %s, %.700s", name, zc_h5_problem);
    zc_h5_close_id(layers);
    zc_h5_close_id(g);
    zc_arch_stats_free(&a);
    return -1;
}

/* ---- /inputs ---------------------------------------------------------------- */

/* check_input: dataset g/name: class cls of 4 bytes, shape dims (rank nd). */
static int check_input(hid_t g, const char *name, H5T_class_t cls, int nd, const int64_t *want) {
    int64_t dims[4] = {0};
    char why[400];
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) FAIL_WITH("/inputs/%s is missing or unreadable", name);
    int rank = dataset_dims(d, dims, 4), same = rank == nd;
    for (int i = 0; i < nd && same; i++) same = dims[i] == want[i];
    int64_t count = 1;
    for (int i = 0; i < nd; i++) count *= want[i];
    if (!same) {
        H5Dclose(d);
        FAIL_WITH("/inputs/%s has rank %d or a shape other than the configuration's (batch=%lld)",
                  name, rank, (long long)want[0]);
    }
    if (zc_stats_check_dataset(d, cls, 4, count, why, sizeof why) != 0) {
        H5Dclose(d);
        FAIL_WITH("/inputs/%s %s", name, why);
    }
    H5Dclose(d);
    return 0;
fail:
    return -1;
}

/* check_labels: /inputs/labels read, each in 0..num_classes-1. */
static int check_labels(hid_t g, const zc_stats_config *c) {
    int *labels = zc_malloc(sizeof(int) * (size_t)c->batch);
    hid_t d = H5Dopen2(g, "labels", H5P_DEFAULT);
    int ok = d >= 0 && H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels) >= 0;
    if (!ok) zc_h5_capture("H5Dread(labels)");
    for (int b = 0; b < c->batch && ok; b++)
        if (labels[b] < 0 || labels[b] >= c->num_classes) {
            zc_h5_set_problem("/inputs/labels[%d] = %d is not a class of 0..%d", b, labels[b],
                              c->num_classes - 1);
            ok = 0;
        }
    zc_h5_close_id(d);
    free(labels);
    return ok ? 0 : -1;
}

/* check_inputs: /inputs, when present, follows the schema. */
static int check_inputs(const zc_stats_file *f, const zc_stats_config *c) {
    if (H5Lexists(f->id, "inputs", H5P_DEFAULT) <= 0) return 0;
    const int64_t image[4] = {c->batch, 3, c->image_h, c->image_w}, batch[1] = {c->batch};
    hid_t g = H5Gopen2(f->id, "inputs", H5P_DEFAULT);
    if (g < 0) {
        zc_h5_capture("H5Gopen2(inputs)");
        return -1;
    }
    int rc = 0;
    const char *names[3] = {"data", "noise", "perturb"};
    for (int i = 0; i < 3 && rc == 0; i++)
        if (H5Lexists(g, names[i], H5P_DEFAULT) > 0)
            rc = check_input(g, names[i], H5T_FLOAT, 4, image);
    if (rc == 0 && H5Lexists(g, "labels", H5P_DEFAULT) > 0)
        rc = check_input(g, "labels", H5T_INTEGER, 1, batch) || check_labels(g, c);
    H5Gclose(g);
    return rc ? -1 : 0;
}

/* ---- the public readers --------------------------------------------------------- */

int zc_stats_read_config(const char *path, zc_stats_config *cfg, char *err, size_t errlen) {
    zc_h5_quiet();
    zc_stats_file f;
    if (!zc_h5_has_signature(path))
        return zc_fail(err, errlen, "cannot read stats file '%s': %s", path,
                       zc_file_exists(path) ? "not an HDF5 file" : "no such file");
    if (zc_stats_file_open(path, H5F_ACC_RDONLY, &f) != 0)
        return zc_fail(err, errlen, "cannot open stats file '%s': %s", path, zc_h5_problem);
    int r = zc_stats_config_read(&f, cfg);
    zc_stats_file_close(&f);
    if (r < 0) return zc_fail(err, errlen, "stats file '%s': %s", path, zc_h5_problem);
    return 0;
}

static int compare_arch_index(const void *x, const void *y) {
    const zc_arch_stats *a = x, *b = y;
    return (a->arch_index > b->arch_index) - (a->arch_index < b->arch_index);
}

/* missing_terminal: err when `want` asks for a terminal cfg does not store. */
static int missing_terminal(const char *path, const zc_stats_config *cfg, zc_terminal_mask want,
                            char *err, size_t errlen) {
    zc_terminal_mask missing = want & ~cfg->terminals;
    if (!missing) return 0;
    int id = 0;
    while (!(missing & (1u << id))) id++;
    char stored[512];
    zc_stats_terminal_list(cfg->terminals, stored, sizeof stored);
    return zc_fail(err, errlen, "stats file '%s' does not hold terminal '%s' (it holds: %s)", path,
                   zc_terminal_name(id), stored);
}

int zc_stats_read(const char *path, zc_terminal_mask want, zc_stats_set *out, char *err,
                  size_t errlen) {
    zc_h5_quiet();
    memset(out, 0, sizeof *out);
    zc_stats_file f = {-1, 0};
    hid_t archs = -1;
    read_state s;
    memset(&s, 0, sizeof s);
    if (zc_stats_read_config(path, &out->cfg, err, errlen) != 0) return -1;
    if (missing_terminal(path, &out->cfg, want, err, errlen) != 0) return -1;
    s.file = &f;
    s.cfg = &out->cfg;
    s.want = want;
    if (zc_stats_file_open(path, H5F_ACC_RDONLY, &f) != 0)
        return zc_fail(err, errlen, "cannot open stats file '%s': %s", path, zc_h5_problem);
    if (check_inputs(&f, &out->cfg) != 0) goto fail;
    H5_TRY(archs = H5Gopen2(f.id, "archs", H5P_DEFAULT));
    hsize_t idx = 0;
    if (H5Literate(archs, H5_INDEX_NAME, H5_ITER_INC, &idx, read_arch_cb, &s) < 0) {
        if (!s.problem[0]) zc_h5_capture("H5Literate(archs)");
        zc_fail(err, errlen, "stats file '%s': %s", path, s.problem[0] ? s.problem : zc_h5_problem);
        goto cleanup;
    }
    H5Gclose(archs);
    zc_stats_file_close(&f);
    qsort(s.archs, (size_t)s.n, sizeof *s.archs, compare_arch_index);
    out->archs = s.archs;
    out->n_archs = s.n;
    return 0;
fail:
    zc_fail(err, errlen, "stats file '%s': %s", path, zc_h5_problem);
cleanup:
    zc_h5_close_id(archs);
    zc_stats_file_close(&f);
    for (int i = 0; i < s.n; i++) zc_arch_stats_free(&s.archs[i]);
    free(s.archs);
    memset(out, 0, sizeof *out);
    return -1;
}

float *zc_stats_read_input(const char *path, const char *name, char *err, size_t errlen) {
    zc_h5_quiet();
    zc_stats_config cfg;
    if (zc_stats_read_config(path, &cfg, err, errlen) != 0) return NULL;
    char dset[64];
    snprintf(dset, sizeof dset, "inputs/%s", name);
    zc_stats_file f = {-1, 0};
    hid_t d = -1, g = -1;
    float *values = NULL;
    const int64_t dims[4] = {cfg.batch, 3, cfg.image_h, cfg.image_w};
    if (zc_stats_file_open(path, H5F_ACC_RDONLY, &f) != 0) goto fail;
    H5_TRY(g = H5Gopen2(f.id, "inputs", H5P_DEFAULT));
    if (check_input(g, name, H5T_FLOAT, 4, dims) != 0) goto fail;
    H5_TRY(d = H5Dopen2(g, name, H5P_DEFAULT));
    values = zc_malloc(sizeof(float) * (size_t)(dims[0] * dims[1] * dims[2] * dims[3]));
    H5_TRY(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values));
    H5Dclose(d);
    H5Gclose(g);
    zc_stats_file_close(&f);
    return values;
fail:
    zc_fail(err, errlen, "cannot read /%s from stats file '%s': %s", dset, path, zc_h5_problem);
    free(values);
    zc_h5_close_id(d);
    zc_h5_close_id(g);
    zc_stats_file_close(&f);
    return NULL;
}

/* zc_stats_set_free: the records of s and their tensors; s zeroed. */
void zc_stats_set_free(zc_stats_set *s) {
    for (int i = 0; i < s->n_archs; i++) zc_arch_stats_free(&s->archs[i]);
    free(s->archs);
    memset(s, 0, sizeof *s);
}

/* test_stats_h5.c: tests of the HDF5 statistics cache (common/stats_h5.h):
 * bit-identical round trip, config-mismatch refusal that leaves the file
 * byte-identical, extending a complete file, resuming a .partial with an
 * incomplete group and after a writer crash, file locking against a second
 * writer, byte-identical files from equal runs, unwritable and corrupt
 * paths, missing terminals, and the write / read speed on NB201-like records
 * (printed).
 *
 * Usage: test_stats_h5 <scratch folder>  (the folder is created; the file
 * <folder>/roundtrip.h5 is left for the inspect_stats.py test). */
#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util/rng.h"
#include "common/stats/stats_h5.h"
#include "common/stats/stats_config.h"
#include "common/util/util.h"
#include "tests/test_util.h"

static char g_dir[1024];

static char *scratch(const char *name) {
    char *p = zc_malloc(strlen(g_dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", g_dir, name);
    return p;
}

static void remove_outputs(const char *path) {
    char partial[1200];
    snprintf(partial, sizeof partial, "%s.partial", path);
    unlink(path);
    unlink(partial);
}

static int partial_exists(const char *path) {
    char partial[1200];
    snprintf(partial, sizeof partial, "%s.partial", path);
    return zc_file_exists(partial);
}

/* file_hash: hash of the whole file's bytes (0 when unreadable). */
static uint64_t file_hash(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = zc_malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    uint64_t h = zc_hash64(buf, got, 7) ^ (uint64_t)got;
    free(buf);
    return h;
}

static void write_random_file(const char *path, size_t n, uint64_t seed) {
    zc_rng r = zc_rng_stream(seed, 100, 0);
    unsigned char *buf = zc_malloc(n);
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)zc_rng_u64(&r);
    FILE *f = fopen(path, "wb");
    if (!f) zc_die("cannot create '%s': %s", path, strerror(errno));
    fwrite(buf, 1, n, f);
    fclose(f);
    free(buf);
}

static zc_terminal_mask mask_of(const char *list) {
    zc_terminal_mask m;
    char bad[64];
    if (zc_terminal_parse_list(list, &m, bad) != 0) zc_die("bad terminal '%s'", bad);
    return m;
}

static zc_stats_config test_config(void) {
    zc_stats_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.space, sizeof c.space, "nb201");
    snprintf(c.dataset, sizeof c.dataset, "cifar10");
    c.batch = 2;
    c.seed = 0xfedcba9876543210ULL;
    c.terminals = mask_of("inpact_data,preact_perturb,act_grad_noise,wt_grad_perturb,wt");
    c.store_params = 1;
    c.num_classes = 10;
    c.image_h = 8;
    c.image_w = 6;
    snprintf(c.accuracy_column, sizeof c.accuracy_column, "test_acc_200");
    snprintf(c.image_source, sizeof c.image_source, "synthetic test images (ünïcode ok)");
    return c;
}

static void fill_tensor(zc_tensor *t, zc_rng *r, int ndim, int64_t d0, int64_t d1, int64_t d2,
                        int64_t d3) {
    int64_t d[4] = {d0, d1, d2, d3};
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = d[i];
    int64_t n = zc_tensor_numel(t);
    t->data = zc_malloc(sizeof(float) * (size_t)n);
    zc_rng_fill_normal(r, t->data, (long)n, 0.0, 1.0);
}

/* make_arch: a synthetic record: layers of different shapes (3 stages,
 * a grouped conv, a 1x3 kernel), every terminal filled except a few not
 * stored by the config (their data stays NULL). */
static zc_arch_stats make_arch(int index, int n_layers, int batch, int base_channels,
                               int base_hw, int drop_act_data) {
    zc_rng r = zc_rng_stream(1234, 50, (uint64_t)index);
    zc_arch_stats a;
    memset(&a, 0, sizeof a);
    a.arch_index = index;
    char s[64];
    snprintf(s, sizeof s, "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1| #%d", index);
    a.arch_str = zc_strdup(s);
    a.n_acc = 3;
    const char *cols[3] = {"train_acc_200", "valid_acc_200", "test_acc_200"};
    for (int i = 0; i < 3; i++) {
        snprintf(a.acc_name[i], sizeof a.acc_name[i], "%s", cols[i]);
        a.acc[i] = 100.0 * zc_rng_uniform(&r);
    }
    a.accuracy = a.acc[2];
    a.n_layers = n_layers;
    a.layers = zc_calloc((size_t)n_layers, sizeof *a.layers);
    for (int l = 0; l < n_layers; l++) {
        zc_layer_stats *ls = &a.layers[l];
        int stage = l * 3 / n_layers;
        int c = base_channels << stage, hw = ZC_MAX(base_hw >> stage, 1);
        snprintf(ls->name, sizeof ls->name, "cells.%d.layers.%d", l / 6, l % 6);
        ls->c_in = c;
        ls->c_out = c;
        ls->kernel_h = (l % 4 == 1) ? 1 : 3;
        ls->kernel_w = 3;
        ls->stride = 1;
        ls->dilation = (l % 5 == 2) ? 2 : 1;
        ls->groups = (l % 4 == 3) ? c : 1;
        ls->stage = stage;
        ls->cell = l / 6;
        for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
            if (drop_act_data && id == ZC_TERMINAL_ID(ZC_T_ACT, ZC_PASS_DATA) && l % 2) continue;
            if (id == ZC_TERMINAL_WT || id >= ZC_TERMINAL_ID(ZC_T_WT_GRAD, 0))
                fill_tensor(&ls->t[id], &r, 4, c, c / ls->groups, ls->kernel_h, ls->kernel_w);
            else
                fill_tensor(&ls->t[id], &r, 4, batch, c, hw, hw + 1);
        }
    }
    return a;
}

/* make_params: two parameter tensors of the arch (owned by the caller). */
static void make_params(int index, zc_named_tensor p[2]) {
    zc_rng r = zc_rng_stream(1234, 51, (uint64_t)index);
    p[0].name = "cells.0.layers.0.op.1.weight";
    fill_tensor(&p[0].tensor, &r, 4, 4, 4, 3, 3);
    p[1].name = "classifier.bias";
    fill_tensor(&p[1].tensor, &r, 1, 10, 0, 0, 0);
}

static int put_arch(zc_stats_writer *w, int index, const char *label) {
    char err[1024];
    zc_arch_stats a = make_arch(index, 4 + index % 3, 2, 4, 8, 1);
    zc_named_tensor p[2];
    make_params(index, p);
    int r = zc_stats_writer_put_arch(w, &a, p, 2, err, sizeof err);
    CHECK_MSG(r == 0, "%s: put arch %d: %s", label, index, err);
    zc_arch_stats_free(&a);
    free(p[0].tensor.data);
    free(p[1].tensor.data);
    return r;
}

static int tensors_equal(const zc_tensor *a, const zc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return memcmp(a->data, b->data, sizeof(float) * (size_t)zc_tensor_numel(a)) == 0;
}

/* check_arch_equal: the read record b equals the written a (terminals in
 * `kept` bit-identical, others not loaded). */
static void check_arch_equal(const zc_arch_stats *a, const zc_arch_stats *b,
                             zc_terminal_mask kept) {
    CHECK(a->arch_index == b->arch_index);
    CHECK(strcmp(a->arch_str, b->arch_str) == 0);
    CHECK(a->accuracy == b->accuracy);
    CHECK(a->n_acc == b->n_acc);
    for (int i = 0; i < a->n_acc && i < b->n_acc; i++) {
        CHECK(strcmp(a->acc_name[i], b->acc_name[i]) == 0);
        CHECK(a->acc[i] == b->acc[i]);
    }
    CHECK(a->n_layers == b->n_layers);
    if (a->n_layers != b->n_layers) return;
    int tensors_ok = 1, absent_ok = 1, meta_ok = 1;
    for (int l = 0; l < a->n_layers; l++) {
        const zc_layer_stats *x = &a->layers[l], *y = &b->layers[l];
        meta_ok &= strcmp(x->name, y->name) == 0 && x->c_in == y->c_in && x->c_out == y->c_out &&
                   x->kernel_h == y->kernel_h && x->kernel_w == y->kernel_w &&
                   x->stride == y->stride && x->dilation == y->dilation &&
                   x->groups == y->groups && x->stage == y->stage && x->cell == y->cell;
        for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
            if (kept & (1u << id)) tensors_ok &= y->t[id].data && tensors_equal(&x->t[id], &y->t[id]);
            else absent_ok &= y->t[id].data == NULL;
        }
    }
    CHECK_MSG(meta_ok, "layer metadata of arch %d", a->arch_index);
    CHECK_MSG(tensors_ok, "terminals of arch %d bit-identical", a->arch_index);
    CHECK_MSG(absent_ok, "unwanted terminals of arch %d not loaded", a->arch_index);
}

/* check_file_holds: read path and compare with the synthetic archs. */
static void check_file_holds(const char *path, const int *indices, int n, zc_terminal_mask want) {
    char err[1024];
    zc_stats_set set;
    int r = zc_stats_read(path, want, &set, err, sizeof err);
    CHECK_MSG(r == 0, "read %s: %s", path, err);
    if (r != 0) return;
    CHECK_MSG(set.n_archs == n, "%s holds %d archs, expected %d", path, set.n_archs, n);
    for (int i = 0; i < n && i < set.n_archs; i++) {
        zc_arch_stats a = make_arch(indices[i], 4 + indices[i] % 3, 2, 4, 8, 1);
        check_arch_equal(&a, &set.archs[i], want);
        zc_arch_stats_free(&a);
    }
    zc_stats_set_free(&set);
}

typedef struct {
    float *data, *noise, *perturb;
    int *labels;
} test_inputs;

static test_inputs make_inputs(const zc_stats_config *c, uint64_t seed) {
    test_inputs in;
    long n = (long)c->batch * 3 * c->image_h * c->image_w;
    zc_rng r = zc_rng_stream(seed, 52, 0);
    in.data = zc_malloc(sizeof(float) * (size_t)n);
    in.noise = zc_malloc(sizeof(float) * (size_t)n);
    in.perturb = zc_malloc(sizeof(float) * (size_t)n);
    in.labels = zc_malloc(sizeof(int) * (size_t)c->batch);
    zc_rng_fill_normal(&r, in.data, n, 0, 1);
    zc_rng_fill_normal(&r, in.noise, n, 0, 1);
    zc_rng_fill_normal(&r, in.perturb, n, 0, 0.1);
    for (long i = 0; i < n; i++) in.perturb[i] += in.data[i];
    for (int b = 0; b < c->batch; b++) in.labels[b] = (int)zc_rng_below(&r, 10);
    return in;
}

static void free_inputs(test_inputs *in) {
    free(in->data);
    free(in->noise);
    free(in->perturb);
    free(in->labels);
}

/* read_param: /archs/NNNNNN/params/<name> through the HDF5 API. */
static int param_matches(const char *path, int index, const zc_named_tensor *p) {
    char name[256];
    snprintf(name, sizeof name, "archs/%06d/params/%s", index, p->name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    int ok = 0;
    if (d >= 0) {
        int64_t n = zc_tensor_numel(&p->tensor);
        hid_t sp = H5Dget_space(d);
        if (H5Sget_simple_extent_npoints(sp) == n) {
            float *buf = zc_malloc(sizeof(float) * (size_t)n);
            ok = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 &&
                 memcmp(buf, p->tensor.data, sizeof(float) * (size_t)n) == 0;
            free(buf);
        }
        H5Sclose(sp);
        H5Dclose(d);
    }
    H5Fclose(f);
    return ok;
}

/* ---- tests --------------------------------------------------------------- */

static const int k_roundtrip_indices[] = {5, 0, 12, 3, 7};

static void test_roundtrip(const char *path, const zc_stats_config *cfg, test_inputs *in) {
    char err[1024];
    remove_outputs(path);
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "open %s: %s", path, err);
    if (!w) return;
    CHECK(partial_exists(path) && !zc_file_exists(path));
    CHECK(zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                     sizeof err) == 0);
    for (int i = 0; i < 5; i++) put_arch(w, k_roundtrip_indices[i], "roundtrip");
    CHECK(zc_stats_writer_is_complete(w, 12) && !zc_stats_writer_is_complete(w, 1));
    CHECK_MSG(zc_stats_writer_finish(w, err, sizeof err) == 0, "finish: %s", err);
    CHECK(zc_file_exists(path) && !partial_exists(path));

    int sorted[] = {0, 3, 5, 7, 12};
    check_file_holds(path, sorted, 5, cfg->terminals);
    check_file_holds(path, sorted, 5, mask_of("wt,act_grad_noise"));

    zc_stats_config back;
    CHECK(zc_stats_read_config(path, &back, err, sizeof err) == 0);
    CHECK(zc_stats_config_diff(&back, cfg) == NULL);
    CHECK(back.seed == cfg->seed && strcmp(back.image_source, cfg->image_source) == 0);

    const char *names[3] = {"data", "noise", "perturb"};
    const float *values[3] = {in->data, in->noise, in->perturb};
    size_t bytes = sizeof(float) * (size_t)(cfg->batch * 3 * cfg->image_h * cfg->image_w);
    for (int i = 0; i < 3; i++) {
        float *v = zc_stats_read_input(path, names[i], err, sizeof err);
        CHECK_MSG(v && memcmp(v, values[i], bytes) == 0, "input %s: %s", names[i], v ? "" : err);
        free(v);
    }
    zc_named_tensor p[2];
    make_params(7, p);
    CHECK(param_matches(path, 7, &p[0]) && param_matches(path, 7, &p[1]));
    free(p[0].tensor.data);
    free(p[1].tensor.data);

    /* A wanted terminal the file does not hold: error naming it and the file. */
    zc_stats_set set;
    int r = zc_stats_read(path, mask_of("wt,act_data"), &set, err, sizeof err);
    CHECK(r == -1 && strstr(err, "'act_data'") && strstr(err, path));
    printf("missing terminal: %s\n", err);
}

static void test_config_mismatch(const char *path, const zc_stats_config *cfg) {
    char err[1024];
    uint64_t before = file_hash(path);
    zc_stats_config other = *cfg;
    other.batch = 16;
    zc_stats_writer *w = zc_stats_writer_open(path, &other, err, sizeof err);
    CHECK(w == NULL);
    CHECK_MSG(strstr(err, "batch=2") && strstr(err, "batch=16") && strstr(err, path) &&
                  strstr(err, "--out"),
              "message: %s", err);
    printf("mismatch: %s\n", err);
    other = *cfg;
    other.seed = 1;
    w = zc_stats_writer_open(path, &other, err, sizeof err);
    CHECK(w == NULL && strstr(err, "seed="));
    other = *cfg;
    other.terminals |= mask_of("act_data");
    w = zc_stats_writer_open(path, &other, err, sizeof err);
    CHECK(w == NULL && strstr(err, "terminals="));
    CHECK(file_hash(path) == before && before != 0);
    CHECK(!partial_exists(path));
}

static void test_extend(const char *path, const zc_stats_config *cfg, test_inputs *in) {
    char err[1024];
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "extend %s: %s", path, err);
    if (!w) return;
    CHECK(zc_file_exists(path) && partial_exists(path));
    for (int i = 0; i < 5; i++) CHECK(zc_stats_writer_is_complete(w, k_roundtrip_indices[i]));
    CHECK(!zc_stats_writer_is_complete(w, 1));
    CHECK(zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                     sizeof err) == 0);
    in->noise[3] += 1.0f;
    CHECK(zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                     sizeof err) == -1 &&
          strstr(err, "'noise'"));
    in->noise[3] -= 1.0f;
    put_arch(w, 1, "extend");
    CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
    int all[] = {0, 1, 3, 5, 7, 12};
    check_file_holds(path, all, 6, cfg->terminals);
}

/* add_incomplete_group: what a writer killed inside put_arch leaves. */
static void add_incomplete_group(const char *partial, int index) {
    hid_t f = H5Fopen(partial, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    char name[32];
    snprintf(name, sizeof name, "archs/%06d", index);
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, "arch_index", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &index);
    H5Aclose(a);
    hid_t layers = H5Gcreate2(g, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t l0 = H5Gcreate2(layers, "000", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(g >= 0 && layers >= 0 && l0 >= 0);
    H5Gclose(l0);
    H5Gclose(layers);
    H5Sclose(sp);
    H5Gclose(g);
    CHECK(H5Fclose(f) >= 0);
}

static int group_exists(const char *path, int index) {
    char name[32];
    snprintf(name, sizeof name, "archs/%06d", index);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    htri_t e = H5Lexists(f, name, H5P_DEFAULT);
    H5Fclose(f);
    return e > 0;
}

static void test_resume_incomplete(const char *path, const zc_stats_config *cfg,
                                   test_inputs *in) {
    char err[1024], partial[1200];
    snprintf(partial, sizeof partial, "%s.partial", path);
    remove_outputs(path);
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "%s", err);
    if (!w) return;
    CHECK(zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                     sizeof err) == 0);
    put_arch(w, 0, "resume");
    put_arch(w, 3, "resume");
    put_arch(w, 5, "resume");
    zc_stats_writer_abandon(w);
    CHECK(partial_exists(path) && !zc_file_exists(path));
    add_incomplete_group(partial, 7);
    CHECK(group_exists(partial, 7) == 1);
    /* ... and inputs cut short (a kill inside put_inputs): rewritten. */
    hid_t f = H5Fopen(partial, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0 && H5Ldelete(f, "inputs/noise", H5P_DEFAULT) >= 0);
    H5Fclose(f);

    /* A run of another configuration refuses the .partial and keeps it. */
    uint64_t before = file_hash(partial);
    zc_stats_config other = *cfg;
    other.image_w = 7;
    CHECK(zc_stats_writer_open(path, &other, err, sizeof err) == NULL &&
          strstr(err, partial) && strstr(err, "image_w=6") && strstr(err, "image_w=7"));
    printf("partial mismatch: %s\n", err);
    CHECK(file_hash(partial) == before);

    /* The reader ignores the incomplete group. */
    int three[] = {0, 3, 5};
    check_file_holds(partial, three, 3, cfg->terminals);

    w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "resume: %s", err);
    if (!w) return;
    CHECK(zc_stats_writer_is_complete(w, 0) && zc_stats_writer_is_complete(w, 3) &&
          zc_stats_writer_is_complete(w, 5));
    CHECK(!zc_stats_writer_is_complete(w, 7) && !zc_stats_writer_is_complete(w, 12));
    CHECK(zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                     sizeof err) == 0);
    put_arch(w, 7, "resume");
    put_arch(w, 12, "resume");
    CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
    int sorted[] = {0, 3, 5, 7, 12};
    check_file_holds(path, sorted, 5, cfg->terminals);
    CHECK(group_exists(path, 7) == 1);
    float *noise = zc_stats_read_input(path, "noise", err, sizeof err);
    size_t bytes = sizeof(float) * (size_t)(cfg->batch * 3 * cfg->image_h * cfg->image_w);
    CHECK_MSG(noise && memcmp(noise, in->noise, bytes) == 0, "rewritten noise: %s", err);
    free(noise);
}

/* test_resume_after_crash: a writer process that dies without closing the
 * file; the next run resumes its complete archs. */
static void test_resume_after_crash(const char *path, const zc_stats_config *cfg,
                                    test_inputs *in) {
    char err[1024];
    remove_outputs(path);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
        if (!w) _exit(2);
        zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                   sizeof err);
        if (put_arch(w, 0, "crash") || put_arch(w, 3, "crash")) _exit(3);
        _exit(0); /* no close: as if killed */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "resume after crash: %s", err);
    if (!w) return;
    CHECK(zc_stats_writer_is_complete(w, 0) && zc_stats_writer_is_complete(w, 3));
    put_arch(w, 5, "crash");
    CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
    int sorted[] = {0, 3, 5};
    check_file_holds(path, sorted, 3, cfg->terminals);
}

/* test_second_writer_locked: while one process writes, a second writer of
 * the same output is refused with a message about the lock, whether HDF5
 * file locking is on or off (zcevo's own <path>.lock; the caller runs it
 * in both settings). */
static void test_second_writer_locked(const char *path, const zc_stats_config *cfg) {
    char err[1024];
    remove_outputs(path);
    int to_parent[2], to_child[2];
    if (pipe(to_parent) || pipe(to_child)) zc_die("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char c = 'x';
        zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
        c = w ? 'o' : 'f';
        if (write(to_parent[1], &c, 1) != 1) _exit(4);
        if (read(to_child[0], &c, 1) != 1) _exit(5);
        if (w) zc_stats_writer_abandon(w);
        _exit(0);
    }
    char c = 0;
    CHECK(read(to_parent[0], &c, 1) == 1 && c == 'o');
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK(w == NULL && strstr(err, "locked") && strstr(err, path));
    printf("second writer: %s\n", err);
    if (w) zc_stats_writer_abandon(w);
    CHECK(write(to_child[1], &c, 1) == 1);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "after the first writer left: %s", err);
    if (w) zc_stats_writer_abandon(w);
    for (int i = 0; i < 2; i++) {
        close(to_parent[i]);
        close(to_child[i]);
    }
}

/* test_deterministic: two fresh writes of the same records are the same
 * bytes (no timestamps in the file). */
static void test_deterministic(const char *path1, const char *path2, const zc_stats_config *cfg,
                               test_inputs *in) {
    char err[1024];
    const char *paths[2] = {path1, path2};
    for (int k = 0; k < 2; k++) {
        remove_outputs(paths[k]);
        zc_stats_writer *w = zc_stats_writer_open(paths[k], cfg, err, sizeof err);
        CHECK_MSG(w != NULL, "%s", err);
        if (!w) return;
        zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                   sizeof err);
        put_arch(w, 2, "deterministic");
        put_arch(w, 9, "deterministic");
        CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
        if (k == 0) sleep(1); /* a stored timestamp would now differ */
    }
    CHECK(file_hash(path1) == file_hash(path2) && file_hash(path1) != 0);
    remove_outputs(path1);
    remove_outputs(path2);
}

static void test_unwritable(const zc_stats_config *cfg) {
    char err[1024];
    const char *path = "/nonexistent-zcevo-folder/sub/out.h5";
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK(w == NULL && strstr(err, path) && strchr(err, '\n') == NULL);
    printf("unwritable: %s\n", err);
    /* The output names a folder: refused before any work. */
    w = zc_stats_writer_open(g_dir, cfg, err, sizeof err);
    CHECK(w == NULL && strstr(err, g_dir) && strstr(err, "not a regular file"));
    CHECK(!partial_exists(g_dir));
}

static void test_corrupt_output(const char *path, const zc_stats_config *cfg) {
    char err[1024];
    remove_outputs(path);
    write_random_file(path, 5000, 9);
    uint64_t before = file_hash(path);
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK(w == NULL && strstr(err, path));
    printf("corrupt output: %s\n", err);
    CHECK(file_hash(path) == before && !partial_exists(path));
    zc_stats_set set;
    CHECK(zc_stats_read(path, cfg->terminals, &set, err, sizeof err) == -1 && strstr(err, path));
    printf("corrupt read: %s\n", err);
    zc_stats_config back;
    CHECK(zc_stats_read_config(path, &back, err, sizeof err) == -1 && strstr(err, path));
    /* An HDF5 file that is not a stats file is refused the same way. */
    remove_outputs(path);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    before = file_hash(path);
    w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK(w == NULL && strstr(err, path) && strstr(err, "not a zcevo stats file"));
    printf("foreign hdf5: %s\n", err);
    CHECK(file_hash(path) == before && !partial_exists(path));
    remove_outputs(path);
}

static void test_corrupt_partial(const char *path, const zc_stats_config *cfg) {
    char err[1024], partial[1200];
    snprintf(partial, sizeof partial, "%s.partial", path);
    remove_outputs(path);
    write_random_file(partial, 3000, 10);
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "corrupt partial restarts: %s", err);
    if (!w) return;
    put_arch(w, 3, "corrupt partial");
    CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
    int one[] = {3};
    check_file_holds(path, one, 1, cfg->terminals);

    /* A corrupt .partial next to a complete <path>: restart from <path>. */
    write_random_file(partial, 3000, 11);
    w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "corrupt partial restarts from the output: %s", err);
    if (!w) return;
    CHECK(zc_stats_writer_is_complete(w, 3) && !zc_stats_writer_is_complete(w, 4));
    put_arch(w, 4, "corrupt partial");
    CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
    int two[] = {3, 4};
    check_file_holds(path, two, 2, cfg->terminals);

    /* A .partial cut short (HDF5 signature intact, the rest missing), as a
     * full disk leaves it: restart from <path> as well. */
    FILE *src = fopen(path, "rb"), *dst = fopen(partial, "wb");
    CHECK(src && dst);
    if (!src || !dst) return;
    char head[4096];
    size_t got = fread(head, 1, sizeof head, src);
    fwrite(head, 1, got, dst);
    fclose(src);
    fclose(dst);
    w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK_MSG(w != NULL, "truncated partial restarts from the output: %s", err);
    if (!w) return;
    CHECK(zc_stats_writer_is_complete(w, 3) && zc_stats_writer_is_complete(w, 4));
    zc_stats_writer_abandon(w);
}

static void test_missing_terminal_in_record(const char *path, const zc_stats_config *cfg) {
    char err[1024];
    remove_outputs(path);
    zc_stats_writer *w = zc_stats_writer_open(path, cfg, err, sizeof err);
    CHECK(w != NULL);
    if (!w) return;
    zc_arch_stats a = make_arch(4, 5, 2, 4, 8, 1);
    int id = zc_terminal_lookup("act_grad_noise");
    free(a.layers[2].t[id].data);
    a.layers[2].t[id].data = NULL;
    CHECK(zc_stats_writer_put_arch(w, &a, NULL, 0, err, sizeof err) == -1 &&
          strstr(err, "'act_grad_noise'"));
    printf("missing in record: %s\n", err);
    CHECK(!zc_stats_writer_is_complete(w, 4));
    zc_arch_stats_free(&a);
    zc_stats_writer_abandon(w);
    remove_outputs(path);
}

/* sets_equal: two read sets hold the same configuration and records,
 * tensors bit-identical. */
static int sets_equal(const zc_stats_set *a, const zc_stats_set *b) {
    if (zc_stats_config_diff(&a->cfg, &b->cfg) || a->n_archs != b->n_archs) return 0;
    for (int i = 0; i < a->n_archs; i++) {
        const zc_arch_stats *x = &a->archs[i], *y = &b->archs[i];
        if (x->arch_index != y->arch_index || strcmp(x->arch_str, y->arch_str) ||
            memcmp(&x->accuracy, &y->accuracy, sizeof x->accuracy) || x->n_acc != y->n_acc ||
            memcmp(x->acc, y->acc, sizeof x->acc) || memcmp(x->acc_name, y->acc_name,
                                                            sizeof x->acc_name) ||
            x->n_layers != y->n_layers)
            return 0;
        for (int l = 0; l < x->n_layers; l++) {
            const zc_layer_stats *p = &x->layers[l], *q = &y->layers[l];
            if (strcmp(p->name, q->name) || p->c_in != q->c_in || p->c_out != q->c_out ||
                p->kernel_h != q->kernel_h || p->kernel_w != q->kernel_w ||
                p->stride != q->stride || p->dilation != q->dilation || p->groups != q->groups ||
                p->stage != q->stage || p->cell != q->cell)
                return 0;
            for (int id = 0; id < ZC_NUM_TERMINALS; id++)
                if (!p->t[id].data != !q->t[id].data ||
                    (p->t[id].data && !tensors_equal(&p->t[id], &q->t[id])))
                    return 0;
        }
    }
    return 1;
}

static unsigned char *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) zc_die("cannot read '%s'", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = zc_malloc(*n);
    if (fread(b, 1, *n, f) != *n) zc_die("short read of '%s'", path);
    fclose(f);
    return b;
}

static void write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) zc_die("cannot write '%s'", path);
}

/* test_flipped_bytes: a small file (2 archs of 2 layers, inputs, every
 * stored terminal) with one byte flipped at a time: the reader either
 * refuses with one line naming the file, or returns exactly the records of
 * the intact file (the byte was unused); never a silent change. Every 5th
 * byte is flipped whole (xor 0xff) and every 5th (other phase) by its
 * lowest bit, so that both kinds of damage sweep the whole file (a full
 * sweep of every byte, run once: 0 silent changes in 42236 flips). */
static void test_flipped_bytes(const char *path, const char *bad, const zc_stats_config *cfg,
                               test_inputs *in) {
    char err[1024];
    remove_outputs(path);
    zc_stats_config c = *cfg;
    c.store_params = 0;
    zc_stats_writer *w = zc_stats_writer_open(path, &c, err, sizeof err);
    CHECK_MSG(w != NULL, "%s", err);
    if (!w) return;
    CHECK(zc_stats_writer_put_inputs(w, in->data, in->noise, in->perturb, in->labels, err,
                                     sizeof err) == 0);
    for (int k = 0; k < 2; k++) {
        zc_arch_stats a = make_arch(20 + k, 2, 2, 2, 2, 1);
        CHECK(zc_stats_writer_put_arch(w, &a, NULL, 0, err, sizeof err) == 0);
        zc_arch_stats_free(&a);
    }
    CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
    zc_stats_set good, got;
    CHECK(zc_stats_read(path, c.terminals, &good, err, sizeof err) == 0 && good.n_archs == 2);
    size_t n;
    unsigned char *bytes = read_bytes(path, &n);
    int refused = 0, same = 0, silent = 0, one_line = 1;
    const unsigned char flips[2] = {0xff, 0x01};
    for (int f = 0; f < 2; f++)
        for (size_t i = (size_t)(2 * f); i < n; i += 5) {
            bytes[i] ^= flips[f];
            write_bytes(bad, bytes, n);
            bytes[i] ^= flips[f];
            if (zc_stats_read(bad, c.terminals, &got, err, sizeof err) != 0) {
                refused++;
                one_line &= strstr(err, bad) != NULL && strchr(err, '\n') == NULL;
                continue;
            }
            if (sets_equal(&good, &got)) same++;
            else if (silent++ < 5) printf("flip 0x%02x at byte %zu changed the values read\n",
                                          flips[f], i);
            zc_stats_set_free(&got);
        }
    printf("flipped bytes: %d refused, %d unused, %d silent changes (file %zu bytes)\n", refused,
           same, silent, n);
    CHECK(silent == 0 && refused > (int)n / 5 && one_line);
    zc_stats_set_free(&good);
    free(bytes);
    remove_outputs(path);
    unlink(bad);
}

/* ---- format 1 (zcevo before checksums) ---------------------------------------- */

/* legacy_str: a variable-length UTF-8 string attribute, as format 1 wrote. */
static void legacy_str(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a >= 0 && H5Awrite(a, t, &value) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void legacy_num(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a >= 0 && H5Awrite(a, mtype, v) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
}

static void legacy_int(hid_t obj, const char *name, int v) {
    legacy_num(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

/* legacy_tensor: a contiguous float32 dataset (format 1). */
static void legacy_tensor(hid_t loc, const char *name, const zc_tensor *t) {
    hsize_t dims[4];
    for (int i = 0; i < t->ndim; i++) dims[i] = (hsize_t)t->shape[i];
    hid_t sp = H5Screate_simple(t->ndim, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data) >= 0);
    H5Dclose(d);
    H5Sclose(sp);
}

/* legacy_arch: /archs/NNNNNN of format 1 (make_arch's record). */
static void legacy_arch(hid_t archs, const zc_stats_config *c, int index) {
    zc_arch_stats a = make_arch(index, 4 + index % 3, 2, 4, 8, 1);
    char name[32];
    snprintf(name, sizeof name, "%06d", index);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED);
    hid_t g = H5Gcreate2(archs, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    legacy_int(g, "arch_index", index);
    legacy_str(g, "arch_str", a.arch_str);
    legacy_num(g, "accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &a.accuracy);
    for (int i = 0; i < a.n_acc; i++) {
        snprintf(name, sizeof name, "acc_%s", a.acc_name[i]);
        legacy_num(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &a.acc[i]);
    }
    legacy_int(g, "n_layers", a.n_layers);
    hid_t layers = H5Gcreate2(g, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int l = 0; l < a.n_layers; l++) {
        const zc_layer_stats *ls = &a.layers[l];
        snprintf(name, sizeof name, "%03d", l);
        hid_t lg = H5Gcreate2(layers, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        legacy_str(lg, "name", ls->name);
        const int meta[9] = {ls->c_in, ls->c_out, ls->kernel_h, ls->kernel_w, ls->stride,
                             ls->dilation, ls->groups, ls->stage, ls->cell};
        const char *keys[9] = {"c_in", "c_out", "kernel_h", "kernel_w", "stride", "dilation",
                               "groups", "stage", "cell"};
        for (int k = 0; k < 9; k++) legacy_int(lg, keys[k], meta[k]);
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if (c->terminals & (1u << id)) legacy_tensor(lg, zc_terminal_name(id), &ls->t[id]);
        H5Gclose(lg);
    }
    H5Gclose(layers);
    legacy_int(g, "complete", 1);
    H5Gclose(g);
    H5Pclose(gcpl);
    zc_arch_stats_free(&a);
}

/* write_legacy_file: a format 1 statistics file as zcevo wrote it before
 * checksums (1.8 object format, variable-length strings, contiguous data). */
static void write_legacy_file(const char *path, const zc_stats_config *c, test_inputs *in,
                              const int *indices, int n) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    CHECK(f >= 0);
    char terminals[512];
    zc_stats_terminal_list(c->terminals, terminals, sizeof terminals);
    legacy_str(f, "format", "zcevo-stats");
    legacy_int(f, "format_version", 1);
    legacy_str(f, "zcevo_version", "0.1.0");
    legacy_str(f, "space", c->space);
    legacy_str(f, "dataset", c->dataset);
    legacy_int(f, "batch", c->batch);
    legacy_num(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &c->seed);
    legacy_str(f, "terminals", terminals);
    legacy_int(f, "store_params", 0);
    legacy_int(f, "num_classes", c->num_classes);
    legacy_int(f, "image_h", c->image_h);
    legacy_int(f, "image_w", c->image_w);
    legacy_str(f, "accuracy_column", c->accuracy_column);
    legacy_str(f, "image_source", c->image_source);
    hid_t g = H5Gcreate2(f, "inputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    zc_tensor x = {4, {c->batch, 3, c->image_h, c->image_w}, in->data};
    legacy_tensor(g, "data", &x);
    H5Gclose(g);
    hid_t archs = H5Gcreate2(f, "archs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int i = 0; i < n; i++) legacy_arch(archs, c, indices[i]);
    H5Gclose(archs);
    CHECK(H5Fclose(f) >= 0);
    H5Pclose(fapl);
}

/* damage_heap: set the size of the first object of the first global heap
 * collection of path to 1 MiB (its collection is 4 KiB): the damage that
 * made libhdf5 1.10.8 read out of bounds. Returns the collection offset. */
static long damage_heap(const char *path) {
    size_t n;
    unsigned char *b = read_bytes(path, &n);
    long at = -1;
    for (size_t i = 0; i + 48 < n && at < 0; i++)
        if (memcmp(b + i, "GCOL", 4) == 0 && b[i + 4] == 1) at = (long)i;
    if (at >= 0) {
        unsigned char *size = b + at + 16 + 8; /* first object's size field */
        memset(size, 0, 8);
        size[2] = 0x10; /* 1 MiB, little-endian */
        write_bytes(path, b, n);
    }
    free(b);
    return at;
}

/* test_legacy: a format 1 file is read with the same values; a writer
 * refuses to extend it (file untouched); a damaged string heap is refused
 * with one line before libhdf5 reads it. */
static void test_legacy(const char *path, const zc_stats_config *cfg, test_inputs *in) {
    char err[1024];
    zc_stats_config c = *cfg;
    c.store_params = 0;
    remove_outputs(path);
    const int indices[3] = {2, 9, 4}, sorted[3] = {2, 4, 9};
    write_legacy_file(path, &c, in, indices, 3);
    check_file_holds(path, sorted, 3, c.terminals);
    check_file_holds(path, sorted, 3, mask_of("wt,inpact_data"));
    zc_stats_config back;
    CHECK(zc_stats_read_config(path, &back, err, sizeof err) == 0 &&
          zc_stats_config_diff(&back, &c) == NULL);
    uint64_t before = file_hash(path);
    zc_stats_writer *w = zc_stats_writer_open(path, &c, err, sizeof err);
    CHECK_MSG(w == NULL && strstr(err, "format 1") && strstr(err, path), "%s", err);
    printf("extend format 1: %s\n", err);
    if (w) zc_stats_writer_abandon(w);
    CHECK(file_hash(path) == before && !partial_exists(path));
    long at = damage_heap(path);
    CHECK(at > 0);
    zc_stats_set set;
    CHECK(zc_stats_read(path, c.terminals, &set, err, sizeof err) == -1 && strstr(err, path) &&
          strstr(err, "string heap") && strchr(err, '\n') == NULL);
    printf("damaged format 1 heap: %s\n", err);
    remove_outputs(path);
}

/* test_speed: NB201-like records (90 blocks over 3 stages, 4 terminals,
 * batch 1, channels 4/8/16 at 8x9/4x5/2x3: the small-dataset regime where
 * HDF5 metadata, not bandwidth, sets the speed). */
static void test_speed(const char *path) {
    char err[1024];
    zc_stats_config cfg = test_config();
    cfg.batch = 1;
    cfg.store_params = 0;
    cfg.terminals = mask_of("act_data,inpact_grad_data,wt_grad_noise,wt");
    remove_outputs(path);
    const int n_archs = 100;
    zc_arch_stats a = make_arch(0, 90, 1, 4, 8, 0);
    zc_stats_writer *w = zc_stats_writer_open(path, &cfg, err, sizeof err);
    CHECK(w != NULL);
    if (!w) return;
    double t0 = zc_now();
    int ok = 1;
    for (int i = 0; i < n_archs && ok; i++) {
        a.arch_index = i;
        ok = zc_stats_writer_put_arch(w, &a, NULL, 0, err, sizeof err) == 0;
    }
    CHECK_MSG(ok, "%s", err);
    CHECK(zc_stats_writer_finish(w, err, sizeof err) == 0);
    double t_write = zc_now() - t0;
    double bytes = 0;
    for (int l = 0; l < a.n_layers; l++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if (cfg.terminals & (1u << id))
                bytes += sizeof(float) * (double)zc_tensor_numel(&a.layers[l].t[id]);
    zc_arch_stats_free(&a);

    zc_stats_set set;
    t0 = zc_now();
    int r = zc_stats_read(path, mask_of("act_data,wt"), &set, err, sizeof err);
    double t_read = zc_now() - t0;
    CHECK_MSG(r == 0 && set.n_archs == n_archs, "%s", err);
    struct stat st;
    stat(path, &st);
    char size_text[32];
    printf("speed: write %.1f archs/s (90 layers x 4 terminals, %.0f KiB/arch), read 2 "
           "terminals %.1f archs/s, file %s\n",
           n_archs / t_write, bytes / 1024, n_archs / t_read,
           zc_format_bytes((double)st.st_size, size_text));
    if (r == 0) zc_stats_set_free(&set);
    remove_outputs(path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <scratch folder>\n", argv[0]);
        return 2;
    }
    snprintf(g_dir, sizeof g_dir, "%s", argv[1]);
    mkdir(g_dir, 0755);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    zc_stats_config cfg = test_config();
    test_inputs in = make_inputs(&cfg, 3);

    char *roundtrip = scratch("roundtrip.h5");
    char *resume = scratch("resume.h5"), *crash = scratch("crash.h5");
    char *locked = scratch("locked.h5"), *corrupt = scratch("corrupt.h5");
    char *corrupt_partial = scratch("corrupt_partial.h5"), *speed = scratch("speed.h5");
    test_roundtrip(roundtrip, &cfg, &in);
    test_config_mismatch(roundtrip, &cfg);
    test_extend(roundtrip, &cfg, &in);
    test_resume_incomplete(resume, &cfg, &in);
    test_resume_after_crash(crash, &cfg, &in);
    const char *hdf5_locking = getenv("HDF5_USE_FILE_LOCKING");
    char *saved = hdf5_locking ? zc_strdup(hdf5_locking) : NULL;
    test_second_writer_locked(locked, &cfg);
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1); /* zcevo's lock alone */
    test_second_writer_locked(locked, &cfg);
    if (saved) setenv("HDF5_USE_FILE_LOCKING", saved, 1);
    else unsetenv("HDF5_USE_FILE_LOCKING");
    free(saved);
    char *det1 = scratch("det1.h5"), *det2 = scratch("det2.h5");
    test_deterministic(det1, det2, &cfg, &in);
    free(det1);
    free(det2);
    test_unwritable(&cfg);
    test_corrupt_output(corrupt, &cfg);
    test_corrupt_partial(corrupt_partial, &cfg);
    test_missing_terminal_in_record(corrupt, &cfg);
    char *flip = scratch("flip.h5"), *flipped = scratch("flipped.h5");
    test_flipped_bytes(flip, flipped, &cfg, &in);
    test_legacy(flip, &cfg, &in);
    free(flip);
    free(flipped);
    test_speed(speed);

    remove_outputs(resume);
    remove_outputs(crash);
    remove_outputs(locked);
    remove_outputs(corrupt_partial);
    free(roundtrip);
    free(resume);
    free(crash);
    free(locked);
    free(corrupt);
    free(corrupt_partial);
    free(speed);
    free_inputs(&in);
    TEST_EXIT();
}

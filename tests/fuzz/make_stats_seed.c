/* make_stats_seed.c: writes the small statistics files that seed the
 * fuzz_stats_h5 harness: with the real writer (zc_stats_writer), two
 * architectures of two and three 1x2x2x2 layers, inputs of batch 1 at 2x2,
 * the terminals inpact_data, act_grad_noise and wt, once with stored
 * parameters and once without.
 *
 * Usage: make_stats_seed OUT_DIR  (writes OUT_DIR/seed_params.h5 and
 * OUT_DIR/seed_plain.h5; exit 1 with one line on failure). The committed
 * copies in tests/fuzz/stats_h5/corpus come from this program; the fuzz
 * tests also write fresh ones at test time, so that the seeds always match
 * the writer of the build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats/stats_h5.h"
#include "common/util/util.h"

/* tensor: a malloc'd tensor of the given shape filled with i * step. */
static zc_tensor tensor(int ndim, const int64_t *shape, float step) {
    zc_tensor t;
    memset(&t, 0, sizeof t);
    t.ndim = ndim;
    for (int i = 0; i < ndim; i++) t.shape[i] = shape[i];
    int64_t n = zc_tensor_numel(&t);
    t.data = zc_malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) t.data[i] = (float)i * step - 0.5f;
    return t;
}

/* record: architecture index with n_layers tiny layers holding `kept`. */
static zc_arch_stats record(int index, int n_layers, zc_terminal_mask kept) {
    zc_arch_stats a;
    memset(&a, 0, sizeof a);
    a.arch_index = index;
    a.arch_str = zc_strdup(index ? "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|"
                                 : "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|none~2|");
    a.n_acc = 1;
    snprintf(a.acc_name[0], sizeof a.acc_name[0], "cifar10valid_valid");
    a.acc[0] = a.accuracy = 80.0 + index;
    a.n_layers = n_layers;
    a.layers = zc_calloc((size_t)n_layers, sizeof *a.layers);
    const int64_t act[4] = {1, 2, 2, 2}, wt[4] = {2, 2, 1, 1};
    for (int l = 0; l < n_layers; l++) {
        zc_layer_stats *ls = &a.layers[l];
        snprintf(ls->name, sizeof ls->name, "cells.%d.layers.0", l);
        ls->c_in = ls->c_out = 2;
        ls->kernel_h = ls->kernel_w = ls->stride = ls->dilation = ls->groups = 1;
        ls->cell = l;
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if (kept & (1u << id))
                ls->t[id] = id == ZC_TERMINAL_WT || id >= ZC_TERMINAL_ID(ZC_T_WT_GRAD, 0)
                                ? tensor(4, wt, 0.25f)
                                : tensor(4, act, 0.125f * (float)(l + 1));
    }
    return a;
}

/* write_seed: one seed file; exits with a message on failure. */
static void write_seed(const char *path, int with_params) {
    zc_stats_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.space, sizeof cfg.space, "nb201");
    snprintf(cfg.dataset, sizeof cfg.dataset, "cifar10");
    cfg.batch = 1;
    cfg.seed = 1;
    char bad[64];
    if (zc_terminal_parse_list("inpact_data,act_grad_noise,wt", &cfg.terminals, bad) != 0)
        zc_die("unknown terminal '%s'", bad);
    cfg.store_params = with_params;
    cfg.num_classes = 10;
    cfg.image_h = cfg.image_w = 2;
    snprintf(cfg.accuracy_column, sizeof cfg.accuracy_column, "cifar10valid_valid");
    snprintf(cfg.image_source, sizeof cfg.image_source, "fuzz seed");
    char err[1024];
    remove(path);
    zc_stats_writer *w = zc_stats_writer_open(path, &cfg, err, sizeof err);
    if (!w) zc_die("%s", err);
    const int64_t in_shape[4] = {1, 3, 2, 2}, p_shape[1] = {2};
    zc_tensor data = tensor(4, in_shape, 0.1f), noise = tensor(4, in_shape, 0.2f),
              perturb = tensor(4, in_shape, 0.3f);
    int labels[1] = {3};
    if (zc_stats_writer_put_inputs(w, data.data, noise.data, perturb.data, labels, err,
                                   sizeof err) != 0)
        zc_die("%s", err);
    for (int i = 0; i < 2; i++) {
        zc_arch_stats a = record(i * 7, 2 + i, cfg.terminals);
        zc_named_tensor p = {"cells.0.layers.0.op.1.weight", tensor(1, p_shape, 1.0f)};
        if (zc_stats_writer_put_arch(w, &a, with_params ? &p : NULL, with_params, err,
                                     sizeof err) != 0)
            zc_die("%s", err);
        zc_arch_stats_free(&a);
        free(p.tensor.data);
    }
    if (zc_stats_writer_finish(w, err, sizeof err) != 0) zc_die("%s", err);
    free(data.data), free(noise.data), free(perturb.data);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_stats_seed OUT_DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/seed_params.h5", argv[1]);
    write_seed(path, 1);
    snprintf(path, sizeof path, "%s/seed_plain.h5", argv[1]);
    write_seed(path, 0);
    printf("wrote %s/seed_params.h5 and %s/seed_plain.h5\n", argv[1], argv[1]);
    return 0;
}

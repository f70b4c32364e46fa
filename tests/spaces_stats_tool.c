/* spaces_stats_tool.c: write a `zcevo stats --store-params` file for chosen
 * architectures of a space at a chosen image size, with Gaussian inputs
 * (data ~ N(0,1), noise ~ N(0,1), perturb = data + 0.1 N(0,1)). For the
 * PyTorch check of the NDS ImageNet cell spaces: at 32x32 (the CIFAR size
 * `zcevo stats` uses) their last cells are 1x1, where the gradient of the
 * sum of logits reaching every BN output is constant per channel, so every
 * gradient terminal is exactly zero in exact arithmetic (rounding noise in
 * float32) and cannot be compared; at 64x64 it is not.
 *
 * Usage: spaces_stats_tool DATA_DIR SPACE IMAGE_HW BATCH OUT.h5 ROW... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/data/bench_table.h"
#include "common/util/rng.h"
#include "common/nets/space.h"
#include "common/stats/stats.h"
#include "common/stats/stats_compute.h"
#include "common/stats/stats_h5.h"
#include "common/util/util.h"

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: spaces_stats_tool DATA_DIR SPACE IMAGE_HW BATCH OUT.h5 ROW...\n");
        return 2;
    }
    const char *space = argv[2], *out = argv[5];
    int hw = atoi(argv[3]), batch = atoi(argv[4]);
    const uint64_t seed = 7;
    char err[1024];
    zc_bench_table table;
    if (zc_bench_table_load(argv[1], space, &table, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    zc_stats_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.space, sizeof cfg.space, "%s", space);
    snprintf(cfg.dataset, sizeof cfg.dataset, "cifar10");
    cfg.batch = batch;
    cfg.seed = seed;
    cfg.terminals = ZC_ALL_TERMINALS;
    cfg.store_params = 1;
    cfg.num_classes = 10;
    cfg.image_h = cfg.image_w = hw;
    snprintf(cfg.accuracy_column, sizeof cfg.accuracy_column, "%s", table.col_name[0]);
    snprintf(cfg.image_source, sizeof cfg.image_source, "Gaussian noise %dx%d (test)", hw, hw);
    size_t n = (size_t)batch * 3 * hw * hw;
    float *inputs[3];
    for (int i = 0; i < 3; i++) inputs[i] = zc_malloc(sizeof(float) * n);
    zc_rng rng = zc_rng_stream(seed, ZC_STREAM_NOISE, 10);
    zc_rng_fill_normal(&rng, inputs[0], (long)n, 0.0, 1.0);
    zc_rng_fill_normal(&rng, inputs[1], (long)n, 0.0, 1.0);
    for (size_t i = 0; i < n; i++) inputs[2][i] = inputs[0][i] + (float)(0.1 * zc_rng_normal(&rng));
    int *labels = zc_calloc((size_t)batch, sizeof(int));
    zc_stats_writer *w = zc_stats_writer_open(out, &cfg, err, sizeof err);
    int rc = w ? zc_stats_writer_put_inputs(w, inputs[0], inputs[1], inputs[2], labels, err,
                                            sizeof err)
               : -1;
    for (int a = 6; a < argc && rc == 0; a++) {
        int row = atoi(argv[a]);
        if (row < 0 || row >= table.n_rows) {
            snprintf(err, sizeof err, "row %d out of range", row);
            rc = -1;
            break;
        }
        zc_net *net = zc_space_build(space, table.arch_str[row], batch, 10, hw, err, sizeof err);
        if (!net) {
            rc = -1;
            break;
        }
        zc_rng init = zc_rng_stream(seed, ZC_STREAM_PARAM_INIT, (uint64_t)row);
        zc_net_init_params(net, &init);
        zc_arch_stats st;
        memset(&st, 0, sizeof st);
        const float *const in[3] = {inputs[0], inputs[1], inputs[2]};
        zc_compute_stats(net, in, ZC_ALL_TERMINALS, &st);
        st.arch_index = table.arch_index[row];
        st.arch_str = zc_strdup(table.arch_str[row]);
        st.accuracy = zc_bench_table_value(&table, row, 0);
        zc_named_tensor *params = zc_calloc((size_t)net->n_params, sizeof *params);
        for (int p = 0; p < net->n_params; p++) {
            params[p].name = net->params[p].name;
            params[p].tensor.ndim = net->params[p].ndim;
            for (int d = 0; d < net->params[p].ndim; d++)
                params[p].tensor.shape[d] = net->params[p].shape[d];
            params[p].tensor.data = net->params[p].data;
        }
        rc = zc_stats_writer_put_arch(w, &st, params, net->n_params, err, sizeof err);
        free(params);
        zc_arch_stats_free(&st);
        zc_net_free(net);
    }
    if (w && rc == 0) rc = zc_stats_writer_finish(w, err, sizeof err);
    else if (w) zc_stats_writer_abandon(w);
    if (rc != 0) fprintf(stderr, "error: %s\n", err);
    for (int i = 0; i < 3; i++) free(inputs[i]);
    free(labels);
    zc_bench_table_free(&table);
    return rc == 0 ? 0 : 1;
}

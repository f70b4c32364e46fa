/* test_spaces.c: the JSON-backed design spaces (NAS-Bench-Macro,
 * Channel-Bench-Macro, NDS): tables load with the documented columns, and
 * every network built from a table row has exactly the parameter count the
 * benchmark records (macro: CIFAR-10 head at 32x32; NDS: 1000-class head
 * at the record's native 224x224), and bad architecture strings are
 * rejected with a one-line error naming them.
 *
 * Usage: test_spaces DATA_DIR [SPACE...]   (default: every JSON space) */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/data/bench_json.h"
#include "common/data/bench_table.h"
#include "common/nets/space.h"
#include "tests/test_util.h"

typedef struct {
    const char *space;
    int n_rows;
    int num_classes, image_hw;
} space_case;

static const space_case k_cases[] = {
    {"nasbench_macro", 6561, 10, 32},
    {"channel_resnet", 16384, 10, 32},
    {"channel_mobilenet", 16384, 10, 32},
    {"nds_resnet_lr-wd_in", 494, 1000, 224},
    {"nds_vanilla_lr-wd_in", 500, 1000, 224},
    {"nds_resnext-a_in", 130, 1000, 224},
    {"nds_resnext-b_in", 164, 1000, 224},
    {"nds_amoeba_in", 124, 1000, 224},
    {"nds_darts_in", 121, 1000, 224},
    {"nds_darts_fix-w-d_in", 499, 1000, 224},
    {"nds_darts_lr-wd_in", 515, 1000, 224},
    {"nds_enas_in", 117, 1000, 224},
    {"nds_nasnet_in", 122, 1000, 224},
    {"nds_pnas_in", 119, 1000, 224},
};

/* check_all_params: every row's network has the table's parameter count. */
static void check_all_params(const char *data_dir, const space_case *c) {
    zc_bench_table t;
    char err[512];
    int rc = zc_bench_table_load(data_dir, c->space, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc != 0) return;
    CHECK(t.n_rows == c->n_rows);
    int params_col = zc_bench_table_column(&t, "params");
    const char *acc = zc_bench_default_accuracy_column(c->space, "cifar10");
    CHECK(params_col >= 0 && acc && zc_bench_table_column(&t, acc) == 0);
    int mismatches = 0, failures = 0;
    for (int r = 0; r < t.n_rows; r++) {
        CHECK(t.arch_index[r] == r);
        zc_net *net = zc_space_build(c->space, t.arch_str[r], 1, c->num_classes, c->image_hw,
                                     err, sizeof err);
        if (!net) {
            if (failures++ < 3) fprintf(stderr, "FAIL %s row %d: %s\n", c->space, r, err);
            continue;
        }
        double want = zc_bench_table_value(&t, r, params_col);
        if ((double)zc_net_param_count(net) != want && mismatches++ < 3)
            fprintf(stderr, "FAIL %s '%s': %lld params, table %.0f\n", c->space, t.arch_str[r],
                    (long long)zc_net_param_count(net), want);
        if (r == 0) CHECK(net->n_rcb > 0);
        zc_net_free(net);
    }
    CHECK_MSG(failures == 0 && mismatches == 0, "%s: %d build failures, %d param mismatches",
              c->space, failures, mismatches);
    printf("%s: %d architectures, parameter counts all equal to the table: %s\n", c->space,
           t.n_rows, failures == 0 && mismatches == 0 ? "yes" : "NO");
    /* The lookup finds every row by its string. */
    CHECK(zc_bench_table_find(&t, t.arch_str[t.n_rows - 1]) == t.n_rows - 1);
    zc_bench_table_free(&t);
}

static void check_bad_strings(void) {
    static const char *const bad[][2] = {
        {"nasbench_macro", "0201210"},   {"nasbench_macro", "02012103"},
        {"nasbench_macro", "0201210x1"}, {"channel_resnet", "4432215"},
        {"channel_resnet", "04322141"},  {"channel_mobilenet", "443221"},
        {"nds_darts_in", "{\"genotype\":{\"normal\":[[\"sep_conv_9x9\",0],[\"none\",1]],"
                         "\"normal_concat\":[2],\"reduce\":[[\"none\",0],[\"none\",1]],"
                         "\"reduce_concat\":[2]},\"width\":16,\"depth\":3}"},
        {"nds_darts_in", "{\"genotype\":{\"normal\":[[\"none\",0],[\"none\",5]],"
                         "\"normal_concat\":[2],\"reduce\":[[\"none\",0],[\"none\",1]],"
                         "\"reduce_concat\":[2]},\"width\":16,\"depth\":3}"},
        {"nds_darts_in", "{\"genotype\":{\"normal\":[[\"none\",0],[\"none\",1]],"
                         "\"normal_concat\":[7],\"reduce\":[[\"none\",0],[\"none\",1]],"
                         "\"reduce_concat\":[2]},\"width\":16,\"depth\":3}"},
        {"nds_darts_in", "[1,2]"},
        {"nds_resnext-a_in", "{\"block_type\":\"res_bottleneck_block\",\"bot_muls\":[1,0.3],"
                             "\"ds\":[1,2],\"num_gs\":[1,4],\"ss\":[8,1],\"ws\":[64,30]}"},
        {"nds_resnet_lr-wd_in", "{\"block_type\":\"fancy_block\",\"ds\":[1,2],"
                                "\"ss\":[4,1],\"ws\":[16,16]}"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        zc_net *net = zc_space_build(bad[i][0], bad[i][1], 1, 10, 32, err, sizeof err);
        CHECK_MSG(net == NULL && strstr(err, bad[i][1]) && !strchr(err, '\n'),
                  "%s '%s' -> '%s'", bad[i][0], bad[i][1], err);
        printf("bad input: %s\n", err);
        if (net) zc_net_free(net);
    }
}

/* check_blocks: RCB names and counts of known macro architectures. */
static void check_blocks(void) {
    char err[512];
    /* 8 identity layers: only the stem ReLU -> features.0 downsample. */
    zc_net *net = zc_space_build("nasbench_macro", "00000000", 2, 10, 32, err, sizeof err);
    CHECK(net && net->n_rcb == 1 && strcmp(net->rcb[0].name, "features.0.downsample.0") == 0);
    zc_net_free(net);
    /* 8 MB blocks: stem->features.0.conv.0, then dw and pw-linear of each. */
    net = zc_space_build("nasbench_macro", "12121212", 2, 10, 32, err, sizeof err);
    CHECK(net && net->n_rcb == 1 + 2 * 8 && strcmp(net->rcb[1].name, "features.0.conv.3") == 0);
    zc_net_free(net);
    net = zc_space_build("channel_resnet", "1111111", 2, 10, 32, err, sizeof err);
    CHECK(net && net->n_rcb == 10 && strcmp(net->rcb[9].name, "block5.3") == 0);
    zc_net_free(net);
    net = zc_space_build("channel_mobilenet", "1111111", 2, 10, 32, err, sizeof err);
    CHECK(net && net->n_rcb == 9 && strcmp(net->rcb[0].name, "features.0.conv.0") == 0);
    zc_net_free(net);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_spaces DATA_DIR [SPACE...]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        int wanted = argc == 2;
        for (int a = 2; a < argc; a++) wanted |= strcmp(argv[a], k_cases[i].space) == 0;
        if (wanted) check_all_params(argv[1], &k_cases[i]);
    }
    check_bad_strings();
    check_blocks();
    TEST_EXIT();
}

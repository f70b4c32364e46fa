/* space.c: the registry of design spaces (see space.h). Each entry names
 * its benchmark table (bench_table.h; JSON-backed ones in bench_json.h) and
 * its builder. Builders: space_nb201.c (nb201, nats_sss), space_macro.c
 * (nasbench_macro, channel_resnet, channel_mobilenet), space_nds.c (NDS
 * AnyNet and cell spaces). */
#include "common/nets/space.h"

#include <stdio.h>
#include <string.h>

#include "common/util/util.h"

/* Builders of space_macro.c and space_nds.c; same contract as
 * zc_space_build (NULL + one-line err quoting arch_str on bad input). */
zc_net *zc_nb_macro_build(const char *arch_str, int batch, int num_classes, int image_hw,
                          char *err, size_t errlen);
zc_net *zc_channel_resnet_build(const char *arch_str, int batch, int num_classes,
                                int image_hw, char *err, size_t errlen);
zc_net *zc_channel_mobilenet_build(const char *arch_str, int batch, int num_classes,
                                   int image_hw, char *err, size_t errlen);

zc_net *zc_nds_anynet_build(const char *arch_str, int batch, int num_classes, int image_hw,
                            char *err, size_t errlen);
zc_net *zc_nds_cell_build(const char *arch_str, int batch, int num_classes, int image_hw,
                          char *err, size_t errlen);

typedef zc_net *(*space_builder)(const char *arch_str, int batch, int num_classes,
                                 int image_hw, char *err, size_t errlen);

static const zc_space_info k_spaces[] = {
    {"nb201", "nb201",
     "NAS-Bench-201 cells (15,625), TinyNetwork C=16 N=5; data/nb201/nb201.csv", 0, 0},
    {"nats_sss", "nats_sss",
     "NATS-Bench size space (32,768 channel configs c1:c2:c3:c4:c5); "
     "data/nats_sss/nats_sss.csv", 0, 0},
    {"nasbench_macro", "nasbench_macro",
     "NAS-Bench-Macro (6,561 MobileNet-like nets, 8 layers x {id, MB k3 t3, MB k5 t6}, "
     "CIFAR-10); data/nasbench_macro/nas-bench-macro_cifar10.json", 0, 0},
    {"channel_resnet", "channel_resnet",
     "Channel-Bench-Macro ResNet (16,384 width configs, 7 digits 1-4, CIFAR-10); "
     "data/channel_bench_macro/Results_ResNet.json", 0, 0},
    {"channel_mobilenet", "channel_mobilenet",
     "Channel-Bench-Macro MobileNet (16,384 width configs, 7 digits 1-4, CIFAR-10); "
     "data/channel_bench_macro/Results_MobileNet.json", 0, 0},
    {"nds_resnet_lr-wd_in", "nds_resnet_lr-wd_in",
     "NDS AnyNet ResNet, ImageNet, random lr/wd (arch = the record's net as JSON); "
     "data/nds/ResNet_lr-wd_in.json", 224, 1000},
    {"nds_vanilla_lr-wd_in", "nds_vanilla_lr-wd_in",
     "NDS AnyNet Vanilla (plain blocks), ImageNet, random lr/wd; "
     "data/nds/Vanilla_lr-wd_in.json", 224, 1000},
    {"nds_resnext-a_in", "nds_resnext-a_in",
     "NDS AnyNet ResNeXt-A, ImageNet, 50 epochs; data/nds/ResNeXt-A_in.json", 224, 1000},
    {"nds_resnext-b_in", "nds_resnext-b_in",
     "NDS AnyNet ResNeXt-B, ImageNet, 50 epochs; data/nds/ResNeXt-B_in.json", 224, 1000},
    {"nds_amoeba_in", "nds_amoeba_in",
     "NDS Amoeba cells, ImageNet, 50 epochs; data/nds/Amoeba_in.json", 224, 1000},
    {"nds_darts_in", "nds_darts_in",
     "NDS DARTS cells, ImageNet, 50 epochs; data/nds/DARTS_in.json", 224, 1000},
    {"nds_darts_fix-w-d_in", "nds_darts_fix-w-d_in",
     "NDS DARTS cells, fixed width 32 / depth 22, ImageNet, 5 epochs only; "
     "data/nds/DARTS_fix-w-d_in.json", 224, 1000},
    {"nds_darts_lr-wd_in", "nds_darts_lr-wd_in",
     "NDS DARTS cells, ImageNet, random lr/wd; data/nds/DARTS_lr-wd_in.json", 224, 1000},
    {"nds_enas_in", "nds_enas_in", "NDS ENAS cells, ImageNet, 50 epochs; data/nds/ENAS_in.json", 224, 1000},
    {"nds_nasnet_in", "nds_nasnet_in",
     "NDS NASNet cells, ImageNet, 50 epochs; data/nds/NASNet_in.json", 224, 1000},
    {"nds_pnas_in", "nds_pnas_in", "NDS PNAS cells, ImageNet, 50 epochs; data/nds/PNAS_in.json", 224, 1000},
};

static const space_builder k_builders[] = {
    zc_nb201_build,          zc_nats_sss_build,         zc_nb_macro_build,
    zc_channel_resnet_build, zc_channel_mobilenet_build, zc_nds_anynet_build,
    zc_nds_anynet_build,     zc_nds_anynet_build,       zc_nds_anynet_build,
    zc_nds_cell_build,       zc_nds_cell_build,         zc_nds_cell_build,
    zc_nds_cell_build,       zc_nds_cell_build,         zc_nds_cell_build,
    zc_nds_cell_build,
};

_Static_assert(sizeof k_spaces / sizeof k_spaces[0] == sizeof k_builders / sizeof k_builders[0],
               "one builder per space");

const zc_space_info *zc_space_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_spaces); i++)
        if (strcmp(k_spaces[i].name, name) == 0) return &k_spaces[i];
    return NULL;
}

const zc_space_info *zc_space_list(int *count) {
    *count = (int)ZC_ARRAY_LEN(k_spaces);
    return k_spaces;
}

zc_net *zc_space_build(const char *space, const char *arch_str, int batch,
                       int num_classes, int image_hw, char *err, size_t errlen) {
    const zc_space_info *info = zc_space_find(space);
    if (!info) {
        snprintf(err, errlen, "unknown space '%s' (see `zcevo spaces`)", space ? space : "");
        return NULL;
    }
    return k_builders[info - k_spaces](arch_str, batch, num_classes, image_hw, err, errlen);
}

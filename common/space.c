/* space.c: the registry of design spaces (see space.h). */
#include "common/space.h"

#include <stdio.h>
#include <string.h>

static const zc_space_info k_spaces[] = {
    {"nb201", "nb201",
     "NAS-Bench-201 cells (15,625), TinyNetwork C=16 N=5; data/nb201/nb201.csv"},
    {"nats_sss", "nats_sss",
     "NATS-Bench size space (32,768 channel configs c1:c2:c3:c4:c5); "
     "data/nats_sss/nats_sss.csv"},
};

const zc_space_info *zc_space_find(const char *name) {
    for (size_t i = 0; i < sizeof k_spaces / sizeof k_spaces[0]; i++)
        if (strcmp(k_spaces[i].name, name) == 0) return &k_spaces[i];
    return NULL;
}

const zc_space_info *zc_space_list(int *count) {
    *count = (int)(sizeof k_spaces / sizeof k_spaces[0]);
    return k_spaces;
}

zc_net *zc_space_build(const char *space, const char *arch_str, int batch,
                       int num_classes, int image_hw, char *err, size_t errlen) {
    if (strcmp(space, "nb201") == 0)
        return zc_nb201_build(arch_str, batch, num_classes, image_hw, err, errlen);
    if (strcmp(space, "nats_sss") == 0)
        return zc_nats_sss_build(arch_str, batch, num_classes, image_hw, err, errlen);
    snprintf(err, errlen, "unknown space '%s' (see `zcevo spaces`)", space);
    return NULL;
}

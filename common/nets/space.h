/* space.h: the registry of design spaces. A space turns an architecture
 * string into a zc_net (net.h) with its RCB blocks marked, and names the
 * benchmark table that holds its accuracies.
 *
 * Spaces: "nb201" (NAS-Bench-201 cells, TinyNetwork C=16 N=5) and
 * "nats_sss" (NATS-Bench size space: the best NB201 cell with channel
 * counts "c1:c2:c3:c4:c5"). Further spaces register here too. */
#ifndef ZC_SPACE_H
#define ZC_SPACE_H

#include <stddef.h>

#include "common/nets/net.h"

typedef struct {
    const char *name;        /* command-line name                          */
    const char *table;       /* benchmark table name (bench_table.h)       */
    const char *description; /* one line for `zcevo spaces` and --help     */
    int image_hw;            /* the networks' input size (0: the dataset's) */
    int num_classes;         /* classifier outputs (0: the dataset's)       */
} zc_space_info;

/* zc_space_find: the space called name, or NULL. */
const zc_space_info *zc_space_find(const char *name);

/* zc_space_list: all spaces; *count receives their number. */
const zc_space_info *zc_space_list(int *count);

/* zc_space_build: build the network of arch_str in space for inputs of
 * (batch, 3, image_hw, image_hw) and num_classes outputs. Returns the
 * network (parameters not yet drawn: call zc_net_init_params), or NULL with
 * a one-line message in err that quotes the string ("invalid NAS-Bench-201
 * architecture '|foo~0|...': unknown operation 'foo'"). */
zc_net *zc_space_build(const char *space, const char *arch_str, int batch,
                       int num_classes, int image_hw, char *err, size_t errlen);

/* Space-specific builders (called by zc_space_build). */
zc_net *zc_nb201_build(const char *arch_str, int batch, int num_classes, int image_hw,
                       char *err, size_t errlen);
zc_net *zc_nats_sss_build(const char *arch_str, int batch, int num_classes,
                          int image_hw, char *err, size_t errlen);

/* The genotype NATS-Bench SSS uses for every channel configuration. */
#define ZC_NATS_SSS_GENOTYPE                                                     \
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"          \
    "nor_conv_3x3~1|nor_conv_3x3~2|"

#endif

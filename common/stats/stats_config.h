/* stats_config.h: what identifies a statistics run (zc_stats_config): two
 * runs with equal configurations compute the same values for the same
 * architecture. The HDF5 cache (stats_h5.h) stores it in its root
 * attributes and refuses to mix configurations; this module compares,
 * prints and range-checks it, without HDF5. */
#ifndef ZC_STATS_CONFIG_H
#define ZC_STATS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common/stats/stats.h"

typedef struct {
    char space[32];            /* "nb201", "nats_sss", ...                   */
    char dataset[32];          /* "cifar10", "cifar100", "imagenet16"        */
    int batch;
    uint64_t seed;
    zc_terminal_mask terminals;/* which terminals are stored                 */
    int store_params;          /* 1 when initial parameters are stored       */
    int num_classes;
    int image_h, image_w;
    char accuracy_column[32];  /* table column used as `accuracy`            */
    char image_source[192];    /* e.g. "CIFAR-100 train images resized ..."  */
} zc_stats_config;

/* zc_stats_config_diff: name of the first field in which a and b differ
 * (NULL when equal). */
const char *zc_stats_config_diff(const zc_stats_config *a, const zc_stats_config *b);

/* zc_stats_config_field_text: the value of `field` (a name returned by
 * zc_stats_config_diff) of c as text into buf. */
void zc_stats_config_field_text(const zc_stats_config *c, const char *field, char *buf,
                                size_t n);

/* zc_stats_config_check: c's values in range: a known space (zcevo spaces)
 * and dataset, batch 1..100000, image sides 1..4096, num_classes
 * 1..100000, store_params 0 or 1, at least one terminal, an accuracy
 * column. Returns 0, or -1 with err naming the field and its value. */
int zc_stats_config_check(const zc_stats_config *c, char *err, size_t errlen);

/* zc_stats_terminal_list: the terminals of mask, comma-separated in id
 * order ("inpact_data,wt"), into buf. */
void zc_stats_terminal_list(zc_terminal_mask mask, char *buf, size_t n);

#endif

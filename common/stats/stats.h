/* stats.h: statistics of one architecture in memory: its identity, its
 * accuracies, and per RCB block the layer metadata and the terminals that
 * were kept (see terminals.h). This is what `zcevo stats` computes, what the
 * HDF5 cache stores (docs/stats_schema.md) and what programs evaluate on.
 * A record of network-level values (a proxies file, proxies_h5.h) has no
 * layers and n_values values instead, the terminals of SR programs. */
#ifndef ZC_STATS_H
#define ZC_STATS_H

#include <stddef.h>

#include "common/util/tensor.h"
#include "common/stats/terminals.h"

#define ZC_MAX_ACC_COLUMNS 12

typedef struct {
    char name[96];      /* block name, e.g. "cells.3.layers.2" (module path)  */
    int c_in, c_out;    /* conv input / output channels                      */
    int kernel_h, kernel_w, stride, dilation, groups;
    int stage;          /* 0-based stage (resolution level) of the block      */
    int cell;           /* index of the cell (or block) holding it            */
    zc_tensor t[ZC_NUM_TERMINALS]; /* data == NULL when not kept               */
} zc_layer_stats;

typedef struct {
    int arch_index;              /* row index in the benchmark table         */
    char *arch_str;              /* official string (malloc'd)               */
    double accuracy;             /* the task's accuracy column               */
    int n_acc;                   /* every accuracy column of the table       */
    char acc_name[ZC_MAX_ACC_COLUMNS][32];
    double acc[ZC_MAX_ACC_COLUMNS];
    int n_layers;
    zc_layer_stats *layers;      /* malloc'd, n_layers                       */
    int n_values;                /* network-level values (0: a layer record) */
    double *values;              /* malloc'd, n_values; NaN = missing        */
} zc_arch_stats;

/* zc_arch_stats_free: free everything the record owns (tensor data, layers,
 * string) and zero it. Safe on a zeroed record. */
void zc_arch_stats_free(zc_arch_stats *a);

/* zc_arch_stats_check_finite: 0 when every held terminal value is finite;
 * otherwise -1 with err naming the architecture, layer, terminal and the
 * first bad value ("architecture 123, layer 4 (cells.1.layers.2),
 * act_data[17] = nan"). */
int zc_arch_stats_check_finite(const zc_arch_stats *a, char *err, size_t errlen);

/* zc_arch_stats_bytes: bytes of tensor data held by the record. */
int64_t zc_arch_stats_bytes(const zc_arch_stats *a);

#endif

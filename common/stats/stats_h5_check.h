/* stats_h5_check.h: the schema rules of a statistics record
 * (docs/stats_schema.md) that both the writer (before it writes) and the
 * reader (before it allocates and reads) apply: layer metadata in range,
 * every terminal's rank and shape against the layer's metadata and the
 * batch, the spatial sizes a layer's terminals share, and the element
 * type and stored size of an HDF5 dataset. Each rule reports one line
 * naming the field and the values. */
#ifndef ZC_STATS_H5_CHECK_H
#define ZC_STATS_H5_CHECK_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "common/stats/stats_config.h"

/* zc_stats_check_layer: the metadata of one RCB block: a name; c_in,
 * c_out 1..65536; kernel sides, stride, dilation 1..64; groups >= 1
 * dividing c_in and c_out; stage 0..63; cell -1..1000000. 0, or -1 with
 * why naming the field and value. */
int zc_stats_check_layer(const zc_layer_stats *ls, char *why, size_t n);

/* The spatial sizes the terminals of one layer share: (H, W) of the
 * block's input (inpact, preact and their gradients), (H', W') of its
 * output (act, act_grad); 0 until the first one is seen. */
typedef struct {
    int64_t in_hw[2], out_hw[2];
} zc_stats_layer_hw;

/* zc_stats_check_shape: terminal id of layer ls, of rank ndim and dims:
 * (batch, c_in, H, W) for inpact, preact, inpact_grad, preact_grad;
 * (batch, k * c_out, H', W') for act, act_grad (k >= 1: a block of k
 * convs whose outputs are concatenated, as FactorizedReduce, normalises
 * k * c_out channels); (c_out, c_in / groups, kernel_h, kernel_w) for wt
 * and wt_grad; H, W, H', W' in 1..65536 and the
 * same for every terminal of the layer (hw, updated). 0, or -1 with why
 * ("terminal 'act_data' has shape (7), expected (2, 16, H', W')"). */
int zc_stats_check_shape(const zc_stats_config *cfg, const zc_layer_stats *ls, int id, int ndim,
                         const int64_t *dims, zc_stats_layer_hw *hw, char *why, size_t n);

/* zc_stats_check_dataset: dataset d holds elements of class cls (H5T_FLOAT
 * or H5T_INTEGER) and `size` bytes each, and its stored bytes match its
 * shape (count elements; contiguous: count * size; chunked with the
 * Fletcher32 checksum: count * size + 4 per chunk; compact: any), so that
 * reading it allocates no more than the file holds. 0, or -1 with why
 * naming the type or sizes found. */
int zc_stats_check_dataset(hid_t d, H5T_class_t cls, size_t size, int64_t count, char *why,
                           size_t n);

#endif

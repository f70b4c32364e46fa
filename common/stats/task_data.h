/* task_data.h: the statistics of one fitness task (a space x dataset x
 * batch, or one statistics file) held in memory, with the accuracies the
 * programs are correlated against. Loaded from an HDF5 cache (`--stats`)
 * or computed on the fly from a zc_task. */
#ifndef ZC_TASK_DATA_H
#define ZC_TASK_DATA_H

#include <stddef.h>

#include "common/stats/stats.h"
#include "common/stats/stats_h5.h"
#include "common/stats/stats_half.h"
#include "common/data/task.h"
#include "common/stats/task_stats.h"

typedef struct {
    char name[128];          /* "nb201/cifar10/b1" or the file path         */
    zc_stats_config cfg;
    int n_archs;
    zc_arch_stats *archs;    /* only the terminals that were asked for      */
    double *acc;             /* n_archs accuracies (cfg.accuracy_column)    */
    zc_half_arch *half;      /* NULL: float32 data in archs; else the data
                                of archs[i] in half form (stats_half.h) and
                                archs[i]'s data pointers NULL              */
} zc_task_data;

/* zc_task_data_load: read the complete architectures of a stats file,
 * keeping the terminals in want; half != 0 keeps them in half form, read
 * one terminal at a time so that memory never holds more than one
 * terminal's float32 values. Returns 0, or -1 with err. */
int zc_task_data_load(zc_task_data *d, const char *path, zc_terminal_mask want, int half,
                      char *err, size_t errlen);

/* zc_task_data_compute: compute the statistics of table rows[0..n) of task
 * with `threads` threads, keeping the terminals in mask (in half form,
 * record by record as they arrive, when half != 0). */
int zc_task_data_compute(zc_task_data *d, const zc_task *task, const int *rows, int n,
                         zc_terminal_mask mask, int half, int threads, int progress,
                         char *err, size_t errlen);

/* zc_task_data_arch: architecture i with float32 terminals for evaluation:
 * the record itself, or for half data its terminals in need expanded into
 * scratch (valid until scratch's next use; one scratch per thread). */
const zc_arch_stats *zc_task_data_arch(const zc_task_data *d, int i, zc_terminal_mask need,
                                       zc_half_scratch *scratch);

/* zc_task_data_to_float: back to float32 records (half data expanded: the
 * values evaluation sees); no-op for float32 data. */
void zc_task_data_to_float(zc_task_data *d);

/* zc_task_data_copy_float: *out = float32 deep copies of d's first n
 * architectures (half data expanded), with d's name, config and accuracies. */
void zc_task_data_copy_float(const zc_task_data *d, int n, zc_task_data *out);

/* zc_task_data_drop: keep architectures [a0, a1) only (renumbered from 0). */
void zc_task_data_drop(zc_task_data *d, int a0, int a1);

/* zc_task_data_bytes: bytes of tensor data held. */
int64_t zc_task_data_bytes(const zc_task_data *d);

void zc_task_data_free(zc_task_data *d);

/* zc_parse_task_spec: "space:dataset[:batch[:image_size]]" into its parts
 * (batch and image_hw keep their values when absent; image_size 8..1024 is
 * the input size, e.g. 64 for the NDS ImageNet spaces). Returns 0, or -1
 * with err quoting the text. */
int zc_parse_task_spec(const char *text, char *space, size_t space_len, char *dataset,
                       size_t dataset_len, int *batch, int *image_hw, char *err,
                       size_t errlen);

#endif

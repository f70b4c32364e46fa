/* task_stats.h: what a statistics record and file take from their task: an
 * architecture's identity and accuracies (from the benchmark table row) and
 * the HDF5 configuration of the task. */
#ifndef ZC_TASK_STATS_H
#define ZC_TASK_STATS_H

#include "common/data/task.h"
#include "common/stats/stats.h"
#include "common/stats/stats_h5.h"

/* zc_task_identity: fill a's arch_index, arch_str (malloc'd), accuracy and
 * every accuracy column from table row `row`. */
void zc_task_identity(const zc_task *t, int row, zc_arch_stats *a);

/* zc_task_stats_config: the HDF5 configuration of this task. */
void zc_task_stats_config(const zc_task *t, zc_terminal_mask mask, int store_params,
                          zc_stats_config *cfg);

#endif

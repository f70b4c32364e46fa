/* task_stats.c: identity and configuration of a task's statistics (see
 * task_stats.h). */
#include "common/stats/task_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

void zc_task_identity(const zc_task *t, int row, zc_arch_stats *a) {
    a->arch_index = t->table.arch_index[row];
    free(a->arch_str);
    a->arch_str = zc_strdup(t->table.arch_str[row]);
    a->accuracy = zc_bench_table_value(&t->table, row, t->acc_col);
    a->n_acc = ZC_MIN(t->table.n_cols, ZC_MAX_ACC_COLUMNS);
    for (int c = 0; c < a->n_acc; c++) {
        snprintf(a->acc_name[c], sizeof a->acc_name[c], "%s", t->table.col_name[c]);
        a->acc[c] = zc_bench_table_value(&t->table, row, c);
    }
}

void zc_task_stats_config(const zc_task *t, zc_terminal_mask mask, int store_params,
                          zc_stats_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->space, sizeof cfg->space, "%s", t->space);
    snprintf(cfg->dataset, sizeof cfg->dataset, "%s", t->dataset);
    cfg->batch = t->batch;
    cfg->seed = t->seed;
    cfg->terminals = mask;
    cfg->store_params = store_params;
    cfg->num_classes = t->num_classes;
    cfg->image_h = cfg->image_w = t->image_hw;
    snprintf(cfg->accuracy_column, sizeof cfg->accuracy_column, "%s", t->acc_column);
    snprintf(cfg->image_source, sizeof cfg->image_source, "%s", t->image_source);
}

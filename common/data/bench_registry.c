/* bench_registry.c: benchmark tables by name: the CSV tables of
 * bench_table.c and the JSON tables of bench_json.c behind one loader and
 * one default-accuracy rule (see bench_table.h). */
#include <string.h>

#include "common/data/bench_json.h"
#include "common/data/bench_table.h"
#include "common/util/util.h"

static const char *const k_datasets[] = {"cifar10", "cifar100", "imagenet16"};

const char *zc_bench_default_accuracy_column(const char *space, const char *dataset) {
    if (zc_bench_csv_is_table(space)) return zc_bench_csv_accuracy_column(space, dataset);
    if (!dataset || !zc_bench_json_is_table(space)) return NULL;
    for (size_t d = 0; d < ZC_ARRAY_LEN(k_datasets); d++)
        if (strcmp(k_datasets[d], dataset) == 0) return zc_bench_json_accuracy_column(space);
    return NULL;
}

int zc_bench_table_load(const char *data_dir, const char *space, zc_bench_table *t, char *err,
                        size_t errlen) {
    if (!zc_bench_csv_is_table(space) && zc_bench_json_is_table(space))
        return zc_bench_json_load(data_dir, space, t, err, errlen);
    return zc_bench_csv_load(data_dir, space, t, err, errlen);
}

/* bench_json.h: ground-truth tables stored as JSON (NDS records,
 * NAS-Bench-Macro, Channel-Bench-Macro), loaded into the same zc_bench_table
 * as the CSV tables (bench_table.h) with Debian's cJSON.
 *
 * Tables (name -> file below the data folder -> architecture string):
 *   nasbench_macro     nasbench_macro/nas-bench-macro_cifar10.json, the
 *                      8-digit key; columns mean_acc, std, params, flops
 *   channel_resnet     channel_bench_macro/Results_ResNet.json, the 7-digit
 *   channel_mobilenet  key (Results_MobileNet.json); columns mean, std,
 *                      params, flops
 *   nds_<space>_in     nds/<Space>_in.json (e.g. nds_darts_in ->
 *                      DARTS_in.json, nds_resnext-a_in -> ResNeXt-A_in.json):
 *                      the record's "net" object as compact JSON
 *                      (cJSON_PrintUnformatted); columns test_acc = 100 -
 *                      last test_ep_top1, params, flops
 * arch_index = position of the record in the file (NDS list order, JSON
 * object key order for the macro files). Accuracies in percent; the
 * benchmarks are CIFAR-10 (macro) and ImageNet (NDS _in) trainings, so one
 * accuracy column serves every dataset name.
 */
#ifndef ZC_BENCH_JSON_H
#define ZC_BENCH_JSON_H

#include <stddef.h>

#include "common/data/bench_table.h"

/* zc_bench_json_is_table: 1 if `table` names a JSON-backed table above. */
int zc_bench_json_is_table(const char *table);

/* zc_bench_json_path: the file of `table` below data_dir into
 * path[pathlen]. Returns 0, or -1 for an unknown table or a path that does
 * not fit. */
int zc_bench_json_path(const char *data_dir, const char *table, char *path, size_t pathlen);

/* zc_bench_json_accuracy_column: the ground-truth column of `table` (the
 * same for every dataset), or NULL for an unknown table. */
const char *zc_bench_json_accuracy_column(const char *table);

/* zc_bench_json_load: read `table` from data_dir into *t (free with
 * zc_bench_table_free). Returns 0, or -1 with one line in err naming the
 * file (and the record for a malformed record) and *t empty. Errors:
 * unknown table, unreadable file, invalid JSON, a record without a
 * numeric field the table needs (or an empty test_ep_top1), a malformed
 * macro key, a duplicate architecture. NaN/Infinity tokens (which Python's
 * json writes) are read as null. */
int zc_bench_json_load(const char *data_dir, const char *table, zc_bench_table *t, char *err,
                       size_t errlen);

#endif

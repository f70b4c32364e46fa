/* bench_table.h: the ground-truth tables of the cell benchmarks: one row per
 * architecture with its accuracies and metadata, and an O(1) hash lookup
 * from architecture string to row.
 *
 * Files, below the data folder:
 *   nb201/nb201.csv        space "nb201" (NAS-Bench-201 = NATS-Bench TSS),
 *                          15,625 rows: arch_index, arch_str, then
 *                          cifar10_test, cifar100_test, imagenet16_test,
 *                          cifar10valid_valid, params_m, cifar10_test_12ep,
 *                          cifar100_test_12ep, imagenet16_test_12ep
 *   nats_sss/nats_sss.csv  space "nats_sss" (NATS-Bench size space),
 *                          32,768 rows: index, arch ("c1:c2:c3:c4:c5"), then
 *                          cifar10_test_acc, cifar100_test_acc,
 *                          imagenet16_120_test_acc, params_c10, params_c100,
 *                          params_in16
 * The first column is the integer architecture index, the second the
 * architecture string; every further column is numeric (accuracies in
 * percent, parameter counts) and is kept under its name in the file; an
 * empty field is NaN. Rows keep the file order.
 *
 * Accuracy used as ground truth (zc_bench_default_accuracy_column):
 *   nb201    + cifar10    -> cifar10valid_valid  (200-epoch validation
 *                            accuracy of the cifar10-valid split: what the
 *                            EZNAS reference correlates against)
 *   nb201    + cifar100   -> cifar100_test       (200-epoch test accuracy;
 *   nb201    + imagenet16 -> imagenet16_test      the table has no
 *                                                 validation columns for
 *                                                 these two)
 *   nats_sss + cifar10    -> cifar10_test_acc        (90-epoch test)
 *   nats_sss + cifar100   -> cifar100_test_acc       (90-epoch test)
 *   nats_sss + imagenet16 -> imagenet16_120_test_acc (90-epoch test)
 * Every other column stays available by name (zc_bench_table_column).
 */
#ifndef ZC_BENCH_TABLE_H
#define ZC_BENCH_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define ZC_BENCH_MAX_COLS 12
#define ZC_BENCH_COL_NAME_LEN 32

typedef struct {
    char space[32];           /* "nb201" or "nats_sss"                       */
    char path[512];           /* the CSV file read                           */
    int n_rows;               /* architectures                               */
    int n_cols;               /* numeric columns (after index and arch)      */
    char index_name[ZC_BENCH_COL_NAME_LEN]; /* header of column 1            */
    char arch_name[ZC_BENCH_COL_NAME_LEN];  /* header of column 2            */
    char col_name[ZC_BENCH_MAX_COLS][ZC_BENCH_COL_NAME_LEN];
    int *arch_index;          /* n_rows indices, from column 1               */
    char **arch_str;          /* n_rows strings, pointing into text          */
    double *values;           /* n_rows * n_cols, row-major, NaN if empty    */
    /* private: the file text (arch_str points into it) and the hash index
     * (open addressing, linear probing; slot = row or -1). */
    char *text;
    int *hash_slots;
    uint64_t *hash_keys;     
    size_t hash_capacity;     /* power of two, >= 2 * n_rows                 */
} zc_bench_table;

/* ---- by table name (bench_registry.c: CSV tables here, JSON tables in
 * bench_json.h) --------------------------------------------------------- */

/* zc_bench_table_load: read the table of `space` ("nb201" or "nats_sss")
 * from data_dir into *t. Returns 0 and fills *t (free with
 * zc_bench_table_free); or -1 with one line in err naming the file (and the
 * line number for a malformed line) and *t empty. Errors: unknown space,
 * missing/unreadable/empty file, unexpected header (first two columns must
 * be the space's index and arch columns; the default accuracy columns must
 * be present; at most ZC_BENCH_MAX_COLS numeric columns), a line whose
 * field count differs from the header, a malformed number, an empty or
 * duplicate architecture string. */
int zc_bench_table_load(const char *data_dir, const char *space, zc_bench_table *t, char *err,
                        size_t errlen);

/* ---- the CSV tables (bench_table.c) ------------------------------------- */

/* zc_bench_csv_is_table: 1 for "nb201" and "nats_sss". */
int zc_bench_csv_is_table(const char *space);
/* zc_bench_csv_accuracy_column: the default accuracy column of a CSV table
 * (listed above), NULL for another table or an unknown dataset. */
const char *zc_bench_csv_accuracy_column(const char *space, const char *dataset);
/* zc_bench_csv_path: the file of a CSV table below data_dir into
 * path[pathlen]. Returns 0, or -1 for another table or a path that does not
 * fit. */
int zc_bench_csv_path(const char *data_dir, const char *space, char *path, size_t pathlen);
/* zc_bench_csv_load: zc_bench_table_load for a CSV table. */
int zc_bench_csv_load(const char *data_dir, const char *space, zc_bench_table *t, char *err,
                      size_t errlen);

/* zc_bench_table_build_index: build the arch-string hash of t from
 * t->arch_str[0..n_rows). Returns 0, or -1 with err naming the first
 * repeated architecture string. For loaders only. */
int zc_bench_table_build_index(zc_bench_table *t, char *err, size_t errlen);

/* zc_bench_table_free: release everything of t and zero it. NULL-safe. */
void zc_bench_table_free(zc_bench_table *t);

/* zc_bench_table_column: index (0..n_cols-1) of the numeric column called
 * name, or -1 if there is none. */
int zc_bench_table_column(const zc_bench_table *t, const char *name);

/* zc_bench_default_accuracy_column: name of the ground-truth accuracy
 * column for (space, dataset) as listed above; dataset is "cifar10",
 * "cifar100" or "imagenet16". NULL for an unknown pair. */
const char *zc_bench_default_accuracy_column(const char *space, const char *dataset);

/* zc_bench_table_find: row of the architecture string, or -1 if absent.
 * O(1) expected (hash table). */
int zc_bench_table_find(const zc_bench_table *t, const char *arch_str);

/* zc_bench_table_value: values[row * n_cols + col]; row and col must be in
 * range (checked: an internal error otherwise). */
double zc_bench_table_value(const zc_bench_table *t, int row, int col);

#endif

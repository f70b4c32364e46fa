/* fuzz_bench_table.c: libFuzzer harness of the CSV benchmark tables
 * (common/data/bench_table.h): nb201/nb201.csv and nats_sss/nats_sss.csv.
 * Input: byte 0 picks the table, the rest is written as its file in a
 * scratch data folder and loaded. The loader must return 0 or -1 with a
 * message, never exit or crash; a loaded table has every architecture
 * string findable at its own row, its default accuracy columns present and
 * every value readable. */
#include <stdio.h>
#include <string.h>

#include "common/data/bench_table.h"
#include "fuzz_util.h"

static const char *const k_spaces[] = {"nb201", "nats_sss"};
static const char *const k_datasets[] = {"cifar10", "cifar100", "imagenet16"};

/* check_table: the invariants of a loaded table. */
static void check_table(const zc_bench_table *t, const char *space) {
    FUZZ_CHECK(t->n_rows > 0 && t->n_cols > 0 && t->n_cols <= ZC_BENCH_MAX_COLS);
    for (int d = 0; d < 3; d++) {
        const char *col = zc_bench_default_accuracy_column(space, k_datasets[d]);
        FUZZ_CHECK(col && zc_bench_table_column(t, col) >= 0);
    }
    for (int r = 0; r < t->n_rows; r++) {
        FUZZ_CHECK(t->arch_str[r][0] != 0);
        FUZZ_CHECK(zc_bench_table_find(t, t->arch_str[r]) == r);
        for (int c = 0; c < t->n_cols; c++) (void)zc_bench_table_value(t, r, c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1 << 20)) return 0;
    const char *space = k_spaces[data[0] % 2];
    const char *dir = fuzz_scratch_dir();
    char path[4096];
    FUZZ_CHECK(zc_bench_csv_path(dir, space, path, sizeof path) == 0);
    fuzz_write_file(path, data + 1, size - 1);
    zc_bench_table t;
    memset(&t, 0xab, sizeof t); /* "*t empty" on failure must be written */
    char err[512] = "";
    if (zc_bench_table_load(dir, space, &t, err, sizeof err) == 0) {
        check_table(&t, space);
        zc_bench_table_free(&t);
    } else {
        FUZZ_CHECK(err[0] != 0);
        FUZZ_CHECK(t.n_rows == 0 && t.arch_str == NULL);
    }
    remove(path);
    return 0;
}

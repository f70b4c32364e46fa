/* fuzz_bench_json.c: libFuzzer harness of the JSON benchmark readers
 * (common/data/bench_json.h): NDS records, NAS-Bench-Macro and
 * Channel-Bench-Macro. Input: byte 0 picks the table, the rest is written
 * as that table's file in a scratch data folder and loaded. The loader
 * must return 0 or -1 with a message, never exit or crash; a loaded table
 * has every architecture string findable at its own row and its accuracy
 * column present. */
#include <stdio.h>
#include <string.h>

#include "common/data/bench_json.h"
#include "fuzz_util.h"

static const char *const k_tables[] = {"nds_darts_in", "nds_resnet_lr-wd_in", "nasbench_macro",
                                       "channel_resnet"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > (1 << 20)) return 0;
    const char *table = k_tables[data[0] % (sizeof k_tables / sizeof k_tables[0])];
    const char *dir = fuzz_scratch_dir();
    char path[4096];
    FUZZ_CHECK(zc_bench_json_path(dir, table, path, sizeof path) == 0);
    fuzz_write_file(path, data + 1, size - 1);
    zc_bench_table t;
    memset(&t, 0xab, sizeof t); /* "*t empty" on failure must be written */
    char err[512] = "";
    if (zc_bench_json_load(dir, table, &t, err, sizeof err) == 0) {
        FUZZ_CHECK(t.n_rows > 0);
        FUZZ_CHECK(zc_bench_table_column(&t, zc_bench_json_accuracy_column(table)) >= 0);
        for (int r = 0; r < t.n_rows; r++) FUZZ_CHECK(zc_bench_table_find(&t, t.arch_str[r]) == r);
        zc_bench_table_free(&t);
    } else {
        FUZZ_CHECK(err[0] != 0);
        FUZZ_CHECK(t.n_rows == 0 && t.arch_str == NULL);
    }
    remove(path);
    return 0;
}

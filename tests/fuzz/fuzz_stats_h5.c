/* fuzz_stats_h5.c: libFuzzer harness of the statistics-file reader
 * (common/stats/stats_h5.h) on mutated small HDF5 files. Input: the bytes
 * of a stats file, written to a scratch path and read with
 * zc_stats_read_config, zc_stats_read (the terminals the configuration
 * names, else all) and zc_stats_read_input. Each must return a status (and
 * a message on failure), never exit or crash; a loaded set has its records
 * sorted by arch_index with layers whose held tensors have positive sizes;
 * no HDF5 file, group, dataset or attribute may stay open after a call.
 * Seeds: tests/fuzz/stats_h5/corpus (made by make_stats_seed.c). */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats/stats_h5.h"
#include "fuzz_util.h"

/* open_objects: HDF5 files, groups, datasets and attributes still open (a
 * leak after a reader call; the reader's one cached string type is not
 * counted). */
static ssize_t open_objects(void) {
    return H5Fget_obj_count(H5F_OBJ_ALL,
                            H5F_OBJ_FILE | H5F_OBJ_GROUP | H5F_OBJ_DATASET | H5F_OBJ_ATTR);
}

/* check_set: the invariants of a loaded statistics set. */
static void check_set(const zc_stats_set *s) {
    FUZZ_CHECK(s->n_archs >= 0);
    for (int a = 0; a < s->n_archs; a++) {
        const zc_arch_stats *r = &s->archs[a];
        if (a) FUZZ_CHECK(s->archs[a - 1].arch_index < r->arch_index);
        FUZZ_CHECK(r->n_layers >= 0);
        for (int l = 0; l < r->n_layers; l++)
            for (int k = 0; k < ZC_NUM_TERMINALS; k++)
                if (r->layers[l].t[k].data) FUZZ_CHECK(zc_tensor_numel(&r->layers[l].t[k]) > 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1 << 18)) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/stats.h5", fuzz_scratch_dir());
    fuzz_write_file(path, data, size);
    char err[1024] = "";
    zc_stats_config cfg;
    zc_terminal_mask want = ZC_ALL_TERMINALS;
    if (zc_stats_read_config(path, &cfg, err, sizeof err) == 0) want = cfg.terminals;
    else FUZZ_CHECK(err[0] != 0);
    FUZZ_CHECK(open_objects() == 0);
    zc_stats_set set;
    memset(&set, 0, sizeof set);
    err[0] = 0;
    if (zc_stats_read(path, want, &set, err, sizeof err) == 0) {
        check_set(&set);
        zc_stats_set_free(&set);
    } else {
        FUZZ_CHECK(err[0] != 0);
    }
    FUZZ_CHECK(open_objects() == 0);
    err[0] = 0;
    float *x = zc_stats_read_input(path, "data", err, sizeof err);
    if (x) free(x);
    else FUZZ_CHECK(err[0] != 0);
    FUZZ_CHECK(open_objects() == 0);
    remove(path);
    return 0;
}

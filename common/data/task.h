/* task.h: a statistics task = (space, dataset, batch, seed): the benchmark
 * table with its accuracy column, the three network inputs every
 * architecture of the task sees (one real minibatch with training
 * augmentation, a Gaussian noise tensor, and data + 0.1 x Gaussian), and the
 * architecture selection helpers used by `zcevo stats`, `score` and `evolve`.
 *
 * Every architecture of a task sees the SAME inputs (drawn once from the
 * seed), so scores are comparable across architectures; its parameters are
 * drawn from zc_rng_stream(seed, ZC_STREAM_PARAM_INIT, arch_index), so they
 * do not depend on which rank or thread builds it. */
#ifndef ZC_TASK_H
#define ZC_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "common/data/bench_table.h"

typedef struct {
    char space[32];
    char dataset[32];
    char table_name[32];
    int batch;
    uint64_t seed;
    int num_classes;
    int image_hw;
    char acc_column[32];
    int acc_col;                 /* column index in table                 */
    char image_source[192];
    zc_bench_table table;
    float *inputs[3];            /* data, noise, perturb: batch*3*hw*hw   */
    int *labels;                 /* batch                                 */
    float *input2;               /* a second data minibatch (zico) and its */
    int *labels2;                /*   labels; NULL until zc_task_add_second_batch */
} zc_task;

/* zc_task_setup: load the table and images and draw the inputs. acc_column
 * NULL selects the documented default (bench_table.h). The input size is the
 * space's (224 for the NDS ImageNet spaces) or else the dataset's; images of
 * another size are resized bilinearly (as torch F.interpolate,
 * align_corners=False) after augmentation and normalisation, and
 * image_source says so. Returns 0, or -1 with one line in err (unknown
 * space/dataset/column, missing or corrupt file, batch larger than the
 * images available). */
int zc_task_setup(zc_task *t, const char *data_dir, const char *space,
                  const char *dataset, int batch, uint64_t seed,
                  const char *acc_column, char *err, size_t errlen);

/* zc_task_setup_sized: zc_task_setup with an explicit input size image_hw
 * (0: the default above), e.g. 64 to make NDS ImageNet statistics cheaper. */
int zc_task_setup_sized(zc_task *t, const char *data_dir, const char *space,
                        const char *dataset, int batch, uint64_t seed,
                        const char *acc_column, int image_hw, char *err, size_t errlen);

void zc_task_free(zc_task *t);

/* zc_task_add_second_batch: draw a second real minibatch the way the first
 * one is drawn (same augmentation, resizing and normalisation) from the
 * generator (seed, ZC_STREAM_DATA_BATCH, 1) into t->input2 / t->labels2,
 * for proxies defined on two minibatches (ZiCo). Nothing else of the task
 * changes. Idempotent. Returns 0, or -1 with one line in err (missing or
 * corrupt image files). */
int zc_task_add_second_batch(zc_task *t, const char *data_dir, char *err, size_t errlen);

/* zc_task_resolve_arch: row of an architecture given as a table index
 * ("1234") or an architecture string. Invalid strings are rejected quoting
 * them (a parse error from the space builder, or "not in the table"). */
int zc_task_resolve_arch(const zc_task *t, const char *text, int *row, char *err,
                         size_t errlen);

/* zc_task_sample_rows: n distinct rows drawn from zc_rng_stream(seed,
 * ZC_STREAM_ARCH_SAMPLE, 0) (n < 0 or n >= rows: every row), sorted by
 * index. Returns the count; rows_out must hold table.n_rows ints. */
int zc_task_sample_rows(const zc_task *t, int n, uint64_t seed, int *rows_out);



/* zc_task_build: build (not initialise) the network of table row `row`;
 * NULL with err on failure. */
struct zc_net *zc_task_build(const zc_task *t, int row, char *err, size_t errlen);

#endif

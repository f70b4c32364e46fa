/* task.c: task setup, inputs and architecture selection (see task.h). */
#include "common/data/task.h"

#include <stdlib.h>
#include <string.h>

#include "common/data/cifar.h"
#include "common/util/rng.h"
#include "common/nets/space.h"
#include "common/util/util.h"

/* resize_bilinear: x (n,c,h,h) -> y (n,c,s,s), torch F.interpolate
 * (mode='bilinear', align_corners=False) semantics. */
static void resize_bilinear(const float *x, int n, int c, int h, int s, float *y) {
    double scale = (double)h / s;
    for (int p = 0; p < n * c; p++) {
        const float *src = x + (size_t)p * h * h;
        float *dst = y + (size_t)p * s * s;
        for (int i = 0; i < s; i++) {
            double fy = (i + 0.5) * scale - 0.5;
            if (fy < 0) fy = 0;
            int y0 = (int)fy, y1 = y0 + 1 < h ? y0 + 1 : y0;
            double wy = fy - y0;
            for (int j = 0; j < s; j++) {
                double fx = (j + 0.5) * scale - 0.5;
                if (fx < 0) fx = 0;
                int x0 = (int)fx, x1 = x0 + 1 < h ? x0 + 1 : x0;
                double wx = fx - x0;
                double top = (1 - wx) * src[y0 * h + x0] + wx * src[y0 * h + x1];
                double bot = (1 - wx) * src[y1 * h + x0] + wx * src[y1 * h + x1];
                dst[i * s + j] = (float)((1 - wy) * top + wy * bot);
            }
        }
    }
}

int zc_task_setup(zc_task *t, const char *data_dir, const char *space,
                  const char *dataset, int batch, uint64_t seed,
                  const char *acc_column, char *err, size_t errlen) {
    return zc_task_setup_sized(t, data_dir, space, dataset, batch, seed, acc_column, 0, err,
                               errlen);
}

int zc_task_setup_sized(zc_task *t, const char *data_dir, const char *space,
                        const char *dataset, int batch, uint64_t seed,
                        const char *acc_column, int image_hw, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    const zc_space_info *info = zc_space_find(space);
    if (!info) {
        snprintf(err, errlen, "unknown space '%s' (see `zcevo spaces`)", space);
        return -1;
    }
    if (zc_dataset_num_classes(dataset) < 0) {
        snprintf(err, errlen, "unknown dataset '%s' (cifar10, cifar100, imagenet16)",
                 dataset);
        return -1;
    }
    if (batch < 1) {
        snprintf(err, errlen, "batch size must be at least 1 (got %d)", batch);
        return -1;
    }
    snprintf(t->space, sizeof t->space, "%s", space);
    snprintf(t->dataset, sizeof t->dataset, "%s", dataset);
    snprintf(t->table_name, sizeof t->table_name, "%s", info->table);
    t->batch = batch;
    t->seed = seed;
    t->num_classes = info->num_classes ? info->num_classes : zc_dataset_num_classes(dataset);
    int source_hw = zc_dataset_image_size(dataset);
    t->image_hw = image_hw > 0 ? image_hw : (info->image_hw ? info->image_hw : source_hw);
    if (zc_bench_table_load(data_dir, info->table, &t->table, err, errlen) != 0) return -1;
    if (!acc_column) acc_column = zc_bench_default_accuracy_column(info->table, dataset);
    t->acc_col = acc_column ? zc_bench_table_column(&t->table, acc_column) : -1;
    if (t->acc_col < 0) {
        snprintf(err, errlen, "accuracy column '%s' is not in '%s'",
                 acc_column ? acc_column : "(none)", t->table.path);
        zc_task_free(t);
        return -1;
    }
    snprintf(t->acc_column, sizeof t->acc_column, "%s", acc_column);

    zc_cifar images;
    if (zc_cifar_load(data_dir, dataset, "train", &images, err, errlen) != 0) {
        zc_task_free(t);
        return -1;
    }
    if (t->image_hw == source_hw)
        snprintf(t->image_source, sizeof t->image_source, "%.190s", images.source);
    else
        snprintf(t->image_source, sizeof t->image_source,
                 "%.140s, resized %dx%d->%dx%d (bilinear)", images.source, source_hw,
                 source_hw, t->image_hw, t->image_hw);
    size_t n = (size_t)batch * 3 * t->image_hw * t->image_hw;
    for (int i = 0; i < 3; i++) t->inputs[i] = zc_malloc(sizeof(float) * n);
    t->labels = zc_malloc(sizeof(int) * (size_t)batch);
    float *raw = zc_malloc(sizeof(float) * (size_t)batch * 3 * source_hw * source_hw);
    zc_rng rng = zc_rng_stream(seed, ZC_STREAM_DATA_BATCH, 0);
    int rc = zc_cifar_batch(&images, batch, &rng, 1, raw, t->labels, err, errlen);
    zc_cifar_free(&images);
    if (rc == 0) {
        if (t->image_hw == source_hw) memcpy(t->inputs[0], raw, sizeof(float) * n);
        else resize_bilinear(raw, batch, 3, source_hw, t->image_hw, t->inputs[0]);
    }
    free(raw);
    if (rc != 0) {
        zc_task_free(t);
        return -1;
    }
    zc_rng noise = zc_rng_stream(seed, ZC_STREAM_NOISE, 0);
    zc_rng_fill_normal(&noise, t->inputs[1], (long)n, 0.0, 1.0);
    zc_rng pert = zc_rng_stream(seed, ZC_STREAM_NOISE, 1);
    for (size_t i = 0; i < n; i++)
        t->inputs[2][i] = t->inputs[0][i] + (float)(0.1 * zc_rng_normal(&pert));
    return 0;
}

void zc_task_free(zc_task *t) {
    zc_bench_table_free(&t->table);
    for (int i = 0; i < 3; i++) free(t->inputs[i]);
    free(t->labels);
    free(t->input2);
    free(t->labels2);
    memset(t, 0, sizeof *t);
}

int zc_task_add_second_batch(zc_task *t, const char *data_dir, char *err, size_t errlen) {
    if (t->input2) return 0;
    zc_cifar images;
    if (zc_cifar_load(data_dir, t->dataset, "train", &images, err, errlen) != 0) return -1;
    int source_hw = zc_dataset_image_size(t->dataset);
    size_t n = (size_t)t->batch * 3 * t->image_hw * t->image_hw;
    float *raw = zc_malloc(sizeof(float) * (size_t)t->batch * 3 * source_hw * source_hw);
    int *labels = zc_malloc(sizeof(int) * (size_t)t->batch);
    zc_rng rng = zc_rng_stream(t->seed, ZC_STREAM_DATA_BATCH, 1);
    int rc = zc_cifar_batch(&images, t->batch, &rng, 1, raw, labels, err, errlen);
    zc_cifar_free(&images);
    if (rc == 0) {
        t->input2 = zc_malloc(sizeof(float) * n);
        if (t->image_hw == source_hw) memcpy(t->input2, raw, sizeof(float) * n);
        else resize_bilinear(raw, t->batch, 3, source_hw, t->image_hw, t->input2);
        t->labels2 = labels;
    } else free(labels);
    free(raw);
    return rc;
}

int zc_task_resolve_arch(const zc_task *t, const char *text, int *row, char *err,
                         size_t errlen) {
    int found = zc_bench_table_find(&t->table, text); /* keys like 02012100 first */
    if (found >= 0) {
        *row = found;
        return 0;
    }
    char *end;
    long idx = strtol(text, &end, 10);
    if (*text && !*end) {
        for (int r = 0; r < t->table.n_rows; r++)
            if (t->table.arch_index[r] == idx) {
                *row = r;
                return 0;
            }
        snprintf(err, errlen, "architecture index %ld is not in '%s' (0..%d)", idx,
                 t->table.path, t->table.n_rows - 1);
        return -1;
    }
    zc_net *net = zc_space_build(t->space, text, 1, t->num_classes, t->image_hw, err, errlen);
    if (!net) return -1;
    zc_net_free(net);
    int r = zc_bench_table_find(&t->table, text);
    if (r < 0) {
        snprintf(err, errlen, "architecture '%s' is not in '%s'", text, t->table.path);
        return -1;
    }
    *row = r;
    return 0;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int zc_task_sample_rows(const zc_task *t, int n, uint64_t seed, int *rows_out) {
    int total = t->table.n_rows;
    for (int i = 0; i < total; i++) rows_out[i] = i;
    if (n < 0 || n >= total) return total;
    zc_rng rng = zc_rng_stream(seed, ZC_STREAM_ARCH_SAMPLE, 0);
    for (int i = 0; i < n; i++) {
        int j = i + (int)zc_rng_below(&rng, (uint64_t)(total - i));
        int tmp = rows_out[i];
        rows_out[i] = rows_out[j];
        rows_out[j] = tmp;
    }
    qsort(rows_out, (size_t)n, sizeof(int), cmp_int);
    return n;
}



zc_net *zc_task_build(const zc_task *t, int row, char *err, size_t errlen) {
    return zc_space_build(t->space, t->table.arch_str[row], t->batch, t->num_classes,
                          t->image_hw, err, errlen);
}

/* test_data.c: tests of the data loaders (common/cifar.h, common/bench_table.h)
 * against the real files of the data folder (argv[1]): CIFAR record
 * contents and counts, the 2x2 ImageNet16 stand-in, the closed-form
 * normalisation, the documented order of random draws, augmentation as a
 * crop of the padded (flipped) image, bad-input errors, and the benchmark
 * tables cross-checked against their CSV text read independently. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/data/bench_table.h"
#include "common/data/cifar.h"
#include "common/util/rng.h"
#include "common/util/util.h"
#include "tests/test_util.h"

static const char *g_data_dir;
static char g_tmp_dir[256];

/* ---- helpers ------------------------------------------------------------ */

static uint8_t *read_file(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)*size + 1);
    if (fread(buf, 1, (size_t)*size, f) != (size_t)*size) *size = -1;
    fclose(f);
    buf[*size > 0 ? *size : 0] = 0;
    return buf;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) zc_die("test: cannot write '%s'", path);
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void tmp_path(char *out, size_t n, const char *relative) {
    snprintf(out, n, "%s/%s", g_tmp_dir, relative);
}

/* ---- CIFAR: contents ----------------------------------------------------- */

static void test_cifar_contents(void) {
    char err[1024] = "";
    zc_cifar c;
    CHECK(zc_cifar_load(g_data_dir, "cifar10", "test", &c, err, sizeof err) == 0);
    CHECK(c.n == 846 && c.num_classes == 10 && c.h == 32 && c.w == 32);
    const int first_labels[10] = {3, 8, 8, 0, 6, 6, 1, 6, 3, 1};
    for (int i = 0; i < 10 && i < c.n; i++) CHECK(c.labels[i] == first_labels[i]);
    /* Pixels and labels equal the raw records. */
    long size;
    uint8_t *raw = read_file(c.path, &size);
    CHECK(raw && size == 846L * 3073);
    int mismatches = 0;
    for (int i = 0; raw && i < c.n; i++) {
        if (raw[(long)i * 3073] != c.labels[i]) mismatches++;
        if (memcmp(raw + (long)i * 3073 + 1, c.pixels + (long)i * 3072, 3072) != 0) mismatches++;
    }
    CHECK(mismatches == 0);
    free(raw);
    CHECK(strstr(c.source, "CIFAR-10") != NULL);
    zc_cifar_free(&c);
    CHECK(c.pixels == NULL && c.n == 0);

    CHECK(zc_cifar_load(g_data_dir, "cifar10", "train", &c, err, sizeof err) == 0);
    CHECK(c.n == 4660);
    zc_cifar_free(&c);

    zc_cifar c100;
    CHECK(zc_cifar_load(g_data_dir, "cifar100", "test", &c100, err, sizeof err) == 0);
    CHECK(c100.n == 916 && c100.num_classes == 100);
    raw = read_file(c100.path, &size);
    CHECK(raw && size == 916L * 3074);
    mismatches = 0;
    for (int i = 0; raw && i < c100.n; i++) {
        if (raw[(long)i * 3074 + 1] != c100.labels[i]) mismatches++; /* fine label */
        if (memcmp(raw + (long)i * 3074 + 2, c100.pixels + (long)i * 3072, 3072) != 0) mismatches++;
    }
    CHECK(mismatches == 0);
    free(raw);
    zc_cifar_free(&c100);

    /* ImageNet16 stand-in: 2x2 means of the CIFAR-100 images. */
    CHECK(zc_cifar_load(g_data_dir, "cifar100", "train", &c100, err, sizeof err) == 0);
    CHECK(c100.n == 486);
    zc_cifar in16;
    CHECK(zc_cifar_load(g_data_dir, "imagenet16", "train", &in16, err, sizeof err) == 0);
    CHECK(in16.n == 486 && in16.h == 16 && in16.w == 16 && in16.num_classes == 120);
    CHECK(strcmp(in16.path, c100.path) == 0);
    mismatches = 0;
    for (int i = 0; i < in16.n && i < c100.n; i++) {
        if (in16.labels[i] != c100.labels[i]) mismatches++;
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++) {
                    const uint8_t *p = c100.pixels + ((long)i * 3 + ch) * 1024;
                    int sum = p[(2 * y) * 32 + 2 * x] + p[(2 * y) * 32 + 2 * x + 1] +
                              p[(2 * y + 1) * 32 + 2 * x] + p[(2 * y + 1) * 32 + 2 * x + 1];
                    double mean = sum / 4.0;
                    int got = in16.pixels[((long)i * 3 + ch) * 256 + y * 16 + x];
                    /* rounded half up */
                    if (got != (int)floor(mean + 0.5) || fabs(got - mean) > 0.5) mismatches++;
                }
    }
    CHECK_MSG(mismatches == 0, "%d imagenet16 pixels differ from the 2x2 means", mismatches);
    CHECK(strstr(in16.source, "CIFAR-100") && strstr(in16.source, "16x16") &&
          strstr(in16.source, "stand-in"));
    zc_cifar_free(&in16);
    zc_cifar_free(&c100);

    CHECK(zc_dataset_num_classes("cifar10") == 10);
    CHECK(zc_dataset_num_classes("cifar100") == 100);
    CHECK(zc_dataset_num_classes("imagenet16") == 120);
    CHECK(zc_dataset_num_classes("mnist") == -1);
    CHECK(zc_dataset_image_size("imagenet16") == 16 && zc_dataset_image_size("cifar100") == 32);
    CHECK(zc_dataset_augment_padding("cifar10") == 4 &&
          zc_dataset_augment_padding("imagenet16") == 2);
    const char *src = zc_dataset_image_source("imagenet16");
    CHECK(src && strstr(src, "2x2 area averaging") && strstr(src, "no ImageNet16-120 images"));
    CHECK(zc_dataset_image_source("nope") == NULL);
}

/* ---- CIFAR: batches ------------------------------------------------------ */

/* NAS-Bench-201 constants, written out independently of cifar.c. */
static void expected_norm(const char *dataset, double mean[3], double std[3]) {
    static const double c10m[3] = {0.4914, 0.4822, 0.4465}, c10s[3] = {0.2470, 0.2435, 0.2616};
    static const double c100m[3] = {0.5071, 0.4865, 0.4409}, c100s[3] = {0.2673, 0.2564, 0.2762};
    static const double in16m[3] = {122.68, 116.66, 104.01}, in16s[3] = {63.22, 61.26, 65.09};
    for (int c = 0; c < 3; c++) {
        if (!strcmp(dataset, "cifar10"))
            mean[c] = c10m[c], std[c] = c10s[c];
        else if (!strcmp(dataset, "cifar100"))
            mean[c] = c100m[c], std[c] = c100s[c];
        else
            mean[c] = in16m[c] / 255.0, std[c] = in16s[c] / 255.0;
    }
}

static void test_batch_plain(const char *dataset) {
    char err[1024] = "";
    zc_cifar c;
    if (zc_cifar_load(g_data_dir, dataset, "test", &c, err, sizeof err) != 0) {
        CHECK_MSG(0, "%s", err);
        return;
    }
    const int batch = 32, plane = c.h * c.w;
    float *x = malloc(sizeof(float) * batch * 3 * plane);
    int labels[32];
    zc_cifar_sample samples[32];
    zc_rng rng = zc_rng_stream(7, ZC_STREAM_DATA_BATCH, 0);
    CHECK(zc_cifar_batch_ex(&c, batch, &rng, 0, x, labels, samples, err, sizeof err) == 0);
    double mean[3], std[3];
    expected_norm(dataset, mean, std);
    double worst = 0;
    int label_errors = 0;
    for (int b = 0; b < batch; b++) {
        const uint8_t *img = c.pixels + (long)samples[b].index * 3 * plane;
        if (labels[b] != c.labels[samples[b].index]) label_errors++;
        for (int ch = 0; ch < 3; ch++)
            for (int i = 0; i < plane; i++) {
                double want = (img[ch * plane + i] / 255.0 - mean[ch]) / std[ch];
                double got = x[((long)b * 3 + ch) * plane + i];
                worst = fmax(worst, fabs(got - want));
            }
        CHECK(samples[b].flip == 0 && samples[b].crop_y == zc_dataset_augment_padding(dataset));
    }
    CHECK_MSG(worst < 2e-6, "%s: max |normalised - closed form| = %g", dataset, worst);
    CHECK(label_errors == 0);
    free(x);
    zc_cifar_free(&c);
}

/* Reconstruct image b of an augmented batch directly: pad the raw image
 * with zeros, mirror the padded image if flipped, crop, normalise. */
static double augment_error(const zc_cifar *c, const zc_cifar_sample *s, const float *x_image) {
    const int pad = zc_dataset_augment_padding(c->dataset), h = c->h, w = c->w;
    const int ph = h + 2 * pad, pw = w + 2 * pad;
    double mean[3], std[3];
    expected_norm(c->dataset, mean, std);
    int *padded = calloc((size_t)3 * ph * pw, sizeof *padded);
    const uint8_t *img = c->pixels + (long)s->index * 3 * h * w;
    for (int ch = 0; ch < 3; ch++)
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++) {
                int px = s->flip ? pw - 1 - (xx + pad) : xx + pad;
                padded[(ch * ph + y + pad) * pw + px] = img[(ch * h + y) * w + xx];
            }
    /* In the mirrored padded image the crop window starts at 2*pad - crop_x. */
    int x0 = s->flip ? 2 * pad - s->crop_x : s->crop_x, y0 = s->crop_y;
    double worst = 0;
    for (int ch = 0; ch < 3; ch++)
        for (int y = 0; y < h; y++)
            for (int xx = 0; xx < w; xx++) {
                double want =
                    (padded[(ch * ph + y0 + y) * pw + x0 + xx] / 255.0 - mean[ch]) / std[ch];
                worst = fmax(worst, fabs(want - x_image[(ch * h + y) * w + xx]));
            }
    free(padded);
    return worst;
}

static void test_batch_random(const char *dataset) {
    char err[1024] = "";
    zc_cifar c;
    if (zc_cifar_load(g_data_dir, dataset, "test", &c, err, sizeof err) != 0) {
        CHECK_MSG(0, "%s", err);
        return;
    }
    const int batch = 64, image = 3 * c.h * c.w, pad = zc_dataset_augment_padding(dataset);
    float *x1 = malloc(sizeof(float) * (size_t)c.n * image);
    float *x2 = malloc(sizeof(float) * (size_t)c.n * image);
    int *l1 = malloc(sizeof(int) * c.n), *l2 = malloc(sizeof(int) * c.n);
    zc_cifar_sample *s1 = malloc(sizeof *s1 * c.n), *s2 = malloc(sizeof *s2 * c.n);

    /* Same seed: same batch; another seed: another batch. */
    zc_rng a = zc_rng_stream(1, ZC_STREAM_DATA_BATCH, 0), b = a;
    CHECK(zc_cifar_batch_ex(&c, batch, &a, 1, x1, l1, s1, err, sizeof err) == 0);
    CHECK(zc_cifar_batch_ex(&c, batch, &b, 1, x2, l2, s2, err, sizeof err) == 0);
    CHECK(memcmp(x1, x2, sizeof(float) * batch * image) == 0);
    CHECK(memcmp(l1, l2, sizeof(int) * batch) == 0);
    CHECK(memcmp(a.s, b.s, sizeof a.s) == 0);
    zc_rng other = zc_rng_stream(2, ZC_STREAM_DATA_BATCH, 0);
    CHECK(zc_cifar_batch_ex(&c, batch, &other, 1, x2, l2, s2, err, sizeof err) == 0);
    CHECK(memcmp(x1, x2, sizeof(float) * batch * image) != 0);
    int same_index = 0;
    for (int i = 0; i < batch; i++) same_index += s1[i].index == s2[i].index;
    CHECK(same_index < batch / 4);

    /* The draws follow the documented order (replayed here). */
    zc_rng replay = zc_rng_stream(1, ZC_STREAM_DATA_BATCH, 0);
    int *perm = malloc(sizeof(int) * c.n);
    for (int i = 0; i < c.n; i++) perm[i] = i;
    for (int i = 0; i < batch; i++) {
        int j = i + (int)zc_rng_below(&replay, (uint64_t)(c.n - i));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    int order_errors = 0;
    for (int i = 0; i < batch; i++) {
        int cy = (int)zc_rng_below(&replay, 2 * pad + 1),
            cx = (int)zc_rng_below(&replay, 2 * pad + 1);
        int flip = (int)zc_rng_below(&replay, 2);
        if (s1[i].index != perm[i] || s1[i].crop_y != cy || s1[i].crop_x != cx ||
            s1[i].flip != flip)
            order_errors++;
    }
    CHECK(order_errors == 0);
    free(perm);

    /* Every image is a crop of the padded (flipped) source: over many batches. */
    double worst = 0;
    int flips = 0, draws = 0, seen_y[9] = {0}, seen_x[9] = {0}, label_errors = 0, range_errors = 0;
    for (int rep = 0; rep < 20; rep++) {
        zc_rng r = zc_rng_stream(100 + rep, ZC_STREAM_DATA_BATCH, 0);
        CHECK(zc_cifar_batch_ex(&c, batch, &r, 1, x1, l1, s1, err, sizeof err) == 0);
        for (int i = 0; i < batch; i++) {
            if (s1[i].crop_y < 0 || s1[i].crop_y > 2 * pad || s1[i].crop_x < 0 ||
                s1[i].crop_x > 2 * pad) {
                range_errors++;
                continue;
            }
            worst = fmax(worst, augment_error(&c, &s1[i], x1 + (long)i * image));
            flips += s1[i].flip;
            draws++;
            seen_y[s1[i].crop_y]++;
            seen_x[s1[i].crop_x]++;
            if (l1[i] != c.labels[s1[i].index]) label_errors++;
        }
    }
    CHECK(range_errors == 0 && label_errors == 0);
    CHECK_MSG(worst < 2e-6, "%s: augmented image vs direct reconstruction: %g", dataset, worst);
    /* 1280 fair coin flips: mean 640, sd ~17.9; 5 sd bounds. */
    CHECK_MSG(abs(flips - draws / 2) < 90, "%s: %d flips of %d", dataset, flips, draws);
    for (int k = 0; k <= 2 * pad; k++) CHECK(seen_y[k] > 0 && seen_x[k] > 0);

    /* Whole set as one batch: a permutation of all images (no repeats). */
    zc_rng r = zc_rng_stream(3, ZC_STREAM_DATA_BATCH, 0);
    CHECK(zc_cifar_batch_ex(&c, c.n, &r, 0, x1, l1, s1, err, sizeof err) == 0);
    char *seen = calloc((size_t)c.n, 1);
    int repeats = 0, identity = 1;
    for (int i = 0; i < c.n; i++) {
        if (s1[i].index < 0 || s1[i].index >= c.n || seen[s1[i].index]++) repeats++;
        if (s1[i].index != i) identity = 0;
    }
    CHECK(repeats == 0 && !identity);
    free(seen);

    free(x1), free(x2), free(l1), free(l2), free(s1), free(s2);
    zc_cifar_free(&c);
}

/* ---- CIFAR: bad input ---------------------------------------------------- */

static void test_cifar_errors(void) {
    char err[1024] = "", path[512], folder[512];
    zc_cifar c;
    /* Batch too large. */
    CHECK(zc_cifar_load(g_data_dir, "cifar10", "train", &c, err, sizeof err) == 0);
    float *x = malloc(sizeof(float) * 3072);
    zc_rng rng = zc_rng_stream(1, ZC_STREAM_DATA_BATCH, 0), before = rng;
    char want[1024];
    snprintf(want, sizeof want, "batch 5000 > 4660 images in '%s'", c.path);
    CHECK(zc_cifar_batch(&c, 5000, &rng, 1, x, NULL, err, sizeof err) == -1);
    CHECK_MSG(strcmp(err, want) == 0, "got '%s'", err);
    CHECK(memcmp(rng.s, before.s, sizeof rng.s) == 0);
    CHECK(zc_cifar_batch(&c, 0, &rng, 1, x, NULL, err, sizeof err) == -1);
    free(x);
    zc_cifar_free(&c);

    /* Truncated copy, laid out like the data folder. */
    long size;
    snprintf(path, sizeof path, "%s/cifar10/test.bin", g_data_dir);
    uint8_t *raw = read_file(path, &size);
    CHECK(raw != NULL);
    tmp_path(folder, sizeof folder, "cifar10");
    mkdir(folder, 0700);
    tmp_path(path, sizeof path, "cifar10/test.bin");
    write_file(path, raw, 3073 * 3 + 100);
    CHECK(zc_cifar_load(g_tmp_dir, "cifar10", "test", &c, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, path) && strstr(err, "9319 bytes is not a multiple of 3073"), "got '%s'",
              err);
    CHECK(c.pixels == NULL && c.n == 0);
    /* A whole-record copy loads. */
    write_file(path, raw, 3073 * 3);
    CHECK(zc_cifar_load(g_tmp_dir, "cifar10", "test", &c, err, sizeof err) == 0 && c.n == 3);
    zc_cifar_free(&c);
    /* Label out of range. */
    raw[3073] = 10;
    write_file(path, raw, 3073 * 3);
    CHECK(zc_cifar_load(g_tmp_dir, "cifar10", "test", &c, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, path) && strstr(err, "label 10"), "got '%s'", err);
    /* Empty file. */
    write_file(path, raw, 0);
    CHECK(zc_cifar_load(g_tmp_dir, "cifar10", "test", &c, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, path) && strstr(err, "empty"), "got '%s'", err);
    unlink(path);
    rmdir(folder);
    free(raw);
    /* CIFAR-100 fine label out of range (record of 3074 bytes). */
    tmp_path(folder, sizeof folder, "cifar100");
    mkdir(folder, 0700);
    tmp_path(path, sizeof path, "cifar100/train.bin");
    uint8_t record[3074] = {3, 100};
    write_file(path, record, sizeof record);
    CHECK(zc_cifar_load(g_tmp_dir, "imagenet16", "train", &c, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, path) && strstr(err, "label 100"), "got '%s'", err);
    record[1] = 99;
    write_file(path, record, sizeof record);
    CHECK(zc_cifar_load(g_tmp_dir, "imagenet16", "train", &c, err, sizeof err) == 0 && c.n == 1 &&
          c.labels[0] == 99);
    zc_cifar_free(&c);
    unlink(path);
    rmdir(folder);

    /* Missing folder. */
    char missing[512];
    tmp_path(missing, sizeof missing, "no_such_folder");
    CHECK(zc_cifar_load(missing, "cifar100", "test", &c, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, missing) && strstr(err, "cifar100/test.bin"), "got '%s'", err);
    /* Unknown names. */
    CHECK(zc_cifar_load(g_data_dir, "svhn", "test", &c, err, sizeof err) == -1 &&
          strstr(err, "svhn"));
    CHECK(zc_cifar_load(g_data_dir, "cifar10", "valid", &c, err, sizeof err) == -1 &&
          strstr(err, "valid"));
}

/* ---- benchmark tables ---------------------------------------------------- */

/* Compare every row of t with the CSV text split here with strtok. */
static void cross_check_csv(const zc_bench_table *t) {
    long size;
    char *text = (char *)read_file(t->path, &size);
    CHECK(text != NULL);
    if (!text) return;
    int row = -1, errors = 0; /* row -1 is the header */
    char *save_line = NULL;
    for (char *line = strtok_r(text, "\n", &save_line); line;
         line = strtok_r(NULL, "\n", &save_line), row++) {
        if (row < 0) continue;
        char *save = NULL;
        char *idx = strtok_r(line, ",", &save), *arch = strtok_r(NULL, ",", &save);
        if (!idx || !arch || atoi(idx) != t->arch_index[row] ||
            zc_bench_table_find(t, arch) != row) {
            errors++;
            continue;
        }
        for (int c = 0; c < t->n_cols; c++) {
            char *field = strtok_r(NULL, ",", &save);
            if (!field || atof(field) != zc_bench_table_value(t, row, c)) errors++;
        }
    }
    CHECK(row == t->n_rows);
    CHECK_MSG(errors == 0, "%s: %d mismatches with the CSV text", t->path, errors);
    free(text);
}

static void test_tables(void) {
    char err[1024] = "";
    zc_bench_table t;
    CHECK(zc_bench_table_load(g_data_dir, "nb201", &t, err, sizeof err) == 0);
    CHECK(t.n_rows == 15625 && t.n_cols == 8);
    int index_errors = 0;
    for (int r = 0; r < t.n_rows; r++) index_errors += t.arch_index[r] != r;
    CHECK(index_errors == 0);
    const char *arch1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_"
                        "3x3~1|skip_connect~2|";
    CHECK(zc_bench_table_find(&t, arch1) == 1);
    int col = zc_bench_table_column(&t, zc_bench_default_accuracy_column("nb201", "cifar10"));
    CHECK(col == 3);
    CHECK(zc_bench_table_value(&t, 1, col) == 90.769333);
    CHECK(zc_bench_table_value(&t, 1, zc_bench_table_column(&t, "imagenet16_test_12ep")) == 33.8);
    CHECK(zc_bench_table_find(&t, "|none~0|+|none~0|none~1|+|none~0|none~1|none~3|") == -1);
    CHECK(zc_bench_table_find(&t, "") == -1);
    CHECK(zc_bench_table_column(&t, "arch_str") == -1 && zc_bench_table_column(&t, "x") == -1);
    /* Known best test accuracies of NAS-Bench-201 (data README). */
    const char *best_col[3] = {"cifar10_test", "cifar100_test", "imagenet16_test"};
    const double best[3] = {94.37, 73.51, 47.31};
    for (int k = 0; k < 3; k++) {
        int c = zc_bench_table_column(&t, best_col[k]);
        double m = -1;
        for (int r = 0; r < t.n_rows; r++) m = fmax(m, zc_bench_table_value(&t, r, c));
        CHECK_CLOSE(m, best[k], 0.006, 0);
    }
    cross_check_csv(&t);
    /* Lookups of every row, timed. */
    double t0 = zc_now();
    int lookup_errors = 0;
    for (int rep = 0; rep < 10; rep++)
        for (int r = 0; r < t.n_rows; r++)
            lookup_errors += zc_bench_table_find(&t, t.arch_str[r]) != r;
    double dt = zc_now() - t0;
    CHECK(lookup_errors == 0);
    printf("nb201: %.0f lookups/s\n", 10.0 * t.n_rows / fmax(dt, 1e-9));
    zc_bench_table_free(&t);
    CHECK(t.values == NULL && t.n_rows == 0);

    CHECK(zc_bench_table_load(g_data_dir, "nats_sss", &t, err, sizeof err) == 0);
    CHECK(t.n_rows == 32768 && t.n_cols == 6);
    /* index = position in the lexicographic product of {8..64 step 8}^5. */
    int arch_errors = 0;
    for (int r = 0; r < t.n_rows; r++) {
        char want[64];
        int d[5], v = r;
        for (int k = 4; k >= 0; k--) d[k] = 8 * (v % 8 + 1), v /= 8;
        snprintf(want, sizeof want, "%d:%d:%d:%d:%d", d[0], d[1], d[2], d[3], d[4]);
        if (t.arch_index[r] != r || strcmp(t.arch_str[r], want) != 0) arch_errors++;
    }
    CHECK(arch_errors == 0);
    int r = zc_bench_table_find(&t, "64:64:64:64:64");
    CHECK(r == 32767);
    if (r >= 0) {
        CHECK(zc_bench_table_value(&t, r, zc_bench_table_column(&t, "cifar10_test_acc")) == 93.4);
        CHECK(zc_bench_table_value(&t, r, zc_bench_table_column(&t, "params_in16")) == 720824);
    }
    cross_check_csv(&t);
    zc_bench_table_free(&t);

    /* Default columns. */
    const char *want[2][3] = {{"cifar10valid_valid", "cifar100_test", "imagenet16_test"},
                              {"cifar10_test_acc", "cifar100_test_acc", "imagenet16_120_test_acc"}};
    const char *spaces[2] = {"nb201", "nats_sss"},
               *datasets[3] = {"cifar10", "cifar100", "imagenet16"};
    for (int s = 0; s < 2; s++)
        for (int d = 0; d < 3; d++) {
            const char *got = zc_bench_default_accuracy_column(spaces[s], datasets[d]);
            CHECK(got && strcmp(got, want[s][d]) == 0);
        }
    CHECK(zc_bench_default_accuracy_column("nb201", "mnist") == NULL);
    CHECK(zc_bench_default_accuracy_column("nds", "cifar10") == NULL);
}

static void check_bad_csv(const char *content, const char *expect) {
    char folder[512], path[512], err[1024] = "";
    tmp_path(folder, sizeof folder, "nb201");
    mkdir(folder, 0700);
    tmp_path(path, sizeof path, "nb201/nb201.csv");
    write_file(path, content, strlen(content));
    zc_bench_table t;
    CHECK(zc_bench_table_load(g_tmp_dir, "nb201", &t, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, path) && strstr(err, expect), "expected '%s', got '%s'", expect, err);
    CHECK(t.n_rows == 0 && t.values == NULL);
    unlink(path);
    rmdir(folder);
}

static void test_table_errors(void) {
    const char *header = "arch_index,arch_str,cifar10_test,cifar100_test,imagenet16_test,"
                         "cifar10valid_valid,params_m\n";
    char buf[2048];
    snprintf(buf, sizeof buf, "%s0,|a~0|,1,2,3,4,5\n1,|b~0|,1,2,3,4\n", header);
    check_bad_csv(buf, "line 3");
    snprintf(buf, sizeof buf, "%s0,|a~0|,1,2,3,4,5\n1,|b~0|,1,2,3,4,5,6\n", header);
    check_bad_csv(buf, "line 3");
    snprintf(buf, sizeof buf, "%s0,|a~0|,1,2,x3,4,5\n", header);
    check_bad_csv(buf, "line 2: 'x3' in column 'imagenet16_test'");
    snprintf(buf, sizeof buf, "%s0,|a~0|,1,2,3,4,5\n1,|a~0|,1,2,3,4,5\n", header);
    check_bad_csv(buf, "line 3");
    snprintf(buf, sizeof buf, "%sz,|a~0|,1,2,3,4,5\n", header);
    check_bad_csv(buf, "line 2");
    snprintf(buf, sizeof buf, "%s0,|a~0|,1,2,3,4,5\n\n1,|b~0|,1,2,3,4,5\n", header);
    check_bad_csv(buf, "line 3: empty line");
    check_bad_csv("index,arch,a,b\n0,x,1,2\n", "line 1");
    check_bad_csv("arch_index,arch_str,cifar10_test,params_m\n0,x,1,2\n", "cifar10valid_valid");
    check_bad_csv("", "empty");

    /* Good small table: CRLF endings, empty field = NaN, trailing blank line. */
    char folder[512], path[512], err[1024] = "";
    tmp_path(folder, sizeof folder, "nb201");
    mkdir(folder, 0700);
    tmp_path(path, sizeof path, "nb201/nb201.csv");
    snprintf(buf, sizeof buf,
             "arch_index,arch_str,cifar10_test,cifar100_test,imagenet16_test,cifar10valid_valid\r\n"
             "5,|a~0|,1.5,,3,4\r\n7,|b~0|,2,3,4,5\r\n\r\n");
    write_file(path, buf, strlen(buf));
    zc_bench_table t;
    CHECK(zc_bench_table_load(g_tmp_dir, "nb201", &t, err, sizeof err) == 0);
    CHECK(t.n_rows == 2 && t.n_cols == 4 && t.arch_index[1] == 7);
    CHECK(zc_bench_table_find(&t, "|b~0|") == 1 && zc_bench_table_find(&t, "|a~0|") == 0);
    CHECK(t.n_rows == 2 && isnan(zc_bench_table_value(&t, 0, 1)) &&
          zc_bench_table_value(&t, 0, 0) == 1.5);
    zc_bench_table_free(&t);
    unlink(path);
    rmdir(folder);

    char missing[512];
    tmp_path(missing, sizeof missing, "no_such_folder");
    CHECK(zc_bench_table_load(missing, "nats_sss", &t, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, missing) && strstr(err, "nats_sss/nats_sss.csv"), "got '%s'", err);
    CHECK(zc_bench_table_load(g_data_dir, "nds", &t, err, sizeof err) == -1 && strstr(err, "nds"));
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    g_data_dir = argv[1];
    snprintf(g_tmp_dir, sizeof g_tmp_dir, "/tmp/zcevo_test_data_XXXXXX");
    if (!mkdtemp(g_tmp_dir)) zc_die("test: cannot create a temporary folder");

    test_cifar_contents();
    test_batch_plain("cifar10");
    test_batch_plain("cifar100");
    test_batch_plain("imagenet16");
    test_batch_random("cifar10");
    test_batch_random("imagenet16");
    test_cifar_errors();
    test_tables();
    test_table_errors();

    rmdir(g_tmp_dir);
    TEST_EXIT();
}

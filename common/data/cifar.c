/* cifar.c: CIFAR-10 / CIFAR-100 binary loaders, the ImageNet16-120 stand-in
 * (CIFAR-100 downsampled 2x2) and the augmented, normalised minibatch
 * sampler (see cifar.h for formats and the exact order of random draws). */
#include "common/data/cifar.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util/util.h"

/* ---- dataset descriptions ---------------------------------------------- */

typedef struct {
    const char *name;
    const char *file_folder; /* folder of the binary files it is read from */
    int num_classes;
    int image_size;
    int padding;
    double mean[3], std[3];
    const char *source;
} dataset_info;

static const dataset_info k_datasets[] = {
    {"cifar10", "cifar10", 10, 32, 4, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616},
     "CIFAR-10 images (official binary format)"},
    {"cifar100", "cifar100", 100, 32, 4, {0.5071, 0.4865, 0.4409}, {0.2673, 0.2564, 0.2762},
     "CIFAR-100 images (official binary format, fine labels)"},
    {"imagenet16", "cifar100", 120, 16, 2,
     {122.68 / 255.0, 116.66 / 255.0, 104.01 / 255.0},
     {63.22 / 255.0, 61.26 / 255.0, 65.09 / 255.0},
     "CIFAR-100 images resized 32x32->16x16 by 2x2 area averaging, labels = CIFAR-100 "
     "fine labels (stand-in: no ImageNet16-120 images available)"},
};

static const dataset_info *find_dataset(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_datasets); i++)
        if (strcmp(k_datasets[i].name, name) == 0) return &k_datasets[i];
    return NULL;
}

int zc_dataset_num_classes(const char *dataset) {
    const dataset_info *d = find_dataset(dataset);
    return d ? d->num_classes : -1;
}

int zc_dataset_image_size(const char *dataset) {
    const dataset_info *d = find_dataset(dataset);
    return d ? d->image_size : -1;
}

const char *zc_dataset_image_source(const char *dataset) {
    const dataset_info *d = find_dataset(dataset);
    return d ? d->source : NULL;
}

int zc_dataset_augment_padding(const char *dataset) {
    const dataset_info *d = find_dataset(dataset);
    return d ? d->padding : -1;
}

int zc_dataset_normalisation(const char *dataset, double mean[3], double std[3]) {
    const dataset_info *d = find_dataset(dataset);
    if (!d) return -1;
    for (int c = 0; c < 3; c++) {
        mean[c] = d->mean[c];
        std[c] = d->std[c];
    }
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

enum { CIFAR_SIDE = 32, CIFAR_IMAGE_BYTES = 3 * 32 * 32 };

/* Read a CIFAR binary file of records <label_bytes labels><3072 pixels>;
 * checks label byte b against max_label[b] and keeps the last label byte
 * (the CIFAR-10 label, or the CIFAR-100 fine label). */
static int read_cifar_file(const char *path, int label_bytes, const int *max_label,
                           zc_cifar *out, char *err, size_t errlen) {
    const long record = label_bytes + CIFAR_IMAGE_BYTES;
    FILE *f = fopen(path, "rb");
    if (!f) return zc_fail(err, errlen, "cannot open CIFAR file '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return zc_fail(err, errlen, "CIFAR file '%s' is not a regular file", path);
    }
    long long size = (long long)st.st_size;
    if (size == 0) {
        fclose(f);
        return zc_fail(err, errlen, "empty CIFAR file '%s'", path);
    }
    if (size % record != 0) {
        fclose(f);
        return zc_fail(err, errlen,
                    "truncated or corrupt CIFAR file '%s': %lld bytes is not a multiple of %ld",
                    path, size, record);
    }
    long long n = size / record;
    if (n > 100000000LL) {
        fclose(f);
        return zc_fail(err, errlen, "CIFAR file '%s' is too large (%lld records)", path, n);
    }
    uint8_t *raw = zc_malloc((size_t)size);
    size_t got = fread(raw, 1, (size_t)size, f);
    int read_error = ferror(f);
    fclose(f);
    if (got != (size_t)size || read_error) {
        free(raw);
        return zc_fail(err, errlen, "short read of CIFAR file '%s': %zu of %lld bytes", path, got,
                    size);
    }
    out->n = (int)n;
    out->labels = zc_malloc((size_t)n);
    out->pixels = zc_malloc((size_t)n * CIFAR_IMAGE_BYTES);
    for (long long i = 0; i < n; i++) {
        const uint8_t *rec = raw + i * record;
        for (int b = 0; b < label_bytes; b++) {
            if (rec[b] > max_label[b]) {
                int bad_label = rec[b];
                free(raw);
                return zc_fail(err, errlen,
                            "corrupt CIFAR file '%s': label %d of record %lld is out of range "
                            "0..%d",
                            path, bad_label, i, max_label[b]);
            }
        }
        out->labels[i] = rec[label_bytes - 1];
        memcpy(out->pixels + i * CIFAR_IMAGE_BYTES, rec + label_bytes, CIFAR_IMAGE_BYTES);
    }
    free(raw);
    return 0;
}

/* Replace the 32x32 images of c by their 2x2 area averages (16x16). */
static void downsample_2x2(zc_cifar *c) {
    const int half = CIFAR_SIDE / 2;
    uint8_t *small = zc_malloc((size_t)c->n * 3 * half * half);
    for (long i = 0; i < (long)c->n * 3; i++) { /* every plane of every image */
        const uint8_t *src = c->pixels + i * CIFAR_SIDE * CIFAR_SIDE;
        uint8_t *dst = small + i * half * half;
        for (int y = 0; y < half; y++) {
            const uint8_t *row0 = src + (2 * y) * CIFAR_SIDE;
            const uint8_t *row1 = row0 + CIFAR_SIDE;
            for (int x = 0; x < half; x++) {
                int sum = row0[2 * x] + row0[2 * x + 1] + row1[2 * x] + row1[2 * x + 1];
                dst[y * half + x] = (uint8_t)((sum + 2) / 4);
            }
        }
    }
    free(c->pixels);
    c->pixels = small;
    c->h = c->w = half;
}

int zc_cifar_load(const char *data_dir, const char *dataset, const char *split, zc_cifar *out,
                  char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const dataset_info *d = find_dataset(dataset);
    if (!d)
        return zc_fail(err, errlen,
                    "unknown dataset '%s' (expected cifar10, cifar100 or imagenet16)",
                    dataset ? dataset : "(null)");
    if (!split || (strcmp(split, "train") != 0 && strcmp(split, "test") != 0))
        return zc_fail(err, errlen, "unknown split '%s' for dataset '%s' (expected train or test)",
                    split ? split : "(null)", dataset);
    if (!data_dir) data_dir = ".";
    char path[sizeof out->path];
    int len = snprintf(path, sizeof path, "%s/%s/%s.bin", data_dir, d->file_folder, split);
    if (len < 0 || (size_t)len >= sizeof path)
        return zc_fail(err, errlen, "data folder path too long: '%s'", data_dir);

    static const int cifar10_max_label[1] = {9};
    static const int cifar100_max_label[2] = {19, 99}; /* coarse, fine */
    int is_cifar100 = strcmp(d->file_folder, "cifar100") == 0;
    int rc = is_cifar100 ? read_cifar_file(path, 2, cifar100_max_label, out, err, errlen)
                         : read_cifar_file(path, 1, cifar10_max_label, out, err, errlen);
    if (rc != 0) {
        zc_cifar_free(out);
        return -1;
    }
    memcpy(out->path, path, sizeof path);
    snprintf(out->dataset, sizeof out->dataset, "%s", d->name);
    snprintf(out->split, sizeof out->split, "%s", split);
    out->num_classes = d->num_classes;
    out->h = out->w = CIFAR_SIDE;
    if (d->image_size == CIFAR_SIDE / 2) {
        downsample_2x2(out);
        snprintf(out->source, sizeof out->source,
                 "CIFAR-100 %s images resized 32x32->16x16 by 2x2 area averaging, labels = "
                 "CIFAR-100 fine labels (stand-in: no ImageNet16-120 images available)",
                 split);
    } else {
        snprintf(out->source, sizeof out->source, "%s %s images (official binary format%s)",
                 is_cifar100 ? "CIFAR-100" : "CIFAR-10", split,
                 is_cifar100 ? ", fine labels" : "");
    }
    return 0;
}

void zc_cifar_free(zc_cifar *c) {
    if (!c) return;
    free(c->labels);
    free(c->pixels);
    memset(c, 0, sizeof *c);
}

/* ---- minibatches ------------------------------------------------------- */

int zc_cifar_batch_ex(const zc_cifar *c, int batch, zc_rng *rng, int augment, float *x_out,
                      int *labels_out, zc_cifar_sample *samples_out, char *err,
                      size_t errlen) {
    if (batch < 1)
        return zc_fail(err, errlen, "batch size %d < 1 for images in '%s'", batch, c->path);
    if (batch > c->n)
        return zc_fail(err, errlen, "batch %d > %d images in '%s'", batch, c->n, c->path);
    double mean[3], std[3];
    if (zc_dataset_normalisation(c->dataset, mean, std) != 0)
        return zc_fail(err, errlen, "unknown dataset '%s' of images in '%s'", c->dataset, c->path);
    const int pad = zc_dataset_augment_padding(c->dataset);
    const int h = c->h, w = c->w, plane = h * w;

    /* Normalised value of every byte value, per channel (zero padding is
     * the byte value 0, i.e. lut[ch][0]). */
    float lut[3][256];
    for (int ch = 0; ch < 3; ch++)
        for (int p = 0; p < 256; p++)
            lut[ch][p] = (float)(((double)p / 255.0 - mean[ch]) / std[ch]);

    /* 1. indices: partial Fisher-Yates. */
    int *perm = zc_malloc((size_t)c->n * sizeof *perm);
    for (int i = 0; i < c->n; i++) perm[i] = i;
    for (int b = 0; b < batch; b++) {
        int j = b + (int)zc_rng_below(rng, (uint64_t)(c->n - b));
        int t = perm[b];
        perm[b] = perm[j];
        perm[j] = t;
    }
    /* 2. augmentation draws, image by image. */
    zc_cifar_sample *plan = zc_malloc((size_t)batch * sizeof *plan);
    for (int b = 0; b < batch; b++) {
        plan[b].index = perm[b];
        if (augment) {
            plan[b].crop_y = (int)zc_rng_below(rng, (uint64_t)(2 * pad + 1));
            plan[b].crop_x = (int)zc_rng_below(rng, (uint64_t)(2 * pad + 1));
            plan[b].flip = (int)zc_rng_below(rng, 2);
        } else {
            plan[b].crop_y = plan[b].crop_x = pad;
            plan[b].flip = 0;
        }
    }
    free(perm);

    /* 3. crop, flip and normalise. Output pixel (y, x) reads the padded
     * image at (y + crop_y, xs + crop_x), xs = flip ? w-1-x : x, i.e. the
     * source at (y + crop_y - pad, xs + crop_x - pad) or zero outside it. */
    for (int b = 0; b < batch; b++) {
        const uint8_t *src = c->pixels + (size_t)plan[b].index * 3 * plane;
        float *dst = x_out + (size_t)b * 3 * plane;
        const int dy = plan[b].crop_y - pad, dx = plan[b].crop_x - pad;
        const int flip = plan[b].flip;
        for (int ch = 0; ch < 3; ch++) {
            const float *table = lut[ch];
            const uint8_t *src_plane = src + (size_t)ch * plane;
            float *dst_plane = dst + (size_t)ch * plane;
            for (int y = 0; y < h; y++) {
                const int sy = y + dy;
                float *out_row = dst_plane + (size_t)y * w;
                if (sy < 0 || sy >= h) {
                    for (int x = 0; x < w; x++) out_row[x] = table[0];
                    continue;
                }
                const uint8_t *src_row = src_plane + (size_t)sy * w;
                for (int x = 0; x < w; x++) {
                    const int sx = (flip ? w - 1 - x : x) + dx;
                    out_row[x] = (sx < 0 || sx >= w) ? table[0] : table[src_row[sx]];
                }
            }
        }
        if (labels_out) labels_out[b] = c->labels[plan[b].index];
    }
    if (samples_out) memcpy(samples_out, plan, (size_t)batch * sizeof *plan);
    free(plan);
    return 0;
}

int zc_cifar_batch(const zc_cifar *c, int batch, zc_rng *rng, int augment, float *x_out,
                   int *labels_out, char *err, size_t errlen) {
    return zc_cifar_batch_ex(c, batch, rng, augment, x_out, labels_out, NULL, err, errlen);
}

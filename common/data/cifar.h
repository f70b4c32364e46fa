/* cifar.h: the image data of zcevo: CIFAR-10 and CIFAR-100 in the official
 * binary formats, an ImageNet16-120 stand-in made from CIFAR-100, and the
 * minibatch sampler (choice without replacement, NAS-Bench-201 training
 * augmentation, per-channel normalisation) that feeds the networks.
 *
 * Files, below the data folder:
 *   cifar10/{train,test}.bin   records <label><3072 bytes>          (3073 B)
 *   cifar100/{train,test}.bin  records <coarse><fine><3072 bytes>   (3074 B)
 * The 3072 bytes are the R, G and B planes (1024 bytes each), each plane a
 * row-major 32x32 image. CIFAR-100 uses the fine label (100 classes).
 *
 * "imagenet16": no ImageNet16-120 images are available, so this dataset is
 * the CIFAR-100 images of the same split, resized once at load time from
 * 32x32 to 16x16 by 2x2 area averaging (each output pixel is the mean of a
 * 2x2 block, rounded half up to an integer: (a+b+c+d+2)/4). It declares 120
 * classes (the CIFAR-100 fine labels, all < 100, are its labels) and the
 * ImageNet16-120 normalisation. zc_dataset_image_source() says so, and every
 * result made from it must carry that text.
 *
 * Pixels are stored as loaded: uint8, planar per image (C x H x W).
 */
#ifndef ZC_CIFAR_H
#define ZC_CIFAR_H

#include <stddef.h>
#include <stdint.h>

#include "common/util/rng.h"

/* A loaded image set. pixels holds n images of 3 x h x w bytes each. */
typedef struct {
    char dataset[16];    /* "cifar10", "cifar100" or "imagenet16"          */
    char split[8];       /* "train" or "test"                               */
    int n;               /* number of images                                */
    int num_classes;     /* 10, 100 or 120                                  */
    int h, w;            /* 32x32, or 16x16 for imagenet16                  */
    uint8_t *labels;     /* n labels, each < num_classes                    */
    uint8_t *pixels;     /* n * 3 * h * w bytes, image-major, C x H x W     */
    char path[512];      /* the file the images came from                   */
    char source[256];    /* one line describing the images, for metadata   */
} zc_cifar;

/* One sampled image of a batch and the augmentation drawn for it. */
typedef struct {
    int index;   /* image index in the set, 0 <= index < n                  */
    int crop_y;  /* top of the crop window in the padded image, 0..2*pad    */
    int crop_x;  /* left of the crop window in the padded image, 0..2*pad   */
    int flip;    /* 1 when the crop was mirrored horizontally               */
} zc_cifar_sample;

/* zc_dataset_num_classes: 10 (cifar10), 100 (cifar100), 120 (imagenet16);
 * -1 for an unknown name. */
int zc_dataset_num_classes(const char *dataset);

/* zc_dataset_image_size: image side in pixels: 32 for cifar10/cifar100, 16
 * for imagenet16; -1 for an unknown name. */
int zc_dataset_image_size(const char *dataset);

/* zc_dataset_image_source: a static one-line description of where the
 * dataset's images come from (for result metadata); for imagenet16 it says
 * that the images are resized CIFAR-100 stand-ins. NULL for unknown names. */
const char *zc_dataset_image_source(const char *dataset);

/* zc_dataset_augment_padding: zero padding of the random crop: 4 pixels for
 * 32x32 images, 2 for 16x16 (as NAS-Bench-201); -1 for an unknown name. */
int zc_dataset_augment_padding(const char *dataset);

/* zc_dataset_normalisation: the NAS-Bench-201 per-channel mean and std (of
 * pixel/255) of the dataset into mean[3], std[3]. Returns 0, or -1 for an
 * unknown name (mean/std untouched). */
int zc_dataset_normalisation(const char *dataset, double mean[3], double std[3]);

/* zc_cifar_load: load <data_dir>/<cifar10|cifar100>/<split>.bin into *out
 * (imagenet16 loads cifar100 and downsamples). On success returns 0 and *out
 * owns its buffers (free with zc_cifar_free). On failure returns -1, writes
 * one line naming the file or value into err (if err != NULL) and leaves
 * *out empty (safe to free). Failures: unknown dataset or split, missing or
 * unreadable file, empty file, size not a multiple of the record size,
 * label out of range. */
int zc_cifar_load(const char *data_dir, const char *dataset, const char *split,
                  zc_cifar *out, char *err, size_t errlen);

/* zc_cifar_free: release the buffers of c and zero it. NULL-safe. */
void zc_cifar_free(zc_cifar *c);

/* zc_cifar_batch: draw a minibatch of `batch` distinct images from c.
 * Random draws, all from rng, in this order:
 *   1. indices: a partial Fisher-Yates shuffle of 0..n-1: for b = 0..batch-1,
 *      j = b + zc_rng_below(rng, n - b), swap(perm[b], perm[j]); image b is
 *      perm[b];
 *   2. if augment, for b = 0..batch-1 in turn: crop_y = zc_rng_below(rng,
 *      2*pad+1), crop_x = zc_rng_below(rng, 2*pad+1), flip = zc_rng_below(
 *      rng, 2) (pad from zc_dataset_augment_padding).
 * Image b is then: the source image padded with `pad` zero (black) pixels on
 * every side, cropped to h x w at (crop_y, crop_x), mirrored left-right if
 * flip (torchvision RandomCrop(padding) then RandomHorizontalFlip on the raw
 * image); then every value p becomes (p/255 - mean[c]) / std[c].
 * Outputs: x_out[batch * 3 * h * w] float32 NCHW; labels_out[batch] (may be
 * NULL); samples_out[batch] (may be NULL): the index and augmentation of
 * each image (crop = (pad, pad), flip 0 when augment is 0).
 * Returns 0, or -1 with one line in err when batch < 1 or batch > c->n
 * ("batch 5000 > 4660 images in '<path>'"); nothing is drawn from rng then. */
int zc_cifar_batch_ex(const zc_cifar *c, int batch, zc_rng *rng, int augment,
                      float *x_out, int *labels_out, zc_cifar_sample *samples_out,
                      char *err, size_t errlen);

/* zc_cifar_batch: zc_cifar_batch_ex without the per-image report. */
int zc_cifar_batch(const zc_cifar *c, int batch, zc_rng *rng, int augment, float *x_out,
                   int *labels_out, char *err, size_t errlen);

#endif

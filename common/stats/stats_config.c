/* stats_config.c: comparing, printing and range-checking statistics
 * configurations (see stats_config.h). */
#include "common/stats/stats_config.h"

#include <stdio.h>
#include <string.h>

#include "common/data/cifar.h"
#include "common/nets/space.h"
#include "common/util/util.h"

const char *zc_stats_config_diff(const zc_stats_config *a, const zc_stats_config *b) {
    if (strcmp(a->space, b->space) != 0) return "space";
    if (strcmp(a->dataset, b->dataset) != 0) return "dataset";
    if (a->batch != b->batch) return "batch";
    if (a->seed != b->seed) return "seed";
    if (a->terminals != b->terminals) return "terminals";
    if (a->store_params != b->store_params) return "store_params";
    if (a->num_classes != b->num_classes) return "num_classes";
    if (a->image_h != b->image_h) return "image_h";
    if (a->image_w != b->image_w) return "image_w";
    if (strcmp(a->accuracy_column, b->accuracy_column) != 0) return "accuracy_column";
    if (strcmp(a->image_source, b->image_source) != 0) return "image_source";
    return NULL;
}

void zc_stats_terminal_list(zc_terminal_mask mask, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = 0;
    for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
        if (!(mask & (1u << id))) continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", zc_terminal_name(id));
        if (w < 0 || (size_t)w >= n - used) break;
        used += (size_t)w;
    }
}

void zc_stats_config_field_text(const zc_stats_config *c, const char *field, char *buf,
                                size_t n) {
    if (!strcmp(field, "space")) snprintf(buf, n, "%s", c->space);
    else if (!strcmp(field, "dataset")) snprintf(buf, n, "%s", c->dataset);
    else if (!strcmp(field, "batch")) snprintf(buf, n, "%d", c->batch);
    else if (!strcmp(field, "seed")) snprintf(buf, n, "%llu", (unsigned long long)c->seed);
    else if (!strcmp(field, "terminals")) zc_stats_terminal_list(c->terminals, buf, n);
    else if (!strcmp(field, "store_params")) snprintf(buf, n, "%d", c->store_params);
    else if (!strcmp(field, "num_classes")) snprintf(buf, n, "%d", c->num_classes);
    else if (!strcmp(field, "image_h")) snprintf(buf, n, "%d", c->image_h);
    else if (!strcmp(field, "image_w")) snprintf(buf, n, "%d", c->image_w);
    else if (!strcmp(field, "accuracy_column")) snprintf(buf, n, "%s", c->accuracy_column);
    else snprintf(buf, n, "\"%s\"", c->image_source);
}

/* out_of_range: the message for an integer field outside lo..hi. */
static int out_of_range(const char *field, long v, long lo, long hi, char *err, size_t errlen) {
    return zc_fail(err, errlen, "%s=%ld is out of range (expected %ld..%ld)", field, v, lo, hi);
}

int zc_stats_config_check(const zc_stats_config *c, char *err, size_t errlen) {
    if (!zc_space_find(c->space))
        return zc_fail(err, errlen, "space='%s' is not a known space (see zcevo spaces)",
                       c->space);
    if (zc_dataset_num_classes(c->dataset) <= 0)
        return zc_fail(err, errlen, "dataset='%s' is not cifar10, cifar100 or imagenet16",
                       c->dataset);
    if (c->batch < 1 || c->batch > 100000)
        return out_of_range("batch", c->batch, 1, 100000, err, errlen);
    if (c->image_h < 1 || c->image_h > 4096)
        return out_of_range("image_h", c->image_h, 1, 4096, err, errlen);
    if (c->image_w < 1 || c->image_w > 4096)
        return out_of_range("image_w", c->image_w, 1, 4096, err, errlen);
    if (c->num_classes < 1 || c->num_classes > 100000)
        return out_of_range("num_classes", c->num_classes, 1, 100000, err, errlen);
    if (c->store_params != 0 && c->store_params != 1)
        return out_of_range("store_params", c->store_params, 0, 1, err, errlen);
    if (!c->terminals) return zc_fail(err, errlen, "terminals='' names no terminal");
    if (!c->accuracy_column[0]) return zc_fail(err, errlen, "accuracy_column is empty");
    return 0;
}

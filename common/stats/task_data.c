/* task_data.c: fitness tasks in memory (see task_data.h). */
#include "common/stats/task_data.h"

#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "common/stats/stats_job.h"

static void fill_acc(zc_task_data *d) {
    d->acc = zc_malloc(sizeof(double) * (size_t)(d->n_archs ? d->n_archs : 1));
    for (int i = 0; i < d->n_archs; i++) d->acc[i] = d->archs[i].accuracy;
}

/* check_set: at least two complete architectures, every value finite. */
static int check_set(const char *path, zc_stats_set *set, char *err, size_t errlen) {
    if (set->n_archs < 2) {
        snprintf(err, errlen, "statistics file '%s' holds %d complete architectures; at least 2 "
                 "are needed", path, set->n_archs);
        return -1;
    }
    for (int i = 0; i < set->n_archs; i++) {
        char why[512];
        if (zc_arch_stats_check_finite(&set->archs[i], why, sizeof why) != 0) {
            snprintf(err, errlen, "statistics file '%s' holds a non-finite value: %s", path, why);
            return -1;
        }
    }
    return 0;
}

/* take_set: d takes the records of set (named path). */
static void take_set(zc_task_data *d, const char *path, zc_stats_set *set) {
    snprintf(d->name, sizeof d->name, "%s", path);
    d->cfg = set->cfg;
    d->n_archs = set->n_archs;
    d->archs = set->archs;
    fill_acc(d);
}

/* add_terminal_half: terminal t of every record of set (the same
 * architectures as d, in the same order) into d's half data. */
static int add_terminal_half(zc_task_data *d, const char *path, zc_stats_set *set, int t,
                             char *err, size_t errlen) {
    if (set->n_archs != d->n_archs)
        return zc_fail(err, errlen, "statistics file '%s' changed while it was read", path);
    for (int i = 0; i < d->n_archs; i++) {
        zc_arch_stats *a = &d->archs[i], *b = &set->archs[i];
        if (b->arch_index != a->arch_index || b->n_layers != a->n_layers)
            return zc_fail(err, errlen, "statistics file '%s' changed while it was read", path);
        for (int l = 0; l < a->n_layers; l++) {
            a->layers[l].t[t] = b->layers[l].t[t];
            a->layers[l].t[t].data = NULL;
        }
        zc_half_arch one;
        zc_half_from_arch(b, &one);
        for (int l = 0; l < a->n_layers; l++) {
            d->half[i].bits[l][t] = one.bits[l][t];
            d->half[i].exponent[l][t] = one.exponent[l][t];
            one.bits[l][t] = NULL;
        }
        zc_half_free(&one);
    }
    return 0;
}

/* load_half: the file one terminal at a time, each converted to half form
 * before the next is read. */
static int load_half(zc_task_data *d, const char *path, zc_terminal_mask want, char *err,
                     size_t errlen) {
    int first = 1;
    for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
        if (!(want & (1u << t))) continue;
        zc_stats_set set;
        if (zc_stats_read(path, 1u << t, &set, err, errlen) != 0) return -1;
        int rc = check_set(path, &set, err, errlen);
        if (rc == 0 && first) {
            take_set(d, path, &set);
            d->half = zc_calloc((size_t)d->n_archs, sizeof *d->half);
            for (int i = 0; i < d->n_archs; i++) zc_half_from_arch(&d->archs[i], &d->half[i]);
            first = 0;
            continue;
        }
        if (rc == 0) rc = add_terminal_half(d, path, &set, t, err, errlen);
        zc_stats_set_free(&set);
        if (rc != 0) return -1;
    }
    return first ? zc_fail(err, errlen, "no terminal asked of '%s'", path) : 0;
}

int zc_task_data_load(zc_task_data *d, const char *path, zc_terminal_mask want, int half,
                      char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    if (half) {
        if (load_half(d, path, want, err, errlen) == 0) return 0;
        zc_task_data_free(d);
        return -1;
    }
    zc_stats_set set;
    if (zc_stats_read(path, want, &set, err, errlen) != 0) return -1;
    if (check_set(path, &set, err, errlen) != 0) {
        zc_stats_set_free(&set);
        return -1;
    }
    take_set(d, path, &set);
    return 0;
}

typedef struct {
    zc_task_data *d;
} keep_sink;

static int keep_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                       size_t errlen) {
    (void)net, (void)err, (void)errlen;
    keep_sink *k = ctx;
    k->d->archs[i] = *rec; /* take ownership: rows keep their order */
    memset(rec, 0, sizeof *rec);
    if (k->d->half) zc_half_from_arch(&k->d->archs[i], &k->d->half[i]);
    return 0;
}

int zc_task_data_compute(zc_task_data *d, const zc_task *task, const int *rows, int n,
                         zc_terminal_mask mask, int half, int threads, int progress,
                         char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s/%s/b%d", task->space, task->dataset, task->batch);
    zc_task_stats_config(task, mask, 0, &d->cfg);
    d->n_archs = n;
    d->archs = zc_calloc((size_t)(n ? n : 1), sizeof *d->archs);
    if (half) d->half = zc_calloc((size_t)(n ? n : 1), sizeof *d->half);
    keep_sink k = {d};
    char label[160];
    snprintf(label, sizeof label, "stats %s", d->name);
    zc_stats_job job = {.task = task, .mask = mask, .n_rows = n, .rows = rows,
                        .threads = threads, .progress = progress, .label = label,
                        .sink = keep_record, .sink_ctx = &k};
    if (zc_stats_job_run(&job, err, errlen) != 0) {
        zc_task_data_free(d);
        return -1;
    }
    fill_acc(d);
    return 0;
}

const zc_arch_stats *zc_task_data_arch(const zc_task_data *d, int i, zc_terminal_mask need,
                                       zc_half_scratch *scratch) {
    if (!d->half) return &d->archs[i];
    return zc_half_expand(&d->archs[i], &d->half[i], need, scratch);
}

/* copy_data: owned float32 copies into a's data pointers of the terminals
 * held by x (a record of the same layout). */
static void copy_data(const zc_arch_stats *x, zc_arch_stats *a) {
    for (int l = 0; l < a->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            const zc_tensor *src = &x->layers[l].t[t];
            if (!src->data) continue;
            size_t bytes = sizeof(float) * (size_t)zc_tensor_numel(src);
            a->layers[l].t[t].data = zc_malloc(bytes);
            memcpy(a->layers[l].t[t].data, src->data, bytes);
        }
}

void zc_task_data_to_float(zc_task_data *d) {
    if (!d->half) return;
    zc_half_scratch s = {0};
    for (int i = 0; i < d->n_archs; i++) {
        copy_data(zc_half_expand(&d->archs[i], &d->half[i], ZC_ALL_TERMINALS, &s), &d->archs[i]);
        zc_half_free(&d->half[i]);
    }
    zc_half_scratch_free(&s);
    free(d->half);
    d->half = NULL;
}

void zc_task_data_copy_float(const zc_task_data *d, int n, zc_task_data *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", d->name);
    out->cfg = d->cfg;
    out->n_archs = ZC_MIN(n, d->n_archs);
    out->archs = zc_calloc((size_t)(out->n_archs ? out->n_archs : 1), sizeof *out->archs);
    out->acc = zc_malloc(sizeof(double) * (size_t)(out->n_archs ? out->n_archs : 1));
    zc_half_scratch s = {0};
    for (int i = 0; i < out->n_archs; i++) {
        const zc_arch_stats *src = zc_task_data_arch(d, i, ZC_ALL_TERMINALS, &s);
        zc_arch_stats *a = &out->archs[i];
        *a = *src;
        a->arch_str = src->arch_str ? zc_strdup(src->arch_str) : NULL;
        a->layers = zc_malloc(sizeof *a->layers * (size_t)(a->n_layers ? a->n_layers : 1));
        memcpy(a->layers, src->layers, sizeof *a->layers * (size_t)a->n_layers);
        for (int l = 0; l < a->n_layers; l++)
            for (int t = 0; t < ZC_NUM_TERMINALS; t++) a->layers[l].t[t].data = NULL;
        copy_data(src, a);
        a->values = NULL; /* network-level values (SR-NAS records) */
        if (src->n_values) {
            a->values = zc_malloc(sizeof(double) * (size_t)src->n_values);
            memcpy(a->values, src->values, sizeof(double) * (size_t)src->n_values);
        }
        out->acc[i] = d->acc[i];
    }
    zc_half_scratch_free(&s);
}

void zc_task_data_drop(zc_task_data *d, int a0, int a1) {
    for (int i = 0; i < d->n_archs; i++)
        if (i < a0 || i >= a1) {
            zc_arch_stats_free(&d->archs[i]);
            if (d->half) zc_half_free(&d->half[i]);
        }
    memmove(d->archs, d->archs + a0, sizeof *d->archs * (size_t)(a1 - a0));
    memmove(d->acc, d->acc + a0, sizeof *d->acc * (size_t)(a1 - a0));
    if (d->half) memmove(d->half, d->half + a0, sizeof *d->half * (size_t)(a1 - a0));
    d->n_archs = a1 - a0;
}

int64_t zc_task_data_bytes(const zc_task_data *d) {
    int64_t b = 0;
    for (int i = 0; i < d->n_archs; i++)
        b += d->half ? zc_half_bytes(&d->archs[i], &d->half[i]) : zc_arch_stats_bytes(&d->archs[i]);
    return b;
}

void zc_task_data_free(zc_task_data *d) {
    for (int i = 0; i < d->n_archs; i++) {
        zc_arch_stats_free(&d->archs[i]);
        if (d->half) zc_half_free(&d->half[i]);
    }
    free(d->half);
    free(d->archs);
    free(d->acc);
    memset(d, 0, sizeof *d);
}

/* spec_number: the integer field `text` of task spec `spec` named `what`,
 * within [lo, hi]. Returns 0, or -1 with err. */
static int spec_number(const char *spec, const char *text, const char *what, long lo, long hi,
                       int *out, char *err, size_t errlen) {
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > hi) {
        snprintf(err, errlen, "task '%s': %s '%s' is not an integer in %ld..%ld", spec, what,
                 text, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int zc_parse_task_spec(const char *text, char *space, size_t space_len, char *dataset,
                       size_t dataset_len, int *batch, int *image_hw, char *err,
                       size_t errlen) {
    const char *c1 = strchr(text, ':');
    if (!c1 || c1 == text || !c1[1]) {
        snprintf(err, errlen,
                 "task '%s' must be space:dataset[:batch[:image_size]], e.g. nb201:cifar10",
                 text);
        return -1;
    }
    const char *c2 = strchr(c1 + 1, ':');
    const char *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
    snprintf(space, space_len, "%.*s", (int)(c1 - text), text);
    snprintf(dataset, dataset_len, "%.*s", (int)((c2 ? c2 : c1 + strlen(c1)) - c1 - 1), c1 + 1);
    if (c2) {
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)((c3 ? c3 : c2 + strlen(c2)) - c2 - 1), c2 + 1);
        if (spec_number(text, num, "batch", 1, 100000, batch, err, errlen) != 0) return -1;
    }
    if (c3 && spec_number(text, c3 + 1, "image size", 8, 1024, image_hw, err, errlen) != 0)
        return -1;
    return 0;
}

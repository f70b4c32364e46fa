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

int zc_task_data_load(zc_task_data *d, const char *path, zc_terminal_mask want, char *err,
                      size_t errlen) {
    memset(d, 0, sizeof *d);
    zc_stats_set set;
    if (zc_stats_read(path, want, &set, err, errlen) != 0) return -1;
    if (set.n_archs < 2) {
        snprintf(err, errlen, "statistics file '%s' holds %d complete architectures; at least 2 "
                 "are needed", path, set.n_archs);
        zc_stats_set_free(&set);
        return -1;
    }
    for (int i = 0; i < set.n_archs; i++) {
        char why[512];
        if (zc_arch_stats_check_finite(&set.archs[i], why, sizeof why) != 0) {
            snprintf(err, errlen, "statistics file '%s' holds a non-finite value: %s", path, why);
            zc_stats_set_free(&set);
            return -1;
        }
    }
    snprintf(d->name, sizeof d->name, "%s", path);
    d->cfg = set.cfg;
    d->n_archs = set.n_archs;
    d->archs = set.archs;
    fill_acc(d);
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
    return 0;
}

int zc_task_data_compute(zc_task_data *d, const zc_task *task, const int *rows, int n,
                         zc_terminal_mask mask, int threads, int progress, char *err,
                         size_t errlen) {
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s/%s/b%d", task->space, task->dataset, task->batch);
    zc_task_stats_config(task, mask, 0, &d->cfg);
    d->n_archs = n;
    d->archs = zc_calloc((size_t)(n ? n : 1), sizeof *d->archs);
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

int64_t zc_task_data_bytes(const zc_task_data *d) {
    int64_t b = 0;
    for (int i = 0; i < d->n_archs; i++) b += zc_arch_stats_bytes(&d->archs[i]);
    return b;
}

void zc_task_data_free(zc_task_data *d) {
    for (int i = 0; i < d->n_archs; i++) zc_arch_stats_free(&d->archs[i]);
    free(d->archs);
    free(d->acc);
    memset(d, 0, sizeof *d);
}

int zc_parse_task_spec(const char *text, char *space, size_t space_len, char *dataset,
                       size_t dataset_len, int *batch, char *err, size_t errlen) {
    const char *c1 = strchr(text, ':');
    if (!c1 || c1 == text || !c1[1]) {
        snprintf(err, errlen, "task '%s' must be space:dataset[:batch], e.g. nb201:cifar10",
                 text);
        return -1;
    }
    const char *c2 = strchr(c1 + 1, ':');
    snprintf(space, space_len, "%.*s", (int)(c1 - text), text);
    snprintf(dataset, dataset_len, "%.*s", (int)((c2 ? c2 : c1 + strlen(c1)) - c1 - 1), c1 + 1);
    if (c2) {
        char *end;
        long b = strtol(c2 + 1, &end, 10);
        if (*end || b < 1 || b > 100000) {
            snprintf(err, errlen, "task '%s': batch '%s' is not a positive integer", text,
                     c2 + 1);
            return -1;
        }
        *batch = (int)b;
    }
    return 0;
}

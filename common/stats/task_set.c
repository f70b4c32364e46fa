/* task_set.c: the evolution task set: task set-up, row choice and loading
 * (see task_set.h). */
#include "common/stats/task_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats/proxies_h5.h"
#include "common/util/rng.h"
#include "common/util/util.h"

/* draw_rows: the evolution and held-out rows of computed task t: one seeded
 * sample of archs_per_task + final_archs distinct rows, split after the
 * first archs_per_task. */
static void draw_rows(const zc_task_set *s, int t, zc_task_set_rows *r) {
    int total = r->task.table.n_rows;
    int want = s->archs_per_task + s->final_archs;
    if (want > total) want = total;
    int *rows = zc_malloc(sizeof(int) * (size_t)total);
    for (int i = 0; i < total; i++) rows[i] = i;
    zc_rng rng = zc_rng_stream(s->seed, ZC_STREAM_ARCH_SAMPLE, 1000 + (uint64_t)t);
    for (int i = 0; i < want; i++) {
        int j = i + (int)zc_rng_below(&rng, (uint64_t)(total - i));
        int tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
    }
    r->n_evo = ZC_MIN(s->archs_per_task, want);
    r->n_fin = want - r->n_evo;
    r->evo = zc_malloc(sizeof(int) * (size_t)(r->n_evo + 1));
    r->fin = zc_malloc(sizeof(int) * (size_t)(r->n_fin + 1));
    memcpy(r->evo, rows, sizeof(int) * (size_t)r->n_evo);
    memcpy(r->fin, rows + r->n_evo, sizeof(int) * (size_t)r->n_fin);
    free(rows);
}

int zc_task_set_open(const zc_task_set *s, int t, int final, zc_task_set_rows *r, char *err,
                     size_t errlen) {
    memset(r, 0, sizeof *r);
    char sp[32], ds[32];
    int b = s->batch, hw = 0;
    zc_parse_task_spec(s->task_spec[t], sp, sizeof sp, ds, sizeof ds, &b, &hw, err, errlen);
    if (final && s->final_batch) b = s->final_batch;
    char *data_dir = zc_data_dir(s->data_flag[0] ? s->data_flag : NULL);
    int rc = zc_task_setup_sized(&r->task, data_dir, sp, ds, b, s->seed, NULL, hw, err, errlen);
    free(data_dir);
    if (rc != 0) return -1;
    draw_rows(s, t, r);
    return 0;
}

void zc_task_set_close(zc_task_set_rows *r) {
    free(r->evo);
    free(r->fin);
    zc_task_free(&r->task);
    memset(r, 0, sizeof *r);
}

/* split_sample: when d holds more than n architectures, shuffle its first
 * n into place with rng (a partial Fisher-Yates: the seeded sample) and
 * keep them (final == 0) or the others (final != 0, in their shuffled
 * order); with n or fewer, keep all (final == 0) or none. */
static void split_sample(zc_task_data *d, int n, zc_rng *rng, int final) {
    if (d->n_archs <= n) {
        if (final) zc_task_data_drop(d, 0, 0);
        return;
    }
    for (int i = 0; i < n; i++) {
        int j = i + (int)zc_rng_below(rng, (uint64_t)(d->n_archs - i));
        zc_arch_stats tmp = d->archs[i];
        d->archs[i] = d->archs[j];
        d->archs[j] = tmp;
        double ta = d->acc[i];
        d->acc[i] = d->acc[j];
        d->acc[j] = ta;
        if (d->half) {
            zc_half_arch th = d->half[i];
            d->half[i] = d->half[j];
            d->half[j] = th;
        }
    }
    if (final) zc_task_data_drop(d, n, d->n_archs);
    else zc_task_data_drop(d, 0, n);
}

int zc_task_set_load_file(const zc_task_set *s, int f, zc_task_data *d, char *err,
                          size_t errlen) {
    if (zc_task_data_load(d, s->stats_file[f], s->mask, s->half, err, errlen) != 0) return -1;
    zc_rng rng = zc_rng_stream(s->seed, ZC_STREAM_ARCH_SAMPLE, 2000 + (uint64_t)f);
    split_sample(d, s->archs_per_task, &rng, 0);
    return 0;
}

int zc_task_set_load_values(const zc_task_set *s, int f, int final, zc_task_data *d, char *err,
                            size_t errlen) {
    if (zc_proxies_h5_load(s->values_file[f], &s->columns, d, err, errlen) != 0) return -1;
    zc_rng rng = zc_rng_stream(s->seed, ZC_STREAM_ARCH_SAMPLE, 3000 + (uint64_t)f);
    split_sample(d, s->archs_per_task, &rng, final);
    return 0;
}

/* compute_rows: the statistics of evolution rows [a0, a1) of computed task
 * t (whole: all of them, range unchecked), named by its spec. progress:
 * progress lines. */
static int compute_rows(const zc_task_set *s, int t, int whole, int a0, int a1, int progress,
                        zc_task_data *d, char *err, size_t errlen) {
    zc_task_set_rows r;
    if (zc_task_set_open(s, t, 0, &r, err, errlen) != 0) return -1;
    int rc = -1;
    if (whole) {
        a0 = 0;
        a1 = r.n_evo;
    }
    if (!whole && (a0 < 0 || a1 > r.n_evo || a0 >= a1))
        snprintf(err, errlen, "task %s: architecture range [%d, %d) outside 0..%d",
                 s->task_spec[t], a0, a1, r.n_evo);
    else
        rc = zc_task_data_compute(d, &r.task, r.evo + a0, a1 - a0, s->mask, s->half, s->threads,
                                  progress, err, errlen);
    if (rc == 0) snprintf(d->name, sizeof d->name, "%s", s->task_spec[t]);
    zc_task_set_close(&r);
    return rc;
}

int zc_task_set_load_all(const zc_task_set *s, zc_task_data *tasks, volatile sig_atomic_t *stop,
                         int progress, char *err, size_t errlen) {
    int n = 0;
    for (int t = 0; t < s->n_tasks; t++, n++) {
        if (compute_rows(s, t, 1, 0, 0, progress, &tasks[n], err, errlen) != 0) return -1;
        if (stop && *stop) {
            snprintf(err, errlen, "interrupted by a signal");
            return -1;
        }
    }
    for (int f = 0; f < s->n_stats; f++, n++)
        if (zc_task_set_load_file(s, f, &tasks[n], err, errlen) != 0) return -1;
    for (int f = 0; f < s->n_values; f++, n++)
        if (zc_task_set_load_values(s, f, 0, &tasks[n], err, errlen) != 0) return -1;
    return n;
}

int zc_task_set_load_shard(const zc_task_set *s, int t, int a0, int a1, zc_task_data *d,
                           char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    if (t < s->n_tasks) return compute_rows(s, t, 0, a0, a1, 0, d, err, errlen);
    int f = t - s->n_tasks;
    int rc = f < s->n_stats ? zc_task_set_load_file(s, f, d, err, errlen)
                            : zc_task_set_load_values(s, f - s->n_stats, 0, d, err, errlen);
    if (rc != 0) return -1;
    if (a0 < 0 || a1 > d->n_archs || a0 >= a1) {
        snprintf(err, errlen, "%s '%s': architecture range [%d, %d) outside 0..%d",
                 f < s->n_stats ? "statistics" : "proxies file", d->name, a0, a1, d->n_archs);
        zc_task_data_free(d);
        return -1;
    }
    zc_task_data_drop(d, a0, a1);
    return 0;
}

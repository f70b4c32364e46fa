/* evolve_tasks.c: what the run driver knows of the evolution tasks: their
 * meta (counts, accuracies, probe architectures, bytes) computed without
 * holding the statistics (a distributed master), or every task loaded into
 * this process with a local scorer (see evolve.h, evolve_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/evolve_internal.h"

/* meta_of_computed: counts, accuracies and name of computed task t; the
 * probe records (t == 0: its first two evolution architectures) and, when
 * t == 0 or estimate_bytes, the bytes estimated from its first one. */
static int meta_of_computed(const zc_task_set *s, int t, int estimate_bytes,
                            zc_evolve_meta_store *store, char *err, size_t errlen) {
    zc_evolve_meta *m = &store->meta;
    zc_task_set_rows r;
    if (zc_task_set_open(s, t, 0, &r, err, errlen) != 0) return -1;
    store->acc[t] = zc_malloc(sizeof(double) * (size_t)(r.n_evo + 1));
    for (int i = 0; i < r.n_evo; i++)
        store->acc[t][i] = zc_bench_table_value(&r.task.table, r.evo[i], r.task.acc_col);
    m->n_archs[t] = r.n_evo;
    snprintf(m->name[t], sizeof m->name[t], "%s", s->task_spec[t]);
    int rc = 0;
    if (t == 0 || estimate_bytes) {
        zc_task_data d;
        int n = t == 0 ? ZC_MIN(2, r.n_evo) : 1;
        rc = zc_task_data_compute(&d, &r.task, r.evo, n, s->mask, s->half, s->threads, 0, err,
                                  errlen);
        if (rc == 0) {
            zc_task_data first = d;
            first.n_archs = 1;
            m->bytes[t] = zc_task_data_bytes(&first) * (int64_t)r.n_evo;
            zc_task_data_to_float(&d); /* the probes: the values evaluation sees */
            if (t == 0) store->probe_task = d;
            else zc_task_data_free(&d);
        }
    }
    zc_task_set_close(&r);
    return rc != 0 ? -1 : 0;
}

/* meta_of_file: counts, accuracies, bytes and name of task t, statistics
 * file t - n_tasks or proxies file t - n_tasks - n_stats (read, then
 * dropped but for the probes when t == 0). */
static int meta_of_file(const zc_task_set *s, int t, zc_evolve_meta_store *store, char *err,
                        size_t errlen) {
    zc_evolve_meta *m = &store->meta;
    zc_task_data d;
    int f = t - s->n_tasks;
    int rc = f < s->n_stats ? zc_task_set_load_file(s, f, &d, err, errlen)
                            : zc_task_set_load_values(s, f - s->n_stats, 0, &d, err, errlen);
    if (rc != 0) return -1;
    store->acc[t] = zc_malloc(sizeof(double) * (size_t)(d.n_archs + 1));
    memcpy(store->acc[t], d.acc, sizeof(double) * (size_t)d.n_archs);
    m->n_archs[t] = d.n_archs;
    m->bytes[t] = zc_task_data_bytes(&d);
    snprintf(m->name[t], sizeof m->name[t], "%s", d.name);
    if (t == 0) {
        zc_task_data_drop(&d, 0, ZC_MIN(2, d.n_archs));
        zc_task_data_to_float(&d); /* the probes: the values evaluation sees */
        store->probe_task = d;
    } else {
        zc_task_data_free(&d);
    }
    return 0;
}

int zc_evolve_meta_compute(const zc_task_set *s, int estimate_bytes, zc_evolve_meta_store *store,
                           volatile sig_atomic_t *stop, char *err, size_t errlen) {
    memset(store, 0, sizeof *store);
    zc_evolve_meta *m = &store->meta;
    double t0 = zc_now();
    for (int t = 0; t < s->n_tasks + s->n_stats + s->n_values; t++) {
        if (stop && *stop) {
            snprintf(err, errlen, "interrupted by a signal");
            return -1;
        }
        int rc = t < s->n_tasks ? meta_of_computed(s, t, estimate_bytes, store, err, errlen)
                                : meta_of_file(s, t, store, err, errlen);
        if (rc != 0) return -1;
        m->acc[t] = store->acc[t];
        m->n_tasks = t + 1;
    }
    m->probe = store->probe_task.archs;
    m->n_probe = ZC_MIN(2, store->probe_task.n_archs);
    m->seconds = zc_now() - t0;
    return 0;
}

void zc_evolve_meta_free(zc_evolve_meta_store *store) {
    for (int t = 0; t < ZC_TASK_SET_MAX; t++) free(store->acc[t]);
    zc_task_data_free(&store->probe_task);
    memset(store, 0, sizeof *store);
}

/* ---- every task in this process --------------------------------------------- */

int zc_evolve_local_start(zc_evolve_local *l, const zc_task_set *s, int progress,
                          volatile sig_atomic_t *stop, zc_evolve_meta *meta, char *err,
                          size_t errlen) {
    memset(l, 0, sizeof *l);
    int n = zc_task_set_load_all(s, l->tasks, stop, progress, err, errlen);
    if (n < 0) return -1;
    l->n_tasks = n;
    meta->n_tasks = n;
    for (int t = 0; t < n; t++) {
        snprintf(meta->name[t], sizeof meta->name[t], "%.127s", l->tasks[t].name);
        meta->n_archs[t] = l->tasks[t].n_archs;
        meta->acc[t] = l->tasks[t].acc;
        meta->bytes[t] = zc_task_data_bytes(&l->tasks[t]);
    }
    zc_task_data_copy_float(&l->tasks[0], 2, &l->probes);
    meta->probe = l->probes.archs;
    meta->n_probe = l->probes.n_archs;
    l->eval = zc_local_eval_new(l->tasks, n, s->threads, stop);
    return 0;
}

zc_score_backend zc_evolve_local_backend(zc_evolve_local *l) {
    zc_score_backend b = {l->eval, zc_local_eval_score};
    return b;
}

uint64_t zc_evolve_local_elements(zc_evolve_local *l) {
    return zc_local_eval_counters(l->eval).elements;
}

void zc_evolve_local_free(zc_evolve_local *l) {
    zc_local_eval_free(l->eval);
    for (int t = 0; t < l->n_tasks; t++) zc_task_data_free(&l->tasks[t]);
    zc_task_data_free(&l->probes);
    memset(l, 0, sizeof *l);
}

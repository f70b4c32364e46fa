/* search_run.c: the driver of `zcevo search` (see search.h): the run
 * folder and its configuration, the score cache, the trials (run, or read
 * back when a earlier run finished them) and what each one prints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/util/util.h"
#include "master/search/search_internal.h"

/* cache_signature: what the cached values depend on (task and proxy). */
static void cache_signature(const zc_search_opts *o, const zc_task *task,
                            const zc_proxy_spec *spec, char *out, size_t outlen) {
    if (o->algorithm == ZC_SEARCH_ZCPT) {
        zc_search_zcpt_signature(o, task, out, outlen);
        return;
    }
    snprintf(out, outlen, "space=%s dataset=%s batch=%d task_seed=%llu image=%d init=%s "
             "proxy=%s", task->space, task->dataset, task->batch,
             (unsigned long long)task->seed, task->image_hw,
             spec->kind == ZC_PROXY_HANDCRAFTED && o->torch_init ? "torch" : "xautodl",
             spec->text);
}

/* config_text: what fixes the results of every trial (config.txt; the
 * number of trials is not part of it: a run may be extended). */
static char *config_text(const zc_search_opts *o, const zc_task *task,
                         const zc_proxy_spec *spec) {
    char sig[2048];
    cache_signature(o, task, spec, sig, sizeof sig);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "zcevo_search_config=1\n%s\nalgorithm=%s\nseed=%llu\nminimize=%d\n", sig,
            zc_search_algorithm_name(o->algorithm), (unsigned long long)o->seed, o->minimize);
    if (o->algorithm == ZC_SEARCH_ZCPT)
        fprintf(f, "pt_iterations=%d\npt_order=%d\n", o->pt.iterations, o->pt.order);
    else
        fprintf(f, "budget=%d\n", o->budget);
    if (o->algorithm == ZC_SEARCH_EVOLUTION)
        fprintf(f, "population=%d\nsample_size=%d\nchildren=%d\n", o->population,
                o->sample_size, o->children);
    fclose(f);
    return text;
}

/* open_folder: the run folder with this configuration (a folder of
 * another one is refused). */
static void open_folder(const zc_search_opts *o, const char *config) {
    if (zc_mkdir_p(o->run_dir) != 0) zc_die("cannot create run folder '%s'", o->run_dir);
    char *path = zc_path_join(o->run_dir, "config.txt");
    char *old = zc_search_read_file(path);
    if (old && strcmp(old, config) != 0)
        zc_die("run folder '%s' holds a search of another configuration (%s differs); use "
               "another --run-dir", o->run_dir, path);
    if (!old) zc_write_file_atomic(path, config, strlen(config));
    free(old);
    free(path);
}

/* ---- one trial ------------------------------------------------------------ */

/* ranked: the distinct architectures of t's history, best first. */
typedef struct {
    int row;
    double value;
    int minimize;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->row == y->row) return 0;
    return zc_search_better(x->value, x->row, y->value, y->row, x->minimize) ? -1 : 1;
}

/* rank_history: the distinct rows of the history, sorted best first;
 * returns their number (*out malloc'd). */
static int rank_history(const zc_search_trial *t, ranked **out) {
    unsigned char *seen = zc_calloc((size_t)t->task->table.n_rows, 1);
    ranked *r = zc_malloc(sizeof(ranked) * (size_t)(t->n_steps + 1));
    int n = 0;
    for (int s = 0; s < t->n_steps; s++)
        if (!seen[t->step_row[s]]) {
            seen[t->step_row[s]] = 1;
            r[n++] = (ranked){t->step_row[s], t->step_value[s], t->o->minimize};
        }
    qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    free(seen);
    *out = r;
    return n;
}

static void print_accuracies(const zc_task *task, const zc_search_columns *cols, int row) {
    for (int c = 0; c < cols->n; c++)
        printf("%s %s %.2f", c ? "," : "", cols->label[c],
               zc_bench_table_value(&task->table, row, cols->col[c]));
}

static void print_trial(const zc_search_trial *t, const zc_search_result *r,
                        const zc_search_columns *cols, const ranked *top, int n_top) {
    const zc_task *task = t->task;
    printf("trial %d (seed %llu): %s, %d architectures scored (%d distinct, %d computed, the "
           "others from the score cache), %.1f s (%.1f CPU s on rank 0)\n", r->trial,
           (unsigned long long)r->seed, zc_search_algorithm_name(t->o->algorithm), r->scored,
           r->distinct, r->computed, r->seconds, r->cpu_seconds);
    printf("  found: %d %s, %s %.6g\n  test accuracy (read after the search):",
           task->table.arch_index[r->row], task->table.arch_str[r->row],
           t->o->algorithm == ZC_SEARCH_ZCPT ? "validation score" : "proxy", r->value);
    print_accuracies(task, cols, r->row);
    printf("\n  top %d by the proxy:\n", n_top);
    for (int i = 0; i < n_top; i++) {
        printf("    %2d. %.6g  %d  ", i + 1, top[i].value, task->table.arch_index[top[i].row]);
        print_accuracies(task, cols, top[i].row);
        printf("  %s\n", task->table.arch_str[top[i].row]);
    }
    fflush(stdout);
}

/* cpu_seconds: this process's CPU time so far, every thread. */
static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec * 1e-6;
}

/* append_timing: a line for r in timing.csv (rewritten whole). */
static void append_timing(const zc_search_opts *o, const zc_search_backend *backend,
                          const zc_search_result *r) {
    char *path = zc_path_join(o->run_dir, "timing.csv");
    char *old = zc_search_read_file(path);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs(old ? old : "trial,seconds,cpu_seconds,computed,where\n", f);
    fprintf(f, "%d,%.3f,%.3f,%d,%s\n", r->trial, r->seconds, r->cpu_seconds, r->computed,
            o->algorithm == ZC_SEARCH_ZCPT ? "zc-pt" : backend->where);
    fclose(f);
    zc_write_file_atomic(path, text, len);
    free(text);
    free(old);
    free(path);
}

/* run_trial: trial `trial` from scratch (scores from the cache where it
 * has them): its result, its curve file and its printout. */
static zc_search_result run_trial(const zc_search_opts *o, const zc_task *task,
                                  const zc_proxy_spec *spec, zc_search_cache *cache,
                                  const zc_search_backend *backend,
                                  const zc_search_columns *cols, int trial) {
    zc_search_trial t = {.o = o, .task = task, .spec = spec,
                         .enc = zc_encoding_find(task->space), .cache = cache,
                         .backend = backend, .trial = trial, .seed = o->seed + (uint64_t)trial};
    t.rng = zc_rng_stream(t.seed, ZC_STREAM_SEARCH, 0);
    t.expected = o->algorithm == ZC_SEARCH_ZCPT ? o->pt.iterations : o->budget;
    t.t0 = t.last_print = zc_now();
    double cpu0 = cpu_seconds();
    if (o->algorithm == ZC_SEARCH_RANDOM) zc_search_random(&t);
    else if (o->algorithm == ZC_SEARCH_EVOLUTION) zc_search_evolution(&t);
    else zc_search_zcpt(&t);
    ranked *top;
    int n_ranked = rank_history(&t, &top);
    zc_search_result r = {trial, t.seed, top[0].row, top[0].value, t.n_steps, n_ranked,
                          t.computed, zc_now() - t.t0, cpu_seconds() - cpu0};
    zc_search_write_trial_csv(o, &t, cols);
    print_trial(&t, &r, cols, top, ZC_MIN(o->top_k, n_ranked));
    free(top);
    free(t.step_row);
    free(t.step_value);
    return r;
}

static void print_read_back(const zc_task *task, const zc_search_columns *cols,
                            const zc_search_result *r) {
    printf("trial %d (seed %llu): finished before (trials.csv): %d %s, proxy %.6g;",
           r->trial, (unsigned long long)r->seed, task->table.arch_index[r->row],
           task->table.arch_str[r->row], r->value);
    print_accuracies(task, cols, r->row);
    printf("\n");
}

int zc_search_run(const zc_search_opts *o, const zc_task *task, const zc_proxy_spec *spec,
                  const zc_search_backend *backend) {
    char *config = config_text(o, task, spec);
    open_folder(o, config);
    char sig[2048], err[1024];
    cache_signature(o, task, spec, sig, sizeof sig);
    char *default_cache = zc_path_join(o->run_dir, "scores.csv");
    const char *cache_path = o->cache_path ? o->cache_path : default_cache;
    zc_search_cache *cache = zc_search_cache_open(cache_path, sig, &task->table, err, sizeof err);
    if (!cache) zc_die("%s", err);
    zc_search_columns cols;
    zc_search_report_columns(task, &cols);
    zc_search_result *res;
    int n_res;
    zc_search_read_trials(o, task, &res, &n_res);
    if (!o->quiet)
        fprintf(stderr, "search: %s on %s/%s, %d trial%s, %d architectures in the score cache "
                "'%s', %s\n", zc_search_algorithm_name(o->algorithm), task->space,
                task->dataset, o->trials, o->trials == 1 ? "" : "s",
                zc_search_cache_count(cache), cache_path,
                o->algorithm == ZC_SEARCH_ZCPT ? "zc-pt on this process" : backend->where);
    for (int t = 0; t < o->trials; t++) {
        if (res[t].row >= 0) {
            print_read_back(task, &cols, &res[t]);
            continue;
        }
        res[t] = run_trial(o, task, spec, cache, backend, &cols, t);
        zc_search_write_trials(o, task, spec, &cols, res, n_res);
        append_timing(o, backend, &res[t]);
    }
    zc_search_print_summary(stdout, o, task, spec, &cols, res, o->trials);
    char *md = NULL;
    size_t md_len = 0;
    FILE *f = open_memstream(&md, &md_len);
    zc_search_print_summary(f, o, task, spec, &cols, res, o->trials);
    fclose(f);
    char *md_path = zc_path_join(o->run_dir, "result.md");
    zc_write_file_atomic(md_path, md, md_len);
    free(md_path);
    free(md);
    free(res);
    zc_search_cache_close(cache);
    free(default_cache);
    free(config);
    return 0;
}

/* search_text.c: the files of a `zcevo search` run folder (see
 * search_internal.h): per-trial curves (trial_<t>.csv), the finished
 * trials (trials.csv, read back on a restart), timing.csv, the Markdown
 * summary (result.md and stdout), and the small file helpers they use.
 * Accuracies are read from the table here, after the trials are done. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util/outputs.h"
#include "common/util/util.h"
#include "master/search/search_internal.h"

void zc_search_report_columns(const zc_task *task, zc_search_columns *cols) {
    static const char *const k_wanted[] = {
        "cifar10_test", "cifar100_test", "imagenet16_test",                    /* nb201 */
        "cifar10_test_acc", "cifar100_test_acc", "imagenet16_120_test_acc"};  /* nats_sss */
    memset(cols, 0, sizeof *cols);
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_wanted) && cols->n < 4; i++) {
        int c = zc_bench_table_column(&task->table, k_wanted[i]);
        if (c < 0) continue;
        cols->col[cols->n] = c;
        snprintf(cols->label[cols->n++], sizeof cols->label[0], "%s", k_wanted[i]);
    }
    if (cols->n == 0) { /* a JSON table: its one accuracy column */
        cols->col[0] = task->acc_col;
        snprintf(cols->label[0], sizeof cols->label[0], "%s", task->acc_column);
        cols->n = 1;
    }
}

char *zc_search_read_file(const char *path) {
    if (!zc_file_exists(path)) return NULL;
    char err[512];
    char *text = zc_read_text_file(path, "search run file", NULL, err, sizeof err);
    if (!text) zc_die("%s", err);
    return text;
}

/* folder_file: <run_dir>/<name> (malloc'd). */
static char *folder_file(const zc_search_opts *o, const char *name) {
    return zc_path_join(o->run_dir, name);
}

static double accuracy(const zc_task *task, int row, int col) {
    return zc_bench_table_value(&task->table, row, col);
}

void zc_search_write_trial_csv(const zc_search_opts *o, const zc_search_trial *t,
                               const zc_search_columns *cols) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "step,arch_index,value,best_arch_index,best_value");
    for (int c = 0; c < cols->n; c++) fprintf(f, ",best_%s", cols->label[c]);
    fputc('\n', f);
    int best = -1;
    for (int s = 0; s < t->n_steps; s++) {
        int row = t->step_row[s];
        if (best < 0 || zc_search_better(t->step_value[s], row, t->step_value[best],
                                         t->step_row[best], o->minimize))
            best = s;
        int brow = t->step_row[best];
        fprintf(f, "%d,%d,%.17g,%d,%.17g", s + 1, t->task->table.arch_index[row],
                t->step_value[s], t->task->table.arch_index[brow], t->step_value[best]);
        for (int c = 0; c < cols->n; c++) fprintf(f, ",%.6g", accuracy(t->task, brow, cols->col[c]));
        fputc('\n', f);
    }
    fclose(f);
    char name[64];
    snprintf(name, sizeof name, "trial_%d.csv", t->trial);
    char *path = folder_file(o, name);
    zc_write_file_atomic(path, text, len);
    free(path);
    free(text);
}

void zc_search_write_trials(const zc_search_opts *o, const zc_task *task,
                            const zc_proxy_spec *spec, const zc_search_columns *cols,
                            const zc_search_result *res, int n) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "trial,seed,algorithm,budget,scored,distinct,arch_index,proxy_value");
    for (int c = 0; c < cols->n; c++) fprintf(f, ",%s", cols->label[c]);
    fprintf(f, ",space,dataset,proxy,arch_str\n");
    for (int i = 0; i < n; i++) {
        const zc_search_result *r = &res[i];
        if (r->row < 0) continue; /* not finished */
        fprintf(f, "%d,%llu,%s,%d,%d,%d,%d,%.17g", r->trial, (unsigned long long)r->seed,
                zc_search_algorithm_name(o->algorithm),
                o->algorithm == ZC_SEARCH_ZCPT ? o->pt.iterations : o->budget, r->scored,
                r->distinct, task->table.arch_index[r->row], r->value);
        for (int c = 0; c < cols->n; c++) fprintf(f, ",%.6g", accuracy(task, r->row, cols->col[c]));
        fprintf(f, ",%s,%s,", task->space, task->dataset);
        zc_fput_csv_field(f, spec->name);
        fputc(',', f);
        zc_fput_csv_field(f, task->table.arch_str[r->row]);
        fputc('\n', f);
    }
    fclose(f);
    char *path = folder_file(o, "trials.csv");
    zc_write_file_atomic(path, text, len);
    free(path);
    free(text);
}

/* parse_trial_line: the numeric head of a trials.csv line into r (row
 * left as the arch_index). Returns 0 when well formed. */
static int parse_trial_line(const char *line, zc_search_result *r) {
    char algorithm[32];
    long long seed;
    int budget, arch_index, used = 0;
    if (sscanf(line, "%d,%lld,%31[^,],%d,%d,%d,%d,%lg%n", &r->trial, &seed, algorithm, &budget,
               &r->scored, &r->distinct, &arch_index, &r->value, &used) != 8 ||
        line[used] != ',')
        return -1;
    r->seed = (uint64_t)seed;
    r->row = arch_index;
    return 0;
}

/* row_of_index: the table row of arch_index, or -1. */
static int row_of_index(const zc_task *task, int arch_index) {
    for (int r = 0; r < task->table.n_rows; r++)
        if (task->table.arch_index[r] == arch_index) return r;
    return -1;
}

void zc_search_read_trials(const zc_search_opts *o, const zc_task *task,
                           zc_search_result **res_out, int *n_out) {
    char *path = folder_file(o, "trials.csv");
    char *text = zc_search_read_file(path);
    int n = o->trials;
    zc_search_result *res = zc_malloc(sizeof(zc_search_result) * (size_t)n);
    for (int i = 0; i < n; i++) res[i] = (zc_search_result){.trial = i, .row = -1};
    for (char *line = text ? strchr(text, '\n') : NULL; line && line[1]; line = strchr(line, '\n')) {
        line++;
        zc_search_result r;
        memset(&r, 0, sizeof r);
        if (parse_trial_line(line, &r) != 0 || r.trial < 0)
            zc_die("'%s': malformed line '%.40s'", path, line);
        r.row = row_of_index(task, r.row);
        if (r.row < 0 || r.seed != o->seed + (uint64_t)r.trial)
            zc_die("'%s': trial %d does not belong to this run", path, r.trial);
        if (r.trial >= n) { /* a run with more trials before: kept */
            res = zc_realloc(res, sizeof(zc_search_result) * (size_t)(r.trial + 1));
            for (int i = n; i <= r.trial; i++) res[i] = (zc_search_result){.trial = i, .row = -1};
            n = r.trial + 1;
        }
        res[r.trial] = r;
    }
    free(text);
    free(path);
    *res_out = res;
    *n_out = n;
}

/* mean_std: mean and sample standard deviation (n - 1; 0 for one value). */
static void mean_std(const double *v, int n, double *mean, double *sd) {
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += v[i];
    *mean = n ? s / n : NAN;
    for (int i = 0; i < n; i++) ss += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
}

static void summary_line(FILE *f, const char *label, const double *v, int n, const char *fmt) {
    double mean, sd, lo = INFINITY, hi = -INFINITY;
    mean_std(v, n, &mean, &sd);
    for (int i = 0; i < n; i++) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
    fprintf(f, "| %s | ", label);
    fprintf(f, fmt, mean);
    fprintf(f, " | ");
    fprintf(f, fmt, sd);
    fprintf(f, " | ");
    fprintf(f, fmt, lo);
    fprintf(f, " | ");
    fprintf(f, fmt, hi);
    fprintf(f, " |\n");
}

void zc_search_print_summary(FILE *f, const zc_search_opts *o, const zc_task *task,
                             const zc_proxy_spec *spec, const zc_search_columns *cols,
                             const zc_search_result *res, int n) {
    double *v = zc_malloc(sizeof(double) * (size_t)(n + 1));
    fprintf(f, "\n### search: %s / %s, proxy %s, %s", task->space, task->dataset,
            o->algorithm == ZC_SEARCH_ZCPT ? zc_proxy_name(o->pt.proxy) : spec->name,
            zc_search_algorithm_name(o->algorithm));
    if (o->algorithm == ZC_SEARCH_ZCPT)
        fprintf(f, " (N %d, V %d)", o->pt.iterations, o->pt.validate);
    else
        fprintf(f, ", budget %d", o->budget);
    fprintf(f, ", %d trial%s (seeds %llu..%llu), batch %d\n\n", n, n == 1 ? "" : "s",
            (unsigned long long)o->seed, (unsigned long long)(o->seed + (uint64_t)n - 1),
            task->batch);
    fprintf(f, "Test accuracy of the architecture found (mean, sample std, min, max over the "
            "trials), read from the table after the search:\n\n");
    fprintf(f, "| | mean | std | min | max |\n|---|---:|---:|---:|---:|\n");
    for (int c = 0; c < cols->n; c++) {
        for (int i = 0; i < n; i++) v[i] = accuracy(task, res[i].row, cols->col[c]);
        summary_line(f, cols->label[c], v, n, "%.2f");
    }
    for (int i = 0; i < n; i++) v[i] = res[i].value;
    summary_line(f, o->algorithm == ZC_SEARCH_ZCPT ? "validation score" : "proxy value", v, n,
                 "%.6g");
    for (int i = 0; i < n; i++) v[i] = res[i].distinct;
    summary_line(f, "distinct architectures", v, n, "%.1f");
    free(v);
}

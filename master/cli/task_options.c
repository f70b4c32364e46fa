/* task_options.c: the reader of the task options shared by `zcevo stats`,
 * `zcevo score` and `zcevo proxies`, the task set-up and the choice of rows
 * (see task_options.h). */
#include "master/cli/task_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nets/space.h"
#include "common/stats/device.h"
#include "common/stats/stats_h5.h"
#include "common/util/rng.h"
#include "common/util/parallel.h"
#include "common/util/util.h"

void zc_task_options_init(zc_task_options *o, const zc_task_option_rules *rules) {
    memset(o, 0, sizeof *o);
    o->rules = rules;
    o->space = rules->space;
    o->dataset = "cifar10";
    o->device = "auto";
    o->archs = rules->archs;
    o->batch = rules->batch;
    o->seed = 1;
    o->threads = zc_default_threads();
}

static void push_arch(zc_task_options *o, const char *text) {
    if (o->n_arch == o->cap_arch) {
        o->cap_arch = o->cap_arch ? 2 * o->cap_arch : 16;
        o->arch = zc_realloc(o->arch, sizeof(char *) * (size_t)o->cap_arch);
    }
    o->arch[o->n_arch++] = zc_strdup(text);
}

/* read_arch_options: --archs, --arch, --arch-file; 1 when the option was one */
static int read_arch_options(zc_task_options *o, zc_args *a) {
    const zc_task_option_rules *r = o->rules;
    if (zc_args_opt(a, "--archs")) {
        o->archs = strcmp(a->value, "all") == 0 ? -1 : (int)zc_args_int(a, r->archs_min, 1 << 30);
    } else if (zc_args_opt(a, "--arch")) {
        if (r->max_arch && o->n_arch == r->max_arch)
            zc_usage_error(r->command, "too many --arch");
        push_arch(o, a->value);
    } else if (r->arch_file && zc_args_opt(a, "--arch-file")) {
        o->arch_file = a->value;
    } else if (zc_args_opt(a, "--exclude-stats")) {
        if (o->n_exclude == (int)ZC_ARRAY_LEN(o->exclude))
            zc_usage_error(r->command, "too many --exclude-stats");
        o->exclude[o->n_exclude++] = a->value;
    } else {
        return 0;
    }
    return 1;
}

int zc_task_options_read(zc_task_options *o, zc_args *a) {
    if (read_arch_options(o, a)) return 1;
    if (zc_args_opt(a, "--data")) o->data_flag = a->value;
    else if (zc_args_opt(a, "--space")) o->space = a->value;
    else if (zc_args_opt(a, "--dataset")) o->dataset = a->value;
    else if (zc_args_opt(a, "--batch"))
        o->batch = (int)zc_args_int(a, o->rules->batch_min, 100000);
    else if (zc_args_opt(a, "--image-size")) o->image_size = (int)zc_args_int(a, 8, 1024);
    else if (zc_args_opt(a, "--seed")) o->seed = zc_args_u64(a);
    else if (zc_args_opt(a, "--acc-column")) o->acc_column = a->value;
    else if (o->rules->device && zc_args_opt(a, "--device")) o->device = a->value;
    else if (zc_args_opt(a, "--threads")) o->threads = (int)zc_args_int(a, 1, 1024);
    else if (zc_args_flag(a, "--quiet")) o->quiet = 1;
    else return 0;
    return 1;
}

/* text_line_problem: why line (len bytes) is not a line of text: a NUL or
 * another control byte (tab excepted); NULL when it is text. */
static const char *text_line_problem(const char *line, size_t len, unsigned char *bad) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
            *bad = c;
            return c == 0 ? "a NUL byte" : "a control byte";
        }
    }
    return NULL;
}

/* read_arch_file: append the architectures of `path`, one per line; a
 * binary file (NUL or control bytes) is refused naming the line. */
static void read_arch_file(zc_task_options *o, const char *path) {
    char err[1024];
    size_t len = 0;
    char *text = zc_read_text_file(path, "architecture file", &len, err, sizeof err);
    if (!text) zc_die("%s", err);
    int line_no = 0;
    for (char *line = text; line < text + len;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        char *end = nl ? nl : text + len;
        unsigned char bad = 0;
        line_no++;
        const char *problem = text_line_problem(line, (size_t)(end - line), &bad);
        if (problem)
            zc_die("architecture file '%s' line %d holds %s (0x%02x): not a text file", path,
                   line_no, problem, bad);
        *end = 0;
        line[strcspn(line, "\r")] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s && *s != '#') push_arch(o, s);
        line = end + 1;
    }
    free(text);
    if (o->n_arch == 0) zc_die("architecture file '%s' lists no architecture", path);
}

void zc_task_options_check(zc_task_options *o) {
    if (o->rules->check_space && !zc_space_find(o->space))
        zc_usage_error(o->rules->command, "unknown space '%s'", o->space);
    if (o->arch_file) read_arch_file(o, o->arch_file);
}

void zc_task_options_inputs(zc_task_options *o, zc_outputs *outs) {
    if (!o->data_dir) o->data_dir = zc_data_dir(o->data_flag);
    zc_outputs_read_dir(outs, o->data_dir);
    zc_outputs_read(outs, o->arch_file);
}

void zc_task_options_free(zc_task_options *o) {
    for (int i = 0; i < o->n_arch; i++) free(o->arch[i]);
    free(o->arch);
    free(o->data_dir);
    o->arch = NULL;
    o->data_dir = NULL;
    o->n_arch = o->cap_arch = 0;
}

/* resolve_arch_list: the rows of the --arch list, in its order */
static int resolve_arch_list(const zc_task_options *o, const zc_task *task, int *rows) {
    char err[1024];
    int n_rows = 0;
    for (int i = 0; i < o->n_arch; i++) {
        int row;
        if (zc_task_resolve_arch(task, o->arch[i], &row, err, sizeof err) != 0)
            zc_die("%s", err);
        int duplicate = 0;
        for (int j = 0; j < n_rows && o->rules->unique_archs; j++) duplicate |= rows[j] == row;
        if (!duplicate) rows[n_rows++] = row;
    }
    return n_rows;
}

static int compare_rows(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* excluded_rows: flags[row] = 1 for each table row whose architecture an
 * --exclude-stats file holds (the file must be of the task's space). */
static void excluded_rows(const zc_task_options *o, const zc_task *task, unsigned char *flags) {
    char err[1024];
    for (int f = 0; f < o->n_exclude; f++) {
        zc_stats_set set;
        if (zc_stats_read(o->exclude[f], 0, &set, err, sizeof err) != 0) zc_die("%s", err);
        if (strcmp(set.cfg.space, task->space) != 0)
            zc_die("--exclude-stats '%s' holds space %s, the task is %s", o->exclude[f],
                   set.cfg.space, task->space);
        for (int i = 0; i < set.n_archs; i++)
            for (int r = 0; r < task->table.n_rows; r++)
                if (task->table.arch_index[r] == set.archs[i].arch_index) flags[r] = 1;
        zc_stats_set_free(&set);
    }
}

/* sample_without: a seeded sample of n rows (all: n < 0) among the rows not
 * flagged, sorted, into rows; returns the count. */
static int sample_without(const zc_task *task, int n, uint64_t seed, const unsigned char *flags,
                          int *rows) {
    int m = 0;
    for (int r = 0; r < task->table.n_rows; r++)
        if (!flags[r]) rows[m++] = r;
    if (n < 0 || n >= m) return m;
    zc_rng rng = zc_rng_stream(seed, ZC_STREAM_ARCH_SAMPLE, 0);
    for (int i = 0; i < n; i++) {
        int j = i + (int)zc_rng_below(&rng, (uint64_t)(m - i));
        int tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
    }
    qsort(rows, (size_t)n, sizeof(int), compare_rows);
    return n;
}

void zc_task_choose(const zc_task_options *o, zc_task_choice *c) {
    char err[1024];
    memset(c, 0, sizeof *c);
    c->data_dir = zc_data_dir(o->data_flag);
    if (zc_task_setup_sized(&c->task, c->data_dir, o->space, o->dataset, o->batch, o->seed,
                            o->acc_column, o->image_size, err, sizeof err) != 0)
        zc_die("%s", err);
    c->cuda_device = -1;
    if (o->rules->device && zc_device_resolve(o->device, &c->cuda_device, err, sizeof err) != 0)
        zc_die("%s", err);
    int table_rows = c->task.table.n_rows;
    c->rows = zc_malloc(sizeof(int) * (size_t)(table_rows > o->n_arch ? table_rows : o->n_arch));
    if (o->n_arch) {
        c->n_rows = resolve_arch_list(o, &c->task, c->rows);
    } else if (o->n_exclude) {
        unsigned char *flags = zc_calloc((size_t)table_rows + 1, 1);
        excluded_rows(o, &c->task, flags);
        c->n_rows = sample_without(&c->task, o->archs, o->seed, flags, c->rows);
        free(flags);
    } else {
        c->n_rows = zc_task_sample_rows(&c->task, o->archs, o->seed, c->rows);
    }
}

void zc_task_choice_free(zc_task_choice *c) {
    zc_task_free(&c->task);
    free(c->rows);
    free(c->data_dir);
    memset(c, 0, sizeof *c);
}

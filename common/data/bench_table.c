/* bench_table.c: the benchmark table type, its arch-string hash index and
 * the CSV loader of the NB201 / NATS-SSS tables (see bench_table.h; the
 * JSON tables are bench_json.c, the choice by name bench_registry.c). */
#include "common/data/bench_table.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* ---- spaces ------------------------------------------------------------ */

typedef struct {
    const char *space;
    const char *relative_path;
    const char *index_name, *arch_name;
    const char *accuracy[3]; /* cifar10, cifar100, imagenet16 */
} space_info;

static const space_info k_spaces[] = {
    {"nb201", "nb201/nb201.csv", "arch_index", "arch_str",
     {"cifar10valid_valid", "cifar100_test", "imagenet16_test"}},
    {"nats_sss", "nats_sss/nats_sss.csv", "index", "arch",
     {"cifar10_test_acc", "cifar100_test_acc", "imagenet16_120_test_acc"}},
};

static const char *const k_datasets[3] = {"cifar10", "cifar100", "imagenet16"};

static const space_info *find_space(const char *space) {
    if (!space) return NULL;
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_spaces); i++)
        if (strcmp(k_spaces[i].space, space) == 0) return &k_spaces[i];
    return NULL;
}

int zc_bench_csv_is_table(const char *space) { return find_space(space) != NULL; }

const char *zc_bench_csv_accuracy_column(const char *space, const char *dataset) {
    const space_info *s = find_space(space);
    if (!s || !dataset) return NULL;
    for (int d = 0; d < 3; d++)
        if (strcmp(k_datasets[d], dataset) == 0) return s->accuracy[d];
    return NULL;
}

int zc_bench_csv_path(const char *data_dir, const char *space, char *path, size_t pathlen) {
    const space_info *s = find_space(space);
    if (!s) return -1;
    int len = snprintf(path, pathlen, "%s/%s", data_dir ? data_dir : ".", s->relative_path);
    return (len < 0 || (size_t)len >= pathlen) ? -1 : 0;
}

/* ---- helpers ----------------------------------------------------------- */

static const uint64_t k_hash_seed = 0x5a43b3e7c1a0d201ULL;

/* Split line (NUL-terminated, modified in place) at commas into at most
 * max_fields pointers; returns the number of fields (max_fields + 1 when
 * there are more). Surrounding spaces of each field are removed. */
static int split_fields(char *line, char **fields, int max_fields) {
    int n = 0;
    char *p = line;
    for (;;) {
        char *start = p;
        while (*p && *p != ',') p++;
        char *end = p;
        int last = (*p == '\0');
        *p = '\0';
        while (*start == ' ' || *start == '\t') start++;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (n < max_fields) fields[n] = start;
        n++;
        if (last) break;
        p++;
    }
    return n > max_fields ? max_fields + 1 : n;
}

/* Next line of the text at *cursor (NUL-terminated in place, "\r\n" or "\n"
 * endings); NULL at the end of the text. */
static char *next_line(char **cursor, char *text_end) {
    char *start = *cursor;
    if (start >= text_end) return NULL;
    char *nl = memchr(start, '\n', (size_t)(text_end - start));
    char *end = nl ? nl : text_end;
    *cursor = nl ? nl + 1 : text_end;
    if (end > start && end[-1] == '\r') end--;
    *end = '\0';
    return start;
}

static void hash_insert_unchecked(zc_bench_table *t, uint64_t key, int row) {
    size_t mask = t->hash_capacity - 1;
    size_t slot = (size_t)key & mask;
    while (t->hash_slots[slot] >= 0) slot = (slot + 1) & mask;
    t->hash_slots[slot] = row;
    t->hash_keys[slot] = key;
}

int zc_bench_table_find(const zc_bench_table *t, const char *arch_str) {
    if (!t->hash_capacity || !arch_str) return -1;
    uint64_t key = zc_hash64(arch_str, strlen(arch_str), k_hash_seed);
    size_t mask = t->hash_capacity - 1;
    for (size_t slot = (size_t)key & mask;; slot = (slot + 1) & mask) {
        int row = t->hash_slots[slot];
        if (row < 0) return -1;
        if (t->hash_keys[slot] == key && strcmp(t->arch_str[row], arch_str) == 0) return row;
    }
}

int zc_bench_table_build_index(zc_bench_table *t, char *err, size_t errlen) {
    free(t->hash_slots);
    free(t->hash_keys);
    t->hash_capacity = 16;
    while (t->hash_capacity < 2 * (size_t)t->n_rows) t->hash_capacity *= 2;
    t->hash_slots = zc_malloc(t->hash_capacity * sizeof *t->hash_slots);
    t->hash_keys = zc_malloc(t->hash_capacity * sizeof *t->hash_keys);
    for (size_t i = 0; i < t->hash_capacity; i++) t->hash_slots[i] = -1;
    for (int r = 0; r < t->n_rows; r++) {
        int previous = zc_bench_table_find(t, t->arch_str[r]);
        if (previous >= 0)
            return zc_fail(err, errlen, "benchmark table '%s': record %d repeats the %s of record %d",
                        t->path, r, t->arch_name, previous);
        hash_insert_unchecked(t, zc_hash64(t->arch_str[r], strlen(t->arch_str[r]), k_hash_seed),
                              r);
    }
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

static int parse_table(zc_bench_table *t, const space_info *s, size_t len, char *err,
                       size_t errlen) {
    const char *path = t->path;
    char *text_end = t->text + len;
    const char *nul = memchr(t->text, 0, len);
    if (nul)
        return zc_fail(err, errlen, "benchmark table '%s' holds a NUL byte at offset %zu (not a "
                       "text file)", path, (size_t)(nul - t->text));
    char *cursor = t->text;
    if (text_end - cursor >= 3 && memcmp(cursor, "\xEF\xBB\xBF", 3) == 0) cursor += 3;

    /* Header. */
    char *header = next_line(&cursor, text_end);
    if (!header || !*header) return zc_fail(err, errlen, "empty benchmark table '%s'", path);
    enum { MAX_FIELDS = ZC_BENCH_MAX_COLS + 2 };
    char *fields[MAX_FIELDS];
    int n_fields = split_fields(header, fields, MAX_FIELDS);
    if (n_fields > MAX_FIELDS)
        return zc_fail(err, errlen, "benchmark table '%s' line 1: more than %d columns", path,
                    MAX_FIELDS);
    if (n_fields < 3 || strcmp(fields[0], s->index_name) != 0 ||
        strcmp(fields[1], s->arch_name) != 0)
        return zc_fail(err, errlen,
                    "benchmark table '%s' line 1: header must start with '%s,%s' and have "
                    "numeric columns after them",
                    path, s->index_name, s->arch_name);
    snprintf(t->index_name, sizeof t->index_name, "%s", fields[0]);
    snprintf(t->arch_name, sizeof t->arch_name, "%s", fields[1]);
    t->n_cols = n_fields - 2;
    for (int c = 0; c < t->n_cols; c++) {
        if (!*fields[c + 2] || strlen(fields[c + 2]) >= ZC_BENCH_COL_NAME_LEN)
            return zc_fail(err, errlen,
                        "benchmark table '%s' line 1: column %d has an empty or too long name",
                        path, c + 3);
        snprintf(t->col_name[c], ZC_BENCH_COL_NAME_LEN, "%s", fields[c + 2]);
        for (int k = 0; k < c; k++)
            if (strcmp(t->col_name[k], t->col_name[c]) == 0)
                return zc_fail(err, errlen, "benchmark table '%s' line 1: duplicate column '%s'",
                            path, t->col_name[c]);
    }
    for (int d = 0; d < 3; d++)
        if (zc_bench_table_column(t, s->accuracy[d]) < 0)
            return zc_fail(err, errlen, "benchmark table '%s' line 1: no column '%s'", path,
                        s->accuracy[d]);

    /* Upper bound on rows: remaining newlines + 1. */
    size_t max_rows = 1;
    for (const char *p = cursor; p < text_end; p++) max_rows += (*p == '\n');
    if (max_rows > 100000000) return zc_fail(err, errlen, "benchmark table '%s' is too large", path);
    t->arch_index = zc_malloc(max_rows * sizeof *t->arch_index);
    t->arch_str = zc_malloc(max_rows * sizeof *t->arch_str);
    t->values = zc_malloc(max_rows * (size_t)t->n_cols * sizeof *t->values);
    t->hash_capacity = 16;
    while (t->hash_capacity < 2 * max_rows) t->hash_capacity *= 2;
    t->hash_slots = zc_malloc(t->hash_capacity * sizeof *t->hash_slots);
    t->hash_keys = zc_malloc(t->hash_capacity * sizeof *t->hash_keys);
    for (size_t i = 0; i < t->hash_capacity; i++) t->hash_slots[i] = -1;

    /* Rows. Blank lines are allowed only at the end of the file. */
    int line_no = 1, rows = 0, blank_line = 0;
    char *line;
    while ((line = next_line(&cursor, text_end)) != NULL) {
        line_no++;
        if (!*line) {
            if (!blank_line) blank_line = line_no;
            continue;
        }
        if (blank_line)
            return zc_fail(err, errlen, "benchmark table '%s' line %d: empty line", path,
                        blank_line);
        int n = split_fields(line, fields, MAX_FIELDS);
        if (n != n_fields)
            return zc_fail(err, errlen, "benchmark table '%s' line %d: %s%d fields, header has %d",
                        path, line_no, n > MAX_FIELDS ? "more than " : "",
                        n > MAX_FIELDS ? MAX_FIELDS : n, n_fields);
        char *end;
        errno = 0;
        long index = strtol(fields[0], &end, 10);
        if (!*fields[0] || *end || errno || index < 0 || index > 2147483647L)
            return zc_fail(err, errlen,
                        "benchmark table '%s' line %d: '%s' is not a valid %s", path, line_no,
                        fields[0], s->index_name);
        if (!*fields[1])
            return zc_fail(err, errlen, "benchmark table '%s' line %d: empty %s", path, line_no,
                        s->arch_name);
        double *row_values = t->values + (size_t)rows * t->n_cols;
        for (int c = 0; c < t->n_cols; c++) {
            const char *field = fields[c + 2];
            if (!*field) {
                row_values[c] = NAN;
                continue;
            }
            row_values[c] = strtod(field, &end);
            if (*end)
                return zc_fail(err, errlen,
                            "benchmark table '%s' line %d: '%s' in column '%s' is not a number",
                            path, line_no, field, t->col_name[c]);
        }
        t->arch_index[rows] = (int)index;
        t->arch_str[rows] = fields[1];
        int previous = zc_bench_table_find(t, fields[1]);
        if (previous >= 0)
            return zc_fail(err, errlen,
                        "benchmark table '%s' line %d: %s '%s' repeats the one of line %d", path,
                        line_no, s->arch_name, fields[1], previous + 2);
        hash_insert_unchecked(t, zc_hash64(fields[1], strlen(fields[1]), k_hash_seed), rows);
        rows++;
        t->n_rows = rows;
    }
    if (rows == 0) return zc_fail(err, errlen, "benchmark table '%s' has no rows", path);
    return 0;
}

int zc_bench_csv_load(const char *data_dir, const char *space, zc_bench_table *t, char *err,
                      size_t errlen) {
    memset(t, 0, sizeof *t);
    const space_info *s = find_space(space);
    if (!s)
        return zc_fail(err, errlen, "unknown benchmark space '%s' (expected nb201 or nats_sss)",
                    space ? space : "(null)");
    if (zc_bench_csv_path(data_dir, space, t->path, sizeof t->path) != 0)
        return zc_fail(err, errlen, "data folder path too long: '%s'", data_dir);
    snprintf(t->space, sizeof t->space, "%s", s->space);
    size_t len = 0;
    if (!(t->text = zc_read_text_file(t->path, "benchmark table", &len, err, errlen))) {
        zc_bench_table_free(t);
        return -1;
    }
    if (len == 0 || parse_table(t, s, len, err, errlen) != 0) {
        if (len == 0) zc_fail(err, errlen, "empty benchmark table '%s'", t->path);
        zc_bench_table_free(t);
        return -1;
    }
    return 0;
}

void zc_bench_table_free(zc_bench_table *t) {
    if (!t) return;
    free(t->text);
    free(t->arch_index);
    free(t->arch_str);
    free(t->values);
    free(t->hash_slots);
    free(t->hash_keys);
    memset(t, 0, sizeof *t);
}

int zc_bench_table_column(const zc_bench_table *t, const char *name) {
    if (!name) return -1;
    for (int c = 0; c < t->n_cols; c++)
        if (strcmp(t->col_name[c], name) == 0) return c;
    return -1;
}

double zc_bench_table_value(const zc_bench_table *t, int row, int col) {
    ZC_ASSERT(row >= 0 && row < t->n_rows && col >= 0 && col < t->n_cols);
    return t->values[(size_t)row * t->n_cols + col];
}

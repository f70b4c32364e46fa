/* search_cache.c: the score cache of `zcevo search` (see search_cache.h
 * for the format and the guarantees). */
#include "master/search/search_cache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "common/util/util.h"

#define CACHE_MAGIC "# zcevo search scores v1 "
#define CACHE_HEADER "arch_index,value,arch_str\n"

struct zc_search_cache {
    FILE *f;
    char *path;
    const zc_bench_table *table;
    double *value;          /* per table row                              */
    unsigned char *present; /* per table row                              */
    int count;
    int failed;             /* a write failed: stop appending             */
};

typedef struct {
    long long arch_index;
    int row;
} index_row;

static int cmp_index_row(const void *a, const void *b) {
    long long x = ((const index_row *)a)->arch_index, y = ((const index_row *)b)->arch_index;
    return (x > y) - (x < y);
}

/* row_of: the table row of arch_index (map sorted by index), or -1. */
static int row_of(const index_row *map, int n, long long arch_index) {
    index_row key = {arch_index, 0};
    const index_row *hit = bsearch(&key, map, (size_t)n, sizeof *map, cmp_index_row);
    return hit ? hit->row : -1;
}

static void write_line(FILE *f, const zc_bench_table *t, int row, double value) {
    fprintf(f, "%lld,%.17g,", (long long)t->arch_index[row], value);
    zc_fput_csv_field(f, t->arch_str[row]);
    fputc('\n', f);
}

/* parse_line: "<index>,<value>,<anything>\n": 0 when complete. */
static int parse_line(const char *line, long long *idx, double *value) {
    char *end;
    errno = 0;
    *idx = strtoll(line, &end, 10);
    if (end == line || *end != ',' || errno) return -1;
    const char *p = end + 1;
    *value = strtod(p, &end);
    if (end == p || *end != ',') return -1;
    size_t len = strlen(end);
    return len >= 2 && end[len - 1] == '\n' ? 0 : -1;
}

/* check_first_lines: the magic line with this signature, then the header.
 * Returns 0, or -1 with err. */
static int check_first_lines(FILE *in, const char *path, const char *magic, char *err,
                             size_t errlen) {
    size_t cap = 0;
    char *line = NULL;
    ssize_t len = getline(&line, &cap, in);
    int same = len >= 0 && strcmp(line, magic) == 0;
    if (!same) {
        if (len > 0 && line[len - 1] == '\n') line[len - 1] = 0;
        zc_fail(err, errlen,
                "score cache '%s' belongs to another task or proxy (%s); use another --cache "
                "or --run-dir", path, len > 0 ? line : "empty file");
    } else if (getline(&line, &cap, in) < 0 || strcmp(line, CACHE_HEADER) != 0) {
        same = 0;
        zc_fail(err, errlen, "score cache '%s': line 2 is not '%.*s'", path,
                (int)strlen(CACHE_HEADER) - 1, CACHE_HEADER);
    }
    free(line);
    return same ? 0 : -1;
}

/* replay: the complete lines of `in` into c and, rewritten, into out.
 * Returns 0, or -1 with err (an index the table does not have). */
static int replay(FILE *in, FILE *out, zc_search_cache *c, char *err, size_t errlen) {
    const zc_bench_table *t = c->table;
    index_row *map = zc_malloc(sizeof(index_row) * (size_t)(t->n_rows + 1));
    for (int r = 0; r < t->n_rows; r++) map[r] = (index_row){t->arch_index[r], r};
    qsort(map, (size_t)t->n_rows, sizeof *map, cmp_index_row);
    size_t cap = 0;
    char *line = NULL;
    int rc = 0, lineno = 2;
    while (rc == 0 && getline(&line, &cap, in) > 0) {
        long long idx;
        double v;
        lineno++;
        if (parse_line(line, &idx, &v) != 0) continue; /* a truncated last line */
        int row = row_of(map, t->n_rows, idx);
        if (row < 0) {
            rc = zc_fail(err, errlen, "score cache '%s' line %d: architecture %lld is not in '%s'",
                         c->path, lineno, idx, t->path);
        } else if (!c->present[row]) {
            c->present[row] = 1;
            c->value[row] = v;
            c->count++;
            write_line(out, t, row, v);
        }
    }
    free(line);
    free(map);
    return rc;
}

/* rewrite: the cache file as its magic line, header and complete lines
 * (tmp, then renamed). Returns 0, or -1 with err. */
static int rewrite(zc_search_cache *c, const char *magic, char *err, size_t errlen) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->path);
    FILE *out = fopen(tmp, "w");
    if (!out) return zc_fail(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
    fputs(magic, out);
    fputs(CACHE_HEADER, out);
    FILE *in = fopen(c->path, "r");
    int rc = 0;
    if (in) {
        rc = check_first_lines(in, c->path, magic, err, errlen);
        if (rc == 0) rc = replay(in, out, c, err, errlen);
        fclose(in);
    }
    if (fclose(out) != 0 && rc == 0) rc = zc_fail(err, errlen, "cannot write '%s'", tmp);
    if (rc == 0 && zc_fsync_rename(tmp, c->path) != 0)
        rc = zc_fail(err, errlen, "cannot write the score cache '%s'", c->path);
    if (rc != 0) remove(tmp);
    return rc;
}

/* lock: the cache file opened for appending and locked. */
static int lock(zc_search_cache *c, char *err, size_t errlen) {
    c->f = fopen(c->path, "a");
    if (!c->f) return zc_fail(err, errlen, "cannot append to '%s': %s", c->path, strerror(errno));
    if (flock(fileno(c->f), LOCK_EX | LOCK_NB) != 0)
        return zc_fail(err, errlen, "score cache '%s' is in use by another process", c->path);
    return 0;
}

zc_search_cache *zc_search_cache_open(const char *path, const char *signature,
                                      const zc_bench_table *table, char *err, size_t errlen) {
    zc_search_cache *c = zc_calloc(1, sizeof *c);
    c->path = zc_strdup(path);
    c->table = table;
    c->value = zc_malloc(sizeof(double) * (size_t)(table->n_rows + 1));
    c->present = zc_calloc((size_t)table->n_rows + 1, 1);
    char magic[2048];
    snprintf(magic, sizeof magic, "%s%s\n", CACHE_MAGIC, signature);
    /* lock first (an existing file only), so that a cache another process
     * appends to is never rewritten under it */
    if ((zc_file_exists(path) && lock(c, err, errlen) != 0) ||
        rewrite(c, magic, err, errlen) != 0) {
        zc_search_cache_close(c);
        return NULL;
    }
    if (c->f) fclose(c->f); /* the rename replaced the file: lock the new one */
    c->f = NULL;
    if (lock(c, err, errlen) != 0) {
        zc_search_cache_close(c);
        return NULL;
    }
    return c;
}

int zc_search_cache_get(const zc_search_cache *c, int row, double *value) {
    if (!c->present[row]) return 0;
    *value = c->value[row];
    return 1;
}

void zc_search_cache_put(zc_search_cache *c, int row, double value) {
    if (c->present[row]) return;
    c->present[row] = 1;
    c->value[row] = value;
    c->count++;
    if (c->failed) return;
    write_line(c->f, c->table, row, value);
    if (fflush(c->f) != 0 || ferror(c->f)) {
        zc_warn("cannot append to the score cache '%s'; a killed run will compute again what "
                "it lost", c->path);
        c->failed = 1;
    }
}

int zc_search_cache_count(const zc_search_cache *c) { return c->count; }

void zc_search_cache_close(zc_search_cache *c) {
    if (!c) return;
    if (c->f) fclose(c->f); /* closing releases the lock */
    free(c->path);
    free(c->value);
    free(c->present);
    free(c);
}

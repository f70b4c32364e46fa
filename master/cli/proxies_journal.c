/* proxies_journal.c: the resume journal of `zcevo proxies` (see
 * proxies_journal.h for the format and the guarantees). */
#include "master/cli/proxies_journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/util.h"

#define JOURNAL_MAGIC "# zcevo proxies journal v1 "

struct zc_proxies_journal {
    FILE *f;
    char *path;
    const int64_t *arch_index;
    int n_values;
    int failed;
};

typedef struct {
    int64_t arch_index;
    int pos;
} index_pos;

static int cmp_index_pos(const void *a, const void *b) {
    int64_t x = ((const index_pos *)a)->arch_index, y = ((const index_pos *)b)->arch_index;
    return (x > y) - (x < y);
}

/* parse_line: "<arch_index> v0 .. v(n-1)\n"; 0 when complete and well formed */
static int parse_line(const char *line, int n_values, int64_t *idx, double *v) {
    char *end;
    errno = 0;
    long long a = strtoll(line, &end, 10);
    if (end == line || errno) return -1;
    const char *p = end;
    for (int i = 0; i < n_values; i++) {
        v[i] = strtod(p, &end);
        if (end == p) return -1;
        p = end;
    }
    while (*p == ' ') p++;
    if (*p != '\n') return -1; /* extra fields, or no newline: truncated */
    *idx = a;
    return 0;
}

static void write_line(FILE *f, int64_t idx, const double *v, int n) {
    fprintf(f, "%lld", (long long)idx);
    for (int i = 0; i < n; i++) fprintf(f, " %.17g", v[i]);
    fputc('\n', f);
}

/* restore_values: the values of a journal line for architecture idx into
 * every position of it not yet done (map: positions sorted by index). */
static void restore_values(const index_pos *map, int n_rows, int64_t idx, const double *v,
                           int n_values, double *values, unsigned char *done, int *n_done) {
    index_pos key = {idx, 0};
    const index_pos *hit = bsearch(&key, map, (size_t)n_rows, sizeof *map, cmp_index_pos);
    if (!hit) return;
    /* the same architecture may sit at several positions (--arch repeated) */
    while (hit > map && hit[-1].arch_index == idx) hit--;
    for (; hit < map + n_rows && hit->arch_index == idx; hit++)
        if (!done[hit->pos]) {
            memcpy(values + (size_t)hit->pos * n_values, v, sizeof(double) * (size_t)n_values);
            done[hit->pos] = 1;
            ++*n_done;
        }
}

/* replay: the complete lines of the old journal `in` (after its header)
 * copied to `out` and restored into values / done. */
static void replay(FILE *in, FILE *out, const int64_t *arch_index, int n_rows, int n_values,
                   double *values, unsigned char *done, int *n_done) {
    index_pos *map = zc_malloc(sizeof(index_pos) * (size_t)(n_rows + 1));
    for (int i = 0; i < n_rows; i++) map[i] = (index_pos){arch_index[i], i};
    qsort(map, (size_t)n_rows, sizeof *map, cmp_index_pos);
    double *v = zc_malloc(sizeof(double) * (size_t)n_values);
    size_t cap = 0;
    char *line = NULL;
    while (getline(&line, &cap, in) > 0) {
        int64_t idx;
        if (parse_line(line, n_values, &idx, v) != 0) continue;
        write_line(out, idx, v, n_values);
        restore_values(map, n_rows, idx, v, n_values, values, done, n_done);
    }
    free(line);
    free(v);
    free(map);
}

/* same_run: 1 when the first line of `in` is header; otherwise 0 with the
 * refusal in err. */
static int same_run(FILE *in, const char *path, const char *header, char *err, size_t errlen) {
    size_t cap = 0;
    char *line = NULL;
    ssize_t len = getline(&line, &cap, in);
    int same = len >= 0 && strcmp(line, header) == 0;
    if (!same) {
        if (len > 0 && line[len - 1] == '\n') line[len - 1] = 0;
        snprintf(err, errlen,
                 "journal '%s' belongs to another run (%s); delete it or choose another "
                 "--out-csv", path, len > 0 ? line : "empty file");
    }
    free(line);
    return same;
}

/* open_for_append: the journal object appending to path. */
static zc_proxies_journal *open_for_append(const char *path, const int64_t *arch_index,
                                           int n_values, char *err, size_t errlen) {
    zc_proxies_journal *j = zc_calloc(1, sizeof *j);
    j->f = fopen(path, "a");
    if (!j->f) {
        snprintf(err, errlen, "cannot append to the journal '%s': %s", path, strerror(errno));
        free(j);
        return NULL;
    }
    j->path = zc_strdup(path);
    j->arch_index = arch_index;
    j->n_values = n_values;
    return j;
}

int zc_proxies_journal_check(const char *path, const char *signature, char *err, size_t errlen) {
    char header[2048];
    snprintf(header, sizeof header, "%s%s\n", JOURNAL_MAGIC, signature);
    FILE *in = fopen(path, "r");
    if (!in) return 0;
    int same = same_run(in, path, header, err, errlen);
    fclose(in);
    return same ? 0 : -1;
}

zc_proxies_journal *zc_proxies_journal_open(const char *path, const char *signature,
                                            const int64_t *arch_index, int n_rows, int n_values,
                                            double *values, unsigned char *done, int *n_done,
                                            char *err, size_t errlen) {
    *n_done = 0;
    char header[2048];
    snprintf(header, sizeof header, "%s%s\n", JOURNAL_MAGIC, signature);
    /* the journal is rewritten (its complete lines only) and renamed */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        snprintf(err, errlen, "cannot write the journal '%s': %s", tmp, strerror(errno));
        return NULL;
    }
    fputs(header, out);
    FILE *in = fopen(path, "r");
    if (in && !same_run(in, path, header, err, errlen)) {
        fclose(in);
        fclose(out);
        remove(tmp);
        return NULL;
    }
    if (in) {
        replay(in, out, arch_index, n_rows, n_values, values, done, n_done);
        int bad = ferror(in);
        fclose(in);
        if (bad) {
            snprintf(err, errlen, "cannot read the journal '%s'; it is left as it was", path);
            fclose(out);
            remove(tmp);
            return NULL;
        }
    }
    int bad = ferror(out) || fflush(out) != 0 || fsync(fileno(out)) != 0;
    if (fclose(out) != 0 || bad || zc_fsync_rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write the journal '%s': %s", path, strerror(errno));
        remove(tmp);
        return NULL;
    }
    return open_for_append(path, arch_index, n_values, err, errlen);
}

void zc_proxies_journal_put(void *journal, int pos, const double *values) {
    zc_proxies_journal *j = journal;
    if (j->failed) return;
    write_line(j->f, j->arch_index[pos], values, j->n_values);
    if (fflush(j->f) != 0 || ferror(j->f)) {
        fprintf(stderr, "zcevo: warning: cannot append to the journal '%s'; a killed run "
                "will not resume from here\n", j->path);
        j->failed = 1;
    }
}

void zc_proxies_journal_close(zc_proxies_journal *j, int remove_file) {
    if (!j) return;
    fclose(j->f);
    if (remove_file) remove(j->path);
    free(j->path);
    free(j);
}

/* bench_json.c: JSON-backed benchmark tables (NDS, NAS-Bench-Macro,
 * Channel-Bench-Macro) read with cJSON into zc_bench_table (see
 * bench_json.h). */
#include "common/data/bench_json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

typedef enum { FORMAT_NB_MACRO, FORMAT_CHANNEL_MACRO, FORMAT_NDS } json_format;

typedef struct {
    const char *table;
    const char *relative_path;
    json_format format;
    const char *accuracy; /* first column */
} json_table_info;

static const json_table_info k_tables[] = {
    {"nasbench_macro", "nasbench_macro/nas-bench-macro_cifar10.json", FORMAT_NB_MACRO,
     "mean_acc"},
    {"channel_resnet", "channel_bench_macro/Results_ResNet.json", FORMAT_CHANNEL_MACRO, "mean"},
    {"channel_mobilenet", "channel_bench_macro/Results_MobileNet.json", FORMAT_CHANNEL_MACRO,
     "mean"},
    {"nds_amoeba_in", "nds/Amoeba_in.json", FORMAT_NDS, "test_acc"},
    {"nds_darts_in", "nds/DARTS_in.json", FORMAT_NDS, "test_acc"},
    {"nds_darts_fix-w-d_in", "nds/DARTS_fix-w-d_in.json", FORMAT_NDS, "test_acc"},
    {"nds_darts_lr-wd_in", "nds/DARTS_lr-wd_in.json", FORMAT_NDS, "test_acc"},
    {"nds_enas_in", "nds/ENAS_in.json", FORMAT_NDS, "test_acc"},
    {"nds_nasnet_in", "nds/NASNet_in.json", FORMAT_NDS, "test_acc"},
    {"nds_pnas_in", "nds/PNAS_in.json", FORMAT_NDS, "test_acc"},
    {"nds_resnext-a_in", "nds/ResNeXt-A_in.json", FORMAT_NDS, "test_acc"},
    {"nds_resnext-b_in", "nds/ResNeXt-B_in.json", FORMAT_NDS, "test_acc"},
    {"nds_resnet_lr-wd_in", "nds/ResNet_lr-wd_in.json", FORMAT_NDS, "test_acc"},
    {"nds_vanilla_lr-wd_in", "nds/Vanilla_lr-wd_in.json", FORMAT_NDS, "test_acc"},
};

static const json_table_info *find_table(const char *table) {
    if (!table) return NULL;
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_tables); i++)
        if (strcmp(k_tables[i].table, table) == 0) return &k_tables[i];
    return NULL;
}

int zc_bench_json_is_table(const char *table) { return find_table(table) != NULL; }

const char *zc_bench_json_accuracy_column(const char *table) {
    const json_table_info *info = find_table(table);
    return info ? info->accuracy : NULL;
}

int zc_bench_json_path(const char *data_dir, const char *table, char *path, size_t pathlen) {
    const json_table_info *info = find_table(table);
    if (!info) return -1;
    int len = snprintf(path, pathlen, "%s/%s", data_dir ? data_dir : ".", info->relative_path);
    return (len < 0 || (size_t)len >= pathlen) ? -1 : 0;
}

/* replace_nonfinite: a copy of text where the tokens NaN, Infinity and
 * -Infinity outside strings (Python's json writes them; DARTS_lr-wd_in.json
 * has NaN training losses) become null, which cJSON accepts. */
static char *replace_nonfinite(const char *text) {
    size_t len = strlen(text);
    char *out = zc_malloc(len + len / 2 + 16); /* "NaN" -> "null" grows by 1 */
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; i < len;) {
        char ch = text[i];
        if (in_string) {
            out[o++] = ch;
            if (ch == '\\' && i + 1 < len) out[o++] = text[++i];
            else if (ch == '"') in_string = 0;
            i++;
            continue;
        }
        if (ch == '"') in_string = 1;
        size_t skip = 0;
        if (strncmp(text + i, "NaN", 3) == 0) skip = 3;
        else if (strncmp(text + i, "Infinity", 8) == 0) skip = 8;
        else if (strncmp(text + i, "-Infinity", 9) == 0) skip = 9;
        if (skip) {
            memcpy(out + o, "null", 4);
            o += 4;
            i += skip;
        } else {
            out[o++] = ch;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

/* Growing buffer of NUL-terminated architecture strings. */
typedef struct {
    char *data;
    size_t len, cap;
} string_pool;

static size_t pool_add(string_pool *p, const char *s) {
    size_t n = strlen(s) + 1;
    if (p->len + n > p->cap) {
        while (p->len + n > p->cap) p->cap = p->cap ? 2 * p->cap : 1 << 16;
        p->data = zc_realloc(p->data, p->cap);
    }
    memcpy(p->data + p->len, s, n);
    size_t at = p->len;
    p->len += n;
    return at;
}

/* number_field: obj[key] as a number into *out; -1 if absent/not a number. */
static int number_field(const cJSON *obj, const char *key, double *out) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(item)) return -1;
    *out = item->valuedouble;
    return 0;
}

static int set_columns(zc_bench_table *t, const char *const *names, int n) {
    t->n_cols = n;
    for (int c = 0; c < n; c++) snprintf(t->col_name[c], ZC_BENCH_COL_NAME_LEN, "%s", names[c]);
    return 0;
}

/* check_macro_key: 8 digits 0-2 (NAS-Bench-Macro) or 7 digits 1-4
 * (Channel-Bench-Macro). */
static int check_macro_key(const char *key, json_format format) {
    size_t want = format == FORMAT_NB_MACRO ? 8 : 7;
    char lo = format == FORMAT_NB_MACRO ? '0' : '1';
    char hi = format == FORMAT_NB_MACRO ? '2' : '4';
    if (strlen(key) != want) return -1;
    for (size_t i = 0; i < want; i++)
        if (key[i] < lo || key[i] > hi) return -1;
    return 0;
}

static int load_records(const json_table_info *info, const cJSON *root, zc_bench_table *t,
                        string_pool *pool, size_t **offsets, char *err, size_t errlen) {
    const char *path = t->path;
    int n = cJSON_GetArraySize(root);
    if (n <= 0) {
        snprintf(err, errlen, "benchmark table '%s' has no records", path);
        return -1;
    }
    *offsets = zc_malloc(sizeof(size_t) * (size_t)n);
    t->arch_index = zc_malloc(sizeof(int) * (size_t)n);
    t->values = zc_malloc(sizeof(double) * (size_t)n * (size_t)t->n_cols);
    int row = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, root) {
        double *v = t->values + (size_t)row * t->n_cols;
        if (info->format == FORMAT_NDS) {
            const cJSON *net = cJSON_GetObjectItemCaseSensitive(rec, "net");
            const cJSON *top1 = cJSON_GetObjectItemCaseSensitive(rec, "test_ep_top1");
            int n_ep = cJSON_IsArray(top1) ? cJSON_GetArraySize(top1) : 0;
            const cJSON *last = n_ep > 0 ? cJSON_GetArrayItem(top1, n_ep - 1) : NULL;
            if (!cJSON_IsObject(net) || !cJSON_IsNumber(last) ||
                number_field(rec, "params", &v[1]) != 0 ||
                number_field(rec, "flops", &v[2]) != 0) {
                snprintf(err, errlen,
                         "benchmark table '%s' record %d: needs 'net' (object), "
                         "'test_ep_top1' (non-empty list), 'params' and 'flops'",
                         path, row);
                return -1;
            }
            v[0] = 100.0 - last->valuedouble;
            char *s = cJSON_PrintUnformatted(net);
            if (!s) zc_die("out of memory printing a JSON record");
            (*offsets)[row] = pool_add(pool, s);
            cJSON_free(s);
        } else {
            const char *key = rec->string;
            const char *acc_name = info->format == FORMAT_NB_MACRO ? "mean_acc" : "mean";
            if (!key || check_macro_key(key, info->format) != 0) {
                snprintf(err, errlen,
                         "benchmark table '%s' record %d: key '%s' is not %s", path, row,
                         key ? key : "(none)",
                         info->format == FORMAT_NB_MACRO ? "8 digits 0-2" : "7 digits 1-4");
                return -1;
            }
            if (number_field(rec, acc_name, &v[0]) != 0 || number_field(rec, "std", &v[1]) != 0 ||
                number_field(rec, "params", &v[2]) != 0 ||
                number_field(rec, "flops", &v[3]) != 0) {
                snprintf(err, errlen,
                         "benchmark table '%s' record '%s': needs numbers '%s', 'std', "
                         "'params' and 'flops'",
                         path, key, acc_name);
                return -1;
            }
            (*offsets)[row] = pool_add(pool, key);
        }
        t->arch_index[row] = row;
        row++;
    }
    t->n_rows = row;
    return 0;
}

int zc_bench_json_load(const char *data_dir, const char *table, zc_bench_table *t, char *err,
                       size_t errlen) {
    memset(t, 0, sizeof *t);
    const json_table_info *info = find_table(table);
    if (!info) {
        snprintf(err, errlen, "unknown benchmark table '%s'", table ? table : "(null)");
        return -1;
    }
    if (zc_bench_json_path(data_dir, table, t->path, sizeof t->path) != 0) {
        snprintf(err, errlen, "data folder path too long: '%s'", data_dir);
        return -1;
    }
    snprintf(t->space, sizeof t->space, "%s", info->table);
    snprintf(t->index_name, sizeof t->index_name, "arch_index");
    snprintf(t->arch_name, sizeof t->arch_name, "arch_str");
    if (info->format == FORMAT_NDS) {
        static const char *const cols[] = {"test_acc", "params", "flops"};
        set_columns(t, cols, 3);
    } else {
        static const char *const nb[] = {"mean_acc", "std", "params", "flops"};
        static const char *const ch[] = {"mean", "std", "params", "flops"};
        set_columns(t, info->format == FORMAT_NB_MACRO ? nb : ch, 4);
    }

    size_t len = 0;
    char *text = zc_read_text_file(t->path, "benchmark table", &len, err, errlen);
    const char *nul = text ? memchr(text, 0, len) : NULL;
    if (nul)
        zc_fail(err, errlen, "benchmark table '%s' holds a NUL byte at offset %zu (not a text "
                "file)", t->path, (size_t)(nul - text));
    if (!text || nul) {
        free(text);
        zc_bench_table_free(t);
        return -1;
    }
    char *clean = replace_nonfinite(text);
    free(text);
    cJSON *root = cJSON_Parse(clean);
    free(clean);
    int expect_array = info->format == FORMAT_NDS;
    if (!root || (expect_array ? !cJSON_IsArray(root) : !cJSON_IsObject(root))) {
        snprintf(err, errlen, "benchmark table '%s' is not valid JSON (expected %s)", t->path,
                 expect_array ? "a list of NDS records" : "an object of architectures");
        cJSON_Delete(root);
        zc_bench_table_free(t);
        return -1;
    }
    string_pool pool = {0};
    size_t *offsets = NULL;
    int rc = load_records(info, root, t, &pool, &offsets, err, errlen);
    cJSON_Delete(root);
    if (rc == 0) {
        t->text = pool.data;
        pool.data = NULL;
        t->arch_str = zc_malloc(sizeof(char *) * (size_t)t->n_rows);
        for (int r = 0; r < t->n_rows; r++) t->arch_str[r] = t->text + offsets[r];
        rc = zc_bench_table_build_index(t, err, errlen);
    }
    free(offsets);
    free(pool.data);
    if (rc != 0) zc_bench_table_free(t);
    return rc;
}

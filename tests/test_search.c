/* test_search.c: the pieces of `zcevo search` that a command line cannot
 * reach one by one:
 *   - the encodings (space_encoding.h): for every encoded space the gene
 *     vectors are exactly the table's architectures (every row decodes and
 *     encodes back to its string, and the sizes agree), random
 *     architectures and mutations stay in the table, a mutation changes
 *     exactly one gene, bad strings are refused, the NDS spaces have none;
 *   - the score cache (search_cache.h): values read back bit for bit (NaN
 *     and infinities too), a truncated last line dropped, a cache of
 *     another signature refused and left as it was, a cache in use refused;
 *   - the ranking rule (NaN last, ties to the smaller row) and Zero-Cost-PT's
 *     choice (np.nanargmin);
 *   - the supernet: the stand-alone network of a cell has exactly the conv
 *     and linear weights of the NAS-Bench-201 network of that cell.
 * With --dump-supernet FILE it writes instead what tests/
 * torch_supernet_ref.py checks against PyTorch (see there).
 *
 * Usage: test_search DATA_DIR WORK_DIR | test_search --dump-supernet FILE */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/data/bench_table.h"
#include "common/nets/space.h"
#include "common/nets/space_encoding.h"
#include "common/nets/space_nb201_supernet.h"
#include "common/proxies/proxies.h"
#include "common/proxies/proxies_forward.h"
#include "common/util/util.h"
#include "master/search/search_cache.h"
#include "master/search/search_internal.h"
#include "master/search/zcpt.h"
#include "tests/test_util.h"

/* ---- encodings ------------------------------------------------------------ */

/* check_bijection: every table row decodes and encodes back to its string. */
static void check_bijection(const zc_encoding *e, const zc_bench_table *t) {
    int bad = 0;
    for (int r = 0; r < t->n_rows; r++) {
        int g[ZC_ENC_MAX_GENES];
        char s[ZC_ENC_MAX_STRING], err[256];
        if (zc_encoding_from_string(e, t->arch_str[r], g, err, sizeof err) != 0) {
            if (bad++ < 3) fprintf(stderr, "FAIL row %d: %s\n", r, err);
            continue;
        }
        zc_encoding_to_string(e, g, s, sizeof s);
        if (strcmp(s, t->arch_str[r]) != 0 && bad++ < 3)
            fprintf(stderr, "FAIL row %d: '%s' encodes back to '%s'\n", r, t->arch_str[r], s);
    }
    CHECK_MSG(bad == 0, "%d rows of %s", bad, t->path);
}

/* check_moves: random architectures and mutations stay in the table; a
 * mutation changes exactly one gene. */
static void check_moves(const zc_encoding *e, const zc_bench_table *t, const char *space) {
    zc_rng rng = zc_rng_stream(7, ZC_STREAM_SEARCH, 1);
    int outside = 0, wrong_changes = 0, n = zc_encoding_genes(e);
    int g[ZC_ENC_MAX_GENES], child[ZC_ENC_MAX_GENES];
    zc_encoding_random(e, &rng, g);
    for (int i = 0; i < 20000; i++) {
        if (i % 100 == 0) zc_encoding_random(e, &rng, g);
        zc_encoding_mutate(e, g, &rng, child);
        int changed = 0;
        for (int k = 0; k < n; k++) changed += child[k] != g[k];
        wrong_changes += changed != 1;
        char s[ZC_ENC_MAX_STRING];
        zc_encoding_to_string(e, child, s, sizeof s);
        outside += zc_bench_table_find(t, s) < 0;
        memcpy(g, child, sizeof g);
    }
    CHECK_MSG(outside == 0 && wrong_changes == 0, "%s: %d children outside the table, %d "
              "changing other than one gene", space, outside, wrong_changes);
}

static void test_encodings(const char *data_dir) {
    static const char *const spaces[] = {"nb201", "nats_sss", "nasbench_macro",
                                         "channel_resnet", "channel_mobilenet"};
    for (size_t i = 0; i < ZC_ARRAY_LEN(spaces); i++) {
        const zc_encoding *e = zc_encoding_find(spaces[i]);
        CHECK(e != NULL);
        if (!e) continue;
        zc_bench_table t;
        char err[512];
        const char *table = zc_space_find(spaces[i])->table;
        int rc = zc_bench_table_load(data_dir, table, &t, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc != 0) continue;
        CHECK_MSG(zc_encoding_size(e) == t.n_rows, "%s: %lld architectures, table %d",
                  spaces[i], (long long)zc_encoding_size(e), t.n_rows);
        check_bijection(e, &t);
        check_moves(e, &t, spaces[i]);
        zc_bench_table_free(&t);
    }
    CHECK(zc_encoding_find("nds_darts_in") == NULL && zc_encoding_find("nope") == NULL);
    const zc_encoding *nb = zc_encoding_find("nb201"), *sss = zc_encoding_find("nats_sss");
    int g[ZC_ENC_MAX_GENES];
    char err[256];
    CHECK(zc_encoding_from_string(nb, "|none~0|+|none~0|none~1|+|none~0|none~1|conv~2|", g, err,
                                  sizeof err) == -1 && strstr(err, "conv~2"));
    CHECK(zc_encoding_from_string(nb, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x", g,
                                  err, sizeof err) == -1 && strstr(err, "trailing"));
    CHECK(zc_encoding_from_string(sss, "8:16:24:32:72", g, err, sizeof err) == -1);
    CHECK(zc_encoding_from_string(sss, "8:16:24:32:64", g, err, sizeof err) == 0 &&
          g[0] == 0 && g[4] == 7);
}

/* ---- the score cache ------------------------------------------------------ */

static char *read_all(const char *path) {
    char err[256];
    return zc_read_text_file(path, "test file", NULL, err, sizeof err);
}

static void test_cache(const char *data_dir, const char *work) {
    zc_bench_table t;
    char err[512], path[1024];
    if (zc_bench_table_load(data_dir, "nb201", &t, err, sizeof err) != 0) zc_die("%s", err);
    snprintf(path, sizeof path, "%s/cache_test.csv", work);
    remove(path);
    const int rows[4] = {0, 17, 15624, 300};
    const double values[4] = {1.0 / 3.0, NAN, -INFINITY, -2.5e-300};
    zc_search_cache *c = zc_search_cache_open(path, "space=nb201 proxy=x", &t, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    for (int i = 0; i < 4; i++) zc_search_cache_put(c, rows[i], values[i]);
    zc_search_cache *twice = zc_search_cache_open(path, "space=nb201 proxy=x", &t, err, sizeof err);
    CHECK(twice == NULL && strstr(err, "in use by another process"));
    zc_search_cache_close(c);
    FILE *f = fopen(path, "a");
    fputs("12,4.5", f); /* a writer killed in the middle of a line */
    fclose(f);
    c = zc_search_cache_open(path, "space=nb201 proxy=x", &t, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (c) {
        CHECK(zc_search_cache_count(c) == 4);
        double v;
        int same = 1;
        for (int i = 0; i < 4; i++)
            same &= zc_search_cache_get(c, rows[i], &v) &&
                    (isnan(values[i]) ? isnan(v) : memcmp(&v, &values[i], sizeof v) == 0);
        CHECK(same);
        CHECK(!zc_search_cache_get(c, 12, &v)); /* the truncated line was dropped */
        zc_search_cache_close(c);
    }
    char *before = read_all(path);
    CHECK(zc_search_cache_open(path, "space=nb201 proxy=y", &t, err, sizeof err) == NULL &&
          strstr(err, "belongs to another task or proxy"));
    char *after = read_all(path);
    CHECK(before && after && strcmp(before, after) == 0);
    free(before);
    free(after);
    zc_bench_table_free(&t);
}

/* ---- ranking and zc-pt's choice ------------------------------------------- */

static void test_ranking(void) {
    CHECK(zc_search_better(2, 5, 1, 1, 0) && !zc_search_better(1, 1, 2, 5, 0));
    CHECK(zc_search_better(1, 1, 2, 5, 1));                 /* minimize */
    CHECK(zc_search_better(1, 3, 1, 4, 0) && !zc_search_better(1, 4, 1, 3, 0));
    CHECK(zc_search_better(-INFINITY, 9, NAN, 1, 0) && !zc_search_better(NAN, 1, -5, 9, 0));
    CHECK(zc_search_better(NAN, 1, NAN, 2, 1));
    double s1[5] = {3, NAN, 1, 1, 2}, s2[5] = {NAN, NAN, NAN, NAN, NAN};
    double s3[5] = {0, 1, -INFINITY, 2, 3};
    CHECK(zc_pt_choose(s1) == 2 && zc_pt_choose(s2) == 0 && zc_pt_choose(s3) == 2);
}

/* ---- the supernet --------------------------------------------------------- */

/* weight_numel: conv and linear weights of net (what the standard
 * NAS-Bench-201 network and the stand-alone supernet must share). */
static int64_t weight_numel(const zc_net *net, int *n_layers) {
    int64_t n = 0;
    *n_layers = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const zc_layer *L = &net->layers[l];
        if (L->kind != ZC_L_CONV && L->kind != ZC_L_LINEAR) continue;
        n += net->params[L->param[0]].numel;
        ++*n_layers;
    }
    return n;
}

static void test_supernet_standalone(void) {
    static const char *const cells[] = {
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
        "|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|none~0|skip_connect~1|nor_conv_3x3~2|",
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"};
    const zc_encoding *e = zc_encoding_find("nb201");
    zc_supernet_shape shape = {16, 5, 2, 32, 10};
    for (size_t i = 0; i < ZC_ARRAY_LEN(cells); i++) {
        char err[512];
        zc_supernet_state st;
        zc_supernet_state_init(&st);
        CHECK(zc_encoding_from_string(e, cells[i], st.fixed, err, sizeof err) == 0);
        zc_net *a = zc_nb201_supernet_build(&shape, &st, 1, 3, err, sizeof err);
        zc_net *b = zc_space_build("nb201", cells[i], 2, 10, 32, err, sizeof err);
        CHECK(a && b);
        if (!a || !b) continue;
        int la, lb;
        int64_t na = weight_numel(a, &la), nb = weight_numel(b, &lb);
        CHECK_MSG(na == nb && la == lb, "cell %zu: %lld weights in %d layers vs %lld in %d", i,
                  (long long)na, la, (long long)nb, lb);
        zc_net_free(a);
        zc_net_free(b);
    }
    zc_supernet_shape tiny = {16, 5, 2, 2, 10};
    char err[256];
    zc_supernet_state st;
    zc_supernet_state_init(&st);
    CHECK(zc_nb201_supernet_build(&tiny, &st, 0, 1, err, sizeof err) == NULL &&
          strstr(err, "does not fit"));
}

/* ---- the dump for tests/torch_supernet_ref.py ------------------------------ */

static void put_tensor(FILE *f, const char *name, int ndim, const int64_t *shape,
                       const double *data) {
    uint32_t len = (uint32_t)strlen(name), nd = (uint32_t)ndim;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    fwrite(&len, 4, 1, f);
    fwrite(name, 1, len, f);
    fwrite(&nd, 4, 1, f);
    if (ndim > 0) fwrite(shape, 8, (size_t)ndim, f);
    fwrite(data, 8, (size_t)n, f);
}

static void put_scalar(FILE *f, const char *name, double v) { put_tensor(f, name, 0, NULL, &v); }

static void put_floats(FILE *f, const char *name, int ndim, const int64_t *shape,
                       const float *x, int64_t n) {
    double *d = zc_malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++) d[i] = x[i];
    put_tensor(f, name, ndim, shape, d);
    free(d);
}

/* put_raw_params: every drawn parameter of the full supernet, unscaled. */
static void put_raw_params(FILE *f, const zc_supernet_shape *shape, uint64_t seed) {
    char err[256];
    zc_supernet_state st;
    zc_supernet_state_init(&st);
    zc_net *net = zc_nb201_supernet_build(shape, &st, 0, seed, err, sizeof err);
    if (!net) zc_die("%s", err);
    for (int i = 0; i < net->n_params; i++) {
        const zc_param *p = &net->params[i];
        if (strstr(p->name, ".scale.")) continue;
        int64_t fan_in = p->ndim > 1 ? p->numel / p->shape[0] : net->params[i - 1].shape[1];
        float *v = zc_malloc(sizeof(float) * (size_t)p->numel);
        zc_supernet_draw_param(seed, p->name, fan_in, p->numel, v);
        int64_t sh[4];
        for (int d = 0; d < p->ndim; d++) sh[d] = p->shape[d];
        char name[160];
        snprintf(name, sizeof name, "param:%s", p->name);
        put_floats(f, name, p->ndim, sh, v, p->numel);
        free(v);
    }
    zc_net_free(net);
}

/* put_removals: the removal scores of edge e in state st, as
 * "<tag>:state" (fixed ops, -1 undecided), "<tag>:edge" and
 * "<tag>:<proxy>" for nwot and jacov. */
static void put_removals(FILE *f, const char *tag, const zc_pt_supernet *base,
                         const zc_supernet_state *st, int e, const float *x) {
    char name[64], err[256];
    double fixed[ZC_SUPERNET_EDGES], scores[ZC_SUPERNET_OPS];
    for (int k = 0; k < ZC_SUPERNET_EDGES; k++) fixed[k] = st->fixed[k];
    int64_t six = ZC_SUPERNET_EDGES, five = ZC_SUPERNET_OPS;
    snprintf(name, sizeof name, "%s:state", tag);
    put_tensor(f, name, 1, &six, fixed);
    snprintf(name, sizeof name, "%s:edge", tag);
    put_scalar(f, name, e);
    const int proxies[2] = {ZC_PX_NWOT, ZC_PX_JACOV};
    for (int k = 0; k < 2; k++) {
        zc_pt_supernet sn = *base;
        sn.proxy = proxies[k];
        if (zc_pt_score_removals(&sn, st, e, x, scores, err, sizeof err) != 0) zc_die("%s", err);
        snprintf(name, sizeof name, "%s:%s", tag, zc_proxy_name(proxies[k]));
        put_tensor(f, name, 1, &five, scores);
    }
}

/* put_discretisation: one forward-order discretisation on batches x[0..6)
 * (nwot) and the validation of its cell on x[0..2) (nwot, jacov). */
static void put_discretisation(FILE *f, const zc_pt_supernet *sn, const float *const *x) {
    int order[ZC_SUPERNET_EDGES] = {0, 1, 2, 3, 4, 5}, genes[ZC_SUPERNET_EDGES];
    double scores[ZC_SUPERNET_EDGES][ZC_SUPERNET_OPS], g[ZC_SUPERNET_EDGES], v;
    char err[256];
    if (zc_pt_discretise(sn, order, x, genes, scores, NULL, NULL, err, sizeof err) != 0)
        zc_die("%s", err);
    for (int e = 0; e < ZC_SUPERNET_EDGES; e++) g[e] = genes[e];
    int64_t shape[2] = {ZC_SUPERNET_EDGES, ZC_SUPERNET_OPS}, six = ZC_SUPERNET_EDGES;
    put_tensor(f, "disc:scores", 2, shape, &scores[0][0]);
    put_tensor(f, "disc:genes", 1, &six, g);
    const int proxies[2] = {ZC_PX_NWOT, ZC_PX_JACOV};
    for (int k = 0; k < 2; k++) {
        zc_pt_supernet s = *sn;
        s.proxy = proxies[k];
        if (zc_pt_validate(&s, genes, x, 2, &v, err, sizeof err) != 0) zc_die("%s", err);
        char name[64];
        snprintf(name, sizeof name, "valid:%s", zc_proxy_name(proxies[k]));
        put_scalar(f, name, v);
    }
}

static int dump_supernet(const char *path) {
    zc_pt_supernet sn = {{4, 1, 8, 16, 10}, 5, ZC_PX_NWOT};
    const zc_supernet_shape *s = &sn.shape;
    int64_t nx = (int64_t)s->batch * 3 * s->image_hw * s->image_hw;
    float *x[ZC_SUPERNET_EDGES];
    zc_rng rng = zc_rng_stream(5, ZC_STREAM_NOISE, 9);
    for (int k = 0; k < ZC_SUPERNET_EDGES; k++) {
        x[k] = zc_malloc(sizeof(float) * (size_t)nx);
        zc_rng_fill_normal(&rng, x[k], (long)nx, 0.0, 1.0);
    }
    FILE *f = fopen(path, "wb");
    if (!f) zc_die("cannot write '%s'", path);
    int64_t xs[5] = {ZC_SUPERNET_EDGES, s->batch, 3, s->image_hw, s->image_hw};
    float *all = zc_malloc(sizeof(float) * (size_t)(nx * ZC_SUPERNET_EDGES));
    for (int k = 0; k < ZC_SUPERNET_EDGES; k++) memcpy(all + k * nx, x[k], sizeof(float) * nx);
    put_tensor(f, "shape", 1, (int64_t[]){5}, (double[]){s->channels, s->cells_per_stage,
                                                         s->batch, s->image_hw, s->num_classes});
    put_floats(f, "x", 5, xs, all, nx * ZC_SUPERNET_EDGES);
    put_raw_params(f, s, sn.seed);
    zc_supernet_state st;
    zc_supernet_state_init(&st);
    put_removals(f, "undecided", &sn, &st, 2, x[0]);
    st.fixed[0] = 3, st.fixed[3] = 1, st.fixed[4] = 0, st.fixed[5] = 4;
    put_removals(f, "partial", &sn, &st, 1, x[1]);
    put_discretisation(f, &sn, (const float *const *)x);
    fclose(f);
    printf("wrote %s\n", path);
    for (int k = 0; k < ZC_SUPERNET_EDGES; k++) free(x[k]);
    free(all);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--dump-supernet") == 0) return dump_supernet(argv[2]);
    if (argc != 3) {
        fprintf(stderr, "usage: test_search DATA_DIR WORK_DIR | test_search --dump-supernet FILE\n");
        return 2;
    }
    test_encodings(argv[1]);
    test_cache(argv[1], argv[2]);
    test_ranking();
    test_supernet_standalone();
    TEST_EXIT();
}

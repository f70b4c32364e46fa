/* space_encoding.c: the generative encodings of the design spaces (see
 * space_encoding.h): one table of gene counts and choices, one string
 * format per family (NB201 cell strings, NATS-SSS widths, digit keys). */
#include "common/nets/space_encoding.h"

#include <stdio.h>
#include <string.h>

#include "common/util/util.h"

typedef enum { FORMAT_NB201, FORMAT_WIDTHS, FORMAT_DIGITS } string_format;

struct zc_encoding {
    const char *space;
    string_format format;
    int n_genes;
    int n_choices;   /* the same for every gene in these spaces          */
    int first_digit; /* FORMAT_DIGITS: the character of choice 0 - '0'   */
};

static const zc_encoding k_encodings[] = {
    {"nb201", FORMAT_NB201, 6, 5, 0},
    {"nats_sss", FORMAT_WIDTHS, 5, 8, 0},
    {"nasbench_macro", FORMAT_DIGITS, 8, 3, 0},
    {"channel_resnet", FORMAT_DIGITS, 7, 4, 1},
    {"channel_mobilenet", FORMAT_DIGITS, 7, 4, 1},
};

/* NB201's operations in the benchmark's order, and the node each edge of
 * the cell string reads (edges in string order: 1<-0, 2<-0, 2<-1, 3<-0,
 * 3<-1, 3<-2). */
static const char *const k_nb201_ops[5] = {"none", "skip_connect", "nor_conv_1x1",
                                            "nor_conv_3x3", "avg_pool_3x3"};
static const int k_nb201_edge_from[6] = {0, 0, 1, 0, 1, 2};

const zc_encoding *zc_encoding_find(const char *space) {
    if (!space) return NULL;
    for (size_t i = 0; i < ZC_ARRAY_LEN(k_encodings); i++)
        if (strcmp(k_encodings[i].space, space) == 0) return &k_encodings[i];
    return NULL;
}

int zc_encoding_genes(const zc_encoding *e) { return e->n_genes; }

int zc_encoding_choices(const zc_encoding *e, int g) {
    ZC_ASSERT(g >= 0 && g < e->n_genes);
    return e->n_choices;
}

int64_t zc_encoding_size(const zc_encoding *e) {
    int64_t n = 1;
    for (int g = 0; g < e->n_genes; g++) n *= e->n_choices;
    return n;
}

/* fragment: the text gene g contributes with value v; the string of an
 * architecture is the concatenation of its genes' fragments (in gene
 * order), and no fragment is a prefix of another value's fragment. */
static void fragment(const zc_encoding *e, int g, int v, char *out, size_t outlen) {
    switch (e->format) {
    case FORMAT_NB201: /* node 1: gene 0; node 2: genes 1-2; node 3: genes 3-5 */
        snprintf(out, outlen, "%s%s~%d|", g == 0 ? "|" : (g == 1 || g == 3) ? "+|" : "",
                 k_nb201_ops[v], k_nb201_edge_from[g]);
        return;
    case FORMAT_WIDTHS:
        snprintf(out, outlen, "%s%d", g ? ":" : "", 8 * (v + 1));
        return;
    case FORMAT_DIGITS:
        snprintf(out, outlen, "%c", (char)('0' + e->first_digit + v));
        return;
    }
}

void zc_encoding_to_string(const zc_encoding *e, const int *genes, char *out, size_t outlen) {
    char buf[ZC_ENC_MAX_STRING] = "";
    size_t len = 0;
    for (int g = 0; g < e->n_genes; g++) {
        ZC_ASSERT(genes[g] >= 0 && genes[g] < e->n_choices);
        fragment(e, g, genes[g], buf + len, sizeof buf - len);
        len += strlen(buf + len);
    }
    snprintf(out, outlen, "%s", buf);
}

int zc_encoding_from_string(const zc_encoding *e, const char *arch_str, int *genes, char *err,
                            size_t errlen) {
    const char *p = arch_str;
    for (int g = 0; g < e->n_genes; g++) {
        int value = -1;
        for (int v = 0; v < e->n_choices && value < 0; v++) {
            char frag[64];
            fragment(e, g, v, frag, sizeof frag);
            if (strncmp(p, frag, strlen(frag)) == 0) {
                value = v;
                p += strlen(frag);
            }
        }
        if (value < 0)
            return zc_fail(err, errlen, "'%s' is not an architecture of %s (gene %d at '%s')",
                           arch_str, e->space, g + 1, p);
        genes[g] = value;
    }
    if (*p)
        return zc_fail(err, errlen, "'%s' is not an architecture of %s (trailing '%s')",
                       arch_str, e->space, p);
    return 0;
}

void zc_encoding_random(const zc_encoding *e, zc_rng *rng, int *genes) {
    for (int g = 0; g < e->n_genes; g++) genes[g] = (int)zc_rng_below(rng, (uint64_t)e->n_choices);
}

void zc_encoding_mutate(const zc_encoding *e, const int *parent, zc_rng *rng, int *child) {
    memcpy(child, parent, sizeof(int) * (size_t)e->n_genes);
    int g = (int)zc_rng_below(rng, (uint64_t)e->n_genes);
    int v = (int)zc_rng_below(rng, (uint64_t)e->n_choices - 1);
    child[g] = v >= parent[g] ? v + 1 : v;
}

/* space_encoding.h: the generative encodings of the design spaces that have
 * one: an architecture as a short vector of choices ("genes"), with the
 * three moves a search needs: a random architecture, a mutation (one gene
 * changed) and the conversion to and from the space's architecture string
 * (the key of its benchmark table, bench_table.h).
 *
 *   space               genes  choices per gene            string
 *   nb201               6      5 operations per edge       |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
 *                              (none, skip_connect,        (edges 1<-0, 2<-0, 2<-1, 3<-0,
 *                              nor_conv_1x1, nor_conv_3x3,  3<-1, 3<-2: the string's order)
 *                              avg_pool_3x3)
 *   nats_sss            5      8 widths 8, 16, ..., 64     c1:c2:c3:c4:c5
 *   nasbench_macro      8      3 layer choices 0, 1, 2     8 digits
 *   channel_resnet,     7      4 width quarters 1..4       7 digits
 *   channel_mobilenet
 *
 * The NDS spaces have no encoding (their records are a fixed sample of a
 * larger space): zc_encoding_find returns NULL for them. Every encoded
 * space's table holds all of its architectures, so each gene vector names
 * exactly one table row. */
#ifndef ZC_SPACE_ENCODING_H
#define ZC_SPACE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "common/util/rng.h"

#define ZC_ENC_MAX_GENES 8
#define ZC_ENC_MAX_STRING 128

typedef struct zc_encoding zc_encoding;

/* zc_encoding_find: the encoding of `space`, or NULL when the space has
 * none (the NDS spaces, unknown names). */
const zc_encoding *zc_encoding_find(const char *space);

/* zc_encoding_genes: the number of genes; zc_encoding_choices: the number
 * of values gene g takes (0 .. choices-1). */
int zc_encoding_genes(const zc_encoding *e);
int zc_encoding_choices(const zc_encoding *e, int g);

/* zc_encoding_size: the number of architectures (product of the choices). */
int64_t zc_encoding_size(const zc_encoding *e);

/* zc_encoding_to_string: the architecture string of genes into
 * out[outlen] (ZC_ENC_MAX_STRING is enough). Genes must be in range. */
void zc_encoding_to_string(const zc_encoding *e, const int *genes, char *out, size_t outlen);

/* zc_encoding_from_string: genes of an architecture string. Returns 0, or
 * -1 with one line in err quoting the string when it is not an
 * architecture of the space. */
int zc_encoding_from_string(const zc_encoding *e, const char *arch_str, int *genes, char *err,
                            size_t errlen);

/* zc_encoding_random: every gene uniform over its choices, drawn from rng
 * in gene order. */
void zc_encoding_random(const zc_encoding *e, zc_rng *rng, int *genes);

/* zc_encoding_mutate: child = parent with one gene, chosen uniformly,
 * changed to a different value chosen uniformly (two draws from rng). */
void zc_encoding_mutate(const zc_encoding *e, const int *parent, zc_rng *rng, int *child);

#endif

/* program.h: proxy programs as flat postfix arrays.
 *
 * A program is a tree over the primitives (docs/primitives.md) with the 22
 * terminals (terminals.h) as leaves, stored in postfix order: one byte per
 * node, codes 0..21 are terminals, codes >= ZC_OP_BASE are operations.
 * The struct is plain data: copy it with =, send it over MPI as bytes
 * (first len+2 bytes suffice), hash it with zc_program_hash.
 *
 * Text syntax: name(arg, arg) for operations, terminal names for leaves,
 * e.g. "frobenius(sigmoid(logdet(sign(inpact_grad_data))))". Printing emits
 * exactly this form with ", " between arguments; parse(print(p)) == p.
 */
#ifndef ZC_PROGRAM_H
#define ZC_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/stats/terminals.h"

#define ZC_PROG_MAX_LEN 128 /* nodes; longer programs are invalid           */
#define ZC_OP_BASE 32

/* Operations. Order is part of the wire and file format: append only. */
typedef enum {
    /* binary */
    ZC_OP_ADD = ZC_OP_BASE, ZC_OP_SUB, ZC_OP_MUL, ZC_OP_MATMUL, ZC_OP_LT,
    ZC_OP_GT, ZC_OP_EQ, ZC_OP_HAMMING, ZC_OP_KL_DIV, ZC_OP_COSINE,
    /* unary, shape-preserving */
    ZC_OP_LOG, ZC_OP_ABSLOG, ZC_OP_ABS, ZC_OP_SQUARE, ZC_OP_EXP,
    ZC_OP_NORMALIZE, ZC_OP_RELU, ZC_OP_SIGN, ZC_OP_HEAVISIDE, ZC_OP_RECIPROCAL,
    ZC_OP_SOFTMAX, ZC_OP_SIGMOID, ZC_OP_ONES_LIKE, ZC_OP_ZEROS_LIKE,
    ZC_OP_POS_MASK, ZC_OP_NEG_MASK,
    /* reductions and linear algebra */
    ZC_OP_FROBENIUS, ZC_OP_DET, ZC_OP_LOGDET, ZC_OP_EIG_RATIO, ZC_OP_MEAN,
    ZC_OP_MEAN_ABS, ZC_OP_NUMEL,
    /* optional, seeded */
    ZC_OP_ADD_NOISE,
    ZC_OP_END
} zc_opcode;

#define ZC_NUM_OPS (ZC_OP_END - ZC_OP_BASE)

typedef struct {
    uint16_t len;                     /* number of nodes                    */
    uint8_t code[ZC_PROG_MAX_LEN];    /* postfix                            */
} zc_program;

/* ---- the primitive table ------------------------------------------------- */

/* zc_op_arity: 1 or 2 for an opcode; 0 for a terminal code. */
int zc_op_arity(int code);
/* zc_op_name: static name of an opcode or terminal code ("?" if neither). */
const char *zc_op_name(int code);
/* zc_op_lookup: opcode of a primitive name, or -1. */
int zc_op_lookup(const char *name);
/* zc_op_is_commutative: 1 when op(a,b) == op(b,a) exactly (add, mul, eq,
 * hamming, cosine). */
int zc_op_is_commutative(int code);
/* zc_op_is_elementwise: 1 for pointwise ops, fusable into a chain: the
 * unary shape-preserving ops except normalize, softmax and add_noise (which
 * need the whole tensor or a random stream), and the broadcasting binary ops
 * add, sub, mul, lt, gt, eq. 0 for anything else (terminals included). */
int zc_op_is_elementwise(int code);
/* zc_op_is_reduction: 1 for ops whose result is always 0-d (frobenius, mean,
 * mean_abs, numel, hamming, kl_div, cosine). */
int zc_op_is_reduction(int code);
/* zc_op_is_optional: 1 for primitives left out of the default set
 * (add_noise: random, needs an rng in the evaluator). */
int zc_op_is_optional(int code);

/* ---- text ---------------------------------------------------------------- */

/* zc_program_parse: parse text into *out. Returns 0; or -1 with a message
 * in err naming the 0-based character position and what was expected
 * ("position 12: unknown primitive 'foo'"). Whitespace is ignored. A program
 * longer than ZC_PROG_MAX_LEN nodes is an error. */
int zc_program_parse(const char *text, zc_program *out, char *err, size_t errlen);

/* zc_program_print: write the text form into buf (always NUL-terminated,
 * truncated if buflen is too small). Returns the full length needed
 * (excluding the NUL), like snprintf. */
size_t zc_program_print(const zc_program *p, char *buf, size_t buflen);

/* ---- structure ----------------------------------------------------------- */

/* zc_program_valid: 1 when p is a well-formed postfix program (len in
 * 1..MAX, known codes, arities consistent, exactly one root). */
int zc_program_valid(const zc_program *p);

/* zc_program_subtree_start: index of the first node of the subtree whose
 * root is node `end` (postfix: the subtree occupies [start, end]). */
int zc_program_subtree_start(const zc_program *p, int end);

/* zc_program_height: height of the tree (a lone terminal has height 0). */
int zc_program_height(const zc_program *p);

/* zc_program_terminals: mask of the terminals the program reads. */
zc_terminal_mask zc_program_terminals(const zc_program *p);

/* zc_program_canonical: *out = p with the arguments of every commutative
 * operation put in a fixed order (by their canonical bytes), so that
 * programs equal up to commutation have equal canonical forms. */
void zc_program_canonical(const zc_program *p, zc_program *out);

/* zc_program_hash: 64-bit hash of the canonical form. */
uint64_t zc_program_hash(const zc_program *p);

/* zc_program_equal: 1 when canonical forms are equal. */
int zc_program_equal(const zc_program *a, const zc_program *b);

#endif

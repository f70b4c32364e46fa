/* program.h: proxy programs as flat postfix arrays.
 *
 * A program is a tree over the primitives (docs/primitives.md) with
 * terminals as leaves, stored in postfix order: one byte per node, codes
 * below ZC_OP_BASE are terminals, codes >= ZC_OP_BASE are operations. What
 * a terminal code means is the terminal kind's: for layer programs (the
 * default) codes 0..21 are the 22 EZNAS statistics (terminals.h); for
 * network-level values (SR-NAS formulas over proxies files, docs/sr_nas.md)
 * code c is column c of the values, named by a zc_term_names table
 * (term_names.h).
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

#include "common/stats/term_names.h"
#include "common/stats/terminals.h"

#define ZC_PROG_MAX_LEN 128 /* nodes; longer programs are invalid           */
#define ZC_OP_BASE 32
/* terminal codes (term_names.h) are the codes below ZC_OP_BASE (C and CUDA) */
typedef char zc_term_codes_below_op_base[ZC_MAX_TERM_CODES == ZC_OP_BASE ? 1 : -1];

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
    /* the protected arithmetic of SR-NAS (docs/sr_nas.md), pointwise */
    ZC_OP_NEG, ZC_OP_PDIV, ZC_OP_PLOG, ZC_OP_PSQRT,
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
/* zc_op_is_sr: 1 for the SR-NAS function set: add, sub, mul, neg, pdiv,
 * plog, psqrt. */
int zc_op_is_sr(int code);
/* zc_op_is_eznas: 1 for the 34 primitives of EZNAS (every opcode before
 * the SR-only ones: add .. add_noise). */
int zc_op_is_eznas(int code);

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

/* zc_program_parse_names / zc_program_print_names: the same with the
 * terminal names of t (NULL: the layer terminals, as the two above). A
 * program whose terminal codes t does not name prints as
 * "<invalid program>". */
int zc_program_parse_names(const char *text, const zc_term_names *t, zc_program *out, char *err,
                           size_t errlen);
size_t zc_program_print_names(const zc_program *p, const zc_term_names *t, char *buf,
                              size_t buflen);

/* zc_program_print_python: the program as a Python expression over a
 * mapping of terminals: primitives as calls of functions named as zcevo's
 * ("frobenius(sign(T[\"wt\"]))" with dict "T"), terminal names from t (NULL:
 * the layer terminals). What `zcevo export` writes for PyTorch and SymPy.
 * snprintf semantics; an invalid program prints as "None". */
size_t zc_program_print_python(const zc_program *p, const zc_term_names *t, const char *dict,
                               char *buf, size_t buflen);

/* ---- structure ----------------------------------------------------------- */

/* zc_program_valid: 1 when p is a well-formed postfix program (len in
 * 1..MAX, known codes, arities consistent, exactly one root) over the 22
 * layer terminals. */
int zc_program_valid(const zc_program *p);

/* zc_program_valid_terms: the same with terminal codes 0..n_terms-1
 * (n_terms <= ZC_OP_BASE). */
int zc_program_valid_terms(const zc_program *p, int n_terms);

/* zc_program_subtree_start: index of the first node of the subtree whose
 * root is node `end` (postfix: the subtree occupies [start, end]). */
int zc_program_subtree_start(const zc_program *p, int end);

/* zc_program_height: height of the tree (a lone terminal has height 0). */
int zc_program_height(const zc_program *p);

/* zc_program_terminals: mask of the terminal codes the program reads. */
zc_terminal_mask zc_program_terminals(const zc_program *p);

/* zc_program_canonical: *out = p with the arguments of every commutative
 * operation put in a fixed order (by their canonical bytes), so that
 * programs equal up to commutation have equal canonical forms (any
 * terminal kind: codes below ZC_OP_BASE are leaves). */
void zc_program_canonical(const zc_program *p, zc_program *out);

/* zc_program_hash: 64-bit hash of the canonical form. */
uint64_t zc_program_hash(const zc_program *p);

/* zc_program_equal: 1 when canonical forms are equal. */
int zc_program_equal(const zc_program *a, const zc_program *b);

#endif

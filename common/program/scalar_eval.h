/* scalar_eval.h: programs (program.h) on network-level values: one double
 * per terminal code and architecture (e.g. the hand-crafted proxies of a
 * `zcevo proxies` file, docs/sr_nas.md), the terminal kind of SR-NAS.
 *
 * Every primitive keeps the semantics docs/primitives.md gives it on a 0-d
 * tensor, computed in double precision: the pointwise ones as written
 * there, matmul as mul, mean / frobenius / mean_abs / numel as x, |x|, |x|,
 * 1, normalize as 0 (one element), softmax as 1 (NaN for a non-finite x),
 * hamming as heaviside(a) != heaviside(b), kl_div as xlogy(b, b) - b a. The
 * primitives that need dimensions (det, logdet, eig_ratio, cosine) and
 * add_noise (no random stream here) make the program invalid. A terminal
 * whose value is NaN (missing, or non-finite in the file) makes it invalid
 * on that architecture; intermediate infinities are ordinary IEEE values;
 * a non-finite result is invalid. */
#ifndef ZC_SCALAR_EVAL_H
#define ZC_SCALAR_EVAL_H

#include <stddef.h>

#include "common/program/program.h"

/* zc_scalar_op: *out = op(a) or op(a, b) (b ignored for unary ops) with
 * the 0-d semantics above. Returns 0, or -1 when op is not defined on
 * scalars (det, logdet, eig_ratio, cosine, add_noise, not an opcode). */
int zc_scalar_op(int op, double a, double b, double *out);

/* zc_scalar_eval: *out = program p on one architecture's values (terminal
 * code c reads values[c], c < n_values). Returns 0 with a finite *out, or
 * -1 with *out NaN and, when why is not NULL, one line saying why (a
 * malformed program or a code >= n_values, a missing value, a primitive
 * undefined on scalars, a non-finite result). */
int zc_scalar_eval(const zc_program *p, const double *values, int n_values, double *out,
                   char *why, size_t whylen);

#endif

/* scalar_eval.c: programs on network-level values in double precision, the
 * 0-d semantics of every primitive (see scalar_eval.h). */
#include "common/program/scalar_eval.h"

#include <math.h>
#include <stdio.h>

#include "common/program/primitives.h"
#include "common/util/util.h"

/* the pointwise unary primitives on one value */
static int unary(int op, double x, double *out) {
    switch (op) {
    case ZC_OP_LOG: *out = x <= 0 ? 0.0 : log(x); return 0;
    case ZC_OP_ABSLOG: *out = x == 0 ? 0.0 : fabs(log(fabs(x))); return 0;
    case ZC_OP_ABS: case ZC_OP_FROBENIUS: case ZC_OP_MEAN_ABS: *out = fabs(x); return 0;
    case ZC_OP_SQUARE: *out = x * x; return 0;
    case ZC_OP_EXP: *out = exp(x); return 0;
    case ZC_OP_NORMALIZE: *out = 0.0; return 0; /* one element: 0/0 -> 0 */
    case ZC_OP_RELU: *out = x < 0 ? 0.0 : x; return 0;
    case ZC_OP_SIGN: *out = (double)((x > 0) - (x < 0)); return 0;
    case ZC_OP_HEAVISIDE: case ZC_OP_POS_MASK: *out = x > 0 ? 1.0 : 0.0; return 0;
    case ZC_OP_NEG_MASK: *out = x < 0 ? 1.0 : 0.0; return 0;
    case ZC_OP_RECIPROCAL: *out = 1.0 / x; return 0;
    case ZC_OP_SOFTMAX: *out = isfinite(x) ? 1.0 : NAN; return 0; /* exp(x - x) */
    case ZC_OP_SIGMOID: *out = 1.0 / (1.0 + exp(-x)); return 0;
    case ZC_OP_ONES_LIKE: case ZC_OP_NUMEL: *out = 1.0; return 0;
    case ZC_OP_ZEROS_LIKE: *out = 0.0; return 0;
    case ZC_OP_MEAN: *out = x; return 0;
    case ZC_OP_NEG: *out = -x; return 0;
    case ZC_OP_PLOG: *out = fabs(x) > (double)ZC_PROTECT_EPS ? log(fabs(x)) : 0.0; return 0;
    case ZC_OP_PSQRT: *out = sqrt(fabs(x)); return 0;
    default: return -1;
    }
}

/* the binary primitives on two values */
static int binary(int op, double a, double b, double *out) {
    switch (op) {
    case ZC_OP_ADD: *out = a + b; return 0;
    case ZC_OP_SUB: *out = a - b; return 0;
    case ZC_OP_MUL: case ZC_OP_MATMUL: *out = a * b; return 0;
    case ZC_OP_LT: *out = a < b ? 1.0 : 0.0; return 0;
    case ZC_OP_GT: *out = a > b ? 1.0 : 0.0; return 0;
    case ZC_OP_EQ: *out = a == b ? 1.0 : 0.0; return 0;
    case ZC_OP_HAMMING: *out = (a > 0) != (b > 0) ? 1.0 : 0.0; return 0;
    case ZC_OP_KL_DIV: *out = (b == 0 ? 0.0 : b * log(b)) - b * a; return 0;
    case ZC_OP_PDIV: *out = fabs(b) > (double)ZC_PROTECT_EPS ? a / b : 1.0; return 0;
    default: return -1;
    }
}

int zc_scalar_op(int op, double a, double b, double *out) {
    *out = NAN;
    return zc_op_arity(op) == 2 ? binary(op, a, b, out) : unary(op, a, out);
}

int zc_scalar_eval(const zc_program *p, const double *values, int n_values, double *out,
                   char *why, size_t whylen) {
    double stack[ZC_PROG_MAX_LEN];
    int sp = 0;
    *out = NAN;
    if (!zc_program_valid_terms(p, n_values < ZC_OP_BASE ? n_values : ZC_OP_BASE))
        return zc_fail(why, whylen, "malformed program (or a terminal code >= %d values)",
                       n_values);
    for (int i = 0; i < p->len; i++) {
        int c = p->code[i];
        if (c < ZC_OP_BASE) {
            if (isnan(values[c]))
                return zc_fail(why, whylen, "node %d: terminal %d has no value", i, c);
            stack[sp++] = values[c];
            continue;
        }
        double r;
        int bad = zc_op_arity(c) == 2 ? zc_scalar_op(c, stack[sp - 2], stack[sp - 1], &r)
                                      : zc_scalar_op(c, stack[sp - 1], 0.0, &r);
        if (bad) return zc_fail(why, whylen, "node %d (%s): not defined on scalars", i,
                                zc_op_name(c));
        sp -= zc_op_arity(c);
        stack[sp++] = r;
    }
    if (!isfinite(stack[0]))
        return zc_fail(why, whylen, "the value is %s", isnan(stack[0]) ? "NaN" : "infinite");
    *out = stack[0];
    return 0;
}

/* plan.c: compiling proxy programs into plans, packing the plans of a
 * batch, and the two run-time rules executors share (which buffer a result
 * may reuse, which links fuse into one stretch); see plan.h. */
#include "common/program/plan.h"

#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"

/* ---- compiling ------------------------------------------------------------- */

/* unary ops whose result has their operand's shape (so may overwrite it) */
static int is_shape_preserving_unary(int op) {
    return (op >= ZC_OP_LOG && op <= ZC_OP_NEG_MASK) || op == ZC_OP_ADD_NOISE;
}

/* what compiling knows of the value in a slot */
enum { SLOT_COMPUTED = 1, SLOT_0D = 2 };

/* the operand flags (ZC_PLAN_A, _B) of the operands known[0..arity) with
 * the SLOT_* property `what` */
static uint8_t operands_with(const unsigned char *known, int arity, int what) {
    return (uint8_t)((known[0] & what ? ZC_PLAN_A : 0) | (arity == 2 && known[1] & what ? ZC_PLAN_B : 0));
}

/* in-place candidates of op on operands known[0..arity) */
static uint8_t reuse_flags(int op, int arity, const unsigned char *known) {
    if (arity == 1) return is_shape_preserving_unary(op) ? operands_with(known, 1, SLOT_COMPUTED) : 0;
    return zc_op_is_elementwise(op) ? operands_with(known, 2, SLOT_COMPUTED) : 0;
}

/* what is known of op's result on operands known[0..arity) */
static unsigned char result_known(int op, int arity, const unsigned char *known) {
    int zero_d = zc_op_is_reduction(op) ||
                 (zc_op_is_elementwise(op) && operands_with(known, arity, SLOT_0D) ==
                                                  (arity == 2 ? ZC_PLAN_A | ZC_PLAN_B : ZC_PLAN_A));
    return (unsigned char)(SLOT_COMPUTED | (zero_d ? SLOT_0D : 0));
}

static zc_plan_step *new_step(zc_plan *plan) {
    ZC_ASSERT(plan->n_steps < ZC_PLAN_MAX_STEPS);
    zc_plan_step *st = &plan->step[plan->n_steps++];
    memset(st, 0, sizeof *st);
    return st;
}

/* the NODE or LINK step of program node `node`; updates the stack depth and
 * what is known of the slots */
static void add_op_step(zc_plan *plan, int kind, const zc_program *p, int node,
                        unsigned char *known, int *depth) {
    int op = p->code[node], arity = zc_op_arity(op), slot = *depth - arity;
    zc_plan_step *st = new_step(plan);
    st->kind = (uint8_t)kind;
    st->code = (uint8_t)op;
    st->arity = (uint8_t)arity;
    st->slot = (uint8_t)slot;
    st->node = (uint8_t)node;
    st->reuse = reuse_flags(op, arity, known + slot);
    if (kind == ZC_PLAN_LINK && arity == 2) st->scalar = operands_with(known + slot, 2, SLOT_0D);
    known[slot] = result_known(op, arity, known + slot);
    *depth = slot + 1;
}

/* what the run of pointwise ops ending before node `after` feeds */
static uint8_t chain_end(const zc_program *p, int after) {
    if (after == p->len) return ZC_PLAN_END_ROOT;
    switch (p->code[after]) {
    case ZC_OP_MEAN: return ZC_PLAN_END_MEAN;
    case ZC_OP_MEAN_ABS: return ZC_PLAN_END_MEAN_ABS;
    case ZC_OP_FROBENIUS: return ZC_PLAN_END_FROBENIUS;
    default: return ZC_PLAN_END_NONE;
    }
}

/* the CHAIN step of the run of pointwise ops starting at node `first` and
 * its LINK steps; returns the node after the run */
static int add_chain(zc_plan *plan, const zc_program *p, int first, unsigned char *known,
                     int *depth) {
    zc_plan_step *chain = new_step(plan);
    int j = first;
    while (j < p->len && zc_op_is_elementwise(p->code[j]))
        add_op_step(plan, ZC_PLAN_LINK, p, j++, known, depth);
    chain->kind = ZC_PLAN_CHAIN;
    chain->node = (uint8_t)first;
    chain->n_links = (uint8_t)(j - first);
    chain->end = chain_end(p, j);
    return j;
}

int zc_plan_compile(const zc_program *p, int fusion, zc_plan *plan) {
    plan->n_steps = 0;
    if (!zc_program_valid(p)) return -1;
    unsigned char known[ZC_PROG_MAX_LEN + 1]; /* per slot: SLOT_* flags */
    int depth = 0;
    for (int i = 0; i < p->len;) {
        int c = p->code[i];
        if (c < ZC_NUM_TERMINALS) {
            zc_plan_step *st = new_step(plan);
            st->kind = ZC_PLAN_TERMINAL;
            st->code = (uint8_t)c;
            st->slot = (uint8_t)depth;
            st->node = (uint8_t)i++;
            known[depth++] = 0;
        } else if (fusion && zc_op_is_elementwise(c)) {
            i = add_chain(plan, p, i, known, &depth);
        } else {
            add_op_step(plan, ZC_PLAN_NODE, p, i++, known, &depth);
        }
    }
    return 0;
}

/* ---- batches --------------------------------------------------------------- */

/* b holds the plans of progs[0..n) compiled with fusion */
static int batch_holds(const zc_plan_batch *b, const zc_program *progs, int n, int fusion) {
    if (b->n != n || b->fusion != fusion) return 0;
    for (int k = 0; k < n; k++) {
        const zc_program *p = &progs[k], *q = &b->progs[k];
        if (p->len != q->len || p->len > ZC_PROG_MAX_LEN || memcmp(p->code, q->code, p->len))
            return 0;
    }
    return 1;
}

void zc_plan_batch_compile(zc_plan_batch *b, const zc_program *progs, int n, int fusion) {
    if (batch_holds(b, progs, n, fusion)) return;
    if (n > b->cap) {
        b->cap = n;
        b->first = zc_realloc(b->first, sizeof(int) * (size_t)n);
        b->n_steps = zc_realloc(b->n_steps, sizeof(int) * (size_t)n);
        b->progs = zc_realloc(b->progs, sizeof(zc_program) * (size_t)n);
    }
    if (n > 0) memcpy(b->progs, progs, sizeof(zc_program) * (size_t)n);
    b->n = n;
    b->fusion = fusion;
    size_t used = 0;
    for (int k = 0; k < n; k++) {
        b->first[k] = -1;
        b->n_steps[k] = 0;
        if (zc_plan_compile(&progs[k], fusion, &b->scratch)) continue;
        size_t need = used + (size_t)b->scratch.n_steps;
        if (need > b->step_cap) {
            b->step_cap = need + need / 2 + ZC_PLAN_MAX_STEPS;
            b->step = zc_realloc(b->step, sizeof(zc_plan_step) * b->step_cap);
        }
        memcpy(b->step + used, b->scratch.step, sizeof(zc_plan_step) * (size_t)b->scratch.n_steps);
        b->first[k] = (int)used;
        b->n_steps[k] = b->scratch.n_steps;
        used = need;
    }
}

const zc_plan_step *zc_plan_batch_steps(const zc_plan_batch *b, int k, int *n_steps) {
    *n_steps = b->n_steps[k];
    return b->first[k] < 0 ? NULL : b->step + b->first[k];
}

void zc_plan_batch_free(zc_plan_batch *b) {
    free(b->step);
    free(b->first);
    free(b->n_steps);
    free(b->progs);
    memset(b, 0, sizeof *b);
}

/* ---- run-time rules -------------------------------------------------------- */

static int same_shape(const zc_tensor *a, const zc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

int zc_plan_result_buffer(const zc_plan_step *st, const zc_plan_value *a, const zc_plan_value *b,
                          const zc_tensor *res) {
    if ((st->reuse & ZC_PLAN_A) && (st->arity == 1 || same_shape(&a->t, res))) return a->buf;
    if ((st->reuse & ZC_PLAN_B) && same_shape(&b->t, res)) return b->buf;
    return -1;
}

/* a one-element value whose broadcast against x leaves x's shape */
static int is_scalar_for(const zc_tensor *s, const zc_tensor *x) {
    return s->ndim <= x->ndim && zc_tensor_numel(s) == 1;
}

/* the first link of a stretch: unary, or binary with a one-element operand
 * on either side; 0, or -1 when neither operand has one element */
static int start_stretch(const zc_plan_step *l, const zc_plan_value *slot, zc_plan_stretch *s) {
    const zc_tensor *left = &slot[l->slot].t, *right = &slot[l->slot + 1].t;
    s->out = l->slot;
    s->input = l->slot;
    if (l->arity == 1) s->first_kind = ZC_PLAN_UNARY;
    else if ((l->scalar & ZC_PLAN_B) || is_scalar_for(right, left))
        s->first_kind = ZC_PLAN_SCALAR_RIGHT;
    else if ((l->scalar & ZC_PLAN_A) || is_scalar_for(left, right)) {
        s->first_kind = ZC_PLAN_SCALAR_LEFT;
        s->input = l->slot + 1;
    } else {
        s->input = -1;
        return -1;
    }
    return 0;
}

void zc_plan_resolve_stretch(const zc_plan_step *chain, int first, const zc_plan_value *slot,
                             int max_steps, zc_plan_stretch *s) {
    const zc_plan_step *link = chain + 1;
    s->first = first;
    s->next = first + 1;
    if (start_stretch(&link[first], slot, s) == 0) {
        /* later binary links: the stretch's value is the right operand */
        const zc_tensor *x = &slot[s->input].t;
        int last = first + max_steps < chain->n_links ? first + max_steps : chain->n_links;
        for (; s->next < last; s->next++) {
            const zc_plan_step *l = &link[s->next];
            if (l->arity == 1) continue;
            if (!(l->scalar & ZC_PLAN_A) && !is_scalar_for(&slot[l->slot].t, x)) break;
            s->out = l->slot;
        }
    }
    s->ends_run = s->next == chain->n_links;
}

/* plan.h: the compiled form of a proxy program (program.h), the one thing
 * both evaluators execute: the CPU evaluator (evaluator.h) and the GPU
 * evaluator (gpu_eval.h).
 *
 * A plan is the program's postfix order as steps over stack slots: slot k
 * is the k-th value from the bottom of the evaluation stack. The depth at
 * every node is fixed by the program, so the slot of every operand and
 * result is known when the plan is compiled. Steps:
 *
 *   TERMINAL  push terminal `code` into `slot`
 *   NODE      op `code` of `arity` on slot (and slot + 1); the result goes
 *             to `slot`; `reuse` names the operands whose buffer the result
 *             may be written into (in place)
 *   CHAIN     with fusion on, a maximal run of consecutive pointwise ops
 *             (zc_op_is_elementwise): the `n_links` LINK steps that follow
 *             it, one per op, with the fields of a NODE. `end` says what the
 *             run feeds: the program's root (END_ROOT), or the reduction
 *             that is the NODE step right after the links (END_MEAN,
 *             END_MEAN_ABS, END_FROBENIUS), which an executor reduces on
 *             the fly instead of materialising the run's output.
 *
 * What depends on shapes stays a rule the executors apply with the shapes
 * at hand (zc_plan_resolve_stretch): a binary link joins the fused stretch
 * only when its other operand has one element (and no more dimensions than
 * the chain's tensor), known when the plan is compiled for 0-d operands
 * (`scalar`), so a run is executed as one or more stretches, each
 * mapped in one pass; a link that starts a stretch with no such operand
 * runs as a NODE. Only the stretch that reaches the end of the run uses the
 * run's `end`. Executed this way, a plan gives exactly the values the
 * program's node-by-node walk with the same fusion rules gives. */
#ifndef ZC_PLAN_H
#define ZC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/program/program.h"
#include "common/util/tensor.h"

/* A run is preceded by at least one node that is not pointwise, so a
 * program has at most ZC_PROG_MAX_LEN / 2 runs. */
#define ZC_PLAN_MAX_STEPS (ZC_PROG_MAX_LEN + ZC_PROG_MAX_LEN / 2)

enum { ZC_PLAN_TERMINAL, ZC_PLAN_NODE, ZC_PLAN_CHAIN, ZC_PLAN_LINK };

/* zc_plan_step.end: what a CHAIN's run feeds */
enum { ZC_PLAN_END_NONE, ZC_PLAN_END_ROOT, ZC_PLAN_END_MEAN, ZC_PLAN_END_MEAN_ABS,
       ZC_PLAN_END_FROBENIUS };

/* Operand flags: the first (A) and second (B) operand of a step.
 * zc_plan_step.reuse: the result may be written into the operand's buffer:
 * set only for operands computed by the program (never a terminal's
 * memory) of shape-preserving unary ops and pointwise binary ops; a binary
 * op reuses an operand only when the operand's shape equals the result's
 * (zc_plan_result_buffer checks it).
 * zc_plan_step.scalar (LINK): the operand is known to be 0-d whatever the
 * terminals' shapes (a reduction's result, or pointwise ops on such), so
 * it fuses without a look at shapes. */
enum { ZC_PLAN_A = 1, ZC_PLAN_B = 2 };

typedef struct {
    uint8_t kind;    /* ZC_PLAN_TERMINAL, _NODE, _CHAIN, _LINK                */
    uint8_t code;    /* TERMINAL: terminal id; NODE, LINK: opcode             */
    uint8_t arity;   /* NODE, LINK: 1 or 2                                    */
    uint8_t slot;    /* TERMINAL: slot pushed; NODE, LINK: first operand's
                        slot, which receives the result                      */
    uint8_t node;    /* the program node (CHAIN: its first link's)            */
    uint8_t reuse;   /* NODE, LINK: operands whose buffer the result may take */
    uint8_t scalar;  /* LINK: operands known to be 0-d                        */
    uint8_t n_links; /* CHAIN: number of LINK steps that follow               */
    uint8_t end;     /* CHAIN: ZC_PLAN_END_*                                  */
} zc_plan_step;

typedef struct {
    int n_steps;
    zc_plan_step step[ZC_PLAN_MAX_STEPS];
} zc_plan;

/* zc_plan_compile: compile p into *plan, with chains when fusion is 1 and
 * node-by-node steps only when 0. Returns 0, or -1 when p is malformed
 * (zc_program_valid). */
int zc_plan_compile(const zc_program *p, int fusion, zc_plan *plan);

/* ---- plans of a batch of programs ---------------------------------------- */

/* Plans of many programs packed in one array (a layer-major evaluation runs
 * every plan on every layer), with the programs they were compiled from, so
 * that the same batch is compiled once however often it is evaluated. Zero
 * it to initialise. */
typedef struct {
    zc_plan_step *step; /* the plans, one after the other                     */
    size_t step_cap;
    int *first;         /* per program: index of its first step, -1 malformed */
    int *n_steps;
    zc_program *progs;  /* the programs compiled, and with which fusion      */
    int n, fusion, cap;
    zc_plan scratch;
} zc_plan_batch;

/* zc_plan_batch_compile: make b hold the plans of progs[0..n), each as
 * zc_plan_compile with `fusion` (nothing to do when b already holds the
 * plans of equal programs with that fusion). Dies on out-of-memory. */
void zc_plan_batch_compile(zc_plan_batch *b, const zc_program *progs, int n, int fusion);
/* zc_plan_batch_steps: the steps of program k's plan and their count in
 * *n_steps, or NULL when program k is malformed. */
const zc_plan_step *zc_plan_batch_steps(const zc_plan_batch *b, int k, int *n_steps);
/* zc_plan_batch_free: release b's memory; b is zeroed. */
void zc_plan_batch_free(zc_plan_batch *b);

/* ---- what executors share -------------------------------------------------- */

/* The value in a slot while a plan runs: a tensor view whose data is in
 * the executor's memory (host or device) and the executor's pool buffer
 * holding it, -1 when borrowed (a terminal's data, never written). */
typedef struct {
    zc_tensor t;
    int buf;
} zc_plan_value;

/* zc_plan_result_buffer: the operand buffer a NODE or LINK step's result
 * res may be written into (its `reuse` flags, with the shapes of the
 * operands a and b (NULL for unary ops) and of res), or -1 for a fresh
 * buffer. */
int zc_plan_result_buffer(const zc_plan_step *st, const zc_plan_value *a, const zc_plan_value *b,
                          const zc_tensor *res);

/* kinds of a fused stretch's steps */
enum {
    ZC_PLAN_UNARY,        /* x = op(x)                                      */
    ZC_PLAN_SCALAR_RIGHT, /* x = op(x, s), s the one element of an operand  */
    ZC_PLAN_SCALAR_LEFT   /* x = op(s, x)                                   */
};

/* One stretch of a chain, resolved with the shapes of the operands. */
typedef struct {
    int first, next; /* the stretch covers links [first, next)               */
    int input;       /* slot of the tensor the stretch maps; -1 when link
                        `first` has no one-element operand and runs as a
                        NODE (then next = first + 1)                         */
    int first_kind;  /* ZC_PLAN_* kind of link `first`                      */
    int out;         /* slot that receives the stretch's result              */
    int ends_run;    /* next == the chain's n_links: the chain's end applies */
} zc_plan_stretch;

/* zc_plan_resolve_stretch: the stretch of `chain` (a CHAIN step, its links
 * right after it) that starts at link `first`, given the values in slot[]
 * (only shapes are read), with at most max_steps links (an executor's
 * limit; the stretch then ends early and the next one starts where it
 * stopped). */
void zc_plan_resolve_stretch(const zc_plan_step *chain, int first, const zc_plan_value *slot,
                             int max_steps, zc_plan_stretch *s);

/* zc_plan_fused_kind: the ZC_PLAN_* kind of link `link` (one of the
 * stretch's, first <= its index < next) and, for a binary link, the slot of
 * its one-element operand in *scalar_slot. After the first link, the
 * stretch's value is always a binary link's right operand. */
static inline int zc_plan_fused_kind(const zc_plan_stretch *s, const zc_plan_step *chain,
                                     const zc_plan_step *link, int *scalar_slot) {
    *scalar_slot = link->slot;
    if (link == chain + 1 + s->first) {
        if (s->first_kind == ZC_PLAN_SCALAR_RIGHT) *scalar_slot = link->slot + 1;
        return s->first_kind;
    }
    return link->arity == 1 ? ZC_PLAN_UNARY : ZC_PLAN_SCALAR_LEFT;
}

#endif

/* evaluator.h: evaluate proxy programs (program.h) on the per-layer
 * statistics of an architecture (stats.h).
 *
 * Per RCB layer the program is run on the layer's terminals and its output
 * tensor reduced to its mean; the network score is the mean of the layer
 * values. A shape that does not fit an operation, a terminal that is not
 * held (data == NULL), or a NaN / infinite layer value makes the program
 * invalid on that layer, and so on the network. Intermediate infinities
 * follow IEEE / PyTorch (sigmoid(-inf) = 0).
 *
 * A program is compiled once into a plan (plan.h), the form the GPU
 * evaluator (gpu_eval.h) executes too; the context keeps the plans of the
 * last program and of the last batch, so evaluating them again does not
 * recompile. The context owns a pool of buffers that grows to the largest
 * need and is reused, so steady-state evaluation does not allocate. Chains
 * of pointwise operations (and binary ones whose other operand is a
 * scalar) run in one blocked pass; a chain that ends at the root or feeds
 * mean / mean_abs / frobenius is reduced on the fly without being
 * materialised. Terminal data is never written. A context is used by one
 * thread at a time.
 *
 * A record of network-level values (n_values > 0, no layers: a proxies
 * file, SR-NAS) is evaluated by the scalar evaluator (scalar_eval.h), in
 * double precision: zc_eval_network and zc_eval_programs give its result as
 * the network score. */
#ifndef ZC_EVALUATOR_H
#define ZC_EVALUATOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/program/program.h"
#include "common/util/rng.h"
#include "common/stats/stats.h"

typedef struct zc_eval_ctx zc_eval_ctx;

/* Work counters, accumulated until reset (for GPops/s reporting). */
typedef struct {
    uint64_t programs_layers; /* (program, layer) evaluations started       */
    uint64_t nodes;           /* program nodes evaluated (terminals too)    */
    uint64_t elements;        /* output elements computed, over all nodes   */
    uint64_t terminal_bytes;  /* bytes of terminal data read                */
} zc_eval_counters;

/* zc_eval_ctx_new: a context with fusion on and no rng. Never NULL (dies
 * on out-of-memory). */
zc_eval_ctx *zc_eval_ctx_new(void);
/* zc_eval_ctx_free: release the context and its buffers; NULL is fine. */
void zc_eval_ctx_free(zc_eval_ctx *ctx);

/* zc_eval_ctx_set_rng: the generator add_noise draws from (not owned; NULL
 * makes programs using add_noise invalid). */
void zc_eval_ctx_set_rng(zc_eval_ctx *ctx, zc_rng *rng);
/* zc_eval_ctx_set_fusion: 1 (default) fused chains, 0 the plain
 * node-by-node reference path. Results agree to float rounding. */
void zc_eval_ctx_set_fusion(zc_eval_ctx *ctx, int on);

/* zc_eval_layer: *value = mean of the program's output on one layer.
 * Returns 0 when valid; -1 when invalid (malformed program, missing
 * terminal, shape error, non-finite value), *value then NaN and
 * zc_eval_last_error says why. */
int zc_eval_layer(zc_eval_ctx *ctx, const zc_program *p, const zc_layer_stats *layer,
                  double *value);

/* zc_eval_layer_tensor: the program's whole output tensor on one layer
 * (before the final mean), as a view valid until the next call on ctx.
 * Returns 0, or -1 as zc_eval_layer (a NaN output is returned, not an
 * error). */
int zc_eval_layer_tensor(zc_eval_ctx *ctx, const zc_program *p, const zc_layer_stats *layer,
                         zc_tensor *out);

/* zc_eval_network: *score = mean over the architecture's layers of the
 * layer values. Returns 0, or -1 (and NaN) when the program is invalid on
 * any layer or there are no layers. */
int zc_eval_network(zc_eval_ctx *ctx, const zc_program *p, const zc_arch_stats *a,
                    double *score);

/* zc_eval_programs: scores[i] = network score of progs[i] on a, NaN when
 * invalid. Runs layer-major (every program on layer 0, then layer 1, ...)
 * so a layer's terminals stay in cache; a program is skipped on later
 * layers once invalid. Same values as zc_eval_network per program. */
void zc_eval_programs(zc_eval_ctx *ctx, const zc_program *progs, int n, const zc_arch_stats *a,
                      double *scores);

/* zc_eval_counters_get / _reset: the work counters of ctx. */
zc_eval_counters zc_eval_counters_get(const zc_eval_ctx *ctx);
void zc_eval_counters_reset(zc_eval_ctx *ctx);

/* zc_eval_last_error: why the last invalid evaluation was invalid ("" if
 * none), e.g. "node 3 (matmul): shapes (1, 16) and (3, 3) do not fit". */
const char *zc_eval_last_error(const zc_eval_ctx *ctx);

/* zc_eval_pool_bytes: bytes held by the buffer pool (to check reuse). */
size_t zc_eval_pool_bytes(const zc_eval_ctx *ctx);

#endif

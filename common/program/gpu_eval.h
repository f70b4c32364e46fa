/* gpu_eval.h: evaluate proxy programs (program.h) on device-resident
 * statistics (zc_gpu_stats, common/stats/gpu_stats.h), with the semantics
 * of the CPU evaluator (evaluator.h): per layer the program's output is
 * reduced to its mean, the network score is the mean of the layer values,
 * a shape error, a missing terminal or a non-finite layer value makes the
 * program invalid (score NaN).
 *
 * Both evaluators execute the same compiled plan (plan.h): its fused
 * chains (unary ops and binary ops with a one-element operand) end in the
 * final mean, or in mean / mean_abs / frobenius, without materialising the
 * chain. GPU paths (kernels/cuda/gpu_eval_kernels.cuh): every pointwise
 * primitive; broadcast binary add/sub/mul/lt/gt/eq; matmul (cuBLAS strided
 * batched GEMM); hamming; normalize; frobenius / mean / mean_abs / numel;
 * det / logdet (batched LU with partial pivoting in double, one matrix per
 * thread). Reductions are two-stage block reductions in double with a
 * fixed launch shape: no float atomics, results identical from run to run.
 *
 * CPU fallback: a program using kl_div, cosine, softmax, eig_ratio or
 * add_noise is evaluated whole by the CPU evaluator on a host copy of the
 * statistics (the one passed in, or a download made once per call).
 *
 * Errors: -1 from an entry point is a CUDA failure (the checker family of
 * kernels/cuda/cuda_check.h recorded it) or an invalid program; either way
 * zc_gpu_eval_last_error says why. Same device, stream and cuBLAS handle as
 * the zc_gpu_ctx it is made from; one thread at a time. CUDA builds only. */
#ifndef ZC_GPU_EVAL_H
#define ZC_GPU_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/stats/gpu_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "common/program/evaluator.h"
#include "common/program/program.h"

typedef struct zc_gpu_eval zc_gpu_eval;

/* zc_gpu_eval_new: an evaluator on ctx's device and stream (ctx must
 * outlive it). Never NULL (dies on host out-of-memory). */
zc_gpu_eval *zc_gpu_eval_new(zc_gpu_ctx *ctx);
/* zc_gpu_eval_free: wait for its stream, release its device buffers and
 * itself; NULL is fine. */
void zc_gpu_eval_free(zc_gpu_eval *ev);

/* zc_gpu_eval_set_fusion: 1 (default) fused chains, 0 node by node. */
void zc_gpu_eval_set_fusion(zc_gpu_eval *ev, int on);

/* zc_gpu_program_supported: 1 when every operation of p has a GPU path
 * (otherwise zc_gpu_eval_programs falls back to the CPU for p). */
int zc_gpu_program_supported(const zc_program *p);

/* zc_gpu_eval_programs: scores[i] = network score of progs[i] on dev (NaN
 * when invalid), as zc_eval_programs. host: the same statistics on the host
 * for the CPU fallback, or NULL (downloaded when needed). n_gpu, n_cpu
 * (may be NULL) receive how many programs ran on each side. Synchronises.
 * Returns 0, or -1 on a CUDA failure (scores then all NaN). */
int zc_gpu_eval_programs(zc_gpu_eval *ev, const zc_program *progs, int n, const zc_gpu_stats *dev,
                         const zc_arch_stats *host, double *scores, int *n_gpu, int *n_cpu);

/* zc_gpu_eval_layer_tensor: the program's whole output on one layer (before
 * the final mean) copied to host (out->data malloc'd by the callee, caller
 * frees). GPU ops only. Synchronises. 0, or -1 (a CUDA failure, or the
 * program is invalid or unsupported; message). */
int zc_gpu_eval_layer_tensor(zc_gpu_eval *ev, const zc_program *p, const zc_layer_stats *dev_layer,
                             zc_tensor *out);

/* zc_gpu_eval_counters_get / _reset: work counters as zc_eval_counters
 * (GPU-evaluated programs only). */
zc_eval_counters zc_gpu_eval_counters_get(const zc_gpu_eval *ev);
void zc_gpu_eval_counters_reset(zc_gpu_eval *ev);

/* zc_gpu_eval_last_error: why the last call that returned -1 failed (the
 * CUDA failure's message, or why the program is invalid); "" if none. */
const char *zc_gpu_eval_last_error(const zc_gpu_eval *ev);

#ifdef __cplusplus
}
#endif

#endif

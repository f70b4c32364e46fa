/* gpu_stats.cu: EZNAS statistics on a GPU and device-resident statistics
 * records (see gpu_stats.h). Mirrors stats_compute.c (three passes, 22
 * terminals, perturb as a difference) block by block on the pointers the
 * CUDA executor gives. */
#include "common/stats/gpu_stats.h"

#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "common/stats/stats_compute.h"
#include "common/util/util.h"
}

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_kernels.cuh"

/* the statistics a context holds (attached to it) */
typedef struct {
    zc_gpu_stats stats;  /* data pointers into arena                       */
    void *arena;         /* device                                         */
    size_t arena_cap;
    void *pinned;        /* page-locked host staging of downloads, uploads  */
    size_t pinned_cap;
    uint64_t generation; /* zc_gpu_net_generation when computed            */
    int valid;
} stats_state;

static void free_layers(zc_gpu_stats *s) {
    free(s->layers);
    s->layers = NULL;
    s->n_layers = 0;
}

static int free_pinned(void *p) {
    if (p) CUDA_CHECK(cudaFreeHost(p));
    return 0;
}

/* release_state: zc_gpu_ctx_free's call (device current, stream idle) */
static void release_state(void *p) {
    stats_state *st = (stats_state *)p;
    free_layers(&st->stats);
    (void)zc_cuda_free(st->arena); /* a failure is recorded */
    (void)free_pinned(st->pinned);
    free(st);
}

/* state_of: ctx's statistics state, attached at the first use */
static stats_state *state_of(zc_gpu_ctx *ctx) {
    stats_state *st = (stats_state *)zc_gpu_ctx_attached(ctx);
    if (!st) {
        st = (stats_state *)zc_calloc(1, sizeof *st);
        zc_gpu_ctx_attach(ctx, st, release_state);
    }
    return st;
}

/* current_stats: the statistics of the network loaded now, NULL if none */
static const zc_gpu_stats *current_stats(const zc_gpu_ctx *ctx) {
    const stats_state *st = (const stats_state *)zc_gpu_ctx_attached(ctx);
    if (!st || !st->valid || st->generation != zc_gpu_net_generation(ctx)) return NULL;
    return &st->stats;
}

static size_t terminal_bytes(const zc_tensor *t) {
    return sizeof(float) * (size_t)zc_tensor_numel(t);
}

static zc_layer_stats *new_layers(int n) {
    return (zc_layer_stats *)zc_calloc((size_t)(n ? n : 1), sizeof(zc_layer_stats));
}

/* place_terminals: the block layout of device statistics: the held
 * terminals of from[0..n) one after another, each at a ZC_GPU_ALIGN
 * offset, in layer then terminal order. A terminal is held when mask has
 * its bit and, with by_data, when it has data. With `to` (may be `from`),
 * to's held terminals point into base and the others are NULL; without,
 * nothing is written. Returns the bytes the block needs. */
static size_t place_terminals(const zc_layer_stats *from, int n, zc_terminal_mask mask,
                              int by_data, char *base, zc_layer_stats *to) {
    size_t off = 0;
    for (int b = 0; b < n; b++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
            const zc_tensor *t = &from[b].t[id];
            int held = ((mask >> id) & 1u) && (!by_data || t->data);
            size_t bytes = terminal_bytes(t);
            if (to) to[b].t[id].data = held ? (float *)(base + off) : NULL;
            if (held) off = zc_gpu_align(off + bytes);
        }
    return off;
}

/* ---- computing ------------------------------------------------------------ */

/* collect_source: the current pass's tensor `kind` of block r: *src (NULL
 * means zeros) and *mask (non-NULL: keep src where mask > 0) */
static void collect_source(zc_gpu_ctx *ctx, const zc_rcb *r, int kind, const float **src,
                           const float **mask) {
    zc_rcb_values v = zc_rcb_block_values(zc_gpu_net_loaded(ctx), r);
    *mask = NULL;
    switch (kind) {
    case ZC_T_INPACT: *src = zc_gpu_net_value(ctx, v.inpact); break;
    case ZC_T_PREACT: *src = zc_gpu_net_value(ctx, v.preact); break;
    case ZC_T_ACT: *src = zc_gpu_net_value(ctx, v.act); break;
    case ZC_T_PREACT_GRAD: *src = zc_gpu_net_grad(ctx, v.preact); break;
    case ZC_T_ACT_GRAD: *src = zc_gpu_net_grad(ctx, v.act); break;
    case ZC_T_INPACT_GRAD:
        *src = zc_gpu_net_grad(ctx, v.preact);
        *mask = zc_gpu_net_value(ctx, v.inpact);
        break;
    default: /* ZC_T_WT_GRAD: always written (zeros when unreached) */
        *src = zc_gpu_net_param_grad(ctx, v.weight_param);
        break;
    }
}

/* layout_stats: describe the blocks of the loaded network and lay the
 * terminals in mask out in the state's arena */
static int layout_stats(zc_gpu_ctx *ctx, stats_state *st, zc_terminal_mask mask) {
    const zc_net *net = zc_gpu_net_loaded(ctx);
    free_layers(&st->stats);
    st->stats.n_layers = net->n_rcb;
    st->stats.layers = new_layers(net->n_rcb);
    for (int b = 0; b < net->n_rcb; b++)
        zc_layer_stats_describe(net, &net->rcb[b], mask, &st->stats.layers[b]);
    zc_layer_stats *ls = st->stats.layers;
    size_t total = place_terminals(ls, net->n_rcb, mask, 0, NULL, NULL);
    if (zc_gpu_grow(ctx, &st->arena, &st->arena_cap, total + 1)) return -1;
    place_terminals(ls, net->n_rcb, mask, 0, (char *)st->arena, ls);
    return 0;
}

/* copy_weights: the wt terminal of every block (the pass-independent conv
 * weight) */
static int copy_weights(zc_gpu_ctx *ctx, stats_state *st) {
    const zc_net *net = zc_gpu_net_loaded(ctx);
    cudaStream_t stream = (cudaStream_t)zc_gpu_ctx_stream(ctx);
    for (int b = 0; b < net->n_rcb; b++) {
        zc_tensor *t = &st->stats.layers[b].t[ZC_TERMINAL_WT];
        int p = zc_rcb_block_values(net, &net->rcb[b]).weight_param;
        CUDA_CHECK(cudaMemcpyAsync(t->data, zc_gpu_net_param(ctx, p), terminal_bytes(t),
                                   cudaMemcpyDeviceToDevice, stream));
    }
    return 0;
}

/* collect_pass: after the forward and backward of `pass`, the terminals of
 * that pass; the perturb slot first receives the data-pass value and then
 * becomes perturb minus data, as zc_compute_stats */
static int collect_pass(zc_gpu_ctx *ctx, stats_state *st, zc_terminal_mask mask, int pass) {
    const zc_net *net = zc_gpu_net_loaded(ctx);
    cudaStream_t stream = (cudaStream_t)zc_gpu_ctx_stream(ctx);
    for (int b = 0; b < net->n_rcb; b++) {
        zc_layer_stats *ls = &st->stats.layers[b];
        for (int kind = 0; kind < ZC_NUM_TENSOR_KINDS; kind++) {
            int id_pass = ZC_TERMINAL_ID(kind, pass);
            int id_pert = ZC_TERMINAL_ID(kind, ZC_PASS_PERTURB);
            int keep_pass = (mask >> id_pass) & 1u, keep_pert = (mask >> id_pert) & 1u;
            const float *src, *msk;
            collect_source(ctx, &net->rcb[b], kind, &src, &msk);
            zc_tensor *tp = &ls->t[id_pass], *tq = &ls->t[id_pert];
            int rc = 0;
            if (pass == ZC_PASS_NOISE) {
                if (keep_pass) rc = zc_gk_collect(stream, tp->data, src, msk, zc_tensor_numel(tp), 0);
            } else if (pass == ZC_PASS_DATA) {
                if (keep_pass) rc = zc_gk_collect(stream, tp->data, src, msk, zc_tensor_numel(tp), 0);
                if (keep_pert && !rc)
                    rc = zc_gk_collect(stream, tq->data, src, msk, zc_tensor_numel(tq), 0);
            } else if (keep_pert) {
                /* slot = perturb-pass value - data-pass value */
                rc = zc_gk_collect(stream, tq->data, src, msk, zc_tensor_numel(tq), 1);
            }
            if (rc) return -1;
        }
    }
    return 0;
}

extern "C" int zc_gpu_compute_stats(zc_gpu_ctx *ctx, const float *const inputs[3],
                                    zc_terminal_mask mask) {
    zc_cuda_clear_error();
    const zc_net *net = zc_gpu_net_loaded(ctx);
    if (!net) return zc_cuda_set_error("no network loaded");
    CUDA_CHECK(cudaSetDevice(zc_gpu_ctx_device(ctx)));
    stats_state *st = state_of(ctx);
    st->valid = 0;
    if (layout_stats(ctx, st, mask)) return -1;
    if ((mask & (1u << ZC_TERMINAL_WT)) && copy_weights(ctx, st)) return -1;
    for (int pass = 0; pass < ZC_NUM_PASSES; pass++) {
        if (zc_gpu_net_forward(ctx, inputs[pass]) || zc_gpu_net_backward(ctx)) return -1;
        if (collect_pass(ctx, st, mask, pass)) return -1;
    }
    st->generation = zc_gpu_net_generation(ctx);
    st->valid = 1;
    return 0;
}

extern "C" const zc_gpu_stats *zc_gpu_stats_view(const zc_gpu_ctx *ctx) {
    return current_stats(ctx);
}

/* ---- records ---------------------------------------------------------------- */

/* grow_pinned: make the state's page-locked host buffer hold bytes */
static int grow_pinned(stats_state *st, size_t bytes) {
    if (bytes <= st->pinned_cap) return 0;
    if (free_pinned(st->pinned)) return -1;
    st->pinned = NULL;
    st->pinned_cap = 0;
    size_t want = zc_gpu_grown_size(bytes);
    CUDA_CHECK(cudaMallocHost(&st->pinned, want));
    st->pinned_cap = want;
    return 0;
}

/* block_start: the device address of a record's block: its first held
 * terminal (offset 0 of place_terminals' layout), NULL when none is held */
static const char *block_start(const zc_gpu_stats *s) {
    for (int b = 0; b < s->n_layers; b++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if (s->layers[b].t[id].data) return (const char *)s->layers[b].t[id].data;
    return NULL;
}

static void free_host_layers(zc_arch_stats *out) {
    for (int l = 0; l < out->n_layers; l++)
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) free(out->layers[l].t[t].data);
    free(out->layers);
    out->layers = NULL;
    out->n_layers = 0;
}

extern "C" int zc_gpu_stats_to_host(zc_gpu_ctx *ctx, const zc_gpu_stats *dev, zc_arch_stats *out) {
    zc_cuda_clear_error();
    CUDA_CHECK(cudaSetDevice(zc_gpu_ctx_device(ctx)));
    stats_state *st = state_of(ctx);
    cudaStream_t stream = (cudaStream_t)zc_gpu_ctx_stream(ctx);
    size_t total = place_terminals(dev->layers, dev->n_layers, ZC_ALL_TERMINALS, 1, NULL, NULL);
    if (grow_pinned(st, total + 1)) return -1;
    /* one copy of the whole block, after the work that produced it */
    if (total) CUDA_CHECK(cudaMemcpyAsync(st->pinned, block_start(dev), total,
                                          cudaMemcpyDeviceToHost, stream));
    CUDA_CHECK(cudaStreamSynchronize(stream));
    free_host_layers(out);
    out->n_layers = dev->n_layers;
    out->layers = new_layers(dev->n_layers);
    for (int b = 0; b < dev->n_layers; b++) out->layers[b] = dev->layers[b];
    place_terminals(dev->layers, dev->n_layers, ZC_ALL_TERMINALS, 1, (char *)st->pinned,
                    out->layers);
    /* split: every terminal into an allocation of its own */
    for (int b = 0; b < out->n_layers; b++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++) {
            zc_tensor *t = &out->layers[b].t[id];
            if (!t->data) continue;
            float *own = (float *)zc_malloc(terminal_bytes(t));
            memcpy(own, t->data, terminal_bytes(t));
            t->data = own;
        }
    return 0;
}

extern "C" int zc_gpu_stats_download(zc_gpu_ctx *ctx, zc_arch_stats *out) {
    zc_cuda_clear_error();
    const zc_gpu_stats *s = current_stats(ctx);
    if (!s) return zc_cuda_set_error("no statistics computed");
    return zc_gpu_stats_to_host(ctx, s, out);
}

/* new_record: *dst with src's layers (metadata) and a device block laid
 * out for the terminals src holds; *total = the block's layout bytes.
 * 0 / -1 (out of device memory) */
static int new_record(const zc_layer_stats *src, int n_layers, zc_gpu_stats *dst, size_t *total) {
    memset(dst, 0, sizeof *dst);
    *total = place_terminals(src, n_layers, ZC_ALL_TERMINALS, 1, NULL, NULL);
    void *block = NULL;
    if (zc_cuda_malloc(&block, *total + 1, "a statistics record")) return -1;
    dst->device_block = block;
    dst->n_layers = n_layers;
    dst->layers = new_layers(n_layers);
    for (int b = 0; b < n_layers; b++) dst->layers[b] = src[b];
    place_terminals(src, n_layers, ZC_ALL_TERMINALS, 1, (char *)block, dst->layers);
    return 0;
}

/* copy_block: bytes from src to dst on ctx's stream (device to device) */
static int copy_block(zc_gpu_ctx *ctx, void *dst, const void *src, size_t bytes) {
    if (bytes)
        CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice,
                                   (cudaStream_t)zc_gpu_ctx_stream(ctx)));
    return 0;
}

extern "C" int zc_gpu_stats_keep(zc_gpu_ctx *ctx, zc_gpu_stats *dst) {
    memset(dst, 0, sizeof *dst);
    zc_cuda_clear_error();
    const zc_gpu_stats *s = current_stats(ctx);
    if (!s) return zc_cuda_set_error("no statistics computed");
    CUDA_CHECK(cudaSetDevice(zc_gpu_ctx_device(ctx)));
    size_t total = 0;
    if (new_record(s->layers, s->n_layers, dst, &total)) return -1;
    /* the same layout as the context's: one copy of the whole block */
    if (copy_block(ctx, dst->device_block, block_start(s), total)) {
        zc_gpu_stats_release(dst);
        return -1;
    }
    return 0;
}

/* pack_host: the held terminals of host into the pinned buffer, laid out as
 * place_terminals lays out a record of them */
static void pack_host(const zc_arch_stats *host, char *pinned) {
    zc_layer_stats *at = new_layers(host->n_layers);
    place_terminals(host->layers, host->n_layers, ZC_ALL_TERMINALS, 1, pinned, at);
    for (int b = 0; b < host->n_layers; b++)
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if (at[b].t[id].data)
                memcpy(at[b].t[id].data, host->layers[b].t[id].data,
                       terminal_bytes(&host->layers[b].t[id]));
    free(at);
}

/* upload_block: host's terminals into dev's block: packed in the pinned
 * buffer, one copy, synchronised */
static int upload_block(zc_gpu_ctx *ctx, const zc_arch_stats *host, zc_gpu_stats *dev,
                        size_t total) {
    stats_state *st = state_of(ctx);
    cudaStream_t stream = (cudaStream_t)zc_gpu_ctx_stream(ctx);
    if (grow_pinned(st, total + 1)) return -1;
    CUDA_CHECK(cudaStreamSynchronize(stream)); /* the pinned buffer may still be read */
    pack_host(host, (char *)st->pinned);
    if (total)
        CUDA_CHECK(cudaMemcpyAsync(dev->device_block, st->pinned, total, cudaMemcpyHostToDevice,
                                   stream));
    CUDA_CHECK(cudaStreamSynchronize(stream));
    return 0;
}

extern "C" int zc_gpu_stats_upload(zc_gpu_ctx *ctx, const zc_arch_stats *host, zc_gpu_stats *dev) {
    memset(dev, 0, sizeof *dev);
    zc_cuda_clear_error();
    CUDA_CHECK(cudaSetDevice(zc_gpu_ctx_device(ctx)));
    size_t total = 0;
    if (new_record(host->layers, host->n_layers, dev, &total)) return -1;
    if (upload_block(ctx, host, dev, total)) {
        zc_gpu_stats_release(dev);
        return -1;
    }
    return 0;
}

/* set_device_of: make the device that holds device pointer p current */
static int set_device_of(const void *p) {
    cudaPointerAttributes attr;
    CUDA_CHECK(cudaPointerGetAttributes(&attr, p));
    CUDA_CHECK(cudaSetDevice(attr.device));
    return 0;
}

extern "C" void zc_gpu_stats_release(zc_gpu_stats *dev) {
    /* failures are recorded; the host side is freed in any case */
    if (dev->device_block && set_device_of(dev->device_block) == 0)
        (void)zc_cuda_free(dev->device_block);
    free(dev->layers);
    memset(dev, 0, sizeof *dev);
}

/* ---- memory ------------------------------------------------------------------ */

extern "C" int64_t zc_gpu_arena_bytes(const zc_gpu_ctx *ctx) {
    const stats_state *st = (const stats_state *)zc_gpu_ctx_attached(ctx);
    return zc_gpu_net_arena_bytes(ctx) + (st ? (int64_t)st->arena_cap : 0);
}

/* cudaMalloc hands out large blocks in 2 MiB pages: each record and
 * evaluator buffer is counted whole */
#define ALLOCATION_PAGE ((int64_t)2 << 20)

static int64_t whole_pages(int64_t bytes) {
    return (bytes + ALLOCATION_PAGE - 1) / ALLOCATION_PAGE * ALLOCATION_PAGE;
}

/* stats_layout: the block bytes of net's terminals in mask (as
 * place_terminals lays them out) and the largest terminal's bytes */
static size_t stats_layout(const zc_net *net, zc_terminal_mask mask, size_t *largest) {
    size_t total = 0;
    *largest = 0;
    for (int b = 0; b < net->n_rcb; b++) {
        zc_layer_stats ls;
        memset(&ls, 0, sizeof ls);
        zc_layer_stats_describe(net, &net->rcb[b], mask, &ls);
        total += place_terminals(&ls, 1, mask, 0, NULL, NULL);
        for (int id = 0; id < ZC_NUM_TERMINALS; id++)
            if ((mask >> id) & 1u && terminal_bytes(&ls.t[id]) > *largest)
                *largest = terminal_bytes(&ls.t[id]);
    }
    return total;
}

extern "C" int64_t zc_gpu_stats_memory_needed(const zc_net *net, zc_terminal_mask mask, int kept,
                                              int eval_buffers) {
    size_t largest = 0;
    size_t block = stats_layout(net, mask, &largest);
    int64_t bytes = zc_gpu_net_memory_needed(net);
    bytes += (int64_t)zc_gpu_grown_size(block + 1);     /* the context's statistics arena */
    bytes += kept * whole_pages((int64_t)block + 1);     /* records kept on the device */
    /* the evaluator's buffers grow to n + n/4 + 64 floats of the largest operand */
    int64_t floats = (int64_t)(largest / sizeof(float));
    bytes += eval_buffers * whole_pages((floats + floats / 4 + 64) * (int64_t)sizeof(float));
    return bytes;
}

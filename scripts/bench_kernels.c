/* bench_kernels.c: timings of the CPU reference kernels on NAS-Bench-201
 * shapes (3x3 and 1x1 convolutions, depthwise, batch norm, pooling), one
 * line per kernel with ms per call and GFLOP/s (convolutions) or GB/s.
 * Build: part of the kernels test fragment (target bench_kernels); run with
 * OPENBLAS_NUM_THREADS=1, as zcevo does. Not a test: prints numbers only. */
#include "common/util/rng.h"
#include "common/util/util.h"
#include "kernels/cpu/cpu_kernels.h"

#include <stdio.h>
#include <stdlib.h>

static zc_rng g_rng;

static float *random_buffer(long count) {
    float *p = zc_malloc(sizeof(float) * (size_t)(count > 0 ? count : 1));
    zc_rng_fill_normal(&g_rng, p, count, 0.0, 1.0);
    return p;
}

/* Time fn(ctx) in batches for about min_seconds; returns the fastest
 * batch's seconds per call (robust against a loaded machine). */
static double time_call(void (*fn)(void *), void *ctx, double min_seconds) {
    fn(ctx);
    double t0 = zc_now(), best = 1e30;
    int batch = 1;
    while (zc_now() - t0 < min_seconds) {
        double t1 = zc_now();
        for (int i = 0; i < batch; i++) fn(ctx);
        double per_call = (zc_now() - t1) / batch;
        if (per_call < best) best = per_call;
        if (per_call * batch < 0.01) batch *= 2;
    }
    return best;
}

typedef struct {
    zc_conv_desc d;
    float *x, *w, *y, *dy, *dx, *dw, *ws;
} conv_ctx;

static void run_fwd(void *p) { conv_ctx *c = p; zc_conv2d_forward(&c->d, c->x, c->w, c->y, c->ws); }
static void run_bwd_data(void *p) {
    conv_ctx *c = p;
    zc_conv2d_backward_data(&c->d, c->dy, c->w, c->dx, c->ws);
}
static void run_bwd_filter(void *p) {
    conv_ctx *c = p;
    zc_conv2d_backward_filter(&c->d, c->x, c->dy, c->dw, c->ws);
}

static void bench_conv(const char *label, int n, int c, int hw, int k, int ks, int stride,
                       int groups) {
    conv_ctx cx;
    if (zc_conv_desc_make(&cx.d, n, c, hw, hw, k, ks, ks, stride, stride, ks / 2, ks / 2, 1,
                          1, groups) != 0) {
        fprintf(stderr, "bench_kernels: invalid conv shape %s\n", label);
        return;
    }
    long nx = (long)n * c * hw * hw, ny = (long)n * k * cx.d.p * cx.d.q;
    long nw = (long)k * (c / groups) * ks * ks;
    cx.x = random_buffer(nx); cx.w = random_buffer(nw); cx.y = random_buffer(ny);
    cx.dy = random_buffer(ny); cx.dx = random_buffer(nx); cx.dw = random_buffer(nw);
    cx.ws = zc_malloc(sizeof(float) * (zc_conv_workspace_floats(&cx.d) + 1));
    double flop = 2.0 * nw * cx.d.p * cx.d.q * n;
    double tf = time_call(run_fwd, &cx, 0.2), td = time_call(run_bwd_data, &cx, 0.2),
           tw = time_call(run_bwd_filter, &cx, 0.2);
    printf("%-30s fwd %7.3f ms %6.2f GF/s | bwd_data %7.3f ms %6.2f GF/s | "
           "bwd_filter %7.3f ms %6.2f GF/s\n",
           label, tf * 1e3, flop / tf * 1e-9, td * 1e3, flop / td * 1e-9, tw * 1e3,
           flop / tw * 1e-9);
    free(cx.x); free(cx.w); free(cx.y); free(cx.dy); free(cx.dx); free(cx.dw); free(cx.ws);
}

typedef struct {
    int n, c, hw;
    float *x, *dy, *y, *dx, *g, *b, *mean, *inv;
} bn_ctx;

static void run_bn_fwd(void *p) {
    bn_ctx *c = p;
    zc_bn_train_forward(c->n, c->c, c->hw, c->x, c->g, c->b, 1e-5f, c->y, c->mean, c->inv);
}
static void run_bn_bwd(void *p) {
    bn_ctx *c = p;
    zc_bn_train_backward(c->n, c->c, c->hw, c->x, c->dy, c->g, c->mean, c->inv, c->dx,
                         c->g, c->b);
}

static void bench_bn(int n, int c, int hw) {
    bn_ctx b = {n, c, hw, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    long cnt = (long)n * c * hw;
    b.x = random_buffer(cnt); b.dy = random_buffer(cnt); b.y = random_buffer(cnt);
    b.dx = random_buffer(cnt); b.g = random_buffer(c); b.b = random_buffer(c);
    b.mean = random_buffer(c); b.inv = random_buffer(c);
    run_bn_fwd(&b);
    double tf = time_call(run_bn_fwd, &b, 0.2), tb = time_call(run_bn_bwd, &b, 0.2);
    double bytes = 4.0 * cnt;
    printf("bn n%d c%d hw%-5d               fwd %7.3f ms %6.2f GB/s | bwd %7.3f ms %6.2f GB/s\n",
           n, c, hw, tf * 1e3, 3 * bytes / tf * 1e-9, tb * 1e3, 4 * bytes / tb * 1e-9);
    free(b.x); free(b.dy); free(b.y); free(b.dx); free(b.g); free(b.b); free(b.mean);
    free(b.inv);
}

typedef struct {
    zc_pool_desc d;
    float *x, *y, *dy, *dx;
} pool_ctx;

static void run_avg_fwd(void *p) { pool_ctx *c = p; zc_avgpool_forward(&c->d, c->x, c->y); }
static void run_avg_bwd(void *p) { pool_ctx *c = p; zc_avgpool_backward(&c->d, c->dy, c->dx); }

static void bench_avgpool(int n, int c, int hw) {
    pool_ctx pc;
    zc_pool_desc_make(&pc.d, n, c, hw, hw, 3, 3, 1, 1, 1, 1, 0);
    long cnt = (long)n * c * hw * hw;
    pc.x = random_buffer(cnt); pc.y = random_buffer(cnt);
    pc.dy = random_buffer(cnt); pc.dx = random_buffer(cnt);
    double tf = time_call(run_avg_fwd, &pc, 0.2), tb = time_call(run_avg_bwd, &pc, 0.2);
    printf("avgpool3x3 n%d c%d %dx%d           fwd %7.3f ms | bwd %7.3f ms\n", n, c, hw, hw,
           tf * 1e3, tb * 1e3);
    free(pc.x); free(pc.y); free(pc.dy); free(pc.dx);
}

int main(void) {
    zc_rng_seed(&g_rng, 1);
    bench_conv("conv3x3 16->16 n16 32x32", 16, 16, 32, 16, 3, 1, 1);
    bench_conv("conv3x3 16->16 n64 32x32", 64, 16, 32, 16, 3, 1, 1);
    bench_conv("conv3x3 32->32 n16 16x16", 16, 32, 16, 32, 3, 1, 1);
    bench_conv("conv3x3 64->64 n16 8x8", 16, 64, 8, 64, 3, 1, 1);
    bench_conv("conv3x3 16->32 s2 n16 32x32", 16, 16, 32, 32, 3, 2, 1);
    bench_conv("conv1x1 16->16 n16 32x32", 16, 16, 32, 16, 1, 1, 1);
    bench_conv("conv1x1 64->64 n16 8x8", 16, 64, 8, 64, 1, 1, 1);
    bench_conv("conv3x3 16->16 n1 32x32", 1, 16, 32, 16, 3, 1, 1);
    bench_conv("depthwise3x3 16 n16 32x32", 16, 16, 32, 16, 3, 1, 16);
    bench_conv("depthwise5x5 s2 32 n16 16x16", 16, 32, 16, 32, 5, 2, 32);
    bench_bn(16, 16, 1024);
    bench_bn(16, 64, 64);
    bench_avgpool(16, 16, 32);
    return 0;
}

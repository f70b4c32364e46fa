/* test_mpi_plan.c: the pieces of the distributed run that need no MPI job:
 * the share plan of --worker-memory (every architecture in exactly one
 * shard, bins within the budget, worker counts, refusals) and the record
 * serialisation that carries statistics from workers to rank 0 (round trip
 * bit for bit, truncation refused). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpi/mpi_util.h"
#include "common/util/util.h"
#include "master/dispatch/dispatch.h"
#include "tests/test_util.h"

/* covered: each architecture of each task in exactly one shard, in order */
static int plan_covers(const zc_evolve_meta *m, const zc_shard *sh, int n) {
    for (int t = 0; t < m->n_tasks; t++) {
        int next = 0;
        for (int s = 0; s < n; s++) {
            if (sh[s].task != t) continue;
            if (sh[s].a0 != next || sh[s].a1 <= sh[s].a0) return 0;
            next = sh[s].a1;
        }
        if (next != m->n_archs[t]) return 0;
    }
    return 1;
}

static void test_plan(void) {
    zc_evolve_meta m;
    memset(&m, 0, sizeof m);
    m.n_tasks = 3;
    int n_archs[3] = {80, 10, 33};
    int64_t bytes[3] = {800, 100, 330}; /* 10 bytes per architecture */
    for (int t = 0; t < 3; t++) {
        m.n_archs[t] = n_archs[t];
        m.bytes[t] = bytes[t];
        snprintf(m.name[t], sizeof m.name[t], "task%d", t);
    }
    zc_shard sh[200];
    int bin[200], n;
    char err[256];
    /* no budget: one bin, tasks whole */
    CHECK(zc_dispatch_plan(&m, 0, 1, sh, &n, bin, err, sizeof err) == 1);
    CHECK(n == 3 && plan_covers(&m, sh, n));
    CHECK(bin[0] == 0 && bin[1] == 0 && bin[2] == 0);
    /* budget 400 bytes = 40 architectures: task 0 in 2 shards of 40, task 1
     * whole, task 2 whole; bins packed in order within 400 bytes */
    int nb = zc_dispatch_plan(&m, 400, 8, sh, &n, bin, err, sizeof err);
    CHECK(plan_covers(&m, sh, n));
    CHECK(n == 4);
    CHECK(sh[0].task == 0 && sh[0].a0 == 0 && sh[0].a1 == 40);
    CHECK(sh[1].task == 0 && sh[1].a0 == 40 && sh[1].a1 == 80);
    CHECK(nb == 4); /* [t0 0-40] [t0 40-80] [t1] [t2]: 100 + 330 > 400 */
    double used[16] = {0};
    for (int s = 0; s < n; s++) used[bin[s]] += 10.0 * (sh[s].a1 - sh[s].a0);
    for (int b = 0; b < nb; b++) CHECK_MSG(used[b] <= 400, "bin %d holds %g", b, used[b]);
    /* 33 architectures do not fit in 30: task 2 is split in 2 (17 + 16) */
    nb = zc_dispatch_plan(&m, 300, 16, sh, &n, bin, err, sizeof err);
    CHECK(nb > 0 && plan_covers(&m, sh, n));
    int t2_shards = 0;
    for (int s = 0; s < n; s++) t2_shards += sh[s].task == 2;
    CHECK(t2_shards == 2);
    for (int b = 0; b < 16; b++) used[b] = 0;
    for (int s = 0; s < n; s++) used[bin[s]] += 10.0 * (sh[s].a1 - sh[s].a0);
    for (int b = 0; b < nb; b++) CHECK_MSG(used[b] <= 300, "bin %d holds %g", b, used[b]);
    /* too few workers for the bins: refused, naming the count */
    CHECK(zc_dispatch_plan(&m, 300, 2, sh, &n, bin, err, sizeof err) == -1);
    CHECK(strstr(err, "only 2 worker") != NULL);
    /* one architecture larger than the budget: fits nowhere */
    CHECK(zc_dispatch_plan(&m, 5, 100, sh, &n, bin, err, sizeof err) == -1);
    CHECK(strstr(err, "fits on no worker") != NULL);
}

static void test_records(void) {
    zc_arch_stats a;
    memset(&a, 0, sizeof a);
    a.arch_index = 1234;
    a.arch_str = zc_strdup("|nor_conv_3x3~0|+|skip_connect~0|none~1|");
    a.accuracy = 91.25;
    a.n_acc = 2;
    snprintf(a.acc_name[0], 32, "valid");
    snprintf(a.acc_name[1], 32, "test");
    a.acc[0] = 91.25;
    a.acc[1] = NAN;
    a.n_layers = 2;
    a.layers = zc_calloc(2, sizeof *a.layers);
    for (int l = 0; l < 2; l++) {
        snprintf(a.layers[l].name, sizeof a.layers[l].name, "cells.%d.op", l);
        a.layers[l].c_in = 16 + l, a.layers[l].c_out = 32, a.layers[l].kernel_h = 3;
        a.layers[l].kernel_w = 3, a.layers[l].stride = 1 + l, a.layers[l].stage = l;
        for (int t = l; t < ZC_NUM_TERMINALS; t += 5) {
            zc_tensor *x = &a.layers[l].t[t];
            x->ndim = 2 + (t % 3);
            for (int d = 0; d < x->ndim; d++) x->shape[d] = 2 + d + l;
            int64_t n = zc_tensor_numel(x);
            x->data = zc_malloc(sizeof(float) * (size_t)n);
            for (int64_t i = 0; i < n; i++) x->data[i] = (float)(i * 0.5 - t) / (1 + l);
        }
    }
    size_t len;
    unsigned char *buf = zc_record_pack(&a, 16, &len);
    zc_arch_stats b;
    CHECK(zc_record_unpack(buf + 16, len - 16, &b) == 0);
    CHECK(b.arch_index == 1234 && strcmp(b.arch_str, a.arch_str) == 0);
    CHECK(b.accuracy == 91.25 && b.n_acc == 2 && strcmp(b.acc_name[1], "test") == 0);
    CHECK(isnan(b.acc[1]));
    CHECK(b.n_layers == 2 && zc_arch_stats_bytes(&b) == zc_arch_stats_bytes(&a));
    int same = 1;
    for (int l = 0; l < 2; l++) {
        same &= strcmp(a.layers[l].name, b.layers[l].name) == 0;
        same &= a.layers[l].c_in == b.layers[l].c_in && a.layers[l].stride == b.layers[l].stride;
        same &= a.layers[l].stage == b.layers[l].stage;
        for (int t = 0; t < ZC_NUM_TERMINALS; t++) {
            const zc_tensor *x = &a.layers[l].t[t], *y = &b.layers[l].t[t];
            if (!x->data) {
                same &= y->data == NULL;
                continue;
            }
            same &= y->data && x->ndim == y->ndim;
            if (!same) break;
            same &= memcmp(x->shape, y->shape, sizeof x->shape) == 0;
            same &= memcmp(x->data, y->data, sizeof(float) * (size_t)zc_tensor_numel(x)) == 0;
        }
    }
    CHECK_MSG(same, "the unpacked record differs from the packed one");
    zc_arch_stats_free(&b);
    /* truncated anywhere: refused, nothing leaked into *c */
    int refused = 1;
    for (size_t cut = 0; cut < len - 16; cut += 7) {
        zc_arch_stats c;
        refused &= zc_record_unpack(buf + 16, cut, &c) == -1;
        refused &= c.layers == NULL && c.arch_str == NULL;
    }
    CHECK(refused);
    free(buf);
    zc_arch_stats_free(&a);
}

int main(void) {
    test_plan();
    test_records();
    TEST_EXIT();
}

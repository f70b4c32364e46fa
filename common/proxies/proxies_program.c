/* proxies_program.c: a named program as a proxy (proxies_program.h): the
 * network's EZNAS statistics, then the program evaluated on them. */
#include "common/proxies/proxies_program.h"

#include <math.h>
#include <string.h>

#include "common/program/evaluator.h"
#include "common/program/named_programs.h"
#include "common/program/program.h"
#include "common/stats/stats.h"
#include "common/stats/stats_compute.h"

double zc_proxy_named_program(zc_net *net, const float *const *inputs, const char *name) {
    const char *text = zc_program_named(name);
    if (!text) return NAN;
    zc_program prog;
    char err[256];
    if (zc_program_parse(text, &prog, err, sizeof err) != 0) return NAN;
    zc_arch_stats rec;
    memset(&rec, 0, sizeof rec);
    zc_compute_stats(net, inputs, zc_program_terminals(&prog), &rec);
    zc_eval_ctx *ctx = zc_eval_ctx_new();
    double score = NAN;
    if (zc_eval_network(ctx, &prog, &rec, &score) != 0) score = NAN;
    zc_eval_ctx_free(ctx);
    zc_arch_stats_free(&rec);
    return score;
}

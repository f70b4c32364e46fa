/* named_programs.c: the table of built-in programs (named_programs.h).
 * Texts are stored exactly as `zcevo evolve` printed them; a name, once
 * published, keeps its text (scores in results depend on it). */
#include "common/program/named_programs.h"

#include <string.h>

typedef struct {
    const char *name;
    const char *text;
    const char *about;
} named_program;

static const named_program k_named[] = {
    {"eznas-a", "frobenius(sigmoid(logdet(sign(inpact_grad_data))))",
     "EZNAS-A as released (terminal inpact_grad_data)"},
    {"eznas-a-wt", "frobenius(sigmoid(logdet(sign(wt_grad_noise))))",
     "EZNAS-A on wt_grad_noise (the paper's figure)"},
    {"zcevo-a",
     "neg(kl_div(sign(mul(numel(inpact_perturb), pos_mask(square(preact_grad_noise)))), "
     "neg_mask(log(sub(preact_perturb, preact_data)))))",
     "zcevo's EZNAS-protocol search (all 80 architectures per task, |tau|), seed 2, "
     "negated: docs/discovery.md"},
};

int zc_program_named_count(void) { return (int)(sizeof k_named / sizeof k_named[0]); }

const char *zc_program_named_at(int i, const char **name, const char **about) {
    if (i < 0 || i >= zc_program_named_count()) return NULL;
    if (name) *name = k_named[i].name;
    if (about) *about = k_named[i].about;
    return k_named[i].text;
}

const char *zc_program_named(const char *name) {
    for (int i = 0; i < zc_program_named_count(); i++)
        if (strcmp(name, k_named[i].name) == 0) return k_named[i].text;
    return NULL;
}

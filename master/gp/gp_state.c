/* gp_state.c: the GP engine's state (zc_gp_state): preparation from a
 * config, the initial population, release, and the hall of fame. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/gp_internal.h"

void zc_gp_state_prepare(zc_gp_state *s, const zc_gp_config *config) {
    s->config = *config;
    s->primitives = zc_gp_primitives_from_config(config);
    s->pop_capacity = ZC_MAX(config->population_size, config->mu);
    s->pop = zc_calloc((size_t)s->pop_capacity, sizeof(zc_gp_individual));
    int hof_cap = ZC_MAX(config->hall_of_fame_size, 1);
    s->hof = zc_calloc((size_t)hof_cap, sizeof(zc_gp_hof_entry));
}

int zc_gp_init(zc_gp_state *s, const zc_gp_config *config, uint64_t seed, char *err,
               size_t errlen) {
    memset(s, 0, sizeof(*s));
    if (zc_gp_config_check(config, err, errlen) != 0) return -1;
    zc_gp_state_prepare(s, config);
    s->rng = zc_rng_stream(seed, ZC_STREAM_GP, 0);
    for (int i = 0; i < s->config.population_size; i++) {
        zc_gp_individual *member = &s->pop[i];
        zc_gp_gen_fresh(&s->config, &s->primitives, &s->rng, &member->prog);
        member->fitness = NAN;
        member->evaluated = 0;
        member->hash = zc_program_hash(&member->prog);
    }
    s->pop_n = s->config.population_size;
    return 0;
}

void zc_gp_free(zc_gp_state *s) {
    free(s->pop);
    free(s->hof);
    zc_gp_cache_free(&s->cache);
    memset(s, 0, sizeof(*s));
}

/* Remove hof[i], keeping the order of the others. */
static void hof_remove(zc_gp_state *s, int i) {
    memmove(&s->hof[i], &s->hof[i + 1], sizeof(zc_gp_hof_entry) * (size_t)(s->hof_n - i - 1));
    s->hof_n--;
}

void zc_gp_hof_offer(zc_gp_state *s, const zc_program *p, uint64_t hash, double fitness) {
    int k = s->config.hall_of_fame_size;
    if (k <= 0 || !isfinite(fitness)) return;
    for (int i = 0; i < s->hof_n; i++)
        if (zc_program_hash(&s->hof[i].prog) == hash) {
            if (!(fitness > s->hof[i].fitness)) return;
            hof_remove(s, i); /* re-evaluated better (cache off): replace the entry */
            break;
        }
    int pos = s->hof_n;
    while (pos > 0 && fitness > s->hof[pos - 1].fitness) pos--;
    if (pos >= k) return;
    int n_move = ZC_MIN(s->hof_n, k - 1) - pos;
    if (n_move > 0) memmove(&s->hof[pos + 1], &s->hof[pos], sizeof(zc_gp_hof_entry) * (size_t)n_move);
    s->hof[pos].prog = *p;
    s->hof[pos].fitness = fitness;
    s->hof[pos].seq = s->hof_sequence++;
    if (s->hof_n < k) s->hof_n++;
}

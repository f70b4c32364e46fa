/* gp_internal.h: what the parts of the GP engine share and nothing outside
 * master/gp/gp_*.c uses: the primitive set builder, tree generation and
 * variation, the fitness cache, the config text, state allocation and the
 * hall of fame. The public API is gp.h. */
#ifndef ZC_GP_INTERNAL_H
#define ZC_GP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "master/gp/gp.h"

/* ---- gp_tree.c: primitive set, generation, variation ----------------------- */

/* zc_gp_primitives_from_config: every operation (add_noise only with
 * use_add_noise) and the terminals of cfg->terminals, each in code order.
 * cfg must pass zc_gp_config_check (at least one terminal). */
zc_gp_primitives zc_gp_primitives_from_config(const zc_gp_config *cfg);

/* zc_gp_gen_fresh: a half-and-half program of depth init_min_depth..
 * init_max_depth from ps, redrawn until it is within max_len and
 * max_height. Draws from rng only. */
void zc_gp_gen_fresh(const zc_gp_config *cfg, const zc_gp_primitives *ps, zc_rng *rng,
                     zc_program *out);

/* zc_gp_var_or_one: one DEAP varOr offspring of pop[0..n) (n >= 1) into
 * *out: crossover, mutation or reproduction by cfg's probabilities, each
 * with staticLimit; with fewer than two members a crossover draw becomes a
 * mutation. */
void zc_gp_var_or_one(const zc_gp_config *cfg, const zc_gp_primitives *ps, zc_rng *rng,
                      const zc_gp_individual *pop, int n, zc_program *out);

/* ---- gp_cache.c: open-addressing map from a 64-bit hash to a double --------- */

/* zc_gp_cache_find: 1 and *value (value may be NULL) when key is in c,
 * else 0. An empty (zeroed) cache is valid. */
int zc_gp_cache_find(const zc_gp_cache *c, uint64_t key, double *value);

/* zc_gp_cache_put: insert key -> value or overwrite its value; grows the
 * table (allocation failure exits through zc_calloc). */
void zc_gp_cache_put(zc_gp_cache *c, uint64_t key, double value);

/* zc_gp_cache_free: release the table; *c becomes empty. */
void zc_gp_cache_free(zc_gp_cache *c);

/* ---- gp_config.c ------------------------------------------------------------ */

/* zc_gp_config_format: the config as zc_gp_config_write's key=value lines
 * into buf (snprintf semantics: returns the full length needed, 0 on a
 * formatting error). */
size_t zc_gp_config_format(const zc_gp_config *cfg, char *buf, size_t size);

/* ---- gp_state.c ------------------------------------------------------------- */

/* zc_gp_state_prepare: *s (zeroed by the caller) takes config (which must
 * pass zc_gp_config_check), its primitive set and empty population and
 * hall of fame arrays of their full capacity. */
void zc_gp_state_prepare(zc_gp_state *s, const zc_gp_config *config);

/* zc_gp_hof_offer: offer program p (canonical hash `hash`) with fitness to
 * the hall of fame: kept best first, ties older first, distinct programs (a
 * better fitness of a program already there replaces its entry); NaN and a
 * zero hall_of_fame_size keep nothing. */
void zc_gp_hof_offer(zc_gp_state *s, const zc_program *p, uint64_t hash, double fitness);

#endif

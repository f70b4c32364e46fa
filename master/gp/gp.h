/* gp.h: the genetic programming engine of zcevo: tree GP over postfix
 * programs (common/program.h) with the EZNAS/DEAP operators and the
 * gplearn ones SR-NAS uses, as a step-wise library that `zcevo evolve` and
 * the MPI master drive.
 *
 * The primitive set (function_set: the 34 EZNAS primitives, the SR-NAS
 * arithmetic, or any list) and the terminal kind (layer: the 22 EZNAS
 * statistics; network: named network-level values such as the proxies of
 * a `zcevo proxies` file, codes 0..n-1 in the order of network_terminals)
 * are parameters of the config, so they are part of config.txt and of
 * every checkpoint; both kinds run through the same engine.
 *
 * One generation (zc_gp_generation), in this order:
 *  0. With parent_tournament > 0, members of the population not evaluated
 *     yet (the initial population) are evaluated first, in one batch, so
 *     that parents are chosen by fitness from the first generation on.
 *  1. Offspring: lambda programs. round(fresh_fraction * lambda) of them are
 *     fresh half-and-half programs (depth init_min_depth..init_max_depth);
 *     the rest come from DEAP varOr on the current population: a uniform
 *     draw u picks the operator: u < crossover_prob one-point subtree
 *     crossover of two distinct members (cxOnePoint: a uniform non-root node
 *     in each, first child kept); then, by the next probabilities in this
 *     order, uniform mutation of a member (mutUniform: a uniform node, root
 *     included, replaced by a half-and-half tree of depth
 *     mut_min_depth..mut_max_depth), hoist mutation (gplearn: a uniform
 *     node's subtree replaced by one of its own subtrees, uniform among its
 *     nodes), point mutation (gplearn: each node, with probability
 *     point_replace_prob, replaced by a uniform pick of the same arity from
 *     the primitive set, a terminal by a terminal), else reproduction (a
 *     copy). Members are drawn uniformly (parent_tournament = 0, DEAP) or as
 *     the best of parent_tournament uniform draws (gplearn, SR-NAS). An
 *     offspring higher than max_height or longer than max_len is replaced by
 *     a random one of its parents (DEAP staticLimit; hoist and point
 *     mutation never grow a tree).
 *  2. Quick check: candidates go to fitness->validate in batches; invalid
 *     ones are redrawn (in rounds) until lambda valid offspring exist. A
 *     program whose fitness is cached needs no check (valid iff finite).
 *     Programs failing the check are cached as NaN.
 *  3. Evaluation: the offspring (plus, in generation 0 with
 *     evaluate_initial or selection_pool = both, the initial population)
 *     whose canonical hash is not in the fitness cache, each distinct
 *     program once, go to fitness->evaluate in ONE batch call.
 *  4. Selection: tournament (tournament_size, DEAP selTournament: best of
 *     tournament_size uniform draws with replacement, first best on ties,
 *     NaN worst) of mu survivors from the offspring (selection_pool =
 *     offspring, the released EZNAS code) or from population + offspring.
 *  5. Duplicates removed, first occurrence kept: by canonical program hash
 *     (default; DEAP/EZNAS removed equal FITNESS values, dedup = fitness),
 *     and members with NaN fitness dropped while >= 2 finite ones remain.
 *  6. Elitism: the `elitism` best distinct programs of the old population
 *     and the offspring are put first; the worst others are dropped to keep
 *     at most mu members.
 * If a callback reports failure, the generation is abandoned and the state
 * is left exactly as before the call (safe to checkpoint and resume).
 *
 * Determinism: all randomness comes from state->rng (seeded with
 * zc_rng_stream(seed, ZC_STREAM_GP, 0)); callbacks fill arrays, so the
 * order in which they compute results does not matter. With the options
 * added for SR-NAS at their defaults (hoist_prob = point_prob = 0,
 * parent_tournament = 0, function_set = eznas) the draws are exactly
 * those of the EZNAS engine. The fitness cache
 * assumes a program's fitness is fixed during a run; a driver that changes
 * the fitness data per generation sets cache_fitness = 0 (the cache is then
 * never consulted; it holds only the last generation's results, which a
 * checkpoint stores).
 *
 * The primitive set (zc_gp_primitives: operations, terminals) and the
 * terminal names are built once from the config when the state is made
 * (zc_gp_init, zc_gp_state_load) and every tree operation takes the set as
 * a parameter.
 *
 * The engine's sources: gp_config.c (options), gp_tree.c (primitive set,
 * tree generation and variation), gp_cache.c (the fitness cache),
 * gp_state.c (state and hall of fame), gp_generation.c (one generation),
 * gp_save.c (the serialised state); gp_internal.h joins them.
 */
#ifndef ZC_GP_H
#define ZC_GP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/program/program.h"
#include "common/util/rng.h"
#include "common/stats/terminals.h"

/* ---- fitness interface ----------------------------------------------------- */

/* Batch callbacks served by a local evaluator or a worker pool. Both fill
 * arrays indexed like progs and return 0; a non-zero return abandons the
 * generation (e.g. a worker was lost, a stop signal arrived).
 *  evaluate: fitness[i] of progs[i]; larger is better; NaN = invalid.
 *  validate: ok[i] = 1 when progs[i] passes the quick check (e.g. finite on
 *            2 networks), else 0. NULL accepts every program. */
typedef struct {
    void *ctx;
    int (*evaluate)(void *ctx, const zc_program *progs, int n, double *fitness);
    int (*validate)(void *ctx, const zc_program *progs, int n, unsigned char *ok);
} zc_fitness_fn;

/* ---- configuration ----------------------------------------------------------- */

typedef enum {
    ZC_GP_DEDUP_NONE = 0,
    ZC_GP_DEDUP_PROGRAM = 1, /* same canonical hash (default)               */
    ZC_GP_DEDUP_FITNESS = 2  /* same fitness value (DEAP/EZNAS released)    */
} zc_gp_dedup;

typedef enum {
    ZC_GP_POOL_OFFSPRING = 0, /* survivors from offspring only (released)  */
    ZC_GP_POOL_BOTH = 1       /* from population + offspring (mu + lambda)  */
} zc_gp_pool;

typedef enum {
    ZC_GP_TERMS_LAYER = 0,    /* the 22 EZNAS statistics per RCB layer      */
    ZC_GP_TERMS_NETWORK = 1   /* named network-level values (proxies files) */
} zc_gp_terminal_kind;

/* The primitive sets by name, as masks: bit (opcode - ZC_OP_BASE).
 * zc_gp_functions_eznas: the 33 EZNAS primitives of the default set
 * (add .. numel; add_noise comes with use_add_noise). */
uint64_t zc_gp_functions_eznas(void);
/* zc_gp_functions_sr: the SR-NAS set: add, sub, mul, neg, pdiv, plog,
 * psqrt. */
uint64_t zc_gp_functions_sr(void);

typedef struct {
    int population_size;     /* initial population                    50 */
    int mu;                  /* survivors per generation              25 */
    int lambda;              /* offspring per generation              50 */
    double crossover_prob;   /* varOr cxpb                           0.4 */
    double mutation_prob;    /* varOr mutpb (reproduction = rest)    0.4 */
    int init_min_depth;      /* half-and-half init depth range      2..6 */
    int init_max_depth;
    int mut_min_depth;       /* mutUniform subtree depth range      0..5 */
    int mut_max_depth;
    int max_height;          /* static height limit                   10 */
    int max_len;             /* node limit (<= ZC_PROG_MAX_LEN)      128 */
    int tournament_size;     /*                                        4 */
    int elitism;             /* best programs always kept              1 */
    double fresh_fraction;   /* fraction of lambda fresh random        0
                                (released code; the paper used 0.5)       */
    int generations;         /* for the driver (zcevo evolve)         15 */
    int use_add_noise;       /* add_noise in the primitive set         0 */
    zc_terminal_mask terminals; /* terminal codes that may appear    all */
    zc_gp_dedup dedup;       /*                                  program */
    zc_gp_pool selection_pool; /*                              offspring */
    int evaluate_initial;    /* evaluate the initial population in
                                generation 0's batch                   0 */
    int hall_of_fame_size;   /* best distinct programs ever kept      10 */
    int max_redraw_rounds;   /* quick-check rounds before giving up 1000 */
    int cache_fitness;       /* keep fitness across generations        1 */
    /* added for SR-NAS; written to the config text only when they differ
     * from these defaults, so older configurations read the same */
    uint64_t functions;      /* primitive set (function_set)       eznas */
    zc_gp_terminal_kind terminal_kind; /*                          layer */
    zc_term_names network_terminals; /* kind network: code -> name  none */
    double hoist_prob;       /* varOr hoist mutation                   0 */
    double point_prob;       /* varOr point mutation                   0 */
    double point_replace_prob; /* per node, in point mutation       0.05 */
    int parent_tournament;   /* parents: best of k draws (0: uniform)  0 */
} zc_gp_config;

/* zc_gp_config_default: the documented defaults above. */
zc_gp_config zc_gp_config_default(void);

/* zc_gp_config_check: 0 when the config is usable; else -1 with one line in
 * err naming the key and value at fault. */
int zc_gp_config_check(const zc_gp_config *cfg, char *err, size_t errlen);

/* zc_gp_config_set: set one option from text (key as printed by
 * zc_gp_config_write, e.g. "mu", "25"; terminals: "all" or a list of names
 * of the terminal kind (zc_terminal_parse_list for layers, names of
 * network_terminals for the network kind); dedup: none|program|fitness;
 * selection_pool: offspring|both; function_set: eznas, sr or a
 * comma-separated list of primitives; terminal_kind: layer|network;
 * network_terminals: comma-separated names, which also resets terminals to
 * all of them). Returns 0, or -1 with a message in err for an unknown key
 * or a malformed value (range checks are zc_gp_config_check's job). */
int zc_gp_config_set(zc_gp_config *cfg, const char *key, const char *value,
                     char *err, size_t errlen);

/* zc_gp_config_write: write every option as "key=value" lines (stable order,
 * parseable by zc_gp_config_set in that order: with the network kind,
 * terminal_kind and network_terminals come first; the SR-NAS options are
 * written last and only when not at their defaults) to f. Returns 0, or -1
 * on a write error. */
int zc_gp_config_write(const zc_gp_config *cfg, FILE *f);

/* zc_gp_config_term_names: the names of cfg's terminal codes: NULL for the
 * layer kind (the 22 statistics), else &cfg->network_terminals. For
 * zc_program_parse_names / zc_program_print_names. */
const zc_term_names *zc_gp_config_term_names(const zc_gp_config *cfg);

/* zc_gp_config_n_terms: the number of terminal codes of cfg's kind. */
int zc_gp_config_n_terms(const zc_gp_config *cfg);

/* ---- primitive set ----------------------------------------------------------- */

/* The nodes trees are built from: operation codes (ZC_OP_*), terminal codes
 * and DEAP's pset.terminalRatio = n_terms / (n_terms + n_ops). The engine
 * builds it from the config (zc_gp_primitives_from_config, gp_internal.h). */
typedef struct {
    int ops[ZC_NUM_OPS];
    int n_ops;
    int terms[ZC_OP_BASE];
    int n_terms;
    double terminal_ratio;
} zc_gp_primitives;

/* ---- state ------------------------------------------------------------------- */

/* Fitness cache: open addressing, keyed by the canonical program hash (a
 * 64-bit hash; collisions are ignored). */
typedef struct {
    uint64_t *keys;
    double *values;
    unsigned char *used;
    int capacity; /* power of two, 0 when empty */
    int count;
} zc_gp_cache;

/* A member of the population. */
typedef struct {
    zc_program prog;
    double fitness;          /* NaN: invalid or not evaluated               */
    uint64_t hash;           /* zc_program_hash(&prog)                      */
    unsigned char evaluated; /* fitness is known                            */
} zc_gp_individual;

/* An entry of the hall of fame. */
typedef struct {
    zc_program prog;
    double fitness;
    long long seq;           /* insertion order (ties: older first)         */
} zc_gp_hof_entry;

/* The whole engine state: plain data. A checkpoint stores it with
 * zc_gp_state_save (or these fields): config, rng, generation, counters,
 * population (programs, fitness, evaluated flags), hall of fame, cache. */
typedef struct {
    zc_gp_config config;
    zc_gp_primitives primitives; /* built from config; not serialised    */
    zc_rng rng;
    int generation;          /* completed generations                       */
    long long evaluations;   /* programs sent to evaluate, all generations  */
    long long validations;   /* programs sent to validate                   */
    long long hof_sequence;  /* insertion counter (ties: older first)       */
    int pop_n;               /* current members                             */
    int pop_capacity;
    zc_gp_individual *pop;
    int hof_n;               /* hall of fame, best first                    */
    zc_gp_hof_entry *hof;
    zc_gp_cache cache;
} zc_gp_state;

/* Per-generation report. */
typedef struct {
    int generation;          /* 1-based number of the generation just done  */
    int population;          /* members after selection                     */
    double best;             /* best fitness in the new population (NaN if
                                none finite)                                */
    double mean;             /* mean of its finite fitness values           */
    double best_ever;        /* hall of fame leader                         */
    int candidates;          /* offspring drawn, redraws included           */
    int valid;               /* candidates that passed the quick check      */
    double valid_fraction;   /* valid / candidates                          */
    int validated;           /* programs sent to validate                   */
    int evaluated;           /* programs sent to evaluate (cache misses)    */
    int evaluated_invalid;   /* of those, NaN fitness                       */
    int cache_hits;          /* offspring whose fitness was cached          */
    int redraw_rounds;       /* quick-check rounds used                     */
    int duplicates_removed;
} zc_gp_stats;

/* zc_gp_init: allocate *state and draw the initial population of
 * config->population_size half-and-half programs (not evaluated). Returns 0,
 * or -1 with a message in err when the config is not usable. */
int zc_gp_init(zc_gp_state *state, const zc_gp_config *config, uint64_t seed,
               char *err, size_t errlen);

/* zc_gp_free: release the state's arrays; *state becomes empty. */
void zc_gp_free(zc_gp_state *state);

/* zc_gp_generation: run one generation (see the top of this file). Returns
 * 0 and fills *stats (may be NULL); -1 with a message in err when a
 * callback failed or no valid offspring appeared within max_redraw_rounds;
 * in both failure cases the state is unchanged. */
int zc_gp_generation(zc_gp_state *state, const zc_fitness_fn *fitness,
                     zc_gp_stats *stats, char *err, size_t errlen);

/* zc_gp_stats_write: one human-readable log line for stats. */
void zc_gp_stats_write(const zc_gp_stats *stats, FILE *f);

/* ---- checkpoints ----------------------------------------------------------- */

/* zc_gp_state_bytes: size of the serialised state. */
size_t zc_gp_state_bytes(const zc_gp_state *state);

/* zc_gp_state_save: serialise into buf (size >= zc_gp_state_bytes). Native
 * byte order, versioned ("ZCGPST01"); the config is stored as its
 * key=value text. Returns the bytes written, or 0 if size is too small. */
size_t zc_gp_state_save(const zc_gp_state *state, void *buf, size_t size);

/* zc_gp_state_load: rebuild *state (allocating) from a saved buffer.
 * Returns 0, or -1 with a message in err for a truncated, foreign or
 * inconsistent buffer (then *state is empty). */
int zc_gp_state_load(zc_gp_state *state, const void *buf, size_t size, char *err,
                     size_t errlen);

/* ---- building blocks (exposed for tests and tools) --------------------------- */

/* zc_gp_gen_half_and_half: DEAP genHalfAndHalf: grow or full (even odds),
 * height uniform in [min_depth, max_depth]; grow picks a terminal at depth
 * >= min_depth with probability n_terminals / (n_terminals + n_ops). Uses
 * the config's primitive set and terminals. Returns 0, or -1 if the tree
 * would exceed max_len nodes (*out then undefined). */
int zc_gp_gen_half_and_half(const zc_gp_config *cfg, zc_rng *rng, int min_depth,
                            int max_depth, zc_program *out);

#endif

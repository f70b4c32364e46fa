/* fitness.h: from per-architecture program scores to GP fitness, and the
 * interface of whatever computes those scores (the local thread pool here,
 * the MPI worker pool in a distributed run).
 *
 * Fitness of a program (EZNAS section 4, with documented options): for each
 * task t and each of D fixed random subsets of S architectures (drawn once
 * from the seed, so fitness is a fixed function of the program and can be
 * cached; S = 0 means all architectures, then D = 1), Kendall tau-b between
 * score and accuracy; `abs` tau flips a negative value (a proxy may rank in
 * reverse, as EZNAS), `signed` keeps it; a task's value is the mean over its
 * draws (draw mode `mean`), or the tau on ONE of the draws chosen at
 * random per program and task (draw mode `pick`, the released EZNAS code,
 * which scores every evaluation on one of four fixed 20-network subsets of
 * each task picked at random; here the pick is a seeded hash of the
 * program, so a program keeps its fitness, and the D subsets are disjoint
 * when S x D fits in the task); fitness is the min (EZNAS) or mean over
 * tasks. A program that is invalid (NaN score) on any architecture of a
 * subset, or whose scores are all tied, is invalid (NaN fitness); with
 * omit_invalid (SR-NAS: scipy's kendalltau with nan_policy='omit') the
 * architectures a program is invalid on are left out of that subset's tau
 * instead, and only fewer than two valid ones (or all tied) make it
 * invalid. */
#ifndef ZC_FITNESS_H
#define ZC_FITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/program/program.h"

typedef enum { ZC_AGG_MIN, ZC_AGG_MEAN } zc_aggregate;
typedef enum { ZC_DRAW_MEAN, ZC_DRAW_PICK } zc_draw_mode;

typedef struct {
    int n_tasks;
    int *n_archs;       /* per task                                          */
    double **acc;       /* per task, n_archs accuracies                      */
    int subset_size;    /* S (0: all)                                        */
    int draws;          /* D                                                 */
    int **subsets;      /* per task, draws * S' indices (S' = min(S, n))     */
    int *subset_len;    /* per task, S'                                      */
    zc_aggregate aggregate;
    int abs_tau;        /* 1: |tau| (EZNAS), 0: signed                       */
    zc_draw_mode draw_mode;
    uint64_t seed;      /* the run's seed (the pick of draw mode pick)       */
    int omit_invalid;   /* 1: invalid architectures left out (SR-NAS)        */
} zc_fitness_spec;

/* zc_fitness_spec_init: subsets drawn from zc_rng_stream(seed,
 * ZC_STREAM_SUBSET, task): D independent draws, or with draw mode pick and
 * S x D <= n the first D blocks of S of one shuffle (disjoint). acc arrays
 * are copied. omit_invalid is 0 (set the field afterwards for SR-NAS's
 * rule). */
void zc_fitness_spec_init(zc_fitness_spec *f, int n_tasks, const int *n_archs,
                          const double *const *acc, int subset_size, int draws,
                          zc_aggregate aggregate, int abs_tau, zc_draw_mode draw_mode,
                          uint64_t seed);
void zc_fitness_spec_free(zc_fitness_spec *f);

/* zc_fitness_of: fitness of program p from scores[t][p * n_archs[t] + a];
 * program_hash (zc_program_hash of p) chooses the draw in draw mode pick. */
double zc_fitness_of(const zc_fitness_spec *f, double *const *scores, int p,
                     uint64_t program_hash);

/* Scores of programs on every architecture of every task. */
typedef struct {
    void *ctx;
    /* score: fill scores[t][p * n_archs[t] + a] (NaN = invalid). Returns 0,
     * 1 when interrupted by a stop request (nothing usable), or -1 with err
     * on failure (e.g. a worker lost). */
    int (*score)(void *ctx, const zc_program *progs, int n, double *const *scores,
                 char *err, size_t errlen);
} zc_score_backend;

#endif

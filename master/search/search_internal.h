/* search_internal.h: what the parts of the search driver share (internal
 * to master/search; the public face is search.h): a trial in progress,
 * scoring through the cache, the algorithms, and the run-folder files. */
#ifndef ZC_SEARCH_INTERNAL_H
#define ZC_SEARCH_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "common/nets/space_encoding.h"
#include "common/util/outputs.h"
#include "common/util/rng.h"
#include "master/search/search.h"
#include "master/search/search_cache.h"

/* A trial in progress: what the algorithms read, and the history they
 * leave (every architecture scored, in order; zc-pt: every cell found,
 * with its validation score). */
typedef struct {
    const zc_search_opts *o;
    const zc_task *task;
    const zc_proxy_spec *spec;
    const zc_encoding *enc;          /* NULL: the space has none (NDS)   */
    zc_search_cache *cache;
    const zc_search_backend *backend;
    int trial;
    uint64_t seed;                   /* o->seed + trial                  */
    zc_rng rng;                      /* the trial's random choices       */
    int n_steps, cap_steps;
    int *step_row;
    double *step_value;
    int computed;                    /* values computed (cache misses)   */
    int expected;                    /* steps the progress line expects  */
    double t0, last_print;
} zc_search_trial;

/* The outcome of a trial (trials.csv). */
typedef struct {
    int trial;
    uint64_t seed;
    int row;          /* the architecture found                          */
    double value;     /* its proxy value (zc-pt: its validation score)   */
    int scored;       /* history length                                  */
    int distinct;     /* distinct architectures in it                    */
    int computed;     /* values computed by this process for it          */
    double seconds;   /* wall time                                       */
    double cpu_seconds; /* this process's CPU time (every thread)        */
} zc_search_result;

/* zc_search_better: 1 when (a, row_a) ranks above (b, row_b): the larger
 * value (smaller with minimize), NaN below everything, ties to the smaller
 * row. */
int zc_search_better(double a, int row_a, double b, int row_b, int minimize);

/* zc_search_score: the values of rows[0..n) into values (from the cache,
 * the others computed once each through the backend and cached), appended
 * to the trial's history in the order given. Errors end the process. */
void zc_search_score(zc_search_trial *t, const int *rows, int n, double *values);

/* zc_search_push_step: append (row, value) to the trial's history. */
void zc_search_push_step(zc_search_trial *t, int row, double value);

/* zc_search_row_of_genes: the table row of an encoded architecture (an
 * architecture missing from the table ends the process, naming it). */
int zc_search_row_of_genes(const zc_search_trial *t, const int *genes);

/* The algorithms (search_algorithms.c, search_zcpt.c): each fills t's
 * history. */
void zc_search_random(zc_search_trial *t);
void zc_search_evolution(zc_search_trial *t);
void zc_search_zcpt(zc_search_trial *t);

/* zc_search_zcpt_signature: the validation cache's signature of task and
 * options (zc-pt's stand-alone validation scores are cached per task). */
void zc_search_zcpt_signature(const zc_search_opts *o, const zc_task *task, char *out,
                              size_t outlen);

/* ---- run-folder files (search_text.c) ---------------------------------- */

/* The accuracy columns reported for a table: one per dataset it holds. */
typedef struct {
    int n;
    int col[4];
    char label[4][32]; /* the column's name in the table */
} zc_search_columns;

/* zc_search_report_columns: the test accuracy columns of task's table:
 * nb201 cifar10_test, cifar100_test, imagenet16_test; nats_sss the three
 * *_test_acc; a JSON table its one accuracy column. */
void zc_search_report_columns(const zc_task *task, zc_search_columns *cols);

/* zc_search_read_file: the whole text of path (malloc'd), NULL if none. */
char *zc_search_read_file(const char *path);

/* zc_search_write_trial_csv: <run_dir>/trial_<t>.csv: per step the
 * architecture scored and its value, the best so far and its accuracies. */
void zc_search_write_trial_csv(const zc_search_opts *o, const zc_search_trial *t,
                               const zc_search_columns *cols);

/* zc_search_write_trials: <run_dir>/trials.csv, one line per finished
 * trial of res[0..n) (row >= 0): deterministic (no times), read back by a
 * restarted run. */
void zc_search_write_trials(const zc_search_opts *o, const zc_task *task,
                            const zc_proxy_spec *spec, const zc_search_columns *cols,
                            const zc_search_result *res, int n);

/* zc_search_read_trials: the trials of <run_dir>/trials.csv, indexed by
 * trial: *res_out (malloc'd) holds *n_out = max(o->trials, largest trial
 * there + 1) entries, row -1 where the trial is not finished. A malformed
 * file, or a trial of another seed, ends the process. */
void zc_search_read_trials(const zc_search_opts *o, const zc_task *task,
                           zc_search_result **res_out, int *n_out);

/* zc_search_print_summary: mean and sample standard deviation over the
 * trials of every accuracy column (and the proxy value) on f (Markdown). */
void zc_search_print_summary(FILE *f, const zc_search_opts *o, const zc_task *task,
                             const zc_proxy_spec *spec, const zc_search_columns *cols,
                             const zc_search_result *res, int n);

#endif

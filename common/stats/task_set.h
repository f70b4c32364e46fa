/* task_set.h: the evolution task set of `zcevo evolve`: the computed tasks
 * (space:dataset:batch) and statistics files whose statistics programs are
 * scored on, or the proxies files whose network-level values SR programs
 * are scored on (proxies_h5.h), with how their architectures are chosen (a
 * seeded sample split into evolution and held-out rows) and loaded. The single-process run, the
 * MPI master (counts and accuracies only) and the MPI workers (one share
 * each) all set up a task through this one sequence, so every process sees
 * the same rows, inputs and order. */
#ifndef ZC_TASK_SET_H
#define ZC_TASK_SET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/data/task.h"
#include "common/stats/task_data.h"
#include "common/stats/term_names.h"
#include "common/stats/terminals.h"

#define ZC_TASK_SET_MAX 16 /* computed tasks and statistics files in all */

typedef struct {
    int n_tasks;                           /* computed tasks                  */
    char task_spec[ZC_TASK_SET_MAX][128];  /* "space:dataset:batch[:image]"   */
    int n_stats;                           /* statistics files                */
    char stats_file[ZC_TASK_SET_MAX][512];
    int n_values;                          /* proxies files (network values)  */
    char values_file[ZC_TASK_SET_MAX][512];
    zc_term_names columns;                 /* their columns (the first file's) */
    int archs_per_task;      /* evolution architectures per task (80)      */
    int batch;               /* default batch of computed tasks (1)        */
    int final_archs;         /* held-out architectures per task (200)      */
    int final_batch;         /* their batch (0: the task's)                */
    uint64_t seed;           /* fixes rows, inputs and parameters          */
    char data_flag[512];     /* --data ("" : $ZCEVO_DATA or ../shared/data) */
    zc_terminal_mask mask;   /* terminals kept in memory                   */
    int half;                /* keep them in half form (stats_half.h)      */
    int threads;             /* threads computing statistics / scoring     */
} zc_task_set;

/* A computed task of the set, set up: its table, images and inputs, and its
 * rows: one seeded sample of archs_per_task + final_archs distinct table
 * rows (at most the table), the first archs_per_task of them the evolution
 * rows, the rest the held-out rows. */
typedef struct {
    zc_task task;
    int *evo, n_evo;         /* evolution rows (table row indices)         */
    int *fin, n_fin;         /* held-out rows                              */
} zc_task_set_rows;

/* zc_task_set_open: set up computed task t (0..n_tasks-1) at its batch, or
 * with final != 0 at final_batch when that is set, and draw its rows (the
 * same for either batch). Returns 0, or -1 with err (zc_task_setup's
 * message); free with zc_task_set_close. */
int zc_task_set_open(const zc_task_set *s, int t, int final, zc_task_set_rows *r, char *err,
                     size_t errlen);
void zc_task_set_close(zc_task_set_rows *r);

/* zc_task_set_load_file: the evolution architectures of statistics file f
 * (0..n_stats-1): all of them, or when it holds more than archs_per_task
 * the first archs_per_task of a seeded shuffle, terminals in mask (in half
 * form when the set says so). Returns
 * 0, or -1 with err. */
int zc_task_set_load_file(const zc_task_set *s, int f, zc_task_data *d, char *err,
                          size_t errlen);

/* zc_task_set_load_values: proxies file f (0..n_values-1), which must have
 * the columns s->columns: with final == 0 its evolution architectures (all
 * of them, or when it holds more than archs_per_task the first
 * archs_per_task of a seeded shuffle), with final != 0 the others (the
 * held-out ones; none when all are evolution architectures). Returns 0, or
 * -1 with err (zc_proxies_h5_load's). */
int zc_task_set_load_values(const zc_task_set *s, int f, int final, zc_task_data *d, char *err,
                            size_t errlen);

/* zc_task_set_load_all: every evolution task in memory, computed tasks
 * first (named by their spec, statistics computed with `threads` threads,
 * progress lines when progress != 0), then statistics files, then proxies
 * files. stop (may be
 * NULL) is checked after each computed task. Returns the number of tasks,
 * or -1 with err ("interrupted by a signal" when stopped). */
int zc_task_set_load_all(const zc_task_set *s, zc_task_data *tasks, volatile sig_atomic_t *stop,
                         int progress, char *err, size_t errlen);

/* zc_task_set_load_shard: the statistics of evolution architectures
 * [a0, a1) of task t (computed tasks first, then statistics files, then
 * proxies files):
 * exactly the records zc_task_set_load_all holds at those positions.
 * Returns 0, or -1 with err (also when the range is outside the task). */
int zc_task_set_load_shard(const zc_task_set *s, int t, int a0, int a1, zc_task_data *d,
                           char *err, size_t errlen);

#endif

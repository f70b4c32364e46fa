/* evolve.h: the options and the run driver of `zcevo evolve` (genetic
 * programming of proxy programs over layer statistics, or of SR-NAS
 * formulas over the network-level values of proxies files). The driver scores programs on this
 * process's threads, or through a distributed score backend (zc_evolve_dist)
 * that the command builds and hands it (the MPI master,
 * master/dispatch/dispatch.h). The driver's steps live in master/gp/evolve_*.c
 * (run folder, tasks, fitness, final re-scoring, the generation loop). */
#ifndef ZC_EVOLVE_H
#define ZC_EVOLVE_H

#include <signal.h>
#include <stdint.h>

#include "common/stats/task_data.h"
#include "common/stats/task_set.h"
#include "master/gp/fitness.h"
#include "master/gp/gp.h"

typedef struct {
    /* the evolution tasks: computed or statistics files, rows, seed, data
     * folder, terminal mask, threads (all a worker rank needs) */
    zc_task_set task_set;
    /* fitness */
    zc_aggregate aggregate;
    int abs_tau;
    int omit_invalid;        /* invalid architectures left out (SR-NAS)     */
    int subset_size, draws;
    zc_draw_mode draw_mode;  /* tau averaged over the draws, or one picked  */
    zc_gp_config gp;
    /* proxies files re-scored at the end only (held-out tasks) */
    int n_test_values;
    char test_values_file[ZC_TASK_SET_MAX][512];
    /* runtime (not part of the configuration a checkpoint must match) */
    char run_dir[512];
    int resume_required;     /* --resume: a checkpoint must exist           */
    int checkpoint_every;
    int keep_checkpoints;
    int quiet;
    double worker_timeout;   /* seconds (MPI)                                */
    double worker_memory;    /* bytes (MPI), 0 = unlimited                   */
    int dispatch_batch;      /* programs per WORK message (MPI), 0 = auto    */
} zc_evolve_opts;

/* What the generation loop needs to know about the evolution tasks without
 * holding their statistics (a distributed master): per task the number of
 * architectures and their accuracies, and the two architectures of the
 * quick validity check (the first two of task 0). Pointers are borrowed
 * from whoever filled the struct. */
typedef struct {
    int n_tasks;
    char name[ZC_TASK_SET_MAX][128];
    int n_archs[ZC_TASK_SET_MAX];
    const double *acc[ZC_TASK_SET_MAX];
    int64_t bytes[ZC_TASK_SET_MAX];     /* statistics bytes (estimated from
                                           the first architecture when the
                                           task was not loaded whole)      */
    int n_probe;
    const zc_arch_stats *probe;         /* n_probe records                */
    double seconds;                     /* time to load / compute          */
} zc_evolve_meta;

/* zc_evolve_config_text: the resolved configuration that fixes results
 * (key=value lines, malloc'd): what config.txt and checkpoints hold and
 * what a resume must match. */
char *zc_evolve_config_text(const zc_evolve_opts *o);

/* Owned storage behind a zc_evolve_meta computed by the master itself. */
typedef struct {
    zc_evolve_meta meta;
    double *acc[ZC_TASK_SET_MAX];
    zc_task_data probe_task;            /* holds the probe records         */
} zc_evolve_meta_store;

/* zc_evolve_meta_compute: the task meta of task set s without the
 * statistics: counts and accuracies from the benchmark tables (computed
 * tasks) or the files (statistics tasks; read whole, then dropped), the
 * probe architectures computed, and with estimate_bytes the bytes of each
 * computed task estimated from its first architecture. stop (may be NULL)
 * is checked before each task. Returns 0, or -1 with err. */
int zc_evolve_meta_compute(const zc_task_set *s, int estimate_bytes, zc_evolve_meta_store *store,
                           volatile sig_atomic_t *stop, char *err, size_t errlen);
/* zc_evolve_meta_free: release what zc_evolve_meta_compute allocated. */
void zc_evolve_meta_free(zc_evolve_meta_store *store);

/* A distributed score backend (the MPI master, master/dispatch/dispatch.h). */
typedef struct {
    void *ctx;
    /* start: called once the run folder is accepted (never for a finished
     * run): fill *meta (pointers stay valid until the run returns) and get
     * the workers ready. Returns 0, 1 when stopped by a signal, or -1 with
     * err. */
    int (*start)(void *ctx, zc_evolve_meta *meta, char *err, size_t errlen);
    zc_score_backend backend;
    /* validate (may be NULL: the master checks with its own threads): the
     * quick check of gp.h's zc_fitness_fn, ok[i] as zc_quick_check on the
     * probe architectures. Returns 0, 1 when stopped, -1 with err on
     * failure, 2 when it cannot (the master then checks itself). */
    int (*validate)(void *ctx, const zc_program *progs, int n, unsigned char *ok, char *err,
                    size_t errlen);
    /* busy: fraction of worker time spent computing since the last call. */
    double (*busy)(void *ctx);
} zc_evolve_dist;

/* zc_evolve_run: the master's whole run in o->run_dir (created; a folder of
 * another configuration is refused, a finished one only printed, a
 * checkpoint resumed). dist NULL: load every task and evaluate with this
 * process's threads; else score through dist. stop (may be NULL) is the
 * signal flag. Returns the exit code (0, ZC_EXIT_CHECKPOINTED,
 * ZC_EXIT_WORKER_LOST); other errors end the process with one line
 * (zc_die). */
int zc_evolve_run(const zc_evolve_opts *o, const zc_evolve_dist *dist,
                  volatile sig_atomic_t *stop);

#endif

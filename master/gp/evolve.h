/* evolve.h: the options and the driver of `zcevo evolve` (genetic
 * programming of proxy programs), shared by the single-process path and the
 * MPI master, which plugs its worker pool in as the score backend. */
#ifndef ZC_EVOLVE_H
#define ZC_EVOLVE_H

#include <signal.h>
#include <stdint.h>

#include "master/gp/fitness.h"
#include "master/gp/gp.h"
#include "common/stats/task_data.h"

#define ZC_EVOLVE_MAX_TASKS 16

typedef struct {
    /* tasks: computed (space:dataset[:batch]) or statistics files */
    int n_tasks;
    char task_spec[ZC_EVOLVE_MAX_TASKS][128];
    int n_stats;
    char stats_file[ZC_EVOLVE_MAX_TASKS][512];
    int archs_per_task;      /* evolution architectures per task (80)      */
    int batch;               /* default batch of computed tasks (1)        */
    int final_archs;         /* held-out architectures per task (200)      */
    int final_batch;         /* their batch (0: the task's)                */
    uint64_t seed;
    /* fitness */
    zc_aggregate aggregate;
    int abs_tau;
    int subset_size, draws;
    zc_gp_config gp;
    /* runtime (not part of the configuration a checkpoint must match) */
    char data_flag[512];
    char run_dir[512];
    int resume_required;     /* --resume: a checkpoint must exist           */
    int checkpoint_every;
    int keep_checkpoints;
    int threads;
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
    char name[ZC_EVOLVE_MAX_TASKS][128];
    int n_archs[ZC_EVOLVE_MAX_TASKS];
    const double *acc[ZC_EVOLVE_MAX_TASKS];
    int64_t bytes[ZC_EVOLVE_MAX_TASKS]; /* statistics bytes (estimated from
                                           the first architecture when the
                                           task was not loaded whole)      */
    int n_probe;
    const zc_arch_stats *probe;         /* n_probe records                */
    double seconds;                     /* time to load / compute          */
} zc_evolve_meta;

/* zc_evolve_parse: options from argv (argv[0] = "evolve"); usage errors
 * exit with ZC_EXIT_USAGE. Returns 1 when --help was printed. */
int zc_evolve_parse(int argc, char **argv, zc_evolve_opts *o);

/* zc_evolve_config_text: the resolved configuration that fixes results
 * (key=value lines, malloc'd): what config.txt and checkpoints hold and
 * what a resume must match. */
char *zc_evolve_config_text(const zc_evolve_opts *o);

/* zc_evolve_load_tasks: the evolution tasks in memory (computed or read),
 * with all 22 terminals (or those of the GP terminal mask). stop aborts the
 * computation. Returns the number of tasks, or -1 with err. */
int zc_evolve_load_tasks(const zc_evolve_opts *o, zc_task_data *tasks,
                         volatile sig_atomic_t *stop, int progress, char *err,
                         size_t errlen);

/* Owned storage behind a zc_evolve_meta computed by the master itself. */
typedef struct {
    zc_evolve_meta meta;
    double *acc[ZC_EVOLVE_MAX_TASKS];
    zc_task_data probe_task;            /* holds the probe records         */
} zc_evolve_meta_store;

/* zc_evolve_meta_compute: the task meta without the statistics: counts and
 * accuracies from the benchmark tables (computed tasks) or the files
 * (statistics tasks; read whole, then dropped), the probe architectures
 * computed, and with estimate_bytes the bytes of each computed task
 * estimated from its first architecture. Returns 0, or -1 with err. */
int zc_evolve_meta_compute(const zc_evolve_opts *o, int estimate_bytes,
                           zc_evolve_meta_store *store, volatile sig_atomic_t *stop,
                           char *err, size_t errlen);
void zc_evolve_meta_free(zc_evolve_meta_store *store);

/* zc_evolve_load_shard: the statistics of evolution architectures
 * [a0, a1) of task t (t counts computed tasks first, then statistics
 * files), exactly the records zc_evolve_load_tasks holds at those
 * positions. Returns 0, or -1 with err. */
int zc_evolve_load_shard(const zc_evolve_opts *o, int t, int a0, int a1, zc_task_data *d,
                         char *err, size_t errlen);

/* A distributed score backend (the MPI master, master/dispatch.h). */
typedef struct {
    void *ctx;
    /* start: called once the run folder is accepted (never for a finished
     * run): fill *meta (pointers stay valid until the run returns) and get
     * the workers ready. Returns 0, 1 when stopped by a signal, or -1 with
     * err. */
    int (*start)(void *ctx, zc_evolve_meta *meta, char *err, size_t errlen);
    zc_score_backend backend;
    /* validate (may be NULL: the master checks with its own threads): the
     * quick check of gp.h's zc_fitness_fn, ok[i] as zc_eval_network on the
     * probe architectures returns 0. Returns 0, 1 when stopped, -1 with err
     * on failure, 2 when it cannot (the master then checks itself). */
    int (*validate)(void *ctx, const zc_program *progs, int n, unsigned char *ok, char *err,
                    size_t errlen);
    /* busy: fraction of worker time spent computing since the last call. */
    double (*busy)(void *ctx);
} zc_evolve_dist;

/* zc_evolve_run: the master's whole run. dist NULL: load every task and
 * evaluate with this process's threads; else score through dist. Returns
 * the exit code (0, ZC_EXIT_CHECKPOINTED, ZC_EXIT_WORKER_LOST). */
int zc_evolve_run(const zc_evolve_opts *o, const zc_evolve_dist *dist,
                  volatile sig_atomic_t *stop);

/* The stop flag set by SIGTERM / SIGUSR1 / SIGINT once zc_evolve_signals()
 * has installed the handlers. */
extern volatile sig_atomic_t zc_evolve_stop;
void zc_evolve_signals(void);

#endif

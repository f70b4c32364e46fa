/* evolve.h: the options and the driver of `zcevo evolve` (genetic
 * programming of proxy programs), shared by the single-process path and the
 * MPI master, which plugs its worker pool in as the score backend. */
#ifndef ZC_EVOLVE_H
#define ZC_EVOLVE_H

#include <signal.h>
#include <stdint.h>

#include "master/fitness.h"
#include "master/gp.h"
#include "master/task_data.h"

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
} zc_evolve_opts;

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

/* zc_evolve_run: the master's whole run over an already-made score backend
 * (NULL: evaluate with this process's threads). Returns the exit code. */
int zc_evolve_run(const zc_evolve_opts *o, const zc_score_backend *backend,
                  volatile sig_atomic_t *stop);

/* The stop flag set by SIGTERM / SIGUSR1 / SIGINT once zc_evolve_signals()
 * has installed the handlers. */
extern volatile sig_atomic_t zc_evolve_stop;
void zc_evolve_signals(void);

#endif

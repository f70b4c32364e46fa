/* evolve_internal.h: the steps of the evolve run driver (zc_evolve_run in
 * evolve_run.c), shared by the master/gp/evolve_*.c files only: the run
 * folder's text files, the folder with its configuration check and resume,
 * the local score backend, the fitness callbacks of the GP engine, and the
 * final pick and held-out re-scoring. */
#ifndef ZC_EVOLVE_INTERNAL_H
#define ZC_EVOLVE_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/program/evaluator.h"
#include "common/program/local_eval.h"
#include "common/util/outputs.h"
#include "master/gp/evolve.h"

/* ---- text (evolve_text.c) ------------------------------------------------------ */

/* A growing text buffer; {0} is empty (buf NULL until the first print). */
typedef struct {
    char *buf;
    size_t len, cap;
} zc_text;

/* zc_text_printf: append printf-formatted text (dies on out-of-memory). */
void zc_text_printf(zc_text *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* zc_text_free: release the buffer and empty s. */
void zc_text_free(zc_text *s);

/* zc_evolve_read_text: the whole file at path (malloc'd), or NULL when it
 * does not exist; a file that exists but cannot be read, or holds a NUL
 * byte, ends the program naming it. */
char *zc_evolve_read_text(const char *path);

/* zc_evolve_write_text: path <- text atomically (temporary file, fsync,
 * rename); dies naming path on failure. */
void zc_evolve_write_text(const char *path, const char *text);

/* zc_evolve_write_hall_of_fame: run_dir/hall_of_fame.txt from st's hall of
 * fame (rank, fitness, program per line). */
void zc_evolve_write_hall_of_fame(const char *run_dir, const zc_gp_state *st);

/* ---- run folder (evolve_folder.c) ------------------------------------------------- */

/* The run folder of a run in progress and the GP state it holds. */
typedef struct {
    char *config;            /* zc_evolve_config_text                       */
    char *config_path, *log_path, *result_path;
    zc_text log;             /* log.csv so far                              */
    zc_gp_state st;          /* initialised, or resumed from a checkpoint   */
    zc_output_lock *lock;    /* run_dir/run.lock: one run per folder        */
} zc_evolve_folder;

/* zc_evolve_folder_open: create o->run_dir and take its lock
 * (run_dir/run.lock, common/util/outputs.h: a second run on the same
 * folder is refused while the first lives, whatever the file system's
 * locking); die when the lock is held, a --stats file lies inside the
 * folder (the run writes and deletes files there), the folder lies inside
 * the data folder, it holds a run of another configuration, or with
 * --resume and no readable checkpoint.
 * Returns 1 when the run is finished already (result.txt printed, one line
 * on stderr, nothing held), else 0 with the state initialised from the seed
 * or resumed from the latest checkpoint (its log restored) and config.txt
 * and log.csv written. */
int zc_evolve_folder_open(const zc_evolve_opts *o, zc_evolve_folder *f);

/* zc_evolve_folder_checkpoint: a checkpoint of f's state, configuration and
 * log in o->run_dir (keeping o->keep_checkpoints); dies on failure. */
void zc_evolve_folder_checkpoint(const zc_evolve_opts *o, zc_evolve_folder *f);

/* zc_evolve_folder_free: release what zc_evolve_folder_open holds (the
 * lock included). */
void zc_evolve_folder_free(zc_evolve_folder *f);

/* ---- local score backend (evolve_tasks.c) ----------------------------------------- */

/* Every evolution task in this process's memory, scored by its threads. */
typedef struct {
    zc_task_data tasks[ZC_TASK_SET_MAX];
    int n_tasks;
    zc_local_eval *eval;
    zc_task_data probes;     /* float32 copies of task 0's first two
                                architectures (the quick check's)          */
} zc_evolve_local;

/* zc_evolve_local_start: load every task of s (zc_task_set_load_all with
 * progress lines when progress != 0), fill *meta from them (pointers into
 * l) and start the scorer (stop polled while scoring). Returns 0, or -1
 * with err. */
int zc_evolve_local_start(zc_evolve_local *l, const zc_task_set *s, int progress,
                          volatile sig_atomic_t *stop, zc_evolve_meta *meta, char *err,
                          size_t errlen);

/* zc_evolve_local_backend: l's scorer as a score backend. */
zc_score_backend zc_evolve_local_backend(zc_evolve_local *l);

/* zc_evolve_local_elements: node elements evaluated since the last call. */
uint64_t zc_evolve_local_elements(zc_evolve_local *l);

/* zc_evolve_local_free: release the scorer and the tasks. */
void zc_evolve_local_free(zc_evolve_local *l);

/* ---- fitness callbacks (evolve_fitness.c) ------------------------------------------ */

/* The GP engine's zc_fitness_fn over a score backend: scores -> fitness,
 * and the quick check (on the distributed backend when it can, else on
 * this process's threads). */
typedef struct {
    zc_fitness_spec spec;
    const zc_score_backend *backend;
    const zc_evolve_dist *dist;   /* NULL: local                             */
    int n_tasks;
    int n_archs[ZC_TASK_SET_MAX];
    const zc_arch_stats *probe;   /* the quick check's architectures        */
    int n_probe;
    zc_eval_ctx **probe_ctx;      /* one per quick-check thread              */
    int quick_check;              /* 0: no validate callback (network values) */
    int n_threads;
    char err[512];                /* the backend's last error                */
    int backend_status;           /* last score() / validate() status        */
    double eval_seconds;          /* time in score() since last reset        */
    double tau_seconds;           /* time turning scores into fitness, idem  */
} zc_evolve_fitness;

/* zc_evolve_fitness_init: fitness of the tasks in meta (subsets, aggregate
 * and tau of o, drawn from o's seed) scored by backend; dist (may be NULL)
 * offers the quick check on the workers. */
void zc_evolve_fitness_init(zc_evolve_fitness *f, const zc_evolve_opts *o,
                            const zc_evolve_meta *meta, const zc_score_backend *backend,
                            const zc_evolve_dist *dist);

/* zc_evolve_fitness_fn: the engine's callbacks over f. */
zc_fitness_fn zc_evolve_fitness_fn(zc_evolve_fitness *f);

/* zc_evolve_fitness_free: release f's spec and contexts. */
void zc_evolve_fitness_free(zc_evolve_fitness *f);

/* ---- final pick and held-out re-scoring (evolve_final.c) ---------------------------- */

#define ZC_EVOLVE_FINAL_MAX 16

/* The programs of the final re-scoring with their evolution fitness. */
typedef struct {
    int n;
    zc_program prog[ZC_EVOLVE_FINAL_MAX];
    double fitness[ZC_EVOLVE_FINAL_MAX];
} zc_evolve_final_set;

/* zc_evolve_final_pick: the best of st's last population and the two best
 * ever (EZNAS), then the rest of the hall of fame, up to 5 distinct
 * programs. */
void zc_evolve_final_pick(const zc_gp_state *st, zc_evolve_final_set *fs);

/* zc_evolve_final_rescore: score fs on the held-out architectures of every
 * computed task and on every architecture of every statistics file; write
 * run_dir/final.csv; append the table to summary. Dies on a task error.
 * Returns the seconds spent. */
double zc_evolve_final_rescore(const zc_evolve_opts *o, const zc_evolve_final_set *fs,
                               zc_text *summary, volatile sig_atomic_t *stop);

#endif

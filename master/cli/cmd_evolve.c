/* cmd_evolve.c: `zcevo evolve`: genetic programming of zero-cost proxy
 * programs (EZNAS), with a run folder, per-generation log, hall of fame,
 * checkpoints, resume, signals, and a final re-scoring on held-out
 * architectures. The distributed master (master/dispatch.c) reuses the
 * driver with its worker pool as the score backend. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util/args.h"
#include "common/util/correlation.h"
#include "common/program/evaluator.h"
#include "common/util/rng.h"
#include "common/util/parallel.h"
#include "common/util/util.h"
#include "common/mpi/mpi_util.h"
#include "master/gp/checkpoint.h"
#include "master/cli/commands.h"
#include "master/dispatch/dispatch.h"
#include "master/gp/evolve.h"
#include "common/program/local_eval.h"
#include "worker/worker_loop.h"
#include "common/stats/stats_job.h"

volatile sig_atomic_t zc_evolve_stop = 0;

static void on_stop_signal(int sig) {
    (void)sig;
    zc_evolve_stop = 1;
}

void zc_evolve_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* ---- options -------------------------------------------------------------- */

static void evolve_help(void) {
    printf(
        "usage: zcevo evolve [options]\n\n"
        "Evolve zero-cost proxy programs over the 22 EZNAS statistics by genetic\n"
        "programming; fitness = rank correlation (Kendall tau-b) of a program's score\n"
        "with accuracy. With no options: a short search on NAS-Bench-201 CIFAR-10 (80\n"
        "architectures, batch 1, statistics computed here) re-scored on 200 held-out\n"
        "architectures.\n\n"
        "Tasks:\n"
        "  --task S:D[:B]      space:dataset[:batch], computed here (repeatable;\n"
        "                      default nb201:cifar10). imagenet16 uses CIFAR-100 images\n"
        "                      resized to 16x16 (no ImageNet16-120 images are available)\n"
        "  --stats FILE.h5     a statistics file from zcevo stats as a task (repeatable)\n"
        "  --archs-per-task N  evolution architectures per task (default 80)\n"
        "  --batch B           batch of tasks given without one (default 1)\n"
        "  --final-archs N     held-out architectures per computed task for the final\n"
        "                      re-scoring (default 200; statistics files: all of them)\n"
        "  --final-batch B     their batch (default: the task's)\n"
        "  --data DIR          data folder (else $ZCEVO_DATA, else ../shared/data)\n"
        "Fitness:\n"
        "  --aggregate min|mean   over tasks (default min, as EZNAS)\n"
        "  --tau abs|signed       abs flips a negative tau (default abs, as EZNAS)\n"
        "  --subset S --draws D   D fixed random subsets of S architectures per task,\n"
        "                         tau averaged (default: all architectures, 1 draw)\n"
        "GP (EZNAS defaults):\n"
        "  --population 50 --lambda 50 --mu 25 --cx 0.4 --mut 0.4 --tournament 4\n"
        "  --height 10 --generations 15 --elitism 1 --fresh 0.0 (fraction of lambda)\n"
        "  --dedup program|fitness|none   --add-noise (allow the add_noise primitive)\n"
        "  --gp KEY=VALUE      any GP setting by its config.txt name\n"
        "  --seed S            fixes every random choice (default 1)\n"
        "Run:\n"
        "  --run-dir DIR       run folder (default runs/evolve). A folder holding a\n"
        "                      checkpoint of the same configuration is resumed\n"
        "  --resume DIR        resume DIR (a checkpoint must exist)\n"
        "  --checkpoint-every N  generations between checkpoints (default 1)\n"
        "  --keep-checkpoints K  (default 3)\n"
        "  --threads T         evaluation threads (default: number of cores)\n"
        "  --worker-timeout S  MPI: a worker silent for S seconds is lost (default 120)\n"
        "  --worker-memory BYTES  MPI: statistics a worker may hold (default unlimited);\n"
        "                      a larger task is split by architectures over a group\n"
        "  --dispatch-batch N  MPI: programs per message (default 0: automatic)\n"
        "  --quiet             no progress lines\n\n"
        "Run folder: config.txt, log.csv (generation,best,mean,best_ever,valid_fraction,\n"
        "evaluated,cache_hits,evals_per_s,seconds,busy), hall_of_fame.txt, final.csv,\n"
        "checkpoint_NNNNNN.h5, result.txt (written last: the run is finished).\n"
        "Exit codes: 0 done, 1 error, 2 usage, 3 stopped by SIGTERM/SIGUSR1/SIGINT after\n"
        "writing a checkpoint (run the same command to resume), 4 a worker was lost\n"
        "(checkpoint written).\n"
        "Environment: ZCEVO_TEST_GENERATION_PAUSE_MS=N (tests only) pauses N ms after\n"
        "each generation, so that a signal test is not outrun by a fast machine.\n"
        "MPI: under mpirun/srun rank 0 is the master, the other ranks evaluate (see\n"
        "docs/mpi.md); results are identical to a single-process run.\n");
}

int zc_evolve_parse(int argc, char **argv, zc_evolve_opts *o) {
    memset(o, 0, sizeof *o);
    o->archs_per_task = 80;
    o->batch = 1;
    o->final_archs = 200;
    o->seed = 1;
    o->aggregate = ZC_AGG_MIN;
    o->abs_tau = 1;
    o->draws = 1;
    o->gp = zc_gp_config_default();
    snprintf(o->run_dir, sizeof o->run_dir, "runs/evolve");
    o->checkpoint_every = 1;
    o->keep_checkpoints = 3;
    o->threads = zc_default_threads();
    o->worker_timeout = 120;
    static const char *const aggs[] = {"min", "mean", NULL};
    static const char *const taus[] = {"abs", "signed", NULL};
    char err[512];
    zc_args a = zc_args_begin("evolve", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            evolve_help();
            return 1;
        } else if (zc_args_opt(&a, "--task")) {
            if (o->n_tasks == ZC_EVOLVE_MAX_TASKS) zc_usage_error("evolve", "too many --task");
            snprintf(o->task_spec[o->n_tasks++], 128, "%s", a.value);
        } else if (zc_args_opt(&a, "--stats")) {
            if (o->n_stats == ZC_EVOLVE_MAX_TASKS) zc_usage_error("evolve", "too many --stats");
            snprintf(o->stats_file[o->n_stats++], 512, "%s", a.value);
        } else if (zc_args_opt(&a, "--archs-per-task"))
            o->archs_per_task = (int)zc_args_int(&a, 2, 1 << 20);
        else if (zc_args_opt(&a, "--batch")) o->batch = (int)zc_args_int(&a, 1, 100000);
        else if (zc_args_opt(&a, "--final-archs")) o->final_archs = (int)zc_args_int(&a, 0, 1 << 20);
        else if (zc_args_opt(&a, "--final-batch")) o->final_batch = (int)zc_args_int(&a, 1, 100000);
        else if (zc_args_opt(&a, "--data")) snprintf(o->data_flag, sizeof o->data_flag, "%s", a.value);
        else if (zc_args_opt(&a, "--seed")) o->seed = zc_args_u64(&a);
        else if (zc_args_opt(&a, "--aggregate")) o->aggregate = zc_args_choice(&a, aggs);
        else if (zc_args_opt(&a, "--tau")) o->abs_tau = zc_args_choice(&a, taus) == 0;
        else if (zc_args_opt(&a, "--subset")) o->subset_size = (int)zc_args_int(&a, 0, 1 << 20);
        else if (zc_args_opt(&a, "--draws")) o->draws = (int)zc_args_int(&a, 1, 1000);
        else if (zc_args_opt(&a, "--population")) o->gp.population_size = (int)zc_args_int(&a, 2, 100000);
        else if (zc_args_opt(&a, "--lambda")) o->gp.lambda = (int)zc_args_int(&a, 1, 100000);
        else if (zc_args_opt(&a, "--mu")) o->gp.mu = (int)zc_args_int(&a, 1, 100000);
        else if (zc_args_opt(&a, "--cx")) o->gp.crossover_prob = zc_args_double(&a, 0, 1);
        else if (zc_args_opt(&a, "--mut")) o->gp.mutation_prob = zc_args_double(&a, 0, 1);
        else if (zc_args_opt(&a, "--tournament")) o->gp.tournament_size = (int)zc_args_int(&a, 1, 1000);
        else if (zc_args_opt(&a, "--height")) o->gp.max_height = (int)zc_args_int(&a, 1, 64);
        else if (zc_args_opt(&a, "--generations")) o->gp.generations = (int)zc_args_int(&a, 0, 1000000);
        else if (zc_args_opt(&a, "--elitism")) o->gp.elitism = (int)zc_args_int(&a, 0, 100000);
        else if (zc_args_opt(&a, "--fresh")) o->gp.fresh_fraction = zc_args_double(&a, 0, 1);
        else if (zc_args_opt(&a, "--dedup")) {
            static const char *const d[] = {"none", "program", "fitness", NULL};
            o->gp.dedup = (zc_gp_dedup)zc_args_choice(&a, d);
        } else if (zc_args_flag(&a, "--add-noise")) o->gp.use_add_noise = 1;
        else if (zc_args_opt(&a, "--gp")) {
            const char *eq = strchr(a.value, '=');
            if (!eq) zc_usage_error("evolve", "--gp expects KEY=VALUE, got '%s'", a.value);
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(eq - a.value), a.value);
            if (zc_gp_config_set(&o->gp, key, eq + 1, err, sizeof err) != 0)
                zc_usage_error("evolve", "--gp %s: %s", a.value, err);
        } else if (zc_args_opt(&a, "--run-dir")) snprintf(o->run_dir, sizeof o->run_dir, "%s", a.value);
        else if (zc_args_opt(&a, "--resume")) {
            snprintf(o->run_dir, sizeof o->run_dir, "%s", a.value);
            o->resume_required = 1;
        } else if (zc_args_opt(&a, "--checkpoint-every"))
            o->checkpoint_every = (int)zc_args_int(&a, 1, 1000000);
        else if (zc_args_opt(&a, "--keep-checkpoints"))
            o->keep_checkpoints = (int)zc_args_int(&a, 1, 1000);
        else if (zc_args_opt(&a, "--threads")) o->threads = (int)zc_args_int(&a, 1, 1024);
        else if (zc_args_opt(&a, "--worker-timeout")) o->worker_timeout = zc_args_double(&a, 0.1, 1e9);
        else if (zc_args_opt(&a, "--worker-memory")) o->worker_memory = zc_args_double(&a, 0, 1e18);
        else if (zc_args_opt(&a, "--dispatch-batch"))
            o->dispatch_batch = (int)zc_args_int(&a, 0, 1 << 20);
        else if (zc_args_flag(&a, "--quiet")) o->quiet = 1;
        else zc_args_unknown(&a);
    }
    if (o->n_tasks == 0 && o->n_stats == 0) snprintf(o->task_spec[o->n_tasks++], 128, "nb201:cifar10");
    if (o->n_tasks + o->n_stats > ZC_EVOLVE_MAX_TASKS)
        zc_usage_error("evolve", "at most %d tasks in all", ZC_EVOLVE_MAX_TASKS);
    for (int t = 0; t < o->n_tasks; t++) {
        char sp[32], ds[32];
        int b = o->batch;
        if (zc_parse_task_spec(o->task_spec[t], sp, sizeof sp, ds, sizeof ds, &b, err,
                               sizeof err) != 0)
            zc_usage_error("evolve", "%s", err);
        snprintf(o->task_spec[t], 128, "%s:%s:%d", sp, ds, b);
    }
    if (o->gp.mu > o->gp.lambda + o->gp.population_size)
        zc_usage_error("evolve", "--mu %d is larger than the programs available", o->gp.mu);
    if (zc_gp_config_check(&o->gp, err, sizeof err) != 0) zc_usage_error("evolve", "%s", err);
    return 0;
}

/* ---- configuration text ---------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} strbuf;

static void sb_printf(strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *s, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(s->buf ? s->buf + s->len : NULL, s->buf ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (s->buf && s->len + (size_t)n < s->cap) {
            s->len += (size_t)n;
            return;
        }
        s->cap = (s->cap + (size_t)n + 1) * 2;
        s->buf = zc_realloc(s->buf, s->cap);
        if (s->len == 0) s->buf[0] = 0;
    }
}

char *zc_evolve_config_text(const zc_evolve_opts *o) {
    strbuf s = {0};
    sb_printf(&s, "zcevo_evolve_config=1\n");
    for (int t = 0; t < o->n_tasks; t++) sb_printf(&s, "task=%s\n", o->task_spec[t]);
    for (int t = 0; t < o->n_stats; t++) sb_printf(&s, "stats=%s\n", o->stats_file[t]);
    sb_printf(&s, "archs_per_task=%d\nfinal_archs=%d\nfinal_batch=%d\nseed=%llu\n",
              o->archs_per_task, o->final_archs, o->final_batch, (unsigned long long)o->seed);
    sb_printf(&s, "aggregate=%s\ntau=%s\nsubset=%d\ndraws=%d\n",
              o->aggregate == ZC_AGG_MIN ? "min" : "mean", o->abs_tau ? "abs" : "signed",
              o->subset_size, o->draws);
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    zc_gp_config_write(&o->gp, f);
    fclose(f);
    sb_printf(&s, "%s", mem);
    free(mem);
    return s.buf;
}

/* ---- tasks ------------------------------------------------------------------ */

/* task_rows: the evolution rows (first) and held-out rows of computed task t:
 * one seeded sample of archs_per_task + final_archs distinct rows, split by
 * a second seeded shuffle. */
static void task_rows(const zc_evolve_opts *o, const zc_task *task, int t, int **evo, int *n_evo,
                      int **fin, int *n_fin) {
    int total = task->table.n_rows;
    int want = o->archs_per_task + o->final_archs;
    if (want > total) want = total;
    int *rows = zc_malloc(sizeof(int) * (size_t)total);
    for (int i = 0; i < total; i++) rows[i] = i;
    zc_rng rng = zc_rng_stream(o->seed, ZC_STREAM_ARCH_SAMPLE, 1000 + (uint64_t)t);
    for (int i = 0; i < want; i++) {
        int j = i + (int)zc_rng_below(&rng, (uint64_t)(total - i));
        int tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
    }
    *n_evo = ZC_MIN(o->archs_per_task, want);
    *n_fin = want - *n_evo;
    *evo = zc_malloc(sizeof(int) * (size_t)(*n_evo + 1));
    *fin = zc_malloc(sizeof(int) * (size_t)(*n_fin + 1));
    memcpy(*evo, rows, sizeof(int) * (size_t)*n_evo);
    memcpy(*fin, rows + *n_evo, sizeof(int) * (size_t)*n_fin);
    free(rows);
}

static int setup_task(const zc_evolve_opts *o, int t, int final, zc_task *task, char *err,
                      size_t errlen) {
    char sp[32], ds[32];
    int b = o->batch;
    zc_parse_task_spec(o->task_spec[t], sp, sizeof sp, ds, sizeof ds, &b, err, errlen);
    if (final && o->final_batch) b = o->final_batch;
    char *data_dir = zc_data_dir(o->data_flag[0] ? o->data_flag : NULL);
    int rc = zc_task_setup(task, data_dir, sp, ds, b, o->seed, NULL, err, errlen);
    free(data_dir);
    return rc;
}

/* load_stats_task: evolution subset of a statistics file (the first
 * archs_per_task of a seeded shuffle) when it holds more. */
static int load_stats_task(const zc_evolve_opts *o, int s, zc_terminal_mask mask,
                           zc_task_data *d, char *err, size_t errlen) {
    if (zc_task_data_load(d, o->stats_file[s], mask, err, errlen) != 0) return -1;
    if (d->n_archs > o->archs_per_task) {
        zc_rng rng = zc_rng_stream(o->seed, ZC_STREAM_ARCH_SAMPLE, 2000 + (uint64_t)s);
        for (int i = 0; i < o->archs_per_task; i++) {
            int j = i + (int)zc_rng_below(&rng, (uint64_t)(d->n_archs - i));
            zc_arch_stats tmp = d->archs[i];
            d->archs[i] = d->archs[j];
            d->archs[j] = tmp;
            double ta = d->acc[i];
            d->acc[i] = d->acc[j];
            d->acc[j] = ta;
        }
        for (int i = o->archs_per_task; i < d->n_archs; i++) zc_arch_stats_free(&d->archs[i]);
        d->n_archs = o->archs_per_task;
    }
    return 0;
}

int zc_evolve_load_tasks(const zc_evolve_opts *o, zc_task_data *tasks,
                         volatile sig_atomic_t *stop, int progress, char *err,
                         size_t errlen) {
    zc_terminal_mask mask = o->gp.terminals ? o->gp.terminals : ZC_ALL_TERMINALS;
    int n = 0;
    for (int t = 0; t < o->n_tasks; t++, n++) {
        zc_task task;
        if (setup_task(o, t, 0, &task, err, errlen) != 0) return -1;
        int *evo, *fin, n_evo, n_fin;
        task_rows(o, &task, t, &evo, &n_evo, &fin, &n_fin);
        int rc = zc_task_data_compute(&tasks[n], &task, evo, n_evo, mask, o->threads, progress,
                                      err, errlen);
        snprintf(tasks[n].name, sizeof tasks[n].name, "%s", o->task_spec[t]);
        free(evo);
        free(fin);
        zc_task_free(&task);
        if (rc != 0) return -1;
        if (stop && *stop) {
            snprintf(err, errlen, "interrupted by a signal");
            return -1;
        }
    }
    for (int s = 0; s < o->n_stats; s++, n++)
        if (load_stats_task(o, s, mask, &tasks[n], err, errlen) != 0) return -1;
    return n;
}

int zc_evolve_load_shard(const zc_evolve_opts *o, int t, int a0, int a1, zc_task_data *d,
                         char *err, size_t errlen) {
    zc_terminal_mask mask = o->gp.terminals ? o->gp.terminals : ZC_ALL_TERMINALS;
    memset(d, 0, sizeof *d);
    if (t < o->n_tasks) {
        zc_task task;
        if (setup_task(o, t, 0, &task, err, errlen) != 0) return -1;
        int *evo, *fin, n_evo, n_fin;
        task_rows(o, &task, t, &evo, &n_evo, &fin, &n_fin);
        int rc = -1;
        if (a0 < 0 || a1 > n_evo || a0 >= a1)
            snprintf(err, errlen, "task %s: architecture range [%d, %d) outside 0..%d",
                     o->task_spec[t], a0, a1, n_evo);
        else
            rc = zc_task_data_compute(d, &task, evo + a0, a1 - a0, mask, o->threads, 0, err,
                                      errlen);
        if (rc == 0) snprintf(d->name, sizeof d->name, "%s", o->task_spec[t]);
        free(evo);
        free(fin);
        zc_task_free(&task);
        return rc;
    }
    if (load_stats_task(o, t - o->n_tasks, mask, d, err, errlen) != 0) return -1;
    if (a0 < 0 || a1 > d->n_archs || a0 >= a1) {
        snprintf(err, errlen, "statistics '%s': architecture range [%d, %d) outside 0..%d",
                 d->name, a0, a1, d->n_archs);
        zc_task_data_free(d);
        return -1;
    }
    for (int i = 0; i < d->n_archs; i++)
        if (i < a0 || i >= a1) zc_arch_stats_free(&d->archs[i]);
    memmove(d->archs, d->archs + a0, sizeof *d->archs * (size_t)(a1 - a0));
    memmove(d->acc, d->acc + a0, sizeof *d->acc * (size_t)(a1 - a0));
    d->n_archs = a1 - a0;
    return 0;
}

/* keep_first: drop every architecture of d after the first n. */
static void keep_first(zc_task_data *d, int n) {
    for (int i = n; i < d->n_archs; i++) zc_arch_stats_free(&d->archs[i]);
    if (n < d->n_archs) d->n_archs = n;
}

int zc_evolve_meta_compute(const zc_evolve_opts *o, int estimate_bytes,
                           zc_evolve_meta_store *store, volatile sig_atomic_t *stop,
                           char *err, size_t errlen) {
    memset(store, 0, sizeof *store);
    zc_evolve_meta *m = &store->meta;
    zc_terminal_mask mask = o->gp.terminals ? o->gp.terminals : ZC_ALL_TERMINALS;
    double t0 = zc_now();
    for (int t = 0; t < o->n_tasks + o->n_stats; t++) {
        if (stop && *stop) {
            snprintf(err, errlen, "interrupted by a signal");
            return -1;
        }
        if (t < o->n_tasks) {
            zc_task task;
            if (setup_task(o, t, 0, &task, err, errlen) != 0) return -1;
            int *evo, *fin, n_evo, n_fin;
            task_rows(o, &task, t, &evo, &n_evo, &fin, &n_fin);
            store->acc[t] = zc_malloc(sizeof(double) * (size_t)(n_evo + 1));
            for (int i = 0; i < n_evo; i++)
                store->acc[t][i] = zc_bench_table_value(&task.table, evo[i], task.acc_col);
            m->n_archs[t] = n_evo;
            snprintf(m->name[t], sizeof m->name[t], "%s", o->task_spec[t]);
            int rc = 0;
            if (t == 0 || estimate_bytes) {
                zc_task_data d;
                int n = t == 0 ? ZC_MIN(2, n_evo) : 1;
                rc = zc_task_data_compute(&d, &task, evo, n, mask, o->threads, 0, err, errlen);
                if (rc == 0) {
                    m->bytes[t] = zc_arch_stats_bytes(&d.archs[0]) * (int64_t)n_evo;
                    if (t == 0) store->probe_task = d;
                    else zc_task_data_free(&d);
                }
            }
            free(evo);
            free(fin);
            zc_task_free(&task);
            if (rc != 0) return -1;
        } else {
            zc_task_data d;
            if (load_stats_task(o, t - o->n_tasks, mask, &d, err, errlen) != 0) return -1;
            store->acc[t] = zc_malloc(sizeof(double) * (size_t)(d.n_archs + 1));
            memcpy(store->acc[t], d.acc, sizeof(double) * (size_t)d.n_archs);
            m->n_archs[t] = d.n_archs;
            m->bytes[t] = zc_task_data_bytes(&d);
            snprintf(m->name[t], sizeof m->name[t], "%s", d.name);
            if (t == 0) {
                keep_first(&d, 2);
                store->probe_task = d;
            } else {
                zc_task_data_free(&d);
            }
        }
        m->acc[t] = store->acc[t];
        m->n_tasks = t + 1;
    }
    m->probe = store->probe_task.archs;
    m->n_probe = ZC_MIN(2, store->probe_task.n_archs);
    m->seconds = zc_now() - t0;
    return 0;
}

void zc_evolve_meta_free(zc_evolve_meta_store *store) {
    for (int t = 0; t < ZC_EVOLVE_MAX_TASKS; t++) free(store->acc[t]);
    zc_task_data_free(&store->probe_task);
    memset(store, 0, sizeof *store);
}

/* ---- the generation loop ------------------------------------------------- */

typedef struct {
    const zc_fitness_spec *spec;
    const zc_score_backend *backend;
    int n_tasks;
    const int *n_archs;
    const zc_arch_stats *probe; /* 2 architectures for the quick check       */
    int n_probe;
    zc_eval_ctx **probe_ctx;    /* one per quick-check thread              */
    int n_threads;
    char err[512];
    int backend_status;         /* last score() / validate() status         */
    const zc_evolve_dist *dist; /* validate on the workers when it can       */
    double eval_seconds;
} fitness_ctx;

static int fitness_evaluate(void *vctx, const zc_program *progs, int n, double *fitness) {
    fitness_ctx *c = vctx;
    double **scores = zc_malloc(sizeof(double *) * (size_t)c->n_tasks);
    for (int t = 0; t < c->n_tasks; t++)
        scores[t] = zc_malloc(sizeof(double) * (size_t)n * c->n_archs[t] + 1);
    double t0 = zc_now();
    int rc = c->backend->score(c->backend->ctx, progs, n, scores, c->err, sizeof c->err);
    c->eval_seconds += zc_now() - t0;
    c->backend_status = rc;
    if (rc == 0)
        for (int p = 0; p < n; p++) fitness[p] = zc_fitness_of(c->spec, scores, p);
    for (int t = 0; t < c->n_tasks; t++) free(scores[t]);
    free(scores);
    return rc;
}

/* The quick check on the master, spread over threads: each program is
 * checked by one thread with the same function, so the verdicts do not
 * depend on the thread count. */
typedef struct {
    fitness_ctx *c;
    const zc_program *progs;
    unsigned char *ok;
    int n;
    int next;                   /* next program to take (atomic)            */
} validate_job;

typedef struct {
    validate_job *job;
    int index;
} validate_arg;

static void *validate_thread(void *varg) {
    validate_arg *arg = varg;
    validate_job *j = arg->job;
    zc_eval_ctx *ctx = j->c->probe_ctx[arg->index];
    for (;;) {
        int p = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (p >= j->n) break;
        j->ok[p] = 1;
        for (int a = 0; a < j->c->n_probe && j->ok[p]; a++) {
            double s;
            j->ok[p] = zc_eval_network(ctx, &j->progs[p], &j->c->probe[a], &s) == 0;
        }
    }
    return NULL;
}

static int fitness_validate(void *vctx, const zc_program *progs, int n, unsigned char *ok) {
    fitness_ctx *c = vctx;
    if (c->dist && c->dist->validate) {
        int rc = c->dist->validate(c->dist->ctx, progs, n, ok, c->err, sizeof c->err);
        if (rc != 2) {
            if (rc != 0) c->backend_status = rc;
            return rc;
        }
    }
    validate_job job = {c, progs, ok, n, 0};
    int threads = ZC_MIN(c->n_threads, n / 2);
    if (threads < 1) threads = 1;
    pthread_t tid[256];
    validate_arg args[256];
    for (int k = 0; k < threads; k++) args[k] = (validate_arg){&job, k};
    int started = 1;
    for (int k = 1; k < threads; k++, started++)
        if (pthread_create(&tid[k], NULL, validate_thread, &args[k]) != 0) break;
    validate_thread(&args[0]);
    for (int k = 1; k < started; k++) pthread_join(tid[k], NULL);
    return 0;
}

/* generation_pause_ms: ZCEVO_TEST_GENERATION_PAUSE_MS, a pause after each
 * generation for tests that must signal a search mid-run however fast the
 * machine is (the results do not depend on it). 0 when unset; a value that
 * is not an integer in 0..10000 is a one-line error naming it. */
static long generation_pause_ms(void) {
    const char *v = getenv("ZCEVO_TEST_GENERATION_PAUSE_MS");
    if (!v || !*v) return 0;
    char *end;
    errno = 0;
    long ms = strtol(v, &end, 10);
    if (errno || *end || ms < 0 || ms > 10000)
        zc_die("ZCEVO_TEST_GENERATION_PAUSE_MS='%s': expected milliseconds in 0..10000", v);
    return ms;
}

/* pause_unless_stopped: sleep ms milliseconds in 50 ms steps, returning early
 * once *stop is set. */
static void pause_unless_stopped(long ms, volatile sig_atomic_t *stop) {
    for (long left = ms; left > 0 && !(stop && *stop); left -= 50)
        zc_sleep_ns(1000000L * (left < 50 ? left : 50));
}

static int mkdir_p(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return (mkdir(buf, 0777) != 0 && errno != EEXIST) ? -1 : 0;
}

/* write_text_atomic: path <- text via temp file + rename. */
static void write_text_atomic(const char *path, const char *text) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0 || zc_fsync_rename(tmp, path) != 0)
        zc_die("cannot write '%s'", path);
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    strbuf s = {0};
    sb_printf(&s, "%s", "");
    char line[4096];
    while (fgets(line, sizeof line, f)) sb_printf(&s, "%s", line);
    fclose(f);
    return s.buf;
}

static void write_hall_of_fame(const char *run_dir, const zc_gp_state *st) {
    strbuf s = {0};
    sb_printf(&s, "# rank\tfitness\tprogram\n");
    for (int i = 0; i < st->hof_n; i++) {
        char text[4096];
        zc_program_print(&st->hof[i].prog, text, sizeof text);
        sb_printf(&s, "%d\t%.6f\t%s\n", i + 1, st->hof[i].fitness, text);
    }
    char *path = zc_path_join(run_dir, "hall_of_fame.txt");
    write_text_atomic(path, s.buf);
    free(path);
    free(s.buf);
}

#define LOG_HEADER                                                                     \
    "generation,best,mean,best_ever,valid_fraction,evaluated,cache_hits,evals_per_s,"  \
    "seconds,busy\n"

/* ---- final re-scoring -------------------------------------------------------- */

typedef struct {
    int n;
    zc_program prog[16];
    double fitness[16];
} final_set;

static void add_final(final_set *f, const zc_program *p, double fit) {
    for (int i = 0; i < f->n; i++)
        if (zc_program_equal(&f->prog[i], p)) return;
    if (f->n < 16) {
        f->prog[f->n] = *p;
        f->fitness[f->n++] = fit;
    }
}

static void correlate(const double *score, const double *acc, int n, int *invalid, double *tau,
                      double *rho) {
    double *x = zc_malloc(sizeof(double) * (size_t)(n + 1));
    double *y = zc_malloc(sizeof(double) * (size_t)(n + 1));
    int m = 0;
    *invalid = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(score[i]) || !isfinite(acc[i])) {
            (*invalid)++;
            continue;
        }
        x[m] = score[i];
        y[m++] = acc[i];
    }
    *tau = zc_kendall_tau_b(x, y, m);
    *rho = zc_spearman_rho(x, y, m);
    free(x);
    free(y);
}

/* final_rescore: score the final programs on the held-out architectures of
 * every computed task and on every architecture of every statistics file;
 * write final.csv; fill the summary. Returns seconds spent. */
static double final_rescore(const zc_evolve_opts *o, const final_set *fs, strbuf *summary,
                            volatile sig_atomic_t *stop) {
    double t0 = zc_now();
    zc_terminal_mask mask = 0;
    for (int i = 0; i < fs->n; i++) mask |= zc_program_terminals(&fs->prog[i]);
    strbuf csv = {0};
    sb_printf(&csv, "program,fitness,task,n,invalid,tau,rho\n");
    sb_printf(summary, "\nFinal re-scoring (held-out architectures; tau = Kendall tau-b, rho = "
              "Spearman):\n%-40s %6s %7s %8s %8s  %s\n", "task", "n", "invalid", "tau", "rho",
              "program");
    char err[1024];
    int n_sources = o->n_tasks + o->n_stats;
    for (int s = 0; s < n_sources; s++) {
        zc_task_data d;
        char name[160];
        if (s < o->n_tasks) {
            if (o->final_archs == 0) continue;
            zc_task task;
            if (setup_task(o, s, 1, &task, err, sizeof err) != 0) zc_die("%s", err);
            int *evo, *fin, n_evo, n_fin;
            task_rows(o, &task, s, &evo, &n_evo, &fin, &n_fin);
            if (zc_task_data_compute(&d, &task, fin, n_fin, mask, o->threads, !o->quiet, err,
                                     sizeof err) != 0)
                zc_die("%s", err);
            snprintf(name, sizeof name, "%s (held-out, batch %d)", o->task_spec[s], task.batch);
            free(evo);
            free(fin);
            zc_task_free(&task);
        } else {
            if (zc_task_data_load(&d, o->stats_file[s - o->n_tasks], mask, err, sizeof err) != 0)
                zc_die("%s", err);
            snprintf(name, sizeof name, "%.150s (all)", o->stats_file[s - o->n_tasks]);
        }
        zc_local_eval *e = zc_local_eval_new(&d, 1, o->threads, stop);
        double *flat = zc_malloc(sizeof(double) * (size_t)d.n_archs * fs->n + 1);
        double *const scores[1] = {flat};
        zc_local_eval_score(e, fs->prog, fs->n, scores, err, sizeof err);
        for (int p = 0; p < fs->n; p++) {
            int invalid;
            double tau, rho;
            correlate(flat + (size_t)p * d.n_archs, d.acc, d.n_archs, &invalid, &tau, &rho);
            char text[4096];
            zc_program_print(&fs->prog[p], text, sizeof text);
            sb_printf(&csv, "\"%s\",%.6f,\"%s\",%d,%d,%.6f,%.6f\n", text, fs->fitness[p], name,
                      d.n_archs, invalid, tau, rho);
            sb_printf(summary, "%-40.40s %6d %7d %8.4f %8.4f  %s\n", name, d.n_archs, invalid,
                      tau, rho, text);
        }
        free(flat);
        zc_local_eval_free(e);
        zc_task_data_free(&d);
    }
    char *path = zc_path_join(o->run_dir, "final.csv");
    write_text_atomic(path, csv.buf);
    free(path);
    free(csv.buf);
    return zc_now() - t0;
}

/* ---- the driver ------------------------------------------------------------- */

int zc_evolve_run(const zc_evolve_opts *o, const zc_evolve_dist *dist,
                  volatile sig_atomic_t *stop) {
    char err[1024];
    double t_start = zc_now();
    long pause_ms = generation_pause_ms();
    if (mkdir_p(o->run_dir) != 0) zc_die("cannot create run folder '%s'", o->run_dir);
    char *config = zc_evolve_config_text(o);
    char *result_path = zc_path_join(o->run_dir, "result.txt");
    char *log_path = zc_path_join(o->run_dir, "log.csv");
    char *config_path = zc_path_join(o->run_dir, "config.txt");

    /* an existing run folder must hold the same configuration */
    char *old_config = read_text(config_path);
    if (old_config && strcmp(old_config, config) != 0)
        zc_die("run folder '%s' holds a run of another configuration (%s differs); use "
               "another --run-dir",
               o->run_dir, config_path);
    free(old_config);
    if (zc_file_exists(result_path)) {
        char *r = read_text(result_path);
        printf("%s", r ? r : "");
        free(r);
        fprintf(stderr, "evolve: '%s' is finished already (%s)\n", o->run_dir, result_path);
        return ZC_EXIT_OK;
    }

    zc_gp_state st;
    strbuf log = {0};
    sb_printf(&log, LOG_HEADER);
    char *ckpt = zc_checkpoint_latest(o->run_dir);
    if (o->resume_required && !ckpt)
        zc_die("--resume '%s': no readable checkpoint in that folder", o->run_dir);
    if (ckpt) {
        char *ck_config, *ck_log;
        if (zc_checkpoint_read(ckpt, &st, &ck_config, &ck_log, err, sizeof err) != 0)
            zc_die("%s", err);
        if (strcmp(ck_config, config) != 0)
            zc_die("checkpoint '%s' was made with another configuration; refusing to resume",
                   ckpt);
        free(log.buf);
        log.buf = NULL;
        log.len = log.cap = 0;
        sb_printf(&log, "%s", ck_log);
        if (!o->quiet)
            fprintf(stderr, "evolve: resuming '%s' at generation %d from %s\n", o->run_dir,
                    st.generation, ckpt);
        free(ck_config);
        free(ck_log);
        free(ckpt);
    } else {
        if (zc_gp_init(&st, &o->gp, o->seed, err, sizeof err) != 0) zc_die("%s", err);
    }
    write_text_atomic(config_path, config);
    write_text_atomic(log_path, log.buf);

    /* tasks and the score backend */
    zc_task_data tasks[ZC_EVOLVE_MAX_TASKS];
    memset(tasks, 0, sizeof tasks);
    zc_evolve_meta meta;
    memset(&meta, 0, sizeof meta);
    int n_tasks = 0;
    double t_stats = zc_now();
    int start_rc = 0;
    if (dist) {
        start_rc = dist->start(dist->ctx, &meta, err, sizeof err);
        if (start_rc < 0 && stop && *stop) start_rc = 1;
        n_tasks = start_rc == 0 ? meta.n_tasks : 0;
    } else {
        n_tasks = zc_evolve_load_tasks(o, tasks, stop, !o->quiet, err, sizeof err);
        start_rc = n_tasks < 0 ? ((stop && *stop) ? 1 : -1) : 0;
        if (n_tasks < 0) n_tasks = 0;
    }
    if (start_rc != 0) {
        if (start_rc == 1) {
            if (zc_checkpoint_write(o->run_dir, &st, config, log.buf, o->keep_checkpoints, err,
                                    sizeof err) != 0)
                zc_die("%s", err);
            fprintf(stderr, "evolve: stopped by a signal; checkpoint written, resume with the "
                    "same command\n");
            return ZC_EXIT_CHECKPOINTED;
        }
        zc_die("%s", err);
    }
    t_stats = zc_now() - t_stats;
    if (!dist) {
        meta.n_tasks = n_tasks;
        for (int t = 0; t < n_tasks; t++) {
            snprintf(meta.name[t], sizeof meta.name[t], "%.127s", tasks[t].name);
            meta.n_archs[t] = tasks[t].n_archs;
            meta.acc[t] = tasks[t].acc;
            meta.bytes[t] = zc_task_data_bytes(&tasks[t]);
        }
        meta.probe = tasks[0].archs;
        meta.n_probe = ZC_MIN(2, tasks[0].n_archs);
    }
    int64_t stat_bytes = 0;
    int total_archs = 0;
    for (int t = 0; t < n_tasks; t++) {
        stat_bytes += meta.bytes[t];
        total_archs += meta.n_archs[t];
    }
    zc_local_eval *local = NULL;
    zc_score_backend local_backend = {0};
    const zc_score_backend *backend = dist ? &dist->backend : &local_backend;
    if (!dist) {
        local = zc_local_eval_new(tasks, n_tasks, o->threads, stop);
        local_backend.ctx = local;
        local_backend.score = zc_local_eval_score;
    }
    int n_archs[ZC_EVOLVE_MAX_TASKS];
    const double *accs[ZC_EVOLVE_MAX_TASKS];
    for (int t = 0; t < n_tasks; t++) {
        n_archs[t] = meta.n_archs[t];
        accs[t] = meta.acc[t];
    }
    zc_fitness_spec spec;
    zc_fitness_spec_init(&spec, n_tasks, n_archs, accs, o->subset_size, o->draws, o->aggregate,
                         o->abs_tau, o->seed);
    fitness_ctx fc = {.spec = &spec, .backend = backend, .n_tasks = n_tasks,
                      .n_archs = n_archs, .probe = meta.probe,
                      .n_probe = meta.n_probe, .dist = dist};
    fc.n_threads = ZC_MAX(1, ZC_MIN(o->threads, 256));
    fc.probe_ctx = zc_malloc(sizeof(zc_eval_ctx *) * (size_t)fc.n_threads);
    for (int k = 0; k < fc.n_threads; k++) fc.probe_ctx[k] = zc_eval_ctx_new();
    zc_fitness_fn fn = {&fc, fitness_evaluate, fitness_validate};
    char b1[32];
    if (!o->quiet)
        fprintf(stderr, "evolve: %d tasks, %d architectures, %s of statistics in memory "
                "(computed in %.1f s); population %d, lambda %d, %d generations, seed %llu\n",
                n_tasks, total_archs, zc_format_bytes((double)stat_bytes, b1), t_stats,
                o->gp.population_size, o->gp.lambda, o->gp.generations,
                (unsigned long long)o->seed);

    /* generations */
    if (pause_ms && !o->quiet)
        fprintf(stderr, "evolve: pausing %ld ms after each generation "
                "(ZCEVO_TEST_GENERATION_PAUSE_MS, for tests)\n", pause_ms);
    int exit_code = ZC_EXIT_OK;
    double t_evo = zc_now(), evals_total = 0;
    uint64_t nodes_elements = 0;
    while (st.generation < o->gp.generations) {
        zc_gp_stats gs;
        double g0 = zc_now();
        fc.eval_seconds = 0;
        int rc = zc_gp_generation(&st, &fn, &gs, err, sizeof err);
        double secs = zc_now() - g0;
        if (rc != 0) {
            int stopped = fc.backend_status == 1 || (stop && *stop);
            int lost = fc.backend_status < 0;
            if (zc_checkpoint_write(o->run_dir, &st, config, log.buf, o->keep_checkpoints, err,
                                    sizeof err) != 0)
                zc_die("%s", err);
            if (stopped) {
                fprintf(stderr, "evolve: stopped by a signal in generation %d; checkpoint "
                        "written, resume with the same command\n", st.generation + 1);
                exit_code = ZC_EXIT_CHECKPOINTED;
            } else if (lost) {
                fprintf(stderr, "zcevo: error: %s; checkpoint written at generation %d, resume "
                        "after resubmitting\n", fc.err, st.generation);
                exit_code = ZC_EXIT_WORKER_LOST;
            } else {
                zc_die("generation %d: %s", st.generation + 1, err);
            }
            goto done;
        }
        evals_total += gs.evaluated;
        if (local) {
            zc_eval_counters c = zc_local_eval_counters(local);
            nodes_elements += c.elements;
        }
        double rate = fc.eval_seconds > 0 ? gs.evaluated / fc.eval_seconds : 0;
        double busy = dist && dist->busy ? dist->busy(dist->ctx)
                                         : (secs > 0 ? fc.eval_seconds / secs : 0);
        sb_printf(&log, "%d,%.6f,%.6f,%.6f,%.4f,%d,%d,%.2f,%.3f,%.3f\n", gs.generation, gs.best,
                  gs.mean, gs.best_ever, gs.valid_fraction, gs.evaluated, gs.cache_hits, rate,
                  secs, busy);
        write_text_atomic(log_path, log.buf);
        write_hall_of_fame(o->run_dir, &st);
        if (!o->quiet) {
            double el = zc_now() - t_evo;
            int done_g = gs.generation, left = o->gp.generations - done_g;
            char e1[32], e2[32];
            fprintf(stderr,
                    "gen %3d/%d  best %.4f  mean %.4f  best-ever %.4f  valid %.2f  evaluated %d "
                    "(%.0f programs/s)  busy %.0f%%  elapsed %s  ETA %s\n",
                    done_g, o->gp.generations, gs.best, gs.mean, gs.best_ever,
                    gs.valid_fraction, gs.evaluated, rate, 100 * busy,
                    zc_format_duration(zc_now() - t_start, e1),
                    zc_format_duration(done_g ? el / done_g * left : -1, e2));
        }
        int last = st.generation >= o->gp.generations;
        if (!last) pause_unless_stopped(pause_ms, stop);
        if (st.generation % o->checkpoint_every == 0 || last || (stop && *stop))
            if (zc_checkpoint_write(o->run_dir, &st, config, log.buf, o->keep_checkpoints, err,
                                    sizeof err) != 0)
                zc_die("%s", err);
        if (stop && *stop && !last) {
            fprintf(stderr, "evolve: stopped by a signal after generation %d; checkpoint "
                    "written, resume with the same command\n", st.generation);
            exit_code = ZC_EXIT_CHECKPOINTED;
            goto done;
        }
    }
    double evo_seconds = zc_now() - t_evo;

    /* final pick: best of the last population and the two best ever (EZNAS),
     * then the rest of the hall of fame up to 5 programs */
    final_set fs = {0};
    int best = -1;
    for (int i = 0; i < st.pop_n; i++)
        if (isfinite(st.pop[i].fitness) && (best < 0 || st.pop[i].fitness > st.pop[best].fitness))
            best = i;
    if (best >= 0) add_final(&fs, &st.pop[best].prog, st.pop[best].fitness);
    for (int i = 0; i < st.hof_n && fs.n < 5; i++) add_final(&fs, &st.hof[i].prog, st.hof[i].fitness);
    strbuf summary = {0};
    char text[4096] = "(none)";
    if (st.hof_n) zc_program_print(&st.hof[0].prog, text, sizeof text);
    sb_printf(&summary, "zcevo evolve: %s\nbest program: %s\nfitness (%s of %s over %d "
              "task(s), evolution architectures): %.4f\n",
              o->run_dir, text, o->aggregate == ZC_AGG_MIN ? "min" : "mean",
              o->abs_tau ? "|tau|" : "tau", n_tasks, st.hof_n ? st.hof[0].fitness : NAN);
    double final_seconds = fs.n ? final_rescore(o, &fs, &summary, stop) : 0;
    double total = zc_now() - t_start;
    sb_printf(&summary,
              "\nTime: statistics %.1f s, evolution %.1f s (%d generations), final %.1f s, "
              "total %.1f s\n"
              "Figures: %.1f architectures/s (statistics), %.1f programs/s (each on %d "
              "architectures), %.3f GPops/s (node elements per second, local evaluation%s)\n",
              t_stats, evo_seconds, o->gp.generations, final_seconds, total,
              total_archs / (t_stats > 0 ? t_stats : 1e-9),
              evo_seconds > 0 ? evals_total / evo_seconds : 0, total_archs,
              evo_seconds > 0 ? nodes_elements / evo_seconds * 1e-9 : 0,
              dist ? "; not counted on MPI workers" : "");
    write_hall_of_fame(o->run_dir, &st);
    write_text_atomic(result_path, summary.buf);
    printf("%s", summary.buf);
    free(summary.buf);
done:
    for (int k = 0; k < fc.n_threads; k++) zc_eval_ctx_free(fc.probe_ctx[k]);
    free(fc.probe_ctx);
    zc_fitness_spec_free(&spec);
    zc_local_eval_free(local);
    for (int t = 0; t < n_tasks; t++) zc_task_data_free(&tasks[t]);
    zc_gp_free(&st);
    free(log.buf);
    free(config);
    free(result_path);
    free(log_path);
    free(config_path);
    return exit_code;
}

int zc_cmd_evolve(int argc, char **argv) {
    int rank, size;
    zc_mpi_begin(NULL, NULL, &rank, &size);
    zc_evolve_opts o;
    if (rank != 0) zc_mpi_mute_stderr(); /* rank 0 alone reports usage errors */
    int help = zc_evolve_parse(argc, argv, &o);
    if (rank != 0) zc_mpi_restore_stderr();
    int code = ZC_EXIT_OK;
    if (!help) {
        if (size == 1) {
            zc_evolve_signals();
            code = zc_evolve_run(&o, NULL, &zc_evolve_stop);
        } else if (rank == 0) {
            zc_evolve_signals();
            code = zc_dispatch_evolve(&o, size, &zc_evolve_stop);
        } else {
            code = zc_worker_evolve(&o);
        }
    }
    zc_mpi_end();
    return code;
}

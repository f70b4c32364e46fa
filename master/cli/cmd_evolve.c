/* cmd_evolve.c: the `zcevo evolve` command: its help, its options, the
 * stop signals, and the MPI role of this rank: a single process runs the
 * evolve driver (master/gp/evolve.h) on its own threads; under mpirun rank
 * 0 builds the distributed score backend (master/dispatch/dispatch.h) and
 * runs the driver with it, and the other ranks serve as workers
 * (worker/worker_loop.h) of the evolution task set. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/mpi/mpi_util.h"
#include "common/stats/proxies_h5.h"
#include "common/util/args.h"
#include "common/util/parallel.h"
#include "common/util/util.h"
#include "master/cli/commands.h"
#include "master/dispatch/dispatch.h"
#include "master/gp/evolve.h"
#include "worker/worker_loop.h"

/* The stop flag set by SIGTERM / SIGUSR1 / SIGINT once install_stop_signals()
 * has installed the handlers. */
static volatile sig_atomic_t evolve_stop = 0;

static void on_stop_signal(int sig) {
    (void)sig;
    evolve_stop = 1;
}

/* install_stop_signals: SIGTERM, SIGUSR1 and SIGINT set evolve_stop (the
 * run checkpoints and exits with ZC_EXIT_CHECKPOINTED). */
static void install_stop_signals(void) {
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
        "architectures. With --proxies: SR-NAS, formulas over the hand-crafted proxy\n"
        "values of proxies files on the same engine (docs/sr_nas.md).\n\n"
        "Tasks:\n"
        "  --task S:D[:B[:I]]  space:dataset[:batch[:image size]], computed here\n"
        "                      (repeatable; default nb201:cifar10), e.g.\n"
        "                      nds_darts_in:cifar10:1:64 (the NDS ImageNet spaces at\n"
        "                      64x64, docs/spaces.md). imagenet16 uses CIFAR-100 images\n"
        "                      resized to 16x16 (no ImageNet16-120 images are available)\n"
        "  --stats FILE.h5     a statistics file from zcevo stats as a task (repeatable)\n"
        "  --proxies FILE.h5   a proxies file from zcevo proxies --out-h5 as a task of\n"
        "                      network-level values (repeatable; same columns in every\n"
        "                      file; excludes --task and --stats). Terminals: its\n"
        "                      columns; primitive set: sr (change with --gp function_set=)\n"
        "  --test-proxies FILE.h5  a proxies file scored only in the final re-scoring\n"
        "                      (a held-out task; repeatable)\n"
        "  --archs-per-task N  evolution architectures per task (default 80)\n"
        "  --batch B           batch of tasks given without one (default 1)\n"
        "  --final-archs N     held-out architectures per computed task for the final\n"
        "                      re-scoring (default 200; statistics files: all of them;\n"
        "                      proxies files: those not among the evolution ones)\n"
        "  --final-batch B     their batch (default: the task's)\n"
        "  --stats-precision float|half  keep the statistics in memory as float32 (default)\n"
        "                      or in half precision with a per-tensor scale: half the\n"
        "                      memory, every score of the run (final re-scoring too)\n"
        "                      then on those values (docs/discovery.md: effect on tau)\n"
        "  --data DIR          data folder (else $ZCEVO_DATA, else ../shared/data)\n"
        "Fitness:\n"
        "  --aggregate min|mean   over tasks (default min, as EZNAS)\n"
        "  --tau abs|signed       abs flips a negative tau (default abs, as EZNAS)\n"
        "  --subset S --draws D   D fixed random subsets of S architectures per task,\n"
        "                         tau averaged (default: all architectures, 1 draw)\n"
        "  --draw-mode mean|pick  mean: tau averaged over the D subsets (default); pick:\n"
        "                         each program scored on ONE of them, picked at random\n"
        "                         per program and task (the released EZNAS code: one of\n"
        "                         four 20-network subsets per evaluation); the subsets\n"
        "                         are then disjoint when S x D fits in the task\n"
        "  --invalid reject|omit  an architecture a program is invalid on makes the\n"
        "                         program invalid (default, EZNAS) or is left out of\n"
        "                         its tau (SR-NAS)\n"
        "GP (EZNAS defaults):\n"
        "  --population 50 --lambda 50 --mu 25 (at most --population) --cx 0.4 --mut 0.4\n"
        "  --tournament 4\n"
        "  --height 10 --generations 15 --elitism 1 --fresh 0.0 (fraction of lambda)\n"
        "  --dedup program|fitness|none   --add-noise (allow the add_noise primitive)\n"
        "  --gp KEY=VALUE      any GP setting by its config.txt name (also function_set=\n"
        "                      eznas|sr|LIST, hoist_prob, point_prob, point_replace_prob,\n"
        "                      parent_tournament; terminals=NAMES after --proxies)\n"
        "  --preset sr-nas     SR-NAS (Phan & Luong 2025): population 100 (mu = lambda =\n"
        "                      100, survivors from population + offspring), 50 generations,\n"
        "                      binary tournaments for parents and survivors, crossover 0.7,\n"
        "                      subtree mutation 0.1, hoist 0.05, point mutation 0.1, depth\n"
        "                      limit 6, function set sr (add sub mul neg pdiv plog psqrt),\n"
        "                      fitness = mean signed tau over tasks, invalid omitted.\n"
        "                      Options after it override it (docs/sr_nas.md)\n"
        "  --seed S            fixes every random choice (default 1)\n"
        "Run:\n"
        "  --run-dir DIR       run folder (default runs/evolve). A folder holding a\n"
        "                      checkpoint of the same configuration is resumed; one of\n"
        "                      another configuration is refused; DIR/run.lock keeps a second\n"
        "                      run off the folder while this one lives\n"
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

/* set_defaults: the options of `zcevo evolve` with no flags. */
static void set_defaults(zc_evolve_opts *o) {
    memset(o, 0, sizeof *o);
    zc_task_set *s = &o->task_set;
    s->archs_per_task = 80;
    s->batch = 1;
    s->final_archs = 200;
    s->seed = 1;
    s->threads = zc_default_threads();
    o->aggregate = ZC_AGG_MIN;
    o->abs_tau = 1;
    o->draws = 1;
    o->gp = zc_gp_config_default();
    snprintf(o->run_dir, sizeof o->run_dir, "runs/evolve");
    o->checkpoint_every = 1;
    o->keep_checkpoints = 3;
    o->worker_timeout = 120;
}

/* task_option: a task option (--task, --stats, --archs-per-task, --batch,
 * --final-archs, --final-batch, --data, --seed) into o's task set. Returns
 * 1 when a's current option is one of them. */
static int task_option(zc_args *a, zc_task_set *s) {
    if (zc_args_opt(a, "--task")) {
        if (s->n_tasks == ZC_TASK_SET_MAX) zc_usage_error("evolve", "too many --task");
        snprintf(s->task_spec[s->n_tasks++], 128, "%s", a->value);
    } else if (zc_args_opt(a, "--stats")) {
        if (s->n_stats == ZC_TASK_SET_MAX) zc_usage_error("evolve", "too many --stats");
        snprintf(s->stats_file[s->n_stats++], 512, "%s", a->value);
    } else if (zc_args_opt(a, "--archs-per-task"))
        s->archs_per_task = (int)zc_args_int(a, 2, 1 << 20);
    else if (zc_args_opt(a, "--batch")) s->batch = (int)zc_args_int(a, 1, 100000);
    else if (zc_args_opt(a, "--final-archs")) s->final_archs = (int)zc_args_int(a, 0, 1 << 20);
    else if (zc_args_opt(a, "--final-batch")) s->final_batch = (int)zc_args_int(a, 1, 100000);
    else if (zc_args_opt(a, "--data")) snprintf(s->data_flag, sizeof s->data_flag, "%s", a->value);
    else if (zc_args_opt(a, "--seed")) s->seed = zc_args_u64(a);
    else if (zc_args_opt(a, "--stats-precision")) {
        static const char *const precisions[] = {"float", "half", NULL};
        s->half = zc_args_choice(a, precisions) == 1;
    } else return 0;
    return 1;
}

/* fitness_option: a fitness option (--aggregate, --tau, --subset, --draws,
 * --draw-mode) into o. Returns 1 when a's current option is one of them. */
static int fitness_option(zc_args *a, zc_evolve_opts *o) {
    static const char *const aggs[] = {"min", "mean", NULL};
    static const char *const taus[] = {"abs", "signed", NULL};
    static const char *const modes[] = {"mean", "pick", NULL};
    if (zc_args_opt(a, "--aggregate")) o->aggregate = zc_args_choice(a, aggs);
    else if (zc_args_opt(a, "--tau")) o->abs_tau = zc_args_choice(a, taus) == 0;
    else if (zc_args_opt(a, "--subset")) o->subset_size = (int)zc_args_int(a, 0, 1 << 20);
    else if (zc_args_opt(a, "--invalid")) {
        static const char *const policies[] = {"reject", "omit", NULL};
        o->omit_invalid = zc_args_choice(a, policies) == 1;
    }
    else if (zc_args_opt(a, "--draws")) o->draws = (int)zc_args_int(a, 1, 1000);
    else if (zc_args_opt(a, "--draw-mode")) o->draw_mode = (zc_draw_mode)zc_args_choice(a, modes);
    else return 0;
    return 1;
}

/* gp_option: a GP option (--population ... --add-noise, --gp KEY=VALUE)
 * into gp. Returns 1 when a's current option is one of them. */
static int gp_option(zc_args *a, zc_gp_config *gp) {
    if (zc_args_opt(a, "--population")) gp->population_size = (int)zc_args_int(a, 2, 100000);
    else if (zc_args_opt(a, "--lambda")) gp->lambda = (int)zc_args_int(a, 1, 100000);
    else if (zc_args_opt(a, "--mu")) gp->mu = (int)zc_args_int(a, 1, 100000);
    else if (zc_args_opt(a, "--cx")) gp->crossover_prob = zc_args_double(a, 0, 1);
    else if (zc_args_opt(a, "--mut")) gp->mutation_prob = zc_args_double(a, 0, 1);
    else if (zc_args_opt(a, "--tournament")) gp->tournament_size = (int)zc_args_int(a, 1, 1000);
    else if (zc_args_opt(a, "--height")) gp->max_height = (int)zc_args_int(a, 1, 64);
    else if (zc_args_opt(a, "--generations")) gp->generations = (int)zc_args_int(a, 0, 1000000);
    else if (zc_args_opt(a, "--elitism")) gp->elitism = (int)zc_args_int(a, 0, 100000);
    else if (zc_args_opt(a, "--fresh")) gp->fresh_fraction = zc_args_double(a, 0, 1);
    else if (zc_args_opt(a, "--dedup")) {
        static const char *const d[] = {"none", "program", "fitness", NULL};
        gp->dedup = (zc_gp_dedup)zc_args_choice(a, d);
    } else if (zc_args_flag(a, "--add-noise")) gp->use_add_noise = 1;
    else if (zc_args_opt(a, "--gp")) {
        char err[512];
        const char *eq = strchr(a->value, '=');
        if (!eq) zc_usage_error("evolve", "--gp expects KEY=VALUE, got '%s'", a->value);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - a->value), a->value);
        if (zc_gp_config_set(gp, key, eq + 1, err, sizeof err) != 0)
            zc_usage_error("evolve", "--gp %s: %s", a->value, err);
    } else return 0;
    return 1;
}

/* apply_sr_nas_preset: the GP and fitness settings of SR-NAS (Phan & Luong
 * 2025; docs/sr_nas.md) into o. */
static void apply_sr_nas_preset(zc_evolve_opts *o) {
    zc_gp_config *g = &o->gp;
    g->population_size = 100;
    g->mu = 100;
    g->lambda = 100;
    g->selection_pool = ZC_GP_POOL_BOTH;
    g->generations = 50;
    g->tournament_size = 2;
    g->parent_tournament = 2;
    g->crossover_prob = 0.7;
    g->mutation_prob = 0.1;
    g->hoist_prob = 0.05;
    g->point_prob = 0.1;
    g->point_replace_prob = 0.05;
    g->init_min_depth = 2;
    g->init_max_depth = 5;
    g->mut_min_depth = 0;
    g->mut_max_depth = 2;
    g->max_height = 6;
    g->elitism = 1;
    g->fresh_fraction = 0;
    g->functions = zc_gp_functions_sr();
    o->aggregate = ZC_AGG_MEAN;
    o->abs_tau = 0;
    o->omit_invalid = 1;
}

/* use_values_columns: the first --proxies file fixes the terminals: the
 * network kind over its columns (in o->task_set.columns and the GP
 * config), every column allowed, the SR primitive set (options after it
 * may change both). An unreadable file ends the program (zc_die). */
static void use_values_columns(zc_evolve_opts *o, const char *path) {
    char err[1024];
    zc_term_names names;
    if (zc_proxies_h5_names(path, &names, err, sizeof err) != 0) zc_die("%s", err);
    o->task_set.columns = names;
    o->gp.terminal_kind = ZC_GP_TERMS_NETWORK;
    o->gp.network_terminals = names;
    o->gp.terminals = names.n >= 32 ? 0xffffffffu : (1u << names.n) - 1;
    o->gp.functions = zc_gp_functions_sr();
}

/* sr_option: --proxies, --test-proxies and --preset into o. Returns 1 when
 * a's current option is one of them. */
static int sr_option(zc_args *a, zc_evolve_opts *o) {
    zc_task_set *s = &o->task_set;
    if (zc_args_opt(a, "--proxies")) {
        if (s->n_values == ZC_TASK_SET_MAX) zc_usage_error("evolve", "too many --proxies");
        if (s->n_values == 0) use_values_columns(o, a->value);
        snprintf(s->values_file[s->n_values++], 512, "%s", a->value);
    } else if (zc_args_opt(a, "--preset")) {
        static const char *const presets[] = {"sr-nas", NULL};
        zc_args_choice(a, presets);
        apply_sr_nas_preset(o);
    } else if (zc_args_opt(a, "--test-proxies")) {
        if (o->n_test_values == ZC_TASK_SET_MAX) zc_usage_error("evolve", "too many --test-proxies");
        snprintf(o->test_values_file[o->n_test_values++], 512, "%s", a->value);
    } else return 0;
    return 1;
}

/* run_option: a run option (--run-dir, --resume, checkpoints, --threads,
 * the MPI options, --quiet) into o. Returns 1 when a's current option is
 * one of them. */
static int run_option(zc_args *a, zc_evolve_opts *o) {
    if (zc_args_opt(a, "--run-dir")) snprintf(o->run_dir, sizeof o->run_dir, "%s", a->value);
    else if (zc_args_opt(a, "--resume")) {
        snprintf(o->run_dir, sizeof o->run_dir, "%s", a->value);
        o->resume_required = 1;
    } else if (zc_args_opt(a, "--checkpoint-every"))
        o->checkpoint_every = (int)zc_args_int(a, 1, 1000000);
    else if (zc_args_opt(a, "--keep-checkpoints"))
        o->keep_checkpoints = (int)zc_args_int(a, 1, 1000);
    else if (zc_args_opt(a, "--threads")) o->task_set.threads = (int)zc_args_int(a, 1, 1024);
    else if (zc_args_opt(a, "--worker-timeout")) o->worker_timeout = zc_args_double(a, 0.1, 1e9);
    else if (zc_args_opt(a, "--worker-memory")) o->worker_memory = zc_args_double(a, 0, 1e18);
    else if (zc_args_opt(a, "--dispatch-batch"))
        o->dispatch_batch = (int)zc_args_int(a, 0, 1 << 20);
    else if (zc_args_flag(a, "--quiet")) o->quiet = 1;
    else return 0;
    return 1;
}

/* check_values_options: the rules of proxies-file runs: no layer tasks
 * beside them, the network kind exactly with them, test files only with
 * them and with the same columns (a test file that cannot be read or
 * differs ends the program). */
static void check_values_options(zc_evolve_opts *o) {
    char err[1024];
    const zc_task_set *s = &o->task_set;
    int network = o->gp.terminal_kind == ZC_GP_TERMS_NETWORK;
    if (s->n_values && (s->n_tasks || s->n_stats))
        zc_usage_error("evolve", "--proxies (network-level values) cannot be mixed with --task "
                       "or --stats (layer statistics)");
    if (network != (s->n_values > 0))
        zc_usage_error("evolve", "terminal_kind=network goes with --proxies files, and only "
                       "with them");
    if (o->n_test_values && !s->n_values)
        zc_usage_error("evolve", "--test-proxies needs --proxies evolution tasks");
    for (int i = 0; i < o->n_test_values; i++) {
        zc_term_names names;
        if (zc_proxies_h5_names(o->test_values_file[i], &names, err, sizeof err) != 0)
            zc_die("%s", err);
        char have[1200], want[1200];
        zc_term_names_join(&names, have, sizeof have);
        zc_term_names_join(&s->columns, want, sizeof want);
        if (strcmp(have, want) != 0)
            zc_die("--test-proxies '%s' has the columns %s, the --proxies files %s",
                   o->test_values_file[i], have, want);
    }
}

/* resolve_options: the default task when none was given, task specs
 * normalised to space:dataset:batch[:image_size], the terminal mask, and the checks
 * across options (usage errors exit with ZC_EXIT_USAGE). */
static void resolve_options(zc_evolve_opts *o) {
    char err[512];
    zc_task_set *s = &o->task_set;
    if (s->n_tasks == 0 && s->n_stats == 0 && s->n_values == 0)
        snprintf(s->task_spec[s->n_tasks++], 128, "nb201:cifar10");
    if (s->n_tasks + s->n_stats + s->n_values > ZC_TASK_SET_MAX)
        zc_usage_error("evolve", "at most %d tasks in all", ZC_TASK_SET_MAX);
    check_values_options(o);
    for (int t = 0; t < s->n_tasks; t++) {
        char sp[32], ds[32];
        int b = s->batch, hw = 0;
        if (zc_parse_task_spec(s->task_spec[t], sp, sizeof sp, ds, sizeof ds, &b, &hw, err,
                               sizeof err) != 0)
            zc_usage_error("evolve", "%s", err);
        if (hw) snprintf(s->task_spec[t], 128, "%s:%s:%d:%d", sp, ds, b, hw);
        else snprintf(s->task_spec[t], 128, "%s:%s:%d", sp, ds, b);
    }
    if (o->gp.mu > o->gp.population_size)
        zc_usage_error("evolve", "--mu %d is larger than --population %d (the mu survivors of a "
                       "generation are the next population)", o->gp.mu, o->gp.population_size);
    if (zc_gp_config_check(&o->gp, err, sizeof err) != 0) zc_usage_error("evolve", "%s", err);
    s->mask = o->gp.terminals && !s->n_values ? o->gp.terminals : ZC_ALL_TERMINALS;
}

/* parse_options: o from argv (argv[0] = "evolve"); usage errors exit with
 * ZC_EXIT_USAGE. Returns 1 when --help was printed, else 0. */
static int parse_options(int argc, char **argv, zc_evolve_opts *o) {
    set_defaults(o);
    zc_args a = zc_args_begin("evolve", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            evolve_help();
            return 1;
        }
        if (!task_option(&a, &o->task_set) && !fitness_option(&a, o) && !gp_option(&a, &o->gp) &&
            !sr_option(&a, o) && !run_option(&a, o))
            zc_args_unknown(&a);
    }
    resolve_options(o);
    return 0;
}

/* ---- the command -------------------------------------------------------------- */

/* run_master: rank 0 of an MPI job: the driver with the workers as its
 * score backend, then the workers stopped. Returns the exit code. */
static int run_master(const zc_evolve_opts *o, int world_size) {
    zc_dispatch *d = zc_dispatch_new(o, world_size, &evolve_stop);
    zc_evolve_dist dist = zc_dispatch_dist(d);
    int code = zc_evolve_run(o, &dist, &evolve_stop);
    return zc_dispatch_end(d, code);
}

int zc_cmd_evolve(int argc, char **argv) {
    int rank, size;
    zc_mpi_begin(NULL, NULL, &rank, &size);
    zc_evolve_opts o;
    if (rank != 0) zc_mpi_mute_stderr(); /* rank 0 alone reports usage errors */
    int help = parse_options(argc, argv, &o);
    if (rank != 0) zc_mpi_restore_stderr();
    int code = ZC_EXIT_OK;
    if (!help) {
        if (size == 1) {
            install_stop_signals();
            code = zc_evolve_run(&o, NULL, &evolve_stop);
        } else if (rank == 0) {
            install_stop_signals();
            code = run_master(&o, size);
        } else {
            code = zc_worker_evolve(&o.task_set);
        }
    }
    zc_mpi_end();
    return code;
}

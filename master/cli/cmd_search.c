/* cmd_search.c: `zcevo search`: find an architecture of a design space with
 * a proxy as the only guide (random search, aging evolution, Zero-Cost-PT;
 * master/search/search.h), over several trials, in a resumable run
 * folder; under mpirun/srun the architectures of each generation are
 * scored by the worker ranks (master/dispatch/search_dispatch.h,
 * worker/search_worker.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpi/mpi_util.h"
#include "common/nets/space_encoding.h"
#include "common/proxies/proxies_forward.h"
#include "common/proxies/proxy_spec.h"
#include "common/util/args.h"
#include "common/util/util.h"
#include "master/cli/commands.h"
#include "master/cli/task_options.h"
#include "master/dispatch/search_dispatch.h"
#include "master/search/search.h"
#include "master/search/search_local.h"
#include "worker/search_worker.h"

static void search_help(void) {
    printf(
        "usage: zcevo search --proxy P [--algorithm random|evolution|zc-pt] [--space S]\n"
        "                    [--dataset D] [--budget N] [--trials T] [--seed S] [options]\n\n"
        "Find an architecture with a proxy as the only guide: accuracies are read from the\n"
        "benchmark table only after each trial has chosen (test accuracy on every dataset\n"
        "the table has). Prints per trial the architecture found, its accuracies, the proxy\n"
        "values of the top k, the number scored and the time; then the mean and sample\n"
        "standard deviation over the trials (docs/search.md).\n\n"
        "  --proxy P           a hand-crafted proxy (nwot, synflow, ... see zcevo proxies),\n"
        "                      a named program (eznas-a, ...) or a program text\n"
        "                      ('frobenius(sigmoid(logdet(sign(inpact_grad_data))))');\n"
        "                      zc-pt: the proxy scoring the supernet, nwot (default, the\n"
        "                      authors' 'jacob' NASWOT kernel) or jacov\n"
        "  --algorithm A       random: N distinct random architectures, the best by the\n"
        "                      proxy; evolution (default): aging evolution, N scored in all;\n"
        "                      zc-pt: Zero-Cost-PT's operation scoring (nb201 only)\n"
        "  --space S           nb201 (default), nats_sss, nasbench_macro, channel_resnet,\n"
        "                      channel_mobilenet: spaces with an encoding to mutate;\n"
        "                      nds_*_in: their records are a fixed sample of a larger space,\n"
        "                      so search means choosing among the records (random only)\n"
        "  --dataset D         cifar10 (default), cifar100, imagenet16: the proxy's images\n"
        "  --budget N          architectures scored per trial (default 1000)\n"
        "  --trials T          independent trials, seeds S..S+T-1 (default 1); finished\n"
        "                      trials of the run folder are read back, not run again\n"
        "  --seed S            the first trial's seed: its random choices (default 1)\n"
        "  --population P      evolution: population (default 50)\n"
        "  --sample-size K     evolution: tournament size (default 10)\n"
        "  --children G        evolution: children per generation, scored together\n"
        "                      (default 10); fixed by the option, not by the ranks\n"
        "  --minimize          lower proxy values are better (default: higher)\n"
        "  --top-k K           proxy values shown of the best K (default 5)\n"
        "  --run-dir DIR       run folder (default runs/search/<space>_<dataset>_<proxy>_\n"
        "                      <algorithm>): config.txt, scores.csv, trial_<t>.csv,\n"
        "                      trials.csv, timing.csv, result.md; run the same command\n"
        "                      again after a kill to resume\n"
        "  --cache FILE        the score cache (default <run-dir>/scores.csv): every value\n"
        "                      computed, reused by every trial and by other runs of the\n"
        "                      same task and proxy that name the same file\n"
        "  --batch B           minibatch of the proxy (default 64 for hand-crafted\n"
        "                      proxies and zc-pt, 16 for programs)\n"
        "  --task-seed K       the minibatch and the networks' parameters (default 1): every\n"
        "                      trial scores with the same task, as a score cache requires\n"
        "  --init I            hand-crafted proxies: xautodl (default) | torch\n"
        "  --image-size N, --acc-column C, --data DIR, --threads T, --quiet: as zcevo proxies\n\n"
        "Zero-Cost-PT (--algorithm zc-pt; docs/search.md says what follows the authors):\n"
        "  --pt-iterations N   discretisations, each giving a cell (default 10)\n"
        "  --pt-validate V     minibatches validating each cell (default 100)\n"
        "  --pt-order O        random (default) | forward (input to output) | reverse\n"
        "  --pt-channels C, --pt-cells N   the supernet's width and cells per stage\n"
        "                      (default 16 and 5, NAS-Bench-201's)\n\n"
        "Under mpirun or srun, rank 0 runs the search and the other ranks (each with\n"
        "--threads threads) score the architectures of each generation (or of the random\n"
        "sample); the results do not depend on the number of ranks or threads. zc-pt runs\n"
        "on rank 0 alone (--threads BLAS threads).\n");
}

static const zc_task_option_rules k_search_rules = {
    .command = "search", .space = "nb201", .archs = -1, .archs_min = 1, .batch = 0,
    .batch_min = 1, .check_space = 1};

/* The command line. */
typedef struct {
    zc_task_options task;
    zc_search_opts search;
    const char *proxy, *init, *run_dir;
    zc_proxy_spec spec;
    char default_run_dir[512];
} search_options;

/* read_pt_option: a --pt-* option into o; 1 when it was one. */
static int read_pt_option(search_options *o, zc_args *a) {
    static const char *const orders[] = {"random", "forward", "reverse", NULL};
    zc_pt_options *pt = &o->search.pt;
    if (zc_args_opt(a, "--pt-iterations")) pt->iterations = (int)zc_args_int(a, 1, 100000);
    else if (zc_args_opt(a, "--pt-validate")) pt->validate = (int)zc_args_int(a, 1, 100000);
    else if (zc_args_opt(a, "--pt-order")) pt->order = (zc_pt_order)zc_args_choice(a, orders);
    else if (zc_args_opt(a, "--pt-channels")) pt->channels = (int)zc_args_int(a, 1, 1024);
    else if (zc_args_opt(a, "--pt-cells")) pt->cells_per_stage = (int)zc_args_int(a, 1, 100);
    else return 0;
    return 1;
}

/* read_search_option: an option of the search itself into o; 1 when it
 * was one. */
static int read_search_option(search_options *o, zc_args *a) {
    static const char *const algorithms[] = {"random", "evolution", "zc-pt", NULL};
    static const char *const inits[] = {"xautodl", "torch", NULL};
    zc_search_opts *s = &o->search;
    if (zc_args_opt(a, "--proxy")) o->proxy = a->value;
    else if (zc_args_opt(a, "--algorithm"))
        s->algorithm = (zc_search_algorithm)zc_args_choice(a, algorithms);
    else if (zc_args_opt(a, "--budget")) s->budget = (int)zc_args_int(a, 1, 1 << 30);
    else if (zc_args_opt(a, "--trials")) s->trials = (int)zc_args_int(a, 1, 100000);
    else if (zc_args_opt(a, "--seed")) s->seed = zc_args_u64(a);
    else if (zc_args_opt(a, "--task-seed")) o->task.seed = zc_args_u64(a);
    else if (zc_args_opt(a, "--population")) s->population = (int)zc_args_int(a, 2, 1 << 20);
    else if (zc_args_opt(a, "--sample-size")) s->sample_size = (int)zc_args_int(a, 1, 1 << 20);
    else if (zc_args_opt(a, "--children")) s->children = (int)zc_args_int(a, 1, 1 << 20);
    else if (zc_args_flag(a, "--minimize")) s->minimize = 1;
    else if (zc_args_opt(a, "--top-k")) s->top_k = (int)zc_args_int(a, 1, 1000);
    else if (zc_args_opt(a, "--run-dir")) o->run_dir = a->value;
    else if (zc_args_opt(a, "--cache")) s->cache_path = a->value;
    else if (zc_args_opt(a, "--init")) o->init = inits[zc_args_choice(a, inits)];
    else return read_pt_option(o, a);
    return 1;
}

/* read_options: the command line into *o; 1 when --help was printed. */
static int read_options(search_options *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    zc_task_options_init(&o->task, &k_search_rules);
    o->init = "xautodl";
    o->search = (zc_search_opts){.algorithm = ZC_SEARCH_EVOLUTION, .budget = 1000,
                                 .population = 50, .sample_size = 10, .children = 10,
                                 .seed = 1, .trials = 1, .top_k = 5,
                                 .pt = {.proxy = ZC_PX_NWOT, .iterations = 10, .validate = 100,
                                        .order = ZC_PT_ORDER_RANDOM, .cells_per_stage = 5,
                                        .channels = 16}};
    zc_args a = zc_args_begin("search", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            search_help();
            return 1;
        } else if (zc_args_opt(&a, "--archs") || zc_args_opt(&a, "--arch")) {
            zc_usage_error("search", "%.*s does not apply: the search chooses the "
                           "architectures", a.name_len, a.name);
        } else if (read_search_option(o, &a)) continue;
        else if (zc_task_options_read(&o->task, &a)) continue;
        else zc_args_unknown(&a);
    }
    return 0;
}

/* check_algorithm: the space and the proxy fit the algorithm (usage errors). */
static void check_algorithm(search_options *o) {
    const zc_search_opts *s = &o->search;
    const char *space = o->task.space;
    if (s->algorithm == ZC_SEARCH_EVOLUTION && !zc_encoding_find(space))
        zc_usage_error("search", "space '%s' has no encoding to mutate (its records are a "
                       "fixed sample): use --algorithm random", space);
    if (s->algorithm != ZC_SEARCH_ZCPT) {
        if (!o->proxy) zc_usage_error("search", "give the proxy to search with (--proxy)");
        return;
    }
    if (strcmp(space, "nb201") != 0)
        zc_usage_error("search", "--algorithm zc-pt needs --space nb201 (got '%s')", space);
    if (!o->proxy) o->proxy = "nwot";
    int id = zc_proxy_lookup(o->proxy);
    if (!zc_proxy_forward_supports(id))
        zc_usage_error("search", "zc-pt scores the supernet with nwot or jacov, not '%s'",
                       o->proxy);
    if (o->task.image_size)
        zc_usage_error("search", "zc-pt runs at the dataset's image size (no --image-size)");
    o->search.pt.proxy = id;
}

/* default_run_dir: runs/search/<space>_<dataset>_<proxy>_<algorithm>, the
 * proxy's name reduced to letters, digits, '-' and '_' (40 at most). */
static void default_run_dir(search_options *o) {
    char proxy[48];
    size_t n = 0;
    for (const char *p = o->proxy; *p && n < 40; p++)
        proxy[n++] = isalnum((unsigned char)*p) || *p == '-' || *p == '_' ? *p : '_';
    proxy[n] = 0;
    snprintf(o->default_run_dir, sizeof o->default_run_dir, "runs/search/%s_%s_%s_%s",
             o->task.space, o->task.dataset, proxy, zc_search_algorithm_name(o->search.algorithm));
    o->run_dir = o->default_run_dir;
}

/* check_options: the algorithm, the proxy (parsed), the batch and the run
 * folder; usage errors. */
static void check_options(search_options *o) {
    zc_task_options_check(&o->task);
    check_algorithm(o);
    char err[1024];
    if (zc_proxy_spec_parse(o->proxy, &o->spec, err, sizeof err) != 0)
        zc_usage_error("search", "--proxy: %s", err);
    if (o->task.batch == 0)
        o->task.batch = o->search.algorithm == ZC_SEARCH_ZCPT
                            ? 64 : zc_proxy_spec_default_batch(&o->spec);
    if (!o->run_dir) default_run_dir(o);
    o->search.run_dir = o->run_dir;
    o->search.torch_init = strcmp(o->init, "torch") == 0;
    o->search.threads = o->task.threads;
    o->search.quiet = o->task.quiet;
}

/* run_rank: set the task up, then search (rank 0) or score for rank 0 (a
 * worker rank). Returns the exit code. */
static int run_rank(search_options *o, int mpi_rank, int mpi_size) {
    zc_task_choice c;
    zc_task_choose(&o->task, &c);
    o->search.data_dir = c.data_dir;
    zc_proxy_scorer *scorer = zc_proxy_scorer_new(&c.task, &o->spec, o->search.torch_init);
    int zcpt = o->search.algorithm == ZC_SEARCH_ZCPT, rc = 0;
    if (mpi_rank != 0) {
        zc_mpi_restore_stderr();
        if (!zcpt) rc = zc_search_run_worker(scorer, o->task.threads) == 0 ? 0 : ZC_EXIT_ERROR;
    } else if (mpi_size > 1 && !zcpt) {
        zc_search_dispatch d;
        zc_search_backend b = zc_search_dispatch_backend(&d, mpi_size);
        zc_search_run(&o->search, &c.task, &o->spec, &b);
        char err[1024];
        if (zc_search_dispatch_stop(&d, err, sizeof err) != 0) zc_die("%s", err);
    } else {
        zc_search_local local = {scorer, o->task.threads};
        zc_search_backend b = zc_search_local_backend(&local);
        zc_search_run(&o->search, &c.task, &o->spec, &b);
    }
    zc_proxy_scorer_free(scorer);
    zc_task_choice_free(&c);
    return rc;
}

int zc_cmd_search(int argc, char **argv) {
    /* under mpirun/srun every rank parses the same command line; rank 0
     * alone reports errors and writes */
    int mpi_rank, mpi_size;
    zc_mpi_begin(NULL, NULL, &mpi_rank, &mpi_size);
    if (mpi_rank != 0) zc_mpi_mute_stderr();
    search_options o;
    int rc = ZC_EXIT_OK;
    if (read_options(&o, argc, argv) == 0) {
        check_options(&o);
        rc = run_rank(&o, mpi_rank, mpi_size);
    }
    zc_task_options_free(&o.task);
    zc_mpi_end();
    return rc;
}

/* evolve_run.c: zc_evolve_run, the run driver of `zcevo evolve` (see
 * evolve.h) as a sequence of named steps: the run folder (configuration
 * check, resume), the tasks and score backend, the generation loop with
 * its log, checkpoints and stop handling, the final pick and held-out
 * re-scoring, and the summary. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/util.h"
#include "master/gp/evolve_internal.h"

/* A run in progress. */
typedef struct {
    const zc_evolve_opts *o;
    const zc_evolve_dist *dist;   /* NULL: local                             */
    volatile sig_atomic_t *stop;
    long pause_ms;                /* ZCEVO_TEST_GENERATION_PAUSE_MS          */
    double t_start;
    zc_evolve_folder folder;
    zc_evolve_meta meta;
    zc_evolve_local local;        /* the tasks when dist is NULL             */
    zc_score_backend local_backend;
    zc_evolve_fitness fitness;
    zc_fitness_fn fn;
    /* figures of the summary */
    int64_t stat_bytes;
    int total_archs;
    double t_stats, evo_seconds, evals_total;
    double score_seconds, tau_seconds; /* of the generations, all of them    */
    uint64_t nodes_elements;
} evolve_run;

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

static int stopped(const evolve_run *r) { return r->stop && *r->stop; }

/* ---- tasks and score backend -------------------------------------------------- */

/* start_tasks: the tasks' meta and the score backend (the distributed one,
 * or every task loaded here), then the fitness callbacks. Returns 0, or
 * ZC_EXIT_CHECKPOINTED when a signal stopped the start (checkpoint
 * written); dies on other errors. */
static int start_tasks(evolve_run *r) {
    char err[1024];
    const zc_evolve_opts *o = r->o;
    double t0 = zc_now();
    int rc = r->dist ? r->dist->start(r->dist->ctx, &r->meta, err, sizeof err)
                     : zc_evolve_local_start(&r->local, &o->task_set, !o->quiet, r->stop,
                                             &r->meta, err, sizeof err);
    if (rc < 0 && stopped(r)) rc = 1;
    if (rc == 1) {
        zc_evolve_folder_checkpoint(o, &r->folder);
        fprintf(stderr, "evolve: stopped by a signal; checkpoint written, resume with the "
                "same command\n");
        return ZC_EXIT_CHECKPOINTED;
    }
    if (rc != 0) zc_die("%s", err);
    r->t_stats = zc_now() - t0;
    for (int t = 0; t < r->meta.n_tasks; t++) {
        r->stat_bytes += r->meta.bytes[t];
        r->total_archs += r->meta.n_archs[t];
    }
    const zc_score_backend *backend = &r->local_backend;
    if (r->dist) backend = &r->dist->backend;
    else r->local_backend = zc_evolve_local_backend(&r->local);
    zc_evolve_fitness_init(&r->fitness, o, &r->meta, backend, r->dist);
    r->fn = zc_evolve_fitness_fn(&r->fitness);
    return ZC_EXIT_OK;
}

/* say_started: the run's one-line description (unless quiet). */
static void say_started(const evolve_run *r) {
    const zc_evolve_opts *o = r->o;
    if (o->quiet) return;
    char b1[32];
    fprintf(stderr, "evolve: %d tasks, %d architectures, %s of statistics in memory "
            "(computed in %.1f s); population %d, lambda %d, %d generations, seed %llu\n",
            r->meta.n_tasks, r->total_archs, zc_format_bytes((double)r->stat_bytes, b1),
            r->t_stats, o->gp.population_size, o->gp.lambda, o->gp.generations,
            (unsigned long long)o->task_set.seed);
    if (r->pause_ms)
        fprintf(stderr, "evolve: pausing %ld ms after each generation "
                "(ZCEVO_TEST_GENERATION_PAUSE_MS, for tests)\n", r->pause_ms);
}

/* ---- the generation loop -------------------------------------------------------- */

/* generation_failed: after a generation the engine abandoned: checkpoint,
 * then ZC_EXIT_CHECKPOINTED (stopped by a signal) or ZC_EXIT_WORKER_LOST
 * (the backend failed: a worker lost); dies on any other failure. */
static int generation_failed(evolve_run *r, const char *err) {
    zc_evolve_folder *f = &r->folder;
    int by_signal = r->fitness.backend_status == 1 || stopped(r);
    int lost = r->fitness.backend_status < 0;
    zc_evolve_folder_checkpoint(r->o, f);
    if (by_signal) {
        fprintf(stderr, "evolve: stopped by a signal in generation %d; checkpoint "
                "written, resume with the same command\n", f->st.generation + 1);
        return ZC_EXIT_CHECKPOINTED;
    }
    if (lost) {
        fprintf(stderr, "zcevo: error: %s; checkpoint written at generation %d, resume "
                "after resubmitting\n", r->fitness.err, f->st.generation);
        return ZC_EXIT_WORKER_LOST;
    }
    zc_die("generation %d: %s", f->st.generation + 1, err);
}

/* log_generation: the generation's log.csv line and hall_of_fame.txt, and
 * its progress line (unless quiet). secs: the generation's wall time;
 * t_evo: when the loop started. */
static void log_generation(evolve_run *r, const zc_gp_stats *gs, double secs, double t_evo) {
    const zc_evolve_opts *o = r->o;
    zc_evolve_folder *f = &r->folder;
    double eval_s = r->fitness.eval_seconds;
    double rate = eval_s > 0 ? gs->evaluated / eval_s : 0;
    double busy = r->dist && r->dist->busy ? r->dist->busy(r->dist->ctx)
                                           : (secs > 0 ? eval_s / secs : 0);
    zc_text_printf(&f->log, "%d,%.6f,%.6f,%.6f,%.4f,%d,%d,%.2f,%.3f,%.3f\n", gs->generation,
                   gs->best, gs->mean, gs->best_ever, gs->valid_fraction, gs->evaluated,
                   gs->cache_hits, rate, secs, busy);
    zc_evolve_write_text(f->log_path, f->log.buf);
    zc_evolve_write_hall_of_fame(o->run_dir, &f->st);
    if (o->quiet) return;
    double el = zc_now() - t_evo;
    int done_g = gs->generation, left = o->gp.generations - done_g;
    char e1[32], e2[32];
    fprintf(stderr,
            "gen %3d/%d  best %.4f  mean %.4f  best-ever %.4f  valid %.2f  evaluated %d "
            "(%.0f programs/s)  busy %.0f%%  elapsed %s  ETA %s\n",
            done_g, o->gp.generations, gs->best, gs->mean, gs->best_ever, gs->valid_fraction,
            gs->evaluated, rate, 100 * busy, zc_format_duration(zc_now() - r->t_start, e1),
            zc_format_duration(done_g ? el / done_g * left : -1, e2));
}

/* after_generation: the test pause, the checkpoint when due (every
 * checkpoint_every generations, the last one, or on a stop request), and
 * ZC_EXIT_CHECKPOINTED when a signal stops the run before its end, else
 * 0. */
static int after_generation(evolve_run *r) {
    const zc_evolve_opts *o = r->o;
    const zc_gp_state *st = &r->folder.st;
    int last = st->generation >= o->gp.generations;
    if (!last) pause_unless_stopped(r->pause_ms, r->stop);
    if (st->generation % o->checkpoint_every == 0 || last || stopped(r))
        zc_evolve_folder_checkpoint(o, &r->folder);
    if (stopped(r) && !last) {
        fprintf(stderr, "evolve: stopped by a signal after generation %d; checkpoint "
                "written, resume with the same command\n", st->generation);
        return ZC_EXIT_CHECKPOINTED;
    }
    return ZC_EXIT_OK;
}

/* run_generations: generations until o->gp.generations are done. Returns
 * 0, or the exit code of a stopped or failed run (checkpoint written). */
static int run_generations(evolve_run *r) {
    char err[1024];
    zc_gp_state *st = &r->folder.st;
    double t_evo = zc_now();
    while (st->generation < r->o->gp.generations) {
        zc_gp_stats gs;
        double g0 = zc_now();
        r->fitness.eval_seconds = 0;
        r->fitness.tau_seconds = 0;
        int rc = zc_gp_generation(st, &r->fn, &gs, err, sizeof err);
        double secs = zc_now() - g0;
        r->score_seconds += r->fitness.eval_seconds;
        r->tau_seconds += r->fitness.tau_seconds;
        if (rc != 0) return generation_failed(r, err);
        r->evals_total += gs.evaluated;
        if (!r->dist) r->nodes_elements += zc_evolve_local_elements(&r->local);
        log_generation(r, &gs, secs, t_evo);
        int code = after_generation(r);
        if (code != ZC_EXIT_OK) return code;
    }
    r->evo_seconds = zc_now() - t_evo;
    return ZC_EXIT_OK;
}

/* ---- final re-scoring and summary ------------------------------------------------ */

/* finish: the final pick re-scored on held-out architectures, the summary
 * (best program, re-scoring table, times and figures) in result.txt and
 * on stdout, hall_of_fame.txt. */
static void finish(evolve_run *r) {
    const zc_evolve_opts *o = r->o;
    const zc_gp_state *st = &r->folder.st;
    zc_evolve_final_set fs;
    zc_evolve_final_pick(st, &fs);
    zc_text summary = {0};
    char text[4096] = "(none)";
    if (st->hof_n)
        zc_program_print_names(&st->hof[0].prog, zc_gp_config_term_names(&st->config), text,
                               sizeof text);
    zc_text_printf(&summary, "zcevo evolve: %s\nbest program: %s\nfitness (%s of %s over %d "
                   "task(s), evolution architectures): %.4f\n",
                   o->run_dir, text, o->aggregate == ZC_AGG_MIN ? "min" : "mean",
                   o->abs_tau ? "|tau|" : "tau", r->meta.n_tasks,
                   st->hof_n ? st->hof[0].fitness : NAN);
    double final_seconds = fs.n ? zc_evolve_final_rescore(o, &fs, &summary, r->stop) : 0;
    double total = zc_now() - r->t_start;
    double evo_s = r->evo_seconds;
    zc_text_printf(&summary,
                   "\nTime: statistics %.1f s, evolution %.1f s (%d generations: scoring %.3f s, "
                   "tau %.3f s, the rest (variation, selection, logs, checkpoints) %.3f s), "
                   "final %.1f s, total %.1f s\n"
                   "Figures: %.1f architectures/s (statistics), %.1f programs/s (each on %d "
                   "architectures), %.3f GPops/s (node elements per second, local "
                   "evaluation%s)\n",
                   r->t_stats, evo_s, o->gp.generations, r->score_seconds, r->tau_seconds,
                   evo_s - r->score_seconds - r->tau_seconds, final_seconds, total,
                   r->total_archs / (r->t_stats > 0 ? r->t_stats : 1e-9),
                   evo_s > 0 ? r->evals_total / evo_s : 0, r->total_archs,
                   evo_s > 0 ? r->nodes_elements / evo_s * 1e-9 : 0,
                   r->dist ? "; not counted on MPI workers" : "");
    zc_evolve_write_hall_of_fame(o->run_dir, st);
    zc_evolve_write_text(r->folder.result_path, summary.buf);
    printf("%s", summary.buf);
    zc_text_free(&summary);
}

/* ---- the driver ----------------------------------------------------------------- */

int zc_evolve_run(const zc_evolve_opts *o, const zc_evolve_dist *dist,
                  volatile sig_atomic_t *stop) {
    evolve_run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.dist = dist;
    r.stop = stop;
    r.t_start = zc_now();
    r.pause_ms = generation_pause_ms();
    if (zc_evolve_folder_open(o, &r.folder) != 0) return ZC_EXIT_OK; /* finished */
    int code = start_tasks(&r);
    if (code != ZC_EXIT_OK) {
        zc_evolve_local_free(&r.local);
        zc_evolve_folder_free(&r.folder);
        return code;
    }
    say_started(&r);
    code = run_generations(&r);
    if (code == ZC_EXIT_OK) finish(&r);
    zc_evolve_fitness_free(&r.fitness);
    zc_evolve_local_free(&r.local);
    zc_evolve_folder_free(&r.folder);
    return code;
}

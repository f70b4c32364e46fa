/* evolve_final.c: the end of an evolve run: the final programs (best of the
 * last population, then the hall of fame) re-scored on held-out
 * architectures, written to final.csv and the summary (see
 * evolve_internal.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stats/proxies_h5.h"
#include "common/util/correlation.h"
#include "common/util/util.h"
#include "master/gp/evolve_internal.h"

/* add_final: p joins fs unless it is there already or fs is full. */
static void add_final(zc_evolve_final_set *fs, const zc_program *p, double fit) {
    for (int i = 0; i < fs->n; i++)
        if (zc_program_equal(&fs->prog[i], p)) return;
    if (fs->n < ZC_EVOLVE_FINAL_MAX) {
        fs->prog[fs->n] = *p;
        fs->fitness[fs->n++] = fit;
    }
}

void zc_evolve_final_pick(const zc_gp_state *st, zc_evolve_final_set *fs) {
    memset(fs, 0, sizeof *fs);
    int best = -1;
    for (int i = 0; i < st->pop_n; i++)
        if (isfinite(st->pop[i].fitness) &&
            (best < 0 || st->pop[i].fitness > st->pop[best].fitness))
            best = i;
    if (best >= 0) add_final(fs, &st->pop[best].prog, st->pop[best].fitness);
    for (int i = 0; i < st->hof_n && fs->n < 5; i++)
        add_final(fs, &st->hof[i].prog, st->hof[i].fitness);
}

/* correlate: Kendall tau-b and Spearman rho of the finite (score, acc)
 * pairs; *invalid counts the others. */
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

/* held_out_values: source v of the proxies files: the held-out
 * architectures of evolution file v (v < n_values), then every
 * architecture of the test files. Returns 0, 1 when there are none; dies
 * on errors. */
static int held_out_values(const zc_evolve_opts *o, int v, zc_task_data *d, char *name,
                           size_t name_len) {
    const zc_task_set *set = &o->task_set;
    char err[1024];
    if (v >= set->n_values) {
        const char *file = o->test_values_file[v - set->n_values];
        if (zc_proxies_h5_load(file, &set->columns, d, err, sizeof err) != 0) zc_die("%s", err);
        snprintf(name, name_len, "%.140s (test, all)", file);
        return 0;
    }
    if (zc_task_set_load_values(set, v, 1, d, err, sizeof err) != 0) zc_die("%s", err);
    snprintf(name, name_len, "%.140s (held-out)", set->values_file[v]);
    if (d->n_archs > 0) return 0;
    zc_task_data_free(d);
    return 1;
}

/* held_out_data: the re-scoring architectures of source s (computed tasks
 * first: their held-out rows at the final batch; then statistics files:
 * all their architectures; then proxies files: held_out_values) with the
 * terminals in mask, and their table name. Returns 0, 1 when there are
 * none to score (final_archs 0, no held-out architecture); dies on
 * errors. */
static int held_out_data(const zc_evolve_opts *o, int s, zc_terminal_mask mask, zc_task_data *d,
                         char *name, size_t name_len) {
    const zc_task_set *set = &o->task_set;
    char err[1024];
    if (s >= set->n_tasks + set->n_stats)
        return held_out_values(o, s - set->n_tasks - set->n_stats, d, name, name_len);
    if (s >= set->n_tasks) {
        const char *file = set->stats_file[s - set->n_tasks];
        if (zc_task_data_load(d, file, mask, set->half, err, sizeof err) != 0) zc_die("%s", err);
        snprintf(name, name_len, "%.150s (all)", file);
        return 0;
    }
    if (set->final_archs == 0) return 1;
    zc_task_set_rows r;
    if (zc_task_set_open(set, s, 1, &r, err, sizeof err) != 0) zc_die("%s", err);
    if (zc_task_data_compute(d, &r.task, r.fin, r.n_fin, mask, set->half, set->threads,
                             !o->quiet, err, sizeof err) != 0)
        zc_die("%s", err);
    snprintf(name, name_len, "%s (held-out, batch %d)", set->task_spec[s], r.task.batch);
    zc_task_set_close(&r);
    return 0;
}

/* rescore_source: the final programs on d: one final.csv row and one
 * summary row each. */
static void rescore_source(const zc_evolve_opts *o, const zc_evolve_final_set *fs,
                           zc_task_data *d, const char *name, zc_text *csv, zc_text *summary,
                           volatile sig_atomic_t *stop) {
    char err[1024];
    zc_local_eval *e = zc_local_eval_new(d, 1, o->task_set.threads, stop);
    double *flat = zc_malloc(sizeof(double) * (size_t)d->n_archs * fs->n + 1);
    double *const scores[1] = {flat};
    zc_local_eval_score(e, fs->prog, fs->n, scores, err, sizeof err);
    for (int p = 0; p < fs->n; p++) {
        int invalid;
        double tau, rho;
        correlate(flat + (size_t)p * d->n_archs, d->acc, d->n_archs, &invalid, &tau, &rho);
        char text[4096];
        zc_program_print_names(&fs->prog[p], zc_gp_config_term_names(&o->gp), text, sizeof text);
        zc_text_printf(csv, "\"%s\",%.6f,\"%s\",%d,%d,%.6f,%.6f\n", text, fs->fitness[p], name,
                       d->n_archs, invalid, tau, rho);
        zc_text_printf(summary, "%-40.40s %6d %7d %8.4f %8.4f  %s\n", name, d->n_archs,
                       invalid, tau, rho, text);
    }
    free(flat);
    zc_local_eval_free(e);
}

double zc_evolve_final_rescore(const zc_evolve_opts *o, const zc_evolve_final_set *fs,
                               zc_text *summary, volatile sig_atomic_t *stop) {
    double t0 = zc_now();
    zc_terminal_mask mask = 0;
    for (int i = 0; i < fs->n; i++) mask |= zc_program_terminals(&fs->prog[i]);
    zc_text csv = {0};
    zc_text_printf(&csv, "program,fitness,task,n,invalid,tau,rho\n");
    zc_text_printf(summary, "\nFinal re-scoring (held-out architectures; tau = Kendall tau-b, "
                   "rho = Spearman):\n%-40s %6s %7s %8s %8s  %s\n", "task", "n", "invalid",
                   "tau", "rho", "program");
    int n_sources = o->task_set.n_tasks + o->task_set.n_stats + o->task_set.n_values +
                    o->n_test_values;
    for (int s = 0; s < n_sources; s++) {
        zc_task_data d;
        char name[160];
        if (held_out_data(o, s, mask, &d, name, sizeof name) != 0) continue;
        rescore_source(o, fs, &d, name, &csv, summary, stop);
        zc_task_data_free(&d);
    }
    char *path = zc_path_join(o->run_dir, "final.csv");
    zc_evolve_write_text(path, csv.buf);
    free(path);
    zc_text_free(&csv);
    return zc_now() - t0;
}

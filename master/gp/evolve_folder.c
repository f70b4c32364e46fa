/* evolve_folder.c: the run folder of `zcevo evolve`: its lock, the
 * configuration text that fixes results, the refusal of a folder of
 * another configuration, a finished run, resume from the latest
 * checkpoint, checkpoints (see evolve_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/stats/stats_h5.h"
#include "common/util/util.h"
#include "master/gp/checkpoint.h"
#include "master/gp/evolve_internal.h"

#define LOG_HEADER                                                                     \
    "generation,best,mean,best_ever,valid_fraction,evaluated,cache_hits,evals_per_s,"  \
    "seconds,busy\n"

char *zc_evolve_config_text(const zc_evolve_opts *o) {
    const zc_task_set *s = &o->task_set;
    zc_text t = {0};
    zc_text_printf(&t, "zcevo_evolve_config=1\n");
    for (int i = 0; i < s->n_tasks; i++) zc_text_printf(&t, "task=%s\n", s->task_spec[i]);
    for (int i = 0; i < s->n_stats; i++) zc_text_printf(&t, "stats=%s\n", s->stats_file[i]);
    for (int i = 0; i < s->n_values; i++) zc_text_printf(&t, "proxies=%s\n", s->values_file[i]);
    for (int i = 0; i < o->n_test_values; i++)
        zc_text_printf(&t, "test_proxies=%s\n", o->test_values_file[i]);
    zc_text_printf(&t, "archs_per_task=%d\nfinal_archs=%d\nfinal_batch=%d\nseed=%llu\n",
                   s->archs_per_task, s->final_archs, s->final_batch,
                   (unsigned long long)s->seed);
    zc_text_printf(&t, "aggregate=%s\ntau=%s\nsubset=%d\ndraws=%d\n",
                   o->aggregate == ZC_AGG_MIN ? "min" : "mean", o->abs_tau ? "abs" : "signed",
                   o->subset_size, o->draws);
    if (o->draw_mode == ZC_DRAW_PICK) zc_text_printf(&t, "draw_mode=pick\n");
    if (s->half) zc_text_printf(&t, "stats_precision=half\n");
    if (o->omit_invalid) zc_text_printf(&t, "invalid=omit\n");
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    zc_gp_config_write(&o->gp, f);
    fclose(f);
    zc_text_printf(&t, "%s", mem);
    free(mem);
    return t.buf;
}

/* finished_already: 1 (after printing result.txt and saying so) when the
 * run in f's folder is finished. */
static int finished_already(const zc_evolve_opts *o, const zc_evolve_folder *f) {
    if (!zc_file_exists(f->result_path)) return 0;
    char *r = zc_evolve_read_text(f->result_path);
    printf("%s", r ? r : "");
    free(r);
    fprintf(stderr, "evolve: '%s' is finished already (%s)\n", o->run_dir, f->result_path);
    return 1;
}

/* resume_or_init: f's state and log from the latest checkpoint (which must
 * hold the same configuration), or a fresh state from the seed. */
static void resume_or_init(const zc_evolve_opts *o, zc_evolve_folder *f) {
    char err[1024];
    zc_text_printf(&f->log, LOG_HEADER);
    char *ckpt = zc_checkpoint_latest(o->run_dir);
    if (o->resume_required && !ckpt)
        zc_die("--resume '%s': no readable checkpoint in that folder", o->run_dir);
    if (!ckpt) {
        if (zc_gp_init(&f->st, &o->gp, o->task_set.seed, err, sizeof err) != 0)
            zc_die("%s", err);
        return;
    }
    char *ck_config, *ck_log;
    if (zc_checkpoint_read(ckpt, &f->st, &ck_config, &ck_log, err, sizeof err) != 0)
        zc_die("%s", err);
    if (strcmp(ck_config, f->config) != 0)
        zc_die("checkpoint '%s' was made with another configuration; refusing to resume", ckpt);
    zc_text_free(&f->log);
    zc_text_printf(&f->log, "%s", ck_log);
    if (!o->quiet)
        fprintf(stderr, "evolve: resuming '%s' at generation %d from %s\n", o->run_dir,
                f->st.generation, ckpt);
    free(ck_config);
    free(ck_log);
    free(ckpt);
}

/* claim_folder: every --stats file opens as a statistics file, none lies
 * in the run folder, which is not in the data folder; create the folder
 * and take its lock (dies otherwise). */
static zc_output_lock *claim_folder(const zc_evolve_opts *o) {
    const zc_task_set *s = &o->task_set;
    char err[1200];
    struct stat st;
    if (!o->run_dir[0]) zc_die("--run-dir: empty folder name");
    for (int i = 0; i < s->n_stats; i++) {
        zc_stats_config cfg; /* an unreadable input fails before the folder exists */
        if (zc_stats_read_config(s->stats_file[i], &cfg, err, sizeof err) != 0) zc_die("%s", err);
    }
    for (int i = 0; i < s->n_stats; i++)
        if (zc_path_inside(s->stats_file[i], o->run_dir))
            zc_die("--stats '%s' lies inside the run folder '%s', where the run writes and "
                   "deletes files; move it or choose another --run-dir",
                   s->stats_file[i], o->run_dir);
    const char *data = s->data_flag[0] ? s->data_flag : getenv("ZCEVO_DATA");
    if (!data || !data[0]) data = "../shared/data";
    if (stat(data, &st) == 0 && S_ISDIR(st.st_mode) &&
        (zc_path_inside(o->run_dir, data) || zc_same_file(o->run_dir, data)))
        zc_die("run folder '%s' lies inside the data folder '%s'; write it elsewhere", o->run_dir,
               data);
    if (zc_mkdir_p(o->run_dir) != 0) zc_die("cannot create run folder '%s'", o->run_dir);
    char *base = zc_path_join(o->run_dir, "run");
    zc_output_lock *lock = zc_output_lock_take(base, err, sizeof err);
    free(base);
    if (!lock) zc_die("run folder '%s': %s", o->run_dir, err);
    return lock;
}

int zc_evolve_folder_open(const zc_evolve_opts *o, zc_evolve_folder *f) {
    memset(f, 0, sizeof *f);
    f->lock = claim_folder(o);
    f->config = zc_evolve_config_text(o);
    f->result_path = zc_path_join(o->run_dir, "result.txt");
    f->log_path = zc_path_join(o->run_dir, "log.csv");
    f->config_path = zc_path_join(o->run_dir, "config.txt");
    char *old_config = zc_evolve_read_text(f->config_path);
    if (old_config && strcmp(old_config, f->config) != 0)
        zc_die("run folder '%s' holds a run of another configuration (%s differs); use "
               "another --run-dir",
               o->run_dir, f->config_path);
    free(old_config);
    if (finished_already(o, f)) {
        zc_output_lock_release(f->lock);
        free(f->config);
        free(f->result_path);
        free(f->log_path);
        free(f->config_path);
        memset(f, 0, sizeof *f);
        return 1;
    }
    resume_or_init(o, f);
    zc_evolve_write_text(f->config_path, f->config);
    zc_evolve_write_text(f->log_path, f->log.buf);
    return 0;
}

void zc_evolve_folder_checkpoint(const zc_evolve_opts *o, zc_evolve_folder *f) {
    char err[1024];
    if (zc_checkpoint_write(o->run_dir, &f->st, f->config, f->log.buf, o->keep_checkpoints, err,
                            sizeof err) != 0)
        zc_die("%s", err);
}

void zc_evolve_folder_free(zc_evolve_folder *f) {
    zc_output_lock_release(f->lock);
    zc_gp_free(&f->st);
    zc_text_free(&f->log);
    free(f->config);
    free(f->result_path);
    free(f->log_path);
    free(f->config_path);
    memset(f, 0, sizeof *f);
}

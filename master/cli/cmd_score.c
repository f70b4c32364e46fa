/* cmd_score.c: `zcevo score`: score proxy programs on architectures (from
 * statistics files, or computed on the fly keeping only what the programs
 * need, or SR formulas on the values of proxies files) and report their
 * rank correlation with accuracy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/args.h"
#include "master/cli/task_options.h"
#include "common/util/correlation.h"
#include "common/program/evaluator.h"
#include "common/mpi/mpi_util.h"
#include "common/program/program.h"
#include "common/data/task.h"
#include "common/util/util.h"
#include "master/cli/commands.h"
#include "common/stats/proxies_h5.h"
#include "common/stats/task_data.h"
#include "common/program/local_eval.h"
#include "common/stats/stats_job.h"

#define MAX_PROGRAMS 64
#define MAX_SOURCES 64

static void score_help(void) {
    printf(
        "usage: zcevo score (--stats FILE.h5 ... | --proxies FILE.h5 ... | --space S\n"
        "                   --dataset D [--archs N|all] [--arch A ...] [--batch B])\n"
        "                   --program P [--program P ...]\n\n"
        "Score proxy programs on architectures and print, per source and program: the\n"
        "number of architectures, how many the program is invalid on, Kendall tau-b and\n"
        "Spearman rho between score and accuracy (over the valid ones).\n\n"
        "  --program P         program text, e.g. 'frobenius(sigmoid(logdet(sign(\n"
        "                      inpact_grad_data))))', or a named program: eznas-a (the\n"
        "                      released EZNAS-A, terminal inpact_grad_data), eznas-a-wt\n"
        "                      (the same on wt_grad_noise). Repeatable\n"
        "  --stats FILE.h5     a statistics cache from zcevo stats (repeatable)\n"
        "  --proxies FILE.h5   a proxies file from zcevo proxies --out-h5 (repeatable, same\n"
        "                      columns): programs over its values (SR formulas, terminals\n"
        "                      named by its columns, e.g. 'pdiv(synflow, psqrt(params))'\n"
        "                      or just 'nwot'; docs/sr_nas.md)\n"
        "  --space, --dataset, --archs N|all, --arch A, --batch B, --seed S, --acc-column C,\n"
        "  --image-size N, --device cpu|cuda|auto (statistics on the GPU when auto finds\n"
        "                      one and the build has CUDA)\n"
        "                      compute the statistics on the fly instead (as zcevo stats;\n"
        "                      default --archs 100 --batch 16 --seed 1), keeping only the\n"
        "                      terminals the programs read, one architecture at a time\n"
        "  --csv FILE          per-architecture scores and accuracies\n"
        "  --threads T         threads (default: number of cores)\n"
        "  --data DIR          data folder (else $ZCEVO_DATA, else ../shared/data)\n"
        "  --quiet             no progress lines\n");
}

/* Per source: scores[p][a], accuracies, identities. */
typedef struct {
    char name[160];
    int n;
    double *acc;
    int *arch_index;
    char **arch_str;
    double *scores[MAX_PROGRAMS];
} score_table;

static void table_alloc(score_table *t, int n, int n_progs) {
    t->n = n;
    t->acc = zc_calloc((size_t)n, sizeof(double));
    t->arch_index = zc_calloc((size_t)n, sizeof(int));
    t->arch_str = zc_calloc((size_t)n, sizeof(char *));
    for (int p = 0; p < n_progs; p++) t->scores[p] = zc_calloc((size_t)n, sizeof(double));
}

static void table_free(score_table *t, int n_progs) {
    for (int i = 0; i < t->n; i++) free(t->arch_str[i]);
    free(t->acc);
    free(t->arch_index);
    free(t->arch_str);
    for (int p = 0; p < n_progs; p++) free(t->scores[p]);
}

/* Streaming sink: evaluate the programs on each record, keep the scores. */
typedef struct {
    score_table *table;
    const zc_program *progs;
    int n_progs;
    zc_eval_ctx *ctx;
    int offset, stride; /* record i is table row offset + i * stride (MPI) */
} stream_sink;

static int score_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                        size_t errlen) {
    (void)net, (void)err, (void)errlen;
    stream_sink *s = ctx;
    i = s->offset + i * s->stride;
    double sc[MAX_PROGRAMS];
    zc_eval_programs(s->ctx, s->progs, s->n_progs, rec, sc);
    for (int p = 0; p < s->n_progs; p++) s->table->scores[p][i] = sc[p];
    s->table->acc[i] = rec->accuracy;
    s->table->arch_index[i] = rec->arch_index;
    s->table->arch_str[i] = rec->arch_str;
    rec->arch_str = NULL;
    return 0;
}

/* pack_rows: table rows rank, rank + size, ... as bytes: per row its
 * position, arch_index, string length, accuracy, scores, string. */
static unsigned char *pack_rows(const score_table *t, int n_progs, int rank, int size,
                                size_t *len_out) {
    size_t cap = 64, len = 0;
    unsigned char *buf = zc_malloc(cap);
    for (int i = rank; i < t->n; i += size) {
        const char *str = t->arch_str[i] ? t->arch_str[i] : "";
        int32_t head[3] = {i, t->arch_index[i], (int32_t)strlen(str)};
        size_t need = sizeof head + sizeof(double) * (size_t)(1 + n_progs) + strlen(str);
        while (len + need > cap) buf = zc_realloc(buf, cap *= 2);
        memcpy(buf + len, head, sizeof head);
        len += sizeof head;
        memcpy(buf + len, &t->acc[i], sizeof(double));
        len += sizeof(double);
        for (int p = 0; p < n_progs; p++, len += sizeof(double))
            memcpy(buf + len, &t->scores[p][i], sizeof(double));
        memcpy(buf + len, str, strlen(str));
        len += strlen(str);
    }
    *len_out = len;
    return buf;
}

/* unpack_rows: the rows packed in bytes[off..end) into their positions. */
static void unpack_rows(score_table *t, int n_progs, const unsigned char *bytes, size_t off,
                        size_t end) {
    while (off < end) {
        int32_t head[3];
        memcpy(head, bytes + off, sizeof head);
        off += sizeof head;
        int i = head[0];
        t->arch_index[i] = head[1];
        memcpy(&t->acc[i], bytes + off, sizeof(double));
        off += sizeof(double);
        for (int p = 0; p < n_progs; p++, off += sizeof(double))
            memcpy(&t->scores[p][i], bytes + off, sizeof(double));
        free(t->arch_str[i]);
        t->arch_str[i] = zc_malloc((size_t)head[2] + 1);
        memcpy(t->arch_str[i], bytes + off, (size_t)head[2]);
        t->arch_str[i][head[2]] = 0;
        off += (size_t)head[2];
    }
}

/* gather_rows: a distributed on-the-fly score: rank r computed table rows
 * r, r + size, ...; bring every row to rank 0 (scores are per
 * architecture, so the table equals a single-rank one). */
static void gather_rows(score_table *t, int n_progs, int rank, int size) {
    size_t len;
    unsigned char *buf = pack_rows(t, n_progs, rank, size, &len);
    unsigned char *all;
    int *lens;
    zc_mpi_gather_bytes(buf, (int)len, &all, &lens);
    free(buf);
    if (rank != 0) return;
    size_t end = 0;
    for (int r = 0; r < size; r++) end += (size_t)lens[r];
    unpack_rows(t, n_progs, all, (size_t)lens[0], end); /* rank 0's rows are in place */
    free(all);
    free(lens);
}

/* print_correlations: one line per program: source, program, n, invalid,
 * Kendall tau-b and Spearman rho over the architectures where both the
 * score and the accuracy are finite. */
static void print_correlations(const score_table *t, const char *const *texts, int n_progs) {
    for (int p = 0; p < n_progs; p++) {
        double *x = zc_malloc(sizeof(double) * (size_t)(t->n + 1));
        double *y = zc_malloc(sizeof(double) * (size_t)(t->n + 1));
        int m = 0, invalid = 0;
        for (int i = 0; i < t->n; i++) {
            if (!isfinite(t->scores[p][i]) || !isfinite(t->acc[i])) {
                invalid++;
                continue;
            }
            x[m] = t->scores[p][i];
            y[m++] = t->acc[i];
        }
        double tau = zc_kendall_tau_b(x, y, m), rho = zc_spearman_rho(x, y, m);
        printf("%-36s %-24.24s %6d %7d %8.4f %8.4f\n", t->name, texts[p], t->n, invalid, tau,
               rho);
        free(x);
        free(y);
    }
}

/* print_score_table: the header line, then every source's correlations. */
static void print_score_table(const score_table *tables, int n_tables,
                              const char *const *texts, int n_progs) {
    printf("%-36s %-24s %6s %7s %8s %8s\n", "source", "program", "n", "invalid", "tau", "rho");
    for (int s = 0; s < n_tables; s++) print_correlations(&tables[s], texts, n_progs);
}

/* write_score_csv: per source and architecture: source, arch_index,
 * arch_str, accuracy and the programs' scores (written to path.tmp, then
 * renamed). Errors end the program. */
static void write_score_csv(const char *path, const score_table *tables, int n_tables,
                            const char *const *texts, int n_progs) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) zc_die("cannot write '%s'", tmp);
    fprintf(f, "source,arch_index,arch_str,accuracy");
    for (int p = 0; p < n_progs; p++) {
        fputc(',', f);
        zc_fput_csv_field(f, texts[p]);
    }
    fprintf(f, "\n");
    for (int s = 0; s < n_tables; s++)
        for (int i = 0; i < tables[s].n; i++) {
            fprintf(f, "%s,%d,", tables[s].name, tables[s].arch_index[i]);
            zc_fput_csv_field(f, tables[s].arch_str[i]);
            fprintf(f, ",%.6f", tables[s].acc[i]);
            for (int p = 0; p < n_progs; p++) fprintf(f, ",%.9g", tables[s].scores[p][i]);
            fprintf(f, "\n");
        }
    if (fclose(f) != 0 || zc_fsync_rename(tmp, path) != 0)
        zc_die("cannot write '%s'", path);
}

static const zc_task_option_rules k_score_rules = {
    .command = "score", .space = NULL, .archs = 100, .archs_min = 2, .batch = 16,
    .batch_min = 1, .max_arch = 4096, .device = 1};

/* The command line. */
typedef struct {
    zc_task_options task; /* on-the-fly statistics */
    const char *stats_files[MAX_SOURCES];
    int n_stats;
    const char *values_files[MAX_SOURCES]; /* --proxies */
    int n_values;
    zc_term_names columns;                 /* the first one's columns */
    const char *prog_texts[MAX_PROGRAMS];
    int n_progs;
    const char *csv;
} score_options;

/* read_options: the command line into *o; 1 when --help was printed. */
static int read_options(score_options *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    zc_task_options_init(&o->task, &k_score_rules);
    zc_args a = zc_args_begin("score", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            score_help();
            return 1;
        } else if (zc_args_opt(&a, "--program")) {
            if (o->n_progs == MAX_PROGRAMS)
                zc_usage_error("score", "at most %d programs", MAX_PROGRAMS);
            o->prog_texts[o->n_progs++] = a.value;
        } else if (zc_args_opt(&a, "--stats")) {
            if (o->n_stats == MAX_SOURCES)
                zc_usage_error("score", "at most %d --stats", MAX_SOURCES);
            o->stats_files[o->n_stats++] = a.value;
        } else if (zc_args_opt(&a, "--proxies")) {
            if (o->n_values == MAX_SOURCES)
                zc_usage_error("score", "at most %d --proxies", MAX_SOURCES);
            o->values_files[o->n_values++] = a.value;
        } else if (zc_task_options_read(&o->task, &a)) continue;
        else if (zc_args_opt(&a, "--csv")) o->csv = a.value;
        else zc_args_unknown(&a);
    }
    return 0;
}

/* check_options: a program at least; statistics files or a space (nb201
 * when neither is given). Usage errors. */
static void check_options(score_options *o) {
    if (o->n_progs == 0) zc_usage_error("score", "give at least one --program");
    if ((o->n_stats != 0) + (o->n_values != 0) + (o->task.space != NULL) > 1)
        zc_usage_error("score", "--stats, --proxies and --space exclude each other");
    if (!o->n_stats && !o->n_values && !o->task.space) o->task.space = "nb201";
    zc_task_options_check(&o->task);
    char err[1024];
    if (o->n_values && zc_proxies_h5_names(o->values_files[0], &o->columns, err, sizeof err))
        zc_die("%s", err);
}

/* The programs, parsed, with the text the table and the CSV show. */
typedef struct {
    int n;
    zc_program progs[MAX_PROGRAMS];
    const char *texts[MAX_PROGRAMS]; /* a named program's name, else the printed program */
    char printed[MAX_PROGRAMS][512];
    zc_terminal_mask mask;           /* the terminals they read */
} score_programs;

/* parse_programs: every --program (a name or a text); a malformed one is a
 * usage error. */
static void parse_programs(const score_options *o, score_programs *sp) {
    sp->n = o->n_progs;
    sp->mask = 0;
    const zc_term_names *names = o->n_values ? &o->columns : NULL;
    for (int p = 0; p < o->n_progs; p++) {
        const char *named = zc_program_named(o->prog_texts[p]);
        char err[256];
        if (zc_program_parse_names(named ? named : o->prog_texts[p], names, &sp->progs[p], err,
                                   sizeof err) != 0)
            zc_usage_error("score", "--program '%s': %s", o->prog_texts[p], err);
        sp->mask |= zc_program_terminals(&sp->progs[p]);
        if (named) sp->texts[p] = o->prog_texts[p];
        else {
            zc_program_print_names(&sp->progs[p], names, sp->printed[p], sizeof sp->printed[p]);
            sp->texts[p] = sp->printed[p];
        }
    }
}

/* score_stats_file: the programs on every architecture of one statistics
 * file (columns NULL) or proxies file (with those columns) into *t (named
 * after the file). Errors end the program. */
static void score_stats_file(const char *path, const zc_term_names *columns,
                             const score_programs *sp, int threads, score_table *t) {
    char err[1024];
    zc_task_data d;
    int rc = columns ? zc_proxies_h5_load(path, columns, &d, err, sizeof err)
                     : zc_task_data_load(&d, path, sp->mask, err, sizeof err);
    if (rc != 0) zc_die("%s", err);
    zc_local_eval *e = zc_local_eval_new(&d, 1, threads, NULL);
    table_alloc(t, d.n_archs, sp->n);
    snprintf(t->name, sizeof t->name, "%s", path);
    double *flat = zc_malloc(sizeof(double) * (size_t)d.n_archs * sp->n);
    double *const scores[1] = {flat};
    zc_local_eval_score(e, sp->progs, sp->n, scores, err, sizeof err);
    for (int i = 0; i < d.n_archs; i++) {
        t->acc[i] = d.acc[i];
        t->arch_index[i] = d.archs[i].arch_index;
        t->arch_str[i] = zc_strdup(d.archs[i].arch_str ? d.archs[i].arch_str : "");
        for (int p = 0; p < sp->n; p++) t->scores[p][i] = flat[(size_t)p * d.n_archs + i];
    }
    free(flat);
    zc_local_eval_free(e);
    zc_task_data_free(&d);
}

/* score_on_the_fly: compute the statistics of the chosen architectures,
 * keeping only the terminals the programs read, and score them into *t
 * (named space/dataset/bBATCH). Under MPI rank r computes rows r, r + size,
 * ...; rank 0 ends with the whole table. Errors end the program. */
static void score_on_the_fly(const score_options *o, const score_programs *sp, int mpi_rank,
                             int mpi_size, score_table *t) {
    const zc_task_options *to = &o->task;
    char err[1024];
    zc_task_choice c;
    zc_task_choose(to, &c);
    table_alloc(t, c.n_rows, sp->n);
    snprintf(t->name, sizeof t->name, "%s/%s/b%d", to->space, to->dataset, to->batch);
    if (!to->quiet)
        fprintf(stderr, "score: %d architectures of %s/%s at batch %d (%s), terminals kept: "
                "%d of 22\n", c.n_rows, to->space, to->dataset, to->batch, c.task.image_source,
                __builtin_popcount(sp->mask));
    stream_sink sink = {t, sp->progs, sp->n, zc_eval_ctx_new(), mpi_rank, mpi_size};
    int n_mine = 0;
    for (int i = mpi_rank; i < c.n_rows; i += mpi_size) c.rows[n_mine++] = c.rows[i];
    if (mpi_rank != 0) zc_mpi_restore_stderr();
    zc_stats_job job = {.task = &c.task, .mask = sp->mask, .n_rows = n_mine, .rows = c.rows,
                        .threads = to->threads, .progress = !to->quiet && mpi_rank == 0,
                        .label = "score", .sink = score_record, .sink_ctx = &sink,
                        .use_cuda = c.cuda_device >= 0, .cuda_device = c.cuda_device};
    if (zc_stats_job_run(&job, err, sizeof err) != 0) zc_die("%s", err);
    zc_eval_ctx_free(sink.ctx);
    if (mpi_size > 1) gather_rows(t, sp->n, mpi_rank, mpi_size);
    zc_task_choice_free(&c);
}

/* score_and_report: the score tables (one per statistics file, or one on
 * the fly); rank 0 prints them and writes the CSV. */
static void score_and_report(const score_options *o, const score_programs *sp, int mpi_rank,
                             int mpi_size) {
    int n_files = o->n_stats + o->n_values;
    int n_tables = n_files ? n_files : 1;
    score_table *tables = zc_calloc((size_t)n_tables, sizeof *tables);
    double t0 = zc_now();
    for (int s = 0; s < o->n_stats; s++)
        score_stats_file(o->stats_files[s], NULL, sp, o->task.threads, &tables[s]);
    for (int s = 0; s < o->n_values; s++)
        score_stats_file(o->values_files[s], &o->columns, sp, o->task.threads, &tables[s]);
    if (!n_files)
        score_on_the_fly(o, sp, mpi_rank, mpi_size, &tables[0]);
    if (mpi_rank == 0) {
        print_score_table(tables, n_tables, sp->texts, sp->n);
        if (!o->task.quiet) fprintf(stderr, "score: %.2f s\n", zc_now() - t0);
        if (o->csv) write_score_csv(o->csv, tables, n_tables, sp->texts, sp->n);
    }
    for (int s = 0; s < n_tables; s++) table_free(&tables[s], sp->n);
    free(tables);
}

int zc_cmd_score(int argc, char **argv) {
    /* under mpirun/srun, on-the-fly statistics are spread over the ranks;
     * rank 0 reports (the others parse the same command line quietly) */
    int mpi_rank, mpi_size;
    zc_mpi_begin(NULL, NULL, &mpi_rank, &mpi_size);
    if (mpi_rank != 0) zc_mpi_mute_stderr();
    score_options o;
    if (read_options(&o, argc, argv) == 0) {
        check_options(&o);
        score_programs *sp = zc_malloc(sizeof *sp);
        parse_programs(&o, sp);
        if (mpi_rank != 0 && (o.n_stats || o.n_values)) /* files: rank 0 scores alone */
            zc_mpi_restore_stderr();
        else
            score_and_report(&o, sp, mpi_rank, mpi_size);
        free(sp);
    }
    zc_task_options_free(&o.task);
    zc_mpi_end();
    return ZC_EXIT_OK;
}

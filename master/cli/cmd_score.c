/* cmd_score.c: `zcevo score`: score proxy programs on architectures (from
 * statistics files, or computed on the fly keeping only what the programs
 * need, or SR formulas on the values of proxies files) and report their
 * rank correlation with accuracy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/args.h"
#include "common/util/outputs.h"
#include "master/cli/task_options.h"
#include "common/util/correlation.h"
#include "common/program/evaluator.h"
#include "common/mpi/mpi_util.h"
#include "common/program/named_programs.h"
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
        "                      inpact_grad_data))))', or a named program (eznas-a, the\n"
        "                      released EZNAS-A; zcevo-a, ... found by zcevo's searches:\n"
        "                      docs/discovery.md). Repeatable\n"
        "  --list-programs     print the named programs (name, text, what it is) and exit\n"
        "  --stats FILE.h5     a statistics cache from zcevo stats (repeatable)\n"
        "  --proxies FILE.h5   a proxies file from zcevo proxies --out-h5 (repeatable, same\n"
        "                      columns): programs over its values (SR formulas, terminals\n"
        "                      named by its columns, e.g. 'pdiv(synflow, psqrt(params))'\n"
        "                      or just 'nwot'; docs/sr_nas.md)\n"
        "  --space, --dataset, --archs N|all, --arch A, --batch B, --seed S, --acc-column C,\n"
        "  --exclude-stats F,\n"
        "  --image-size N, --device cpu|cuda|auto (statistics on the GPU when auto finds\n"
        "                      one and the build has CUDA)\n"
        "                      compute the statistics on the fly instead (as zcevo stats;\n"
        "                      default --archs 100 --batch 16 --seed 1), keeping only the\n"
        "                      terminals the programs read, one architecture at a time\n"
        "  --acc-column C      with --stats: correlate against the stored accuracy column C\n"
        "                      (acc_C of each architecture) instead of the file's own\n"
        "  --csv FILE          per-architecture scores (17 significant digits: the exact\n"
        "                      doubles) and accuracies (written whole or not\n"
        "                      at all; an existing FILE is replaced only when it is a score\n"
        "                      CSV of the same programs and sources; never an input)\n"
        "  --stats-precision float|half  score on the statistics as computed (float, the\n"
        "                      default) or on their memory-lean half-precision form\n"
        "                      (what `zcevo evolve --stats-precision half` evaluates;\n"
        "                      docs/discovery.md measures the difference)\n"
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
    int half;           /* score the half-precision form of each record    */
} stream_sink;

static int score_record(void *ctx, int i, zc_arch_stats *rec, const zc_net *net, char *err,
                        size_t errlen) {
    (void)net, (void)err, (void)errlen;
    stream_sink *s = ctx;
    i = s->offset + i * s->stride;
    double sc[MAX_PROGRAMS];
    if (s->half) zc_half_round_trip(rec);
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

/* csv_append_field: s as one quoted CSV field (zc_fput_csv_field's bytes)
 * appended to t. */
static void csv_append_field(char *t, size_t n, const char *s) {
    size_t used = strlen(t);
    if (used + 1 < n) t[used++] = '"';
    for (; *s && used + 2 < n; s++) {
        if (*s == '"') t[used++] = '"';
        t[used++] = *s;
    }
    if (used + 1 < n) t[used++] = '"';
    t[used] = 0;
}

/* score_csv_header: the first line of the CSV (without its newline). */
static void score_csv_header(const char *const *texts, int n_progs, char *t, size_t n) {
    snprintf(t, n, "source,arch_index,arch_str,accuracy");
    for (int p = 0; p < n_progs; p++) {
        if (strlen(t) + 1 < n) strcat(t, ",");
        csv_append_field(t, n, texts[p]);
    }
}

/* What an existing --csv must be to be replaced: the header of these
 * programs, and rows of exactly these sources. */
typedef struct {
    char header[16384];
    const char *sources[MAX_SOURCES];
    int n_sources;
} score_csv_identity;

/* source_listed: 1 when name (len bytes) is one of id's sources. */
static int source_listed(const score_csv_identity *id, const char *name, size_t len) {
    for (int i = 0; i < id->n_sources; i++)
        if (strlen(id->sources[i]) == len && strncmp(id->sources[i], name, len) == 0) return 1;
    return 0;
}

/* check_score_csv: a zc_output_check_fn for --csv (see score_csv_identity). */
static int check_score_csv(const char *path, void *ctx, char *why, size_t n) {
    const score_csv_identity *id = ctx;
    char first[16384];
    if (zc_output_first_line(path, first, sizeof first) < 0 ||
        strncmp(first, "source,arch_index,arch_str,accuracy", 35) != 0)
        return zc_fail(why, n, "is not a zcevo score CSV (its first line is not "
                       "'source,arch_index,arch_str,accuracy,...')");
    if (strcmp(first, id->header) != 0)
        return zc_fail(why, n, "holds the scores of other programs (its header is '%.200s')",
                       first);
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int rc = 0, seen[MAX_SOURCES] = {0};
    if (!f) return zc_fail(why, n, "cannot be read");
    for (int row = 0; rc == 0 && getline(&line, &cap, f) > 0; row++) {
        if (row == 0) continue;
        size_t len = strcspn(line, ",\n");
        if (!source_listed(id, line, len))
            rc = zc_fail(why, n, "holds the scores of another source ('%.*s')", (int)ZC_MIN(len, 200),
                         line);
        for (int i = 0; i < id->n_sources; i++)
            seen[i] |= strlen(id->sources[i]) == len && !strncmp(id->sources[i], line, len);
    }
    for (int i = 0; i < id->n_sources && rc == 0; i++)
        if (!seen[i]) rc = zc_fail(why, n, "holds no scores of the source '%s'", id->sources[i]);
    free(line);
    fclose(f);
    return rc;
}

/* write_score_csv: per source and architecture: source, arch_index,
 * arch_str, accuracy and the programs' scores (a temporary file renamed
 * once complete; every write checked). Errors end the program. */
static void write_score_csv(const char *path, const score_table *tables, int n_tables,
                            const char *const *texts, int n_progs) {
    char err[1200], header[16384];
    zc_text_output out;
    if (zc_text_output_open(&out, path, err, sizeof err) != 0) zc_die("%s", err);
    FILE *f = out.f;
    score_csv_header(texts, n_progs, header, sizeof header);
    fprintf(f, "%s\n", header);
    for (int s = 0; s < n_tables; s++)
        for (int i = 0; i < tables[s].n; i++) {
            fprintf(f, "%s,%d,", tables[s].name, tables[s].arch_index[i]);
            zc_fput_csv_field(f, tables[s].arch_str[i]);
            fprintf(f, ",%.6f", tables[s].acc[i]);
            for (int p = 0; p < n_progs; p++) fprintf(f, ",%.17g", tables[s].scores[p][i]);
            fprintf(f, "\n");
        }
    if (zc_text_output_commit(&out, err, sizeof err) != 0) zc_die("%s", err);
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
    int half;             /* --stats-precision half                      */
} score_options;

/* list_programs: the named programs, one per line: name, text, description
 * (tab-separated). */
static void list_programs(void) {
    for (int i = 0; i < zc_program_named_count(); i++) {
        const char *name, *about;
        const char *text = zc_program_named_at(i, &name, &about);
        printf("%s\t%s\t%s\n", name, text, about);
    }
}

/* read_options: the command line into *o; 1 when --help or --list-programs
 * was printed. */
static int read_options(score_options *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    zc_task_options_init(&o->task, &k_score_rules);
    zc_args a = zc_args_begin("score", argc, argv);
    while (zc_args_next(&a)) {
        if (zc_args_flag(&a, "--help") || zc_args_flag(&a, "-h")) {
            score_help();
            return 1;
        } else if (zc_args_flag(&a, "--list-programs")) {
            list_programs();
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
        else if (zc_args_opt(&a, "--stats-precision")) {
            static const char *const precisions[] = {"float", "half", NULL};
            o->half = zc_args_choice(&a, precisions) == 1;
        } else zc_args_unknown(&a);
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

/* source_label: the name of source s in the table and the CSV: the
 * statistics or proxies file, or space/dataset/bBATCH on the fly. */
static void source_label(const score_options *o, int s, char *buf, size_t n) {
    if (o->n_stats) snprintf(buf, n, "%s", o->stats_files[s]);
    else if (o->n_values) snprintf(buf, n, "%s", o->values_files[s]);
    else snprintf(buf, n, "%s/%s/b%d", o->task.space, o->task.dataset, o->task.batch);
}

/* use_acc_column: d's accuracies from the stored column `column` (acc_<column>
 * of every architecture) instead of the file's accuracy column. Dies naming
 * the file and the columns it has when one lacks it. */
static void use_acc_column(zc_task_data *d, const char *path, const char *column) {
    if (!column || strcmp(column, d->cfg.accuracy_column) == 0) return;
    for (int i = 0; i < d->n_archs; i++) {
        const zc_arch_stats *a = &d->archs[i];
        int k = 0;
        while (k < a->n_acc && strcmp(a->acc_name[k], column) != 0) k++;
        if (k == a->n_acc) {
            char have[1024] = "";
            for (int j = 0; j < a->n_acc; j++)
                snprintf(have + strlen(have), sizeof have - strlen(have), ", %s", a->acc_name[j]);
            zc_die("--acc-column '%s': stats file '%s' has no such accuracy column (arch %d has "
                   "%s%s)", column, path, a->arch_index, d->cfg.accuracy_column, have);
        }
        d->acc[i] = a->acc[k];
    }
}

/* score_stats_file: the programs on every architecture of one statistics
 * file or proxies file (o->columns) into *t (named after the file),
 * against acc_column when given. Errors end the program. */
static void score_stats_file(const score_options *o, int s, const score_programs *sp,
                             score_table *t) {
    char err[1024];
    const char *path = o->n_stats ? o->stats_files[s] : o->values_files[s];
    zc_task_data d;
    int rc = o->n_values ? zc_proxies_h5_load(path, &o->columns, &d, err, sizeof err)
                         : zc_task_data_load(&d, path, sp->mask, o->half, err, sizeof err);
    if (rc != 0) zc_die("%s", err);
    if (!o->n_values) use_acc_column(&d, path, o->task.acc_column);
    zc_local_eval *e = zc_local_eval_new(&d, 1, o->task.threads, NULL);
    table_alloc(t, d.n_archs, sp->n);
    source_label(o, s, t->name, sizeof t->name);
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
    source_label(o, 0, t->name, sizeof t->name);
    if (!to->quiet)
        fprintf(stderr, "score: %d architectures of %s/%s at batch %d (%s), terminals kept: "
                "%d of 22\n", c.n_rows, to->space, to->dataset, to->batch, c.task.image_source,
                __builtin_popcount(sp->mask));
    stream_sink sink = {t, sp->progs, sp->n, zc_eval_ctx_new(), mpi_rank, mpi_size, o->half};
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
    for (int s = 0; s < n_files; s++) score_stats_file(o, s, sp, &tables[s]);
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

/* claim_csv: rank 0, before any work: --csv is no input (a statistics
 * file, the data folder), and an existing one is a score CSV of these
 * programs and sources (id); its lock is taken. Errors end the program. */
static void claim_csv(score_options *o, const score_programs *sp, score_csv_identity *id,
                      char labels[][160], zc_outputs *outs) {
    zc_outputs_init(outs, "score");
    if (!o->csv) return;
    for (int s = 0; s < o->n_stats; s++) zc_outputs_read(outs, o->stats_files[s]);
    for (int s = 0; s < o->n_values; s++) zc_outputs_read(outs, o->values_files[s]);
    if (!o->n_stats && !o->n_values) zc_task_options_inputs(&o->task, outs);
    score_csv_header(sp->texts, sp->n, id->header, sizeof id->header);
    id->n_sources = o->n_stats + o->n_values ? o->n_stats + o->n_values : 1;
    for (int s = 0; s < id->n_sources; s++) {
        source_label(o, s, labels[s], 160);
        id->sources[s] = labels[s];
    }
    zc_outputs_write(outs, "--csv", o->csv, check_score_csv, id);
    zc_outputs_claim(outs);
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
        score_csv_identity *id = zc_calloc(1, sizeof *id);
        char(*labels)[160] = zc_calloc(MAX_SOURCES, 160);
        zc_outputs outs;
        if (mpi_rank == 0) claim_csv(&o, sp, id, labels, &outs);
        if (mpi_rank != 0 && (o.n_stats || o.n_values)) /* files: rank 0 scores alone */
            zc_mpi_restore_stderr();
        else
            score_and_report(&o, sp, mpi_rank, mpi_size);
        if (mpi_rank == 0) zc_outputs_release(&outs);
        free(labels);
        free(id);
        free(sp);
    }
    zc_task_options_free(&o.task);
    zc_mpi_end();
    return ZC_EXIT_OK;
}

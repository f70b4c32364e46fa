/* task_options.h: the task options that `zcevo stats`, `zcevo score`
 * (statistics computed on the fly) and `zcevo proxies` share: --data,
 * --space, --dataset, --archs N|all, --arch A (repeatable), --arch-file F,
 * --batch, --image-size, --seed, --acc-column, --device, --threads, --quiet,
 * --exclude-stats F (repeatable).
 * One reader takes them with each command's own defaults, ranges and option
 * set (zc_task_option_rules); then one set-up builds the task they name and
 * chooses its architectures (table rows): the --arch list resolved against
 * the table, else a seeded sample of --archs rows (drawn from the rows not
 * held by any --exclude-stats file: a test set disjoint from the
 * architectures a proxy was evolved on).
 *
 *   zc_task_options o;
 *   zc_task_options_init(&o, &k_rules);
 *   while (zc_args_next(&a)) {
 *       if (zc_task_options_read(&o, &a)) continue;
 *       ... the command's own options ...
 *   }
 *   zc_task_options_check(&o);
 *   zc_task_choice c;
 *   zc_task_choose(&o, &c);
 *   ... c.task, c.rows[0..c.n_rows), c.cuda_device ...
 *   zc_task_choice_free(&c);
 *   zc_task_options_free(&o);
 */
#ifndef ZC_TASK_OPTIONS_H
#define ZC_TASK_OPTIONS_H

#include <stdint.h>

#include "common/data/task.h"
#include "common/util/args.h"
#include "common/util/outputs.h"

/* What one command accepts and its defaults. */
typedef struct {
    const char *command; /* names usage errors: "stats"                          */
    const char *space;   /* default --space; NULL: none (the command decides)     */
    int archs;           /* default --archs                                       */
    int archs_min;       /* least N of --archs N                                  */
    int batch;           /* default --batch                                       */
    int batch_min;       /* least --batch                                         */
    int max_arch;        /* most --arch options, "too many --arch" beyond; 0: any */
    int arch_file;       /* 1: --arch-file is an option of the command            */
    int device;          /* 1: --device is an option of the command               */
    int check_space;     /* 1: zc_task_options_check refuses an unknown --space   */
    int unique_archs;    /* 1: an architecture named twice is chosen once         */
} zc_task_option_rules;

/* The values read (the rules' defaults until an option sets them). */
typedef struct {
    const zc_task_option_rules *rules;
    const char *data_flag;  /* --data, NULL: $ZCEVO_DATA or ../shared/data */
    const char *space, *dataset, *acc_column, *device, *arch_file;
    int archs;              /* -1: all */
    int batch, image_size;  /* image_size 0: the space's default */
    uint64_t seed;
    int threads, quiet;
    int n_arch, cap_arch;
    char **arch;            /* --arch values, then the lines of --arch-file */
    int n_exclude;
    const char *exclude[16]; /* --exclude-stats files                      */
    char *data_dir;         /* resolved by zc_task_options_inputs (malloc'd) */
} zc_task_options;

/* The task the options name and its chosen architectures. */
typedef struct {
    char *data_dir;
    zc_task task;
    int cuda_device; /* -1: the CPU (always without the --device option) */
    int *rows;       /* table rows, n_rows of them (malloc'd)            */
    int n_rows;
} zc_task_choice;

/* zc_task_options_init: *o with the defaults of `rules` (which must outlive
 * o): dataset cifar10, seed 1, device auto, threads = number of cores. */
void zc_task_options_init(zc_task_options *o, const zc_task_option_rules *rules);

/* zc_task_options_read: when the current option of a is a task option of
 * the command, take its value into *o and return 1; otherwise 0 (the
 * command's own options, or unknown). A malformed or out-of-range value is
 * a usage error (exit ZC_EXIT_USAGE). */
int zc_task_options_read(zc_task_options *o, zc_args *a);

/* zc_task_options_check: once every option is read: an unknown --space is
 * a usage error (when the rules check it); the lines of --arch-file are
 * appended to the --arch list (blank lines and '#' comments skipped); an
 * unreadable file, a line with a byte that is not printable text (a NUL,
 * a control character: a binary file; named by line and byte value, never
 * echoed), or no architecture at all ends the program (zc_die). */
void zc_task_options_check(zc_task_options *o);

/* zc_task_options_inputs: the files the task reads, for the output checks
 * of common/util/outputs.h: the data folder (resolved as zc_task_choose
 * does; a missing one ends the program) and --arch-file. */
void zc_task_options_inputs(zc_task_options *o, zc_outputs *outs);

/* zc_task_options_free: the --arch list and the resolved data folder. */
void zc_task_options_free(zc_task_options *o);

/* zc_task_choose: resolve the data folder, set up the task (space,
 * dataset, batch, seed, accuracy column, image size), the device (when the
 * command has --device) and the rows: the --arch list in its order
 * (duplicates dropped when the rules say so), else zc_task_sample_rows of
 * --archs. Any failure ends the program (zc_die with the message). */
void zc_task_choose(const zc_task_options *o, zc_task_choice *c);

/* zc_task_choice_free: everything zc_task_choose allocated (c->rows may
 * have been replaced by another malloc'd array). */
void zc_task_choice_free(zc_task_choice *c);

#endif

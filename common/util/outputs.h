/* outputs.h: output safety, the one mechanism every command that writes
 * files goes through.
 *
 *  - An output is never a file the same command reads (same device and
 *    inode, or the same canonical path), never inside a folder it reads
 *    (the data folder), and never the same file as another of its outputs.
 *  - An existing output is replaced only when the command's check says it
 *    is an output of the same kind and configuration; an empty file is
 *    always replaceable; a folder never is.
 *  - Before the work starts, each output is held by a lock file of zcevo's
 *    own, "<output>.lock", created with O_EXCL and holding "pid host": a
 *    second process is refused while the first one lives, with or without
 *    HDF5 file locking. Creating it is also the writability probe: a
 *    missing or read-only folder is an error before any work. A lock left
 *    by a process of this host that no longer runs is reclaimed with a
 *    warning; locks are removed when the process exits normally (exit(),
 *    zc_die), so a stale one only follows a kill or an MPI abort.
 *  - Text outputs are written to "<output>.tmp.<pid>" and renamed into
 *    place only when every write, flush, fsync and close succeeded, so an
 *    output is always absent, the old file or the complete new one.
 *
 *   zc_outputs o;
 *   zc_outputs_init(&o, "score");
 *   zc_outputs_read(&o, stats_path);              (each input)
 *   zc_outputs_write(&o, "--csv", csv_path, check_score_csv, &ctx);
 *   zc_outputs_claim(&o);                         (before the work)
 *   ... compute; zc_text_output_open / _commit ...
 *   zc_outputs_release(&o);
 *
 * Not thread-safe: claim, release and the lock functions belong to the
 * command's main thread. */
#ifndef ZC_OUTPUTS_H
#define ZC_OUTPUTS_H

#include <stddef.h>
#include <stdio.h>

/* zc_same_file: 1 when a and b name the same file: the same device and
 * inode when both exist, else the same canonical path (symbolic links and
 * "." / ".." of existing folders resolved). */
int zc_same_file(const char *a, const char *b);

/* zc_path_inside: 1 when path lies inside folder dir (canonical paths). */
int zc_path_inside(const char *path, const char *dir);

/* A lock file held on an output. */
typedef struct zc_output_lock zc_output_lock;

/* zc_output_lock_take: create "<path>.lock" with O_CREAT | O_EXCL holding
 * "pid host". Returns the lock, or NULL with one line in err naming the
 * output: its folder is missing or not writable (the system's reason);
 * another live process of this host holds it (its pid); a process of
 * another host holds it (host and pid: delete the lock file if that run is
 * gone). A lock of a process of this host that no longer runs is removed
 * with a warning on stderr and the lock taken. */
zc_output_lock *zc_output_lock_take(const char *path, char *err, size_t errlen);

/* zc_output_lock_release: remove the lock file (when it is still this
 * process's) and free l. NULL is ignored. */
void zc_output_lock_release(zc_output_lock *l);

/* zc_output_check_fn: may the existing, non-empty output at path be
 * replaced? 0 yes; -1 no, with the reason in why ("is not a proxies CSV
 * (its first line is ...)", "was written for proxies snip,nwot, this run
 * has synflow"). */
typedef int (*zc_output_check_fn)(const char *path, void *ctx, char *why, size_t whylen);

#define ZC_OUTPUTS_MAX_IN 80
#define ZC_OUTPUTS_MAX_DIRS 4
#define ZC_OUTPUTS_MAX_OUT 8

/* The files one command reads and writes (pointers are borrowed: they
 * must outlive the struct). */
typedef struct {
    const char *command; /* names usage errors: "score" */
    int n_in, n_dirs, n_out;
    const char *in[ZC_OUTPUTS_MAX_IN];
    const char *dirs[ZC_OUTPUTS_MAX_DIRS];
    struct {
        const char *flag, *path;  /* "--csv", "runs/s.csv"                   */
        zc_output_check_fn check; /* NULL: no content check                   */
        void *ctx;
        int lock;                 /* 1: take <path>.lock at claim             */
        zc_output_lock *held;
    } out[ZC_OUTPUTS_MAX_OUT];
} zc_outputs;

/* zc_outputs_init: an empty set for `command`. */
void zc_outputs_init(zc_outputs *o, const char *command);

/* zc_outputs_read: path is a file the command reads (NULL ignored). */
void zc_outputs_read(zc_outputs *o, const char *path);

/* zc_outputs_read_dir: dir is a folder the command reads: no output may
 * lie inside it (NULL ignored). */
void zc_outputs_read_dir(zc_outputs *o, const char *dir);

/* zc_outputs_write: path (named by the option `flag`) is an output; an
 * existing one must pass check (when not NULL); its lock is taken by
 * zc_outputs_claim. */
void zc_outputs_write(zc_outputs *o, const char *flag, const char *path,
                      zc_output_check_fn check, void *ctx);

/* zc_outputs_write_unlocked: as zc_outputs_write, without the lock (the
 * output's writer takes it itself, e.g. the statistics writer). */
void zc_outputs_write_unlocked(zc_outputs *o, const char *flag, const char *path,
                               zc_output_check_fn check, void *ctx);

/* zc_outputs_claim: every rule above, in order, before the work starts.
 * An empty file name, or two options naming one file, is a usage error
 * (exit ZC_EXIT_USAGE); an output that is an input or inside an input
 * folder, a folder, an existing file the check refuses, a lock held
 * elsewhere or an unwritable folder ends the program with one line
 * (ZC_EXIT_ERROR). Nothing is written but the lock files. */
void zc_outputs_claim(zc_outputs *o);

/* zc_outputs_release: remove the lock files taken by zc_outputs_claim. */
void zc_outputs_release(zc_outputs *o);

/* zc_output_first_line: the first line of the file at path (without its
 * end of line, at most n - 1 bytes) into buf. Returns its length, or -1
 * when the file cannot be read. A NUL byte in it counts as unreadable. */
int zc_output_first_line(const char *path, char *buf, size_t n);

/* A text output being written: "<path>.tmp.<pid>", renamed on commit. */
typedef struct {
    FILE *f;
    char *path, *tmp;
} zc_text_output;

/* zc_text_output_open: create the temporary file beside path. Returns 0,
 * or -1 with err naming it and the system's reason. */
int zc_text_output_open(zc_text_output *t, const char *path, char *err, size_t errlen);

/* zc_text_output_commit: check the stream's error flag, flush, fsync,
 * close, rename to path and fsync the folder. Returns 0, or -1 with err
 * naming path and the reason (the temporary file is removed; path is left
 * as it was). Frees t's names either way. */
int zc_text_output_commit(zc_text_output *t, char *err, size_t errlen);

/* zc_write_file_atomic: buf (len bytes) as the whole new content of path,
 * through zc_text_output (temporary file, checked writes, fsync, rename).
 * Errors end the program with one line naming path; path is then left as
 * it was. */
void zc_write_file_atomic(const char *path, const char *buf, size_t len);

/* zc_text_output_abandon: close and remove the temporary file. */
void zc_text_output_abandon(zc_text_output *t);

#endif

/* util.h: error reporting, checked allocation, timing and small helpers
 * shared by every part of zcevo.
 *
 * Errors in zcevo are reported as ONE line on stderr, "zcevo: error: ...",
 * naming the file or value at fault, followed by a non-zero exit. Library
 * code that can fail on user input returns a status instead and lets the
 * command decide; zc_die() is for the command layer and for conditions that
 * cannot be recovered (out of memory). An MPI run installs a die hook so
 * that a fatal error on any rank stops every rank (see worker/ and master/).
 */
#ifndef ZC_UTIL_H
#define ZC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of the zcevo executable (documented in README.md). */
enum {
    ZC_EXIT_OK = 0,
    ZC_EXIT_ERROR = 1,        /* bad input, I/O error, any failure          */
    ZC_EXIT_USAGE = 2,        /* wrong flags                                */
    ZC_EXIT_CHECKPOINTED = 3, /* stopped by a signal after a checkpoint:
                                 resume me                                  */
    ZC_EXIT_WORKER_LOST = 4   /* a worker died or timed out; checkpoint
                                 written, resume after resubmission         */
};

/* zc_die: print "zcevo: error: <formatted message>" as one line on stderr,
 * run the die hook if one is installed (MPI abort), then exit(ZC_EXIT_ERROR).
 * Never returns. */
void zc_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* zc_die_code: as zc_die but with the given exit code. */
void zc_die_code(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/* zc_warn: print "zcevo: warning: ..." on stderr; returns. */
void zc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* zc_set_die_hook: install fn(code) to be called by zc_die before exit
 * (for MPI_Abort). fn may not return. NULL removes the hook. */
void zc_set_die_hook(void (*fn)(int code));

/* Checked allocation: abort the program with a one-line message naming the
 * size when memory is exhausted. zc_malloc(0) returns a valid pointer. */
void *zc_malloc(size_t bytes);
void *zc_calloc(size_t count, size_t size);
void *zc_realloc(void *p, size_t bytes);
char *zc_strdup(const char *s);

/* zc_now: monotonic wall-clock time in seconds. */
double zc_now(void);

/* zc_format_bytes: human-readable size ("1.23 GiB") into buf (>= 32 bytes).
 * Returns buf. */
char *zc_format_bytes(double bytes, char *buf);

/* zc_resident_bytes: this process's resident memory now (Linux
 * /proc/self/statm); 0 where it cannot be read. */
double zc_resident_bytes(void);

/* zc_peak_resident_bytes: the largest resident memory of this process so far
 * (getrusage ru_maxrss); 0 where unknown. */
double zc_peak_resident_bytes(void);

/* zc_format_duration: "1h02m", "3m05s", "12.3s" into buf (>= 32). */
char *zc_format_duration(double seconds, char *buf);

/* zc_data_dir: resolve the benchmark data folder: the given flag value if
 * non-NULL, else $ZCEVO_DATA, else "../shared/data". The folder must exist;
 * otherwise zc_die names the path and where it came from. Returns a
 * malloc'd string. */
char *zc_data_dir(const char *flag_value);

/* zc_path_join: malloc'd "a/b". */
char *zc_path_join(const char *a, const char *b);

/* zc_file_exists: 1 if path names an existing regular file. */
int zc_file_exists(const char *path);

/* zc_sleep_ns: sleep ns nanoseconds (< 1 s); polling loops use it so as not
 * to spin a core. */
void zc_sleep_ns(long ns);

/* zc_print_progress: one progress line on stderr, "<label>: <done>/<n>
 * architectures, <rate> arch/s, elapsed <t>, ETA <t><suffix>" (rate since
 * t0, a zc_now() time; ETA 0s once done >= n). */
void zc_print_progress(const char *label, int done, int n, double t0, const char *suffix);

/* zc_fput_csv_field: write s to f as one CSV field: in double quotes, each
 * inner double quote doubled (RFC 4180), so JSON architecture strings and
 * program texts with commas or quotes stay one field. */
void zc_fput_csv_field(FILE *f, const char *s);

/* zc_mkdir_p: create the folder path and its missing parents (mode 0777
 * before the umask). Returns 0 (also when it exists), or -1 with errno. */
int zc_mkdir_p(const char *path);

/* zc_fsync_rename: fsync the file at tmp_path, rename it to final_path and
 * fsync the containing folder, so that final_path is either the old file or
 * the complete new one. Returns 0, or -1 with errno set. */
int zc_fsync_rename(const char *tmp_path, const char *final_path);

/* zc_fail: format a one-line message into err (when err and errlen are
 * non-zero) and return -1: the error path of library functions that report
 * through an err buffer. */
int zc_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* zc_read_text_file: the whole file as a NUL-terminated malloc'd buffer,
 * its length in *len (may be NULL). NULL with err naming the file (and
 * `what` it is, e.g. "benchmark table") when it cannot be opened or read. */
char *zc_read_text_file(const char *path, const char *what, size_t *len, char *err,
                        size_t errlen);

/* zc_hash64: FNV-1a-then-mix 64-bit hash of bytes, seeded. */
uint64_t zc_hash64(const void *data, size_t n, uint64_t seed);

#define ZC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define ZC_MAX(a, b) ((a) > (b) ? (a) : (b))
#define ZC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ZC_ASSERT: internal invariant; prints expression, file and line. */
#define ZC_ASSERT(cond)                                                          \
    do {                                                                         \
        if (!(cond))                                                             \
            zc_die("internal error: assertion '%s' failed at %s:%d", #cond,      \
                   __FILE__, __LINE__);                                          \
    } while (0)

#endif

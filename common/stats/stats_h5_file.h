/* stats_h5_file.h: the HDF5 pieces shared by the statistics writer
 * (stats_h5.c) and reader (stats_h5_read.c), internal to them: one-line
 * error capture, the file access list, typed attribute reads, the
 * configuration attributes, and opening a statistics file of either format
 * (docs/stats_schema.md).
 *
 * Serial HDF5 is not thread-safe, and neither is this module: the text of
 * the last failure is one static buffer. */
#ifndef ZC_STATS_H5_FILE_H
#define ZC_STATS_H5_FILE_H

#include <hdf5.h>
#include <stddef.h>

#include "common/stats/stats_config.h"

#define ZC_STATS_FORMAT "zcevo-stats"
#define ZC_STATS_FORMAT_VERSION 2 /* written: fixed strings, checksummed data */
#define ZC_STATS_LEGACY_VERSION 1 /* still read: variable strings, no checksums */
#define ZC_STATS_ARCH_DIGITS 6
#define ZC_STATS_MAX_LAYERS 1000 /* layer groups are named with 3 digits */

/* The text of the last failure: the innermost HDF5 message of the failing
 * call (captured before another call clears the stack) or a message of
 * ours. */
extern char zc_h5_problem[512];

/* zc_h5_set_problem: set zc_h5_problem from a format. */
void zc_h5_set_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* zc_h5_capture: zc_h5_problem = the system's reason of a failed read or
 * write on the HDF5 stack ("No space left on device"), else its innermost
 * message; then the API function and call_text. */
void zc_h5_capture(const char *call_text);

/* H5_TRY: like H5_CHECK (common/util/h5check.h) but silent: the failure
 * text goes to zc_h5_problem and the function jumps to its `fail` label. */
#define H5_TRY(call)                                                             \
    do {                                                                         \
        if ((call) < 0) {                                                        \
            zc_h5_capture(#call);                                                \
            goto fail;                                                           \
        }                                                                        \
    } while (0)

/* OWN_TRY: a call of ours that set zc_h5_problem itself when it failed. */
#define OWN_TRY(call)                                                            \
    do {                                                                         \
        if ((call) < 0) goto fail;                                               \
    } while (0)

/* FAIL_WITH: a failure that is not an HDF5 call: set the text, goto fail. */
#define FAIL_WITH(...)                                                           \
    do {                                                                         \
        zc_h5_set_problem(__VA_ARGS__);                                          \
        goto fail;                                                               \
    } while (0)

/* zc_h5_quiet: switch HDF5's own error printing off (every entry point);
 * the first call of a process also turns HDF5's exit-time clean-up off
 * (H5dont_atexit: it crashes on a file whose close failed). */
void zc_h5_quiet(void);

/* zc_h5_close_id: close an id of any kind; negative ids are ignored. */
void zc_h5_close_id(hid_t id);

/* zc_h5_file_access: the access list of every statistics file: the 1.8
 * object format (superblock v2: a crashed writer leaves no "open for
 * write" flag), objects evicted from the cache on close, file locking kept
 * but ignored where the file system has none. -1 on failure. */
hid_t zc_h5_file_access(void);

/* zc_h5_has_signature: 1 when path carries the HDF5 signature (no open,
 * no lock taken). */
int zc_h5_has_signature(const char *path);

/* zc_h5_problem_is_lock: 1 when the last failure was HDF5's file lock. */
int zc_h5_problem_is_lock(void);

/* Typed attribute reads of a scalar attribute; < 0 on failure. */
herr_t zc_h5_attr_read_int(hid_t obj, const char *name, int *v);
herr_t zc_h5_attr_read_u64(hid_t obj, const char *name, uint64_t *v);
herr_t zc_h5_attr_read_double(hid_t obj, const char *name, double *v);

/* zc_h5_attr_read_str: a scalar string attribute into buf (n bytes). A
 * fixed-length string always; a variable-length one only when allow_vlen
 * (format 1 files, after their heap check). Fails (zc_h5_problem set) on
 * another type or a longer value. */
herr_t zc_h5_attr_read_str(hid_t obj, const char *name, char *buf, size_t n, int allow_vlen);

/* zc_h5_attr_read_str_dup: the same, malloc'd (at most `max` bytes). */
char *zc_h5_attr_read_str_dup(hid_t obj, const char *name, size_t max, int allow_vlen);

/* An open statistics file and its format version. */
typedef struct {
    hid_t id;
    int version; /* ZC_STATS_FORMAT_VERSION or ZC_STATS_LEGACY_VERSION */
} zc_stats_file;

/* zc_stats_file_open: H5Fopen path (flags H5F_ACC_RDONLY / RDWR) and check
 * that it is a statistics file of a known format: format_version first
 * (an integer), a format 1 file then passes zc_stats_legacy_check
 * (stats_h5_legacy.h) before any string is read, then the format
 * attribute. Returns 0, or -1 with zc_h5_problem set (a lock held by
 * another process is called out; nothing stays open). */
int zc_stats_file_open(const char *path, unsigned flags, zc_stats_file *f);

/* zc_stats_file_close: close f (f->id < 0 is ignored). 0 or -1. */
herr_t zc_stats_file_close(zc_stats_file *f);

/* zc_stats_config_read: the configuration in the root attributes of an
 * open file, checked (zc_stats_config_check: known space and dataset,
 * values in range). Returns 0, or -1 with zc_h5_problem set. */
int zc_stats_config_read(const zc_stats_file *f, zc_stats_config *c);

/* zc_stats_parse_arch_name: the arch index of "NNNNNN", -1 when name is not
 * one. */
int zc_stats_parse_arch_name(const char *name);

/* zc_stats_group_complete: 1 when group g carries complete = 1. */
int zc_stats_group_complete(hid_t g);

#endif

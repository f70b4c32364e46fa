/* stats_h5.h: the HDF5 statistics cache (schema: docs/stats_schema.md;
 * the writer is stats_h5.c, the reader stats_h5_read.c).
 *
 * Writing is crash-safe: a writer works on "<out>.partial" and renames it to
 * <out> only when finished, so <out> is always a complete file (or absent,
 * or the previous complete file). Each architecture group carries a
 * `complete` attribute written last; a re-run resumes a .partial file of the
 * same configuration (skipping complete architectures) or extends a complete
 * <out> of the same configuration (copying it to .partial first). A file of
 * another configuration or format is never touched: the open fails with a
 * message. A writer holds the lock file "<out>.lock" (common/util/outputs.h)
 * from open to finish or abandon, so a second writer of the same <out> is
 * refused whether HDF5 file locking works or not.
 *
 * Files are written in format 2 (every dataset checksummed, strings of
 * fixed length); the reader also reads format 1 files (zcevo before
 * checksums) after checking their string heaps. The reader checks every
 * value it uses against the schema (stats_h5_check.h) and refuses with one
 * line naming the file, architecture, layer and field.
 */
#ifndef ZC_STATS_H5_H
#define ZC_STATS_H5_H

#include <stddef.h>
#include <stdint.h>

#include "common/stats/stats.h"
#include "common/stats/stats_config.h"

/* A named tensor (for parameters). */
typedef struct {
    const char *name;          /* PyTorch state_dict name                    */
    zc_tensor tensor;
} zc_named_tensor;

typedef struct zc_stats_writer zc_stats_writer;

/* zc_stats_writer_open: take <path>.lock, open <path>.partial for writing
 * per the rules above. Errors (returns NULL, message in err naming the
 * file): an empty name; the folder is not writable; another process holds
 * the lock; <path> or <path>.partial holds another configuration (the
 * message names the differing field) or format 1; <path> is not a zcevo
 * stats file; cfg is out of range (zc_stats_config_check). */
zc_stats_writer *zc_stats_writer_open(const char *path, const zc_stats_config *cfg,
                                      char *err, size_t errlen);

/* zc_stats_writer_is_complete: 1 if architecture arch_index is already
 * complete in the file being written. */
int zc_stats_writer_is_complete(zc_stats_writer *w, int arch_index);

/* zc_stats_writer_put_inputs: store /inputs (data, noise, perturb: float32
 * (batch,3,H,W); labels: int32 (batch)). When resuming, checks that the
 * stored inputs are bit-identical instead; returns -1 with err otherwise. */
int zc_stats_writer_put_inputs(zc_stats_writer *w, const float *data,
                               const float *noise, const float *perturb,
                               const int *labels, char *err, size_t errlen);

/* zc_stats_writer_put_arch: write one architecture (replacing an incomplete
 * group of the same index), params may be NULL/0. Flushes the file.
 * Returns 0 or -1 with err; a record the reader would refuse (a stored
 * terminal missing or of the wrong shape, layer metadata out of range:
 * stats_h5_check.h) is refused before anything is written. */
int zc_stats_writer_put_arch(zc_stats_writer *w, const zc_arch_stats *a,
                             const zc_named_tensor *params, int n_params,
                             char *err, size_t errlen);

/* zc_stats_writer_finish: close, fsync, rename .partial to <path>, release
 * the lock, free w. Returns 0 or -1 with err (the .partial file is then
 * left in place). */
int zc_stats_writer_finish(zc_stats_writer *w, char *err, size_t errlen);

/* zc_stats_writer_abandon: close, release the lock and free w, leaving
 * <path>.partial for a later resume. */
void zc_stats_writer_abandon(zc_stats_writer *w);

/* A loaded statistics file. */
typedef struct {
    zc_stats_config cfg;
    int n_archs;
    zc_arch_stats *archs;      /* sorted by arch_index                       */
} zc_stats_set;

/* zc_stats_read_config: read only the configuration of a stats file
 * (checked: known space and dataset, values in range). Returns 0, or -1
 * with err naming the file and the field. */
int zc_stats_read_config(const char *path, zc_stats_config *cfg, char *err,
                         size_t errlen);

/* zc_stats_read: load every complete architecture of <path>, keeping only
 * the terminals in `want` (others are not read: data stays NULL); a wanted
 * terminal missing from the file is an error naming it. Incomplete groups
 * are ignored. Everything read is checked before use: /inputs (types and
 * shapes, labels < num_classes), each group's index, name and layer count,
 * each layer's metadata, each wanted terminal's element type, shape and
 * stored size, and each checksum (a flipped byte is an error, never a
 * changed value). Returns 0 or -1 with err naming the file, architecture,
 * layer and field. */
int zc_stats_read(const char *path, zc_terminal_mask want, zc_stats_set *out,
                  char *err, size_t errlen);

/* zc_stats_read_input: read /inputs/<name> ("data", "noise", "perturb")
 * into a malloc'd float array of batch*3*H*W (type and shape checked).
 * NULL with err naming the file and dataset. */
float *zc_stats_read_input(const char *path, const char *name, char *err,
                           size_t errlen);

/* zc_stats_set_free: free the records of s and zero it. */
void zc_stats_set_free(zc_stats_set *s);

#endif

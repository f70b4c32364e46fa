/* stats_h5.h: the HDF5 statistics cache (schema: docs/stats_schema.md).
 *
 * Writing is crash-safe: a writer works on "<out>.partial" and renames it to
 * <out> only when finished, so <out> is always a complete file (or absent,
 * or the previous complete file). Each architecture group carries a
 * `complete` attribute written last; a re-run resumes a .partial file of the
 * same configuration (skipping complete architectures) or extends a complete
 * <out> of the same configuration (copying it to .partial first). A file of
 * another configuration is never touched: the open fails with a message.
 */
#ifndef ZC_STATS_H5_H
#define ZC_STATS_H5_H

#include <stddef.h>
#include <stdint.h>

#include "common/stats/stats.h"

/* What identifies a statistics run: two runs with equal configs produce the
 * same values for the same architecture. */
typedef struct {
    char space[32];            /* "nb201", "nats_sss", ...                   */
    char dataset[32];          /* "cifar10", "cifar100", "imagenet16"        */
    int batch;
    uint64_t seed;
    zc_terminal_mask terminals;/* which terminals are stored                 */
    int store_params;          /* 1 when initial parameters are stored       */
    int num_classes;
    int image_h, image_w;
    char accuracy_column[32];  /* table column used as `accuracy`            */
    char image_source[192];    /* e.g. "CIFAR-100 train images resized ..."  */
} zc_stats_config;

/* A named tensor (for parameters). */
typedef struct {
    const char *name;          /* PyTorch state_dict name                    */
    zc_tensor tensor;
} zc_named_tensor;

typedef struct zc_stats_writer zc_stats_writer;

/* zc_stats_writer_open: open <path>.partial for writing per the rules above.
 * Errors (returns NULL, message in err naming the file): the folder is not
 * writable; <path> or <path>.partial holds another configuration (the
 * message names the differing field); <path> is not a zcevo stats file. */
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
 * Returns 0 or -1 with err. */
int zc_stats_writer_put_arch(zc_stats_writer *w, const zc_arch_stats *a,
                             const zc_named_tensor *params, int n_params,
                             char *err, size_t errlen);

/* zc_stats_writer_finish: close, fsync, rename .partial to <path>, free w.
 * Returns 0 or -1 with err (the .partial file is then left in place). */
int zc_stats_writer_finish(zc_stats_writer *w, char *err, size_t errlen);

/* zc_stats_writer_abandon: close and free w, leaving <path>.partial for a
 * later resume. */
void zc_stats_writer_abandon(zc_stats_writer *w);

/* A loaded statistics file. */
typedef struct {
    zc_stats_config cfg;
    int n_archs;
    zc_arch_stats *archs;      /* sorted by arch_index                       */
} zc_stats_set;

/* zc_stats_read_config: read only the configuration of a stats file. */
int zc_stats_read_config(const char *path, zc_stats_config *cfg, char *err,
                         size_t errlen);

/* zc_stats_read: load every complete architecture of <path>, keeping only
 * the terminals in `want` (others are not read: data stays NULL); a wanted
 * terminal missing from the file is an error naming it. Incomplete groups
 * are ignored. Returns 0 or -1 with err naming the file and the problem. */
int zc_stats_read(const char *path, zc_terminal_mask want, zc_stats_set *out,
                  char *err, size_t errlen);

/* zc_stats_read_inputs: read /inputs/<name> ("data", "noise", "perturb")
 * into a malloc'd float array of batch*3*H*W. */
float *zc_stats_read_input(const char *path, const char *name, char *err,
                           size_t errlen);

void zc_stats_set_free(zc_stats_set *s);

/* zc_stats_config_diff: name of the first field in which a and b differ
 * (NULL when equal). */
const char *zc_stats_config_diff(const zc_stats_config *a, const zc_stats_config *b);

#endif

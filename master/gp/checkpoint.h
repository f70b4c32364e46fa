/* checkpoint.h: evolve checkpoints: the whole state of a search in one HDF5
 * file per checkpoint, "<run_dir>/checkpoint_<generation, 6 digits>.h5",
 * written atomically (temp file, fsync, rename); the newest K are kept.
 *
 * Contents: attributes format = "zcevo-checkpoint", format_version = 1,
 * generation, config (the resolved configuration text that fixes results);
 * datasets gp_state (uint8: zc_gp_state_save bytes: population, fitness
 * cache, RNG state, hall of fame, counters) and log (the text of log.csv up
 * to this generation, the "log position"). */
#ifndef ZC_CHECKPOINT_H
#define ZC_CHECKPOINT_H

#include <stddef.h>

#include "master/gp/gp.h"

/* zc_checkpoint_write: write generation's checkpoint for state into
 * run_dir, then delete all but the newest `keep` checkpoints. Returns 0, or
 * -1 with err (the previous checkpoints are then untouched). */
int zc_checkpoint_write(const char *run_dir, const zc_gp_state *state, const char *config,
                        const char *log_text, int keep, char *err, size_t errlen);

/* zc_checkpoint_latest: path of the newest checkpoint in run_dir that can
 * be read whole (a corrupt newer one is skipped with a warning), or NULL
 * when there is none. Malloc'd. */
char *zc_checkpoint_latest(const char *run_dir);

/* zc_checkpoint_read: load a checkpoint: *state (initialised by this call),
 * *config and *log_text (malloc'd). Returns 0, or -1 with err naming the
 * file (not a checkpoint, corrupt, unreadable). */
int zc_checkpoint_read(const char *path, zc_gp_state *state, char **config, char **log_text,
                       char *err, size_t errlen);

#endif

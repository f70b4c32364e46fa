/* proxies_h5.h: proxies files (`zcevo proxies --out-h5`, docs/proxies.md:
 * /values n x P float64 with the comma-separated column names in its
 * attribute proxy_names, /accuracy n float64, /arch_index n int64, root
 * string attributes space, dataset, batch, seed, init, image_source) read
 * as tasks of network-level values, the terminals of SR-NAS formulas
 * (docs/sr_nas.md): one record per architecture (stats.h) with no layers
 * and P values, column c being terminal code c. A non-finite value (synflow
 * of a cell without a path, a NaN jacov) is stored as NaN, "missing": a
 * program that reads it is invalid on that architecture. */
#ifndef ZC_PROXIES_H5_H
#define ZC_PROXIES_H5_H

#include <stddef.h>

#include "common/stats/task_data.h"
#include "common/stats/term_names.h"

/* zc_proxies_h5_names: the column names of a proxies file. Returns 0, or -1
 * with err naming the file: missing or unreadable, not a proxies file (no
 * /values or no proxy_names), more than ZC_MAX_TERM_CODES columns, names
 * that do not match the shape of /values or are malformed. */
int zc_proxies_h5_names(const char *path, zc_term_names *names, char *err, size_t errlen);

/* zc_proxies_h5_load: every architecture of the file into *d (name: the
 * path; cfg: space, dataset, batch, seed and image_source from the file;
 * acc: the accuracies), in file order. expect (may be NULL): the columns
 * the file must have, in that order. Returns 0, or -1 with err naming the
 * file and the fault (as zc_proxies_h5_names; columns other than expect's;
 * /accuracy or /arch_index missing or of another length; a non-finite
 * accuracy, naming the architecture; no architecture); *d is then empty. */
int zc_proxies_h5_load(const char *path, const zc_term_names *expect, zc_task_data *d, char *err,
                       size_t errlen);

#endif

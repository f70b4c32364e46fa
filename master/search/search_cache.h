/* search_cache.h: the score cache of `zcevo search`: a CSV file holding the
 * proxy value of every architecture scored for one task and proxy, one
 * line appended (and flushed) per architecture as it is scored. Values
 * depend only on the task, the proxy and the architecture, so every trial
 * and every later run of the same task and proxy reads them from here
 * instead of computing them again, and a run killed at any point resumes
 * without losing more than the architectures that were in flight.
 *
 * Format: line 1 "# zcevo search scores v1 <signature>" (the task and the
 * proxy; a file of another signature is refused, never overwritten), line
 * 2 the header "arch_index,value,arch_str", then one line per
 * architecture: its table index, the value in %.17g (read back bit for
 * bit; nan and +-inf as printed by C) and the architecture string as one
 * quoted CSV field. A truncated last line (a killed writer) is dropped
 * when the file is opened. The file is locked (flock) while open: two
 * processes never append to one cache. */
#ifndef ZC_SEARCH_CACHE_H
#define ZC_SEARCH_CACHE_H

#include <stddef.h>

#include "common/data/bench_table.h"

typedef struct zc_search_cache zc_search_cache;

/* zc_search_cache_open: open (or create) the cache at path for signature
 * (one line) over table (which must outlive the cache). Returns the cache
 * with the values already there; or NULL with one line in err naming the
 * file (unreadable or unwritable, another signature, locked by another
 * process, an index that is not in the table). */
zc_search_cache *zc_search_cache_open(const char *path, const char *signature,
                                      const zc_bench_table *table, char *err, size_t errlen);

/* zc_search_cache_get: 1 and *value when row's value is cached, else 0. */
int zc_search_cache_get(const zc_search_cache *c, int row, double *value);

/* zc_search_cache_put: record row's value (appended and flushed at once;
 * a row already cached is left as it is). A write error is reported once
 * as a warning (the run goes on, uncached). */
void zc_search_cache_put(zc_search_cache *c, int row, double value);

/* zc_search_cache_count: the number of architectures cached. */
int zc_search_cache_count(const zc_search_cache *c);

/* zc_search_cache_close: unlock and close; NULL is fine. */
void zc_search_cache_close(zc_search_cache *c);

#endif

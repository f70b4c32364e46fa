/* search_dispatch.h: rank 0 of a distributed `zcevo search`: a score
 * backend (master/search/search.h) that hands the rows of each round (a
 * generation, or the random sample) out one at a time to the worker
 * ranks' threads (worker/search_worker.h) and gathers their values; after
 * the last round it stops the workers. Messages: ZC_TAG_SR_ASK /
 * ZC_TAG_SR_GIVE of common/mpi/mpi_protocol.h. Which rank scores which
 * row never changes a value, so results are the same for any number of
 * ranks. */
#ifndef ZC_SEARCH_DISPATCH_H
#define ZC_SEARCH_DISPATCH_H

#include <stddef.h>

#include "master/search/search.h"

typedef struct {
    int world_size;
} zc_search_dispatch;

/* zc_search_dispatch_backend: the backend of rank 0 among world_size
 * ranks (d must outlive its use). Its score call returns -1 with err
 * naming the rank when a worker fails or sends a malformed message. */
zc_search_backend zc_search_dispatch_backend(zc_search_dispatch *d, int world_size);

/* zc_search_dispatch_stop: answer stop to every request until every
 * worker rank reports that it has finished. Returns 0, or -1 with err (a
 * worker reported a failure). */
int zc_search_dispatch_stop(zc_search_dispatch *d, char *err, size_t errlen);

#endif

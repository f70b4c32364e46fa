/* proxies_dispatch.h: rank 0 of a distributed `zcevo proxies`: hands out
 * positions one at a time to the worker ranks' threads
 * (worker/proxies_worker.h) and gathers their proxies. Messages:
 * ZC_TAG_PX_ASK / ZC_TAG_PX_GIVE of common/mpi/mpi_protocol.h. */
#ifndef ZC_PROXIES_DISPATCH_H
#define ZC_PROXIES_DISPATCH_H

#include <stddef.h>

#include "common/proxies/proxies_job.h"

/* zc_proxies_dispatch: rank 0 of world_size ranks: hand out positions
 * todo[0..n_todo) (each < n_rows) to the workers' requests, collect their
 * values into values (n_rows x ZC_PX_COUNT), calling done(ctx, ...) (may be
 * NULL) for each, print a progress line every ~2 s on stderr when
 * progress, and wait for every worker to finish. Polls without spinning a
 * core. Returns 0, or -1 with err naming the rank whose worker failed, and
 * its message (or a malformed message, or workers that returned fewer
 * architectures than handed out). */
int zc_proxies_dispatch(int n_rows, const int *todo, int n_todo, int world_size, int progress,
                        double *values, zc_proxies_done_fn done, void *ctx, char *err,
                        size_t errlen);

#endif

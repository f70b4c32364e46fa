/* search_local.h: the score backend of a `zcevo search` run in one process:
 * the proxy of the architectures asked for, on this process's threads (one
 * architecture per thread, common/proxies/proxy_spec.h). */
#ifndef ZC_SEARCH_LOCAL_H
#define ZC_SEARCH_LOCAL_H

#include "common/proxies/proxy_spec.h"
#include "master/search/search.h"

/* The backend's state: the scorer and the thread count. */
typedef struct {
    const zc_proxy_scorer *scorer;
    int threads;
} zc_search_local;

/* zc_search_local_backend: the backend scoring with local->scorer on
 * local->threads threads (local must outlive the backend's use). */
zc_search_backend zc_search_local_backend(zc_search_local *local);

#endif

/* search_local.c: the one-process score backend of `zcevo search` (see
 * search_local.h). */
#include "master/search/search_local.h"

#include <stdio.h>

static int score_local(void *self, const int *rows, int n, zc_search_done_fn done,
                       void *done_ctx, char *err, size_t errlen) {
    const zc_search_local *b = self;
    return zc_proxy_scorer_run(b->scorer, rows, n, b->threads, done, done_ctx, err, errlen);
}

zc_search_backend zc_search_local_backend(zc_search_local *local) {
    zc_search_backend b = {score_local, local, ""};
    snprintf(b.where, sizeof b.where, "%d thread%s", local->threads,
             local->threads == 1 ? "" : "s");
    return b;
}

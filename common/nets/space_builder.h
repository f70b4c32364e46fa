/* space_builder.h: the small state every space builder threads through its
 * helpers: the network being built and whether every layer fitted. A
 * builder calls zc_space_checked on each zc_net_* result; the first misfit
 * (-1) clears ok, and the builder reports the architecture as invalid at the
 * end instead of checking after every layer. */
#ifndef ZC_SPACE_BUILDER_H
#define ZC_SPACE_BUILDER_H

#include "common/nets/net.h"

typedef struct {
    zc_net *net;
    int ok;
} zc_space_builder;

/* zc_space_checked: v unchanged when >= 0; otherwise clear b->ok and return
 * value 0 (a valid id, so building can go on to the end harmlessly). */
static inline int zc_space_checked(zc_space_builder *b, int v) {
    if (v < 0) b->ok = 0;
    return v < 0 ? 0 : v;
}

#endif

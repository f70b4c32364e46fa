/* net_rebatch.h: a copy of a network description (kernels/net.h) at
 * another batch size, for proxies defined on a few samples of the task's
 * minibatch (training-mode batch norm then sees only those samples). */
#ifndef ZC_NET_REBATCH_H
#define ZC_NET_REBATCH_H

#include "common/nets/net.h"

/* zc_net_rebatch: the same network as src (layers, value ids, parameter
 * names and order, RCB blocks, block outputs, output) for `batch` samples;
 * when src's parameters are allocated, the copy gets its own storage with
 * the same values. Values and gradients are not allocated (the executor
 * does that on first use). Returns NULL when a layer cannot be replayed
 * (a non-square stride, dilation or pooling window: none of zcevo's spaces
 * builds one). Free with zc_net_free. */
zc_net *zc_net_rebatch(const zc_net *src, int batch);

#endif

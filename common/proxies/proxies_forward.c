/* proxies_forward.c: nwot and jacov from the forward pass alone (see
 * proxies_forward.h), on the family functions of proxies_codes.h and
 * proxies_jacobian.h. */
#include "common/proxies/proxies_forward.h"

#include <math.h>

#include "common/proxies/proxies.h"
#include "common/proxies/proxies_codes.h"
#include "common/proxies/proxies_jacobian.h"
#include "kernels/cpu/net_exec.h"

int zc_proxy_forward_supports(int id) { return id == ZC_PX_NWOT || id == ZC_PX_JACOV; }

double zc_proxy_forward(zc_net *net, const float *x, int id) {
    if (!zc_proxy_forward_supports(id)) return NAN;
    zc_net_forward(net, x);
    if (id == ZC_PX_NWOT) return zc_proxy_nwot(net);
    int n = net->batch;
    int64_t d = zc_net_value_numel(net, 0) / n;
    return zc_proxy_jacov(zc_proxy_input_jacobian(net), n, d);
}

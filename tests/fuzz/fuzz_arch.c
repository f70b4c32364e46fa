/* fuzz_arch.c: libFuzzer harness of the architecture strings of every
 * design space (common/nets/space.h). Input: byte 0 picks the space (modulo
 * the number of spaces), the rest is the architecture string. The builder
 * must return a network or NULL with a message, never exit or
 * crash; a network must have at least one layer and one RCB block. Inputs
 * are 32x32 images, batch 1 (small networks: the descriptor is what is
 * built). */
#include <stdlib.h>
#include <string.h>

#include "common/nets/space.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 16384) return 0;
    int count;
    const zc_space_info *spaces = zc_space_list(&count);
    const zc_space_info *s = &spaces[data[0] % count];
    char *arch = fuzz_text(data + 1, size - 1);
    char err[512] = "";
    zc_net *net = zc_space_build(s->name, arch, 1, s->num_classes ? s->num_classes : 10, 32,
                                 err, sizeof err);
    if (net) {
        FUZZ_CHECK(net->n_layers > 0);
        FUZZ_CHECK(net->n_rcb > 0);
        zc_net_free(net);
    } else {
        FUZZ_CHECK(err[0] != 0);
    }
    free(arch);
    return 0;
}

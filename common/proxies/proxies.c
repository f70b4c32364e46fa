/* proxies.c: the proxies' names: lookup and the parsing of proxy lists
 * (proxies.h). */
#include "common/proxies/proxies.h"

#include <stdio.h>
#include <string.h>

#include "common/util/util.h"

static const char *const k_proxy_names[ZC_PX_COUNT] = {
    "grad_norm", "snip",   "grasp",  "fisher", "synflow",   "plain",        "l2_norm",
    "jacov",     "nwot",   "epe_nas", "zen",   "params",    "flops",        "tcet_snip",
    "tcet_synflow", "eznas_a", "az_expressivity", "az_progressivity", "az_trainability",
    "az_complexity", "az_nas", "zico", "meco", "meco_opt", "swap", "swap_reg",
    "zcevo_a"};

const char *zc_proxy_name(int id) {
    return id >= 0 && id < ZC_PX_COUNT ? k_proxy_names[id] : "?";
}

int zc_proxy_lookup(const char *name) {
    for (int i = 0; i < ZC_PX_COUNT; i++)
        if (strcmp(name, k_proxy_names[i]) == 0) return i;
    return -1;
}

int zc_proxy_parse_list(const char *list, zc_proxy_mask *mask, char *bad, size_t badlen) {
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)ZC_MIN(n, sizeof name - 1), p);
        int id = zc_proxy_lookup(name);
        if (strcmp(name, "all") == 0) *mask |= ZC_ALL_PROXIES;
        else if (strcmp(name, "modern") == 0) *mask |= ZC_MODERN_PROXIES;
        else if (id < 0) {
            snprintf(bad, badlen, "%s", name);
            return -1;
        } else *mask |= 1u << id;
        p += n;
        if (*p == ',') p++;
    }
    if (!*mask) {
        snprintf(bad, badlen, "%s", list);
        return -1;
    }
    if (*mask & (1u << ZC_PX_AZ_NAS))
        *mask |= (1u << ZC_PX_AZ_EXPRESSIVITY) | (1u << ZC_PX_AZ_PROGRESSIVITY) |
                 (1u << ZC_PX_AZ_TRAINABILITY) | (1u << ZC_PX_AZ_COMPLEXITY);
    return 0;
}

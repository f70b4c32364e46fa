/* terminals.c: names of the 22 terminals (see terminals.h). */
#include "common/stats/terminals.h"

#include <stdio.h>
#include <string.h>

static const char *const k_names[ZC_NUM_TERMINALS] = {
    "inpact_data",      "inpact_noise",      "inpact_perturb",
    "preact_data",      "preact_noise",      "preact_perturb",
    "act_data",         "act_noise",         "act_perturb",
    "inpact_grad_data", "inpact_grad_noise", "inpact_grad_perturb",
    "preact_grad_data", "preact_grad_noise", "preact_grad_perturb",
    "act_grad_data",    "act_grad_noise",    "act_grad_perturb",
    "wt_grad_data",     "wt_grad_noise",     "wt_grad_perturb",
    "wt"};

const char *zc_terminal_name(int id) {
    return (id >= 0 && id < ZC_NUM_TERMINALS) ? k_names[id] : "?";
}

int zc_terminal_lookup(const char *name) {
    for (int i = 0; i < ZC_NUM_TERMINALS; i++)
        if (strcmp(name, k_names[i]) == 0) return i;
    return -1;
}

int zc_terminal_parse_list(const char *list, zc_terminal_mask *mask, char *bad) {
    *mask = 0;
    if (strcmp(list, "all") == 0) {
        *mask = ZC_ALL_TERMINALS;
        return 0;
    }
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char name[64];
        if (n >= sizeof name) n = sizeof name - 1;
        memcpy(name, p, n);
        name[n] = 0;
        int id = zc_terminal_lookup(name);
        if (id < 0) {
            snprintf(bad, 64, "%s", name);
            return -1;
        }
        *mask |= 1u << id;
        p = e ? e + 1 : p + strlen(p);
    }
    if (!*mask) {
        snprintf(bad, 64, "(empty list)");
        return -1;
    }
    return 0;
}
